import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { z } from "zod";
import { defineNode } from "../../../../nodes/sdk/node.ts";
import { PathPolicy } from "../paths.ts";
import { loadPlugins, NodeRegistry } from "../registry.ts";
import { PROJECT_ROOT } from "../runtime.ts";
import { type Graph, parseGraph, serializeGraph } from "./schema.ts";
import { type ValidationCode, validateGraph } from "./validate.ts";

const fixtures = join(PROJECT_ROOT, "test/fixtures");

const reader = defineNode({
  type: "test.reader",
  version: 1,
  title: "Reader",
  category: "Data",
  description: "Reads a folder (validation tests only).",
  kind: "task",
  inputs: {},
  outputs: { value: { type: "Number" } },
  params: z.object({ path: z.string().default("") }),
  paths: { path: "data" },
  async run() {
    return { value: 1 };
  },
});

async function registry() {
  const r = new NodeRegistry();
  assert.deepEqual(await loadPlugins(r, join(fixtures, "plugins/good")), []);
  r.register(reader, "validate.test.ts");
  return r;
}

function graph(nodes: Graph["nodes"], edges: [string, string][]): Graph {
  return parseGraph({
    format: "edgrec-graph",
    version: 2,
    nodes,
    edges: edges.map(([a, b]) => {
      const [fn, fp] = a.split(".");
      const [tn, tp] = b.split(".");
      return { from: { node: fn, port: fp }, to: { node: tn, port: tp } };
    }),
  });
}

const n = (id: string, type: string, params: Record<string, unknown> = {}) => ({
  id,
  type,
  params,
});

async function codes(g: Graph, paths?: PathPolicy): Promise<ValidationCode[]> {
  return validateGraph(g, await registry(), { paths }).issues.map((i) => i.code);
}

describe("graph validation", () => {
  test("a valid graph has no issues and a topological order", async () => {
    const g = parseGraph(readFileSync(join(fixtures, "graphs/simple.json"), "utf8"));
    const r = validateGraph(g, await registry());
    assert.deepEqual(r.issues, []);
    assert.ok(r.order!.indexOf("ramp") < r.order!.indexOf("scale"));
    assert.equal(r.params.scale.factor, 2);
  });

  test("E_DUPLICATE_NODE_ID", async () => {
    assert.deepEqual(await codes(graph([n("a", "test.ramp"), n("a", "test.ramp")], [])), [
      "E_DUPLICATE_NODE_ID",
    ]);
  });

  test("E_UNKNOWN_NODE_TYPE names the type and how to get it", async () => {
    const r = validateGraph(graph([n("a", "acme.nope")], []), await registry());
    assert.equal(r.issues[0].code, "E_UNKNOWN_NODE_TYPE");
    assert.match(r.issues[0].message, /acme\.nope/);
    assert.match(r.issues[0].hint, /--plugins/);
  });

  test("E_UNKNOWN_NODE for an edge to a missing node", async () => {
    const c = await codes(graph([n("a", "test.ramp")], [["a.image", "ghost.image"]]));
    assert.deepEqual(c, ["E_UNKNOWN_NODE"]);
  });

  test("E_UNKNOWN_PORT lists the ports that exist", async () => {
    const r = validateGraph(
      graph([n("a", "test.ramp"), n("b", "test.scale")], [["a.picture", "b.image"]]),
      await registry(),
    );
    assert.equal(r.issues[0].code, "E_UNKNOWN_PORT");
    assert.match(r.issues[0].message, /has: image/);
  });

  test("E_DUPLICATE_INPUT", async () => {
    const c = await codes(
      graph(
        [n("a", "test.ramp"), n("b", "test.ramp"), n("s", "test.scale")],
        [
          ["a.image", "s.image"],
          ["b.image", "s.image"],
        ],
      ),
    );
    assert.deepEqual(c, ["E_DUPLICATE_INPUT"]);
  });

  test("E_MISSING_INPUT names the port and its type", async () => {
    const r = validateGraph(graph([n("s", "test.scale")], []), await registry());
    assert.equal(r.issues[0].code, "E_MISSING_INPUT");
    assert.equal(r.issues[0].port, "image");
    assert.match(r.issues[0].message, /Gray image/);
  });

  test("E_PORT_TYPE_MISMATCH", async () => {
    const r = validateGraph(
      graph(
        [n("a", "test.ramp"), n("t", "test.total"), n("s", "test.scale")],
        [
          ["a.image", "t.image"],
          ["t.value", "s.image"],
        ],
      ),
      await registry(),
    );
    assert.deepEqual(
      r.issues.map((i) => i.code),
      ["E_PORT_TYPE_MISMATCH"],
    );
    assert.equal(r.issues[0].expected, "Gray");
  });

  test("E_CYCLE names the nodes on the cycle", async () => {
    const r = validateGraph(
      graph(
        [n("a", "test.scale"), n("b", "test.scale"), n("c", "test.scale")],
        [
          ["a.image", "b.image"],
          ["b.image", "c.image"],
          ["c.image", "a.image"],
        ],
      ),
      await registry(),
    );
    assert.deepEqual(
      r.issues.map((i) => i.code),
      ["E_CYCLE"],
    );
    assert.match(r.issues[0].message, /"a".*"b".*"c"|"b".*"c".*"a"|"c".*"a".*"b"/);
    assert.equal(r.order, undefined);
  });

  test("E_PARAM_INVALID reports the value, the rule and every bad parameter", async () => {
    const r = validateGraph(
      graph([n("a", "test.ramp", { n: 0, base: "x" })], []),
      await registry(),
    );
    assert.deepEqual(
      r.issues.map((i) => [i.code, i.param]),
      [
        ["E_PARAM_INVALID", "n"],
        ["E_PARAM_INVALID", "base"],
      ],
    );
    assert.equal(r.issues[0].value, 0);
  });

  test("E_PATH_NOT_FOUND and E_PATH_OUTSIDE_ROOT (including through a symlink)", async () => {
    const root = mkdtempSync(join(tmpdir(), "edgrec-root-"));
    const outside = mkdtempSync(join(tmpdir(), "edgrec-outside-"));
    symlinkSync(outside, join(root, "link"));
    const policy = new PathPolicy({ data: [root], model: [], out: [] });
    assert.deepEqual(await codes(graph([n("r", "test.reader", { path: "missing" })], []), policy), [
      "E_PATH_NOT_FOUND",
    ]);
    for (const p of ["../etc", "/etc", "link"]) {
      assert.deepEqual(await codes(graph([n("r", "test.reader", { path: p })], []), policy), [
        "E_PATH_OUTSIDE_ROOT",
      ]);
    }
  });

  test("reports every problem at once", async () => {
    const c = await codes(
      graph([n("a", "acme.nope"), n("s", "test.scale", { factor: -1 })], [["x.image", "s.image"]]),
    );
    assert.deepEqual(
      c.sort(),
      ["E_MISSING_INPUT", "E_PARAM_INVALID", "E_UNKNOWN_NODE", "E_UNKNOWN_NODE_TYPE"].sort(),
    );
  });
});

describe("graph files", () => {
  test("version 1 files are migrated (edges as strings, positions in nodes)", () => {
    const g = parseGraph(readFileSync(join(fixtures, "graphs/simple-v1.json"), "utf8"));
    assert.equal(g.version, 2);
    assert.deepEqual(g.edges, [
      { from: { node: "ramp", port: "image" }, to: { node: "plain", port: "image" } },
    ]);
    assert.deepEqual(g.layout.ramp, { x: 10, y: 20 });
    assert.equal("position" in g.nodes[0], false);
  });

  test("serialisation is stable and round-trips", () => {
    const g = parseGraph(readFileSync(join(fixtures, "graphs/simple.json"), "utf8"));
    const text = serializeGraph(g);
    assert.equal(serializeGraph(parseGraph(text)), text);
    const shuffled = {
      ...g,
      nodes: g.nodes.map((x) => ({
        ...x,
        params: Object.fromEntries(Object.entries(x.params).reverse()),
      })),
    };
    assert.equal(serializeGraph(shuffled), text);
  });

  test("bad files give coded errors", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as { code?: string }).code;
      }
      return "no error";
    };
    assert.equal(
      code(() => parseGraph("{not json")),
      "E_GRAPH_NOT_JSON",
    );
    assert.equal(
      code(() => parseGraph({ format: "edgrec-graph", version: 99, nodes: [], edges: [] })),
      "E_GRAPH_VERSION",
    );
    assert.equal(
      code(() => parseGraph({ format: "other", version: 2 })),
      "E_GRAPH_FORMAT",
    );
    assert.equal(
      code(() => parseGraph({ format: "edgrec-graph", version: 2, nodes: "x", edges: [] })),
      "E_GRAPH_FORMAT",
    );
  });
});

describe("plugins", () => {
  test("a broken plugin is reported with its file and the rest still loads", async () => {
    const r = new NodeRegistry();
    const problems = await loadPlugins(r, join(fixtures, "plugins/broken"));
    assert.equal(problems.length, 2);
    assert.ok(
      problems.some(
        (p) => p.file.endsWith("throws-on-load.ts") && /broken on purpose/.test(p.message),
      ),
    );
    assert.ok(problems.some((p) => p.file.endsWith("bad-definition.ts") && /kind/.test(p.message)));
    assert.deepEqual(await loadPlugins(r, join(fixtures, "plugins/good")), []);
    assert.ok(r.types().includes("test.ramp"));
  });

  test("a duplicate type id is refused with both sources named", async () => {
    const r = new NodeRegistry();
    await loadPlugins(r, join(fixtures, "plugins/good"));
    const problems = await loadPlugins(r, join(fixtures, "plugins/good"));
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /already registered by plugin .*simple-nodes\.ts/);
    r.register(reader, "a.ts");
    assert.throws(() => r.register(reader, "b.ts"), /from b\.ts is already registered by a\.ts/);
  });
});
