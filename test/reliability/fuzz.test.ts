/**
 * Property-based fuzzing (fast-check): random JSON and mutated real graphs through
 * parseGraph + validateGraph, random client messages through zClientMessage and into a live
 * server. Properties: nothing crashes or hangs, every refusal is a structured error (code,
 * message, hint), no prototype is polluted, and the server keeps answering.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import WebSocket from "ws";
import { parseGraph } from "../../apps/runner/src/graph/schema.ts";
import { validateGraph } from "../../apps/runner/src/graph/validate.ts";
import { zClientMessage } from "../../apps/runner/src/protocol/messages.ts";
import { createRuntime, PROJECT_ROOT, type Runtime } from "../../apps/runner/src/runtime.ts";
import type { RunnerServer } from "../../apps/runner/src/server/server.ts";
import { EdgrecError } from "../../nodes/sdk/errors.ts";
import { Client, testServer } from "../server/helpers.ts";
import { tempDir } from "./helpers.ts";

const RUNS = Number(process.env.EDGREC_FUZZ_RUNS ?? 3000);
const DEFAULT = JSON.parse(readFileSync(join(PROJECT_ROOT, "graphs/edgrec.json"), "utf8"));
/** A valid graph of the test plugins: quick to run when a fuzzed "run" message is accepted. */
const SIMPLE = JSON.parse(
  readFileSync(join(PROJECT_ROOT, "test/fixtures/graphs/simple.json"), "utf8"),
);

/** Hostile values: huge, tiny, wrong types, prototype keys, deep nesting. */
const nasty = fc.oneof(
  fc.constantFrom(
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER,
    -0,
    2 ** 31,
    "",
    "x".repeat(10_000),
    "../../../etc/passwd",
    "/etc",
    "\u0000",
    null,
    true,
    [],
    {},
    { __proto__: { polluted: 1 } },
    JSON.parse('{"__proto__":{"polluted":1}}'),
    JSON.parse('{"constructor":{"prototype":{"polluted":1}}}'),
  ),
  fc.jsonValue({ maxDepth: 4 }),
);
const keyArb = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "toString", "size", "path", "preset"),
  fc.string({ maxLength: 12 }),
);

// biome-ignore lint/suspicious/noExplicitAny: mutations poke at arbitrary shapes on purpose
type Mut = (g: Record<string, any>) => void;

function mutations(types: string[]): fc.Arbitrary<Mut[]> {
  const mut: fc.Arbitrary<Mut> = fc.oneof(
    fc.tuple(fc.nat(), fc.constantFrom(...types, "acme.x", "", "__proto__")).map(
      ([i, t]): Mut =>
        (g) => {
          if (g.nodes.length) g.nodes[i % g.nodes.length].type = t;
        },
    ),
    fc.tuple(fc.nat(), keyArb, nasty).map(
      ([i, k, v]): Mut =>
        (g) => {
          if (g.nodes.length)
            Object.defineProperty(g.nodes[i % g.nodes.length].params, k, {
              value: v,
              enumerable: true,
              writable: true,
              configurable: true,
            });
        },
    ),
    fc.tuple(fc.nat(), fc.nat(), keyArb, keyArb).map(
      ([a, b, p, q]): Mut =>
        (g) => {
          const n = g.nodes.length || 1;
          g.edges.push({
            from: { node: g.nodes[a % n]?.id ?? "x", port: p },
            to: { node: g.nodes[b % n]?.id ?? "y", port: q },
          });
        },
    ),
    fc.tuple(fc.nat(), fc.nat()).map(
      ([a, b]): Mut =>
        (g) => {
          // rewire an existing edge to a random node: cycles, mismatches, duplicate inputs
          if (!g.edges.length || !g.nodes.length) return;
          g.edges[a % g.edges.length].from.node = g.nodes[b % g.nodes.length].id;
        },
    ),
    fc.nat().map(
      (i): Mut =>
        (g) => {
          g.nodes.splice(i % (g.nodes.length || 1), 1);
        },
    ),
    fc.nat().map(
      (i): Mut =>
        (g) => {
          if (g.nodes.length) g.nodes.push({ ...g.nodes[i % g.nodes.length] });
        },
    ),
    fc
      .tuple(
        fc.constantFrom("nodes", "edges", "version", "format", "seed", "layout", "name"),
        nasty,
      )
      .map(
        ([k, v]): Mut =>
          (g) => {
            g[k] = v;
          },
      ),
  );
  return fc.array(mut, { minLength: 1, maxLength: 6 });
}

function assertStructured(err: unknown): void {
  assert.ok(err instanceof EdgrecError, `not an EdgrecError: ${String(err)}`);
  assert.match(err.code, /^E_[A-Z_]+$/);
  assert.ok(err.message.length > 0);
  assert.ok(err.hint && err.hint.length > 0, `no hint for ${err.code}`);
}

function notPolluted(): void {
  assert.equal(({} as Record<string, unknown>).polluted, undefined, "Object.prototype polluted");
}

describe("graph fuzzing", () => {
  let rt: Runtime;
  before(async () => {
    const dir = tempDir();
    rt = await createRuntime({ cacheDir: join(dir, "cache"), dataRoots: [dir], outRoots: [dir] });
  });

  /** parse + validate must end in a Graph with a well-formed result, or a structured error. */
  function check(input: unknown): void {
    let graph: ReturnType<typeof parseGraph>;
    try {
      graph = parseGraph(typeof input === "string" ? input : JSON.stringify(input), "fuzz.json");
    } catch (err) {
      assertStructured(err);
      return;
    }
    const r = validateGraph(graph, rt.registry, { paths: rt.paths });
    assert.equal(r.ok, r.issues.length === 0);
    for (const i of r.issues) {
      assert.match(i.code, /^E_[A-Z_]+$/);
      assert.ok(i.message.length > 0 && i.hint.length > 0, JSON.stringify(i));
    }
    if (r.ok) assert.equal(r.order?.length, graph.nodes.length);
    notPolluted();
  }

  test(`random JSON and random text (${RUNS} cases each)`, () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => check(v)),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => check(s)),
      { numRuns: RUNS },
    );
  });

  test(`graph-shaped objects with random nodes and edges (${RUNS} cases)`, () => {
    const types = rt.registry.all().map(({ def }) => def.type);
    const node = fc.record({
      id: fc.oneof(fc.constantFrom("a", "b", "c", "__proto__", "constructor"), fc.string()),
      type: fc.oneof(fc.constantFrom(...types), fc.string()),
      params: fc.dictionary(keyArb, nasty, { maxKeys: 4 }),
    });
    const end = fc.record({
      node: fc.constantFrom("a", "b", "c", "__proto__", "x"),
      port: fc.oneof(fc.constantFrom("image", "edge", "train", "model", "map"), fc.string()),
    });
    const graph = fc.record({
      format: fc.constant("edgrec-graph"),
      version: fc.oneof(fc.constant(2), fc.constant(1), fc.integer()),
      nodes: fc.array(node, { maxLength: 8 }),
      edges: fc.array(fc.record({ from: end, to: end }), { maxLength: 10 }),
      seed: fc.oneof(fc.nat(), nasty),
    });
    fc.assert(
      fc.property(graph, (g) => check(g)),
      { numRuns: RUNS },
    );
  });

  test(`mutated real graphs: types, ports, params, edges, huge and wrong values (${RUNS} cases)`, () => {
    const types = rt.registry.all().map(({ def }) => def.type);
    fc.assert(
      fc.property(mutations(types), (muts) => {
        const g = structuredClone(DEFAULT);
        for (const m of muts) {
          try {
            m(g);
          } catch {
            // a mutation that cannot apply to an already broken graph just does nothing
          }
        }
        check(g);
      }),
      { numRuns: RUNS },
    );
  });

  test("graphs at the node and edge caps validate in bounded time", () => {
    const n = 2000;
    const g = {
      format: "edgrec-graph",
      version: 2,
      nodes: Array.from({ length: n }, (_, i) => ({
        id: `n${i}`,
        type: "edgrec.grayscale",
        params: {},
      })),
      edges: Array.from({ length: 10_000 }, (_, i) => ({
        from: { node: `n${i % n}`, port: "gray" },
        to: { node: `n${(i * 7 + 1) % n}`, port: "image" },
      })),
    };
    const t0 = performance.now();
    check(g);
    assert.ok(performance.now() - t0 < 5000, `${Math.round(performance.now() - t0)} ms`);
  });
});

describe("protocol fuzzing", () => {
  let server: RunnerServer;
  before(async () => {
    server = await testServer({
      limits: { messageBurst: 1_000_000, messagesPerSecond: 1_000_000 },
    });
  });
  after(async () => {
    await server.close();
  });

  const TYPES = [
    "hello",
    "get-catalogue",
    "validate",
    "run",
    "cancel",
    "subscribe",
    "preview",
    "save-graph",
    "list-graphs",
    "load-graph",
    "explode",
  ];
  const message = fc.record(
    {
      type: fc.oneof(fc.constantFrom(...TYPES), fc.string({ maxLength: 10 })),
      id: fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant("x".repeat(500))),
      runId: fc.oneof(fc.string({ maxLength: 20 }), nasty),
      graph: fc.oneof(nasty, fc.constant(SIMPLE)),
      name: fc.oneof(fc.constantFrom("../../etc/passwd", "a/b", "..", "ok"), fc.string()),
      protocols: fc.oneof(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }), nasty),
      since: fc.oneof(fc.integer(), nasty),
      nodeId: fc.string({ maxLength: 10 }),
      sample: fc.oneof(fc.integer(), nasty),
    },
    { requiredKeys: ["type"] },
  );

  test(`zClientMessage never throws on random input (${RUNS * 2} cases)`, () => {
    fc.assert(
      fc.property(fc.oneof(message, fc.jsonValue()), (m) => {
        const r = zClientMessage.safeParse(m);
        if (!r.success) assert.ok(r.error.issues.length > 0);
        notPolluted();
      }),
      { numRuns: RUNS * 2 },
    );
  });

  test("random frames to a live server: every text frame answered, server stays up", async () => {
    const frames = fc.sample(
      fc.oneof(
        { weight: 6, arbitrary: message.map((m) => JSON.stringify(m)) },
        { weight: 2, arbitrary: fc.string({ maxLength: 300 }) },
        { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
      ),
      { numRuns: 1500, seed: 42 },
    );
    let c = await Client.connect(server.url);
    const closes: number[] = [];
    let sent = 0;
    for (const f of frames) {
      if (c.ws.readyState !== WebSocket.OPEN) {
        c = await Client.connect(server.url);
      }
      const closed = new Promise<number>((ok) => c.ws.once("close", (code) => ok(code)));
      const before = c.messages.length;
      c.ws.send(f, { binary: typeof f !== "string" });
      sent++;
      // every frame gets at least one message back (a reply or an error), or a protocol close
      const outcome = await Promise.race([
        c.waitFor(() => c.messages.length > before, 10_000, "an answer").then(() => 0),
        closed,
      ]);
      if (outcome !== 0) closes.push(outcome);
      assert.deepEqual(c.invalid, [], "server sent something that is not a protocol message");
    }
    // A refused hello closes with 1002 (protocol error); nothing else may close the socket.
    assert.ok(
      closes.every((code) => code === 1002),
      `unexpected close codes ${closes.join(",")}`,
    );
    const health = await fetch(`${server.url}/api/health`);
    assert.equal(health.status, 200);
    const fresh = await Client.connect(server.url);
    const cat = await fresh.request({ type: "get-catalogue" });
    assert.equal(cat.type, "catalogue");
    await fresh.close();
    await c.close();
    notPolluted();
    assert.equal(sent, frames.length);
  });
});
