/**
 * Bad graph files and bad paths through the real CLI (child processes): every case exits with
 * the documented code, names the input and gives a hint, and files already on disk (the
 * graph itself, a previous run's model and report) are left byte-for-byte as they were.
 */
import assert from "node:assert/strict";
import { chmodSync, cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { edgrec, GRAPHS, jsonLines, tempDir, tinySets, treeHash } from "./helpers.ts";

type G = {
  format: string;
  version: number;
  nodes: { id: string; type: string; params: Record<string, unknown> }[];
  edges: { from: { node: string; port: string }; to: { node: string; port: string } }[];
  [k: string]: unknown;
};

const base = (): G => JSON.parse(readFileSync(join(GRAPHS, "edgrec.json"), "utf8"));

interface Case {
  name: string;
  /** File text, or a function editing the default graph. */
  content: string | ((g: G) => void);
  code: string;
  /** Must appear in the message: the input it names. */
  names: RegExp;
}

const CASES: Case[] = [
  { name: "not JSON", content: "{ nodes: [", code: "E_GRAPH_NOT_JSON", names: /bad\.json/ },
  { name: "a JSON array", content: "[1,2]", code: "E_GRAPH_FORMAT", names: /bad\.json/ },
  {
    name: "wrong version",
    content: (g) => {
      g.version = 99;
    },
    code: "E_GRAPH_VERSION",
    names: /version 99/,
  },
  {
    name: "unknown node type",
    content: (g) => {
      g.nodes[2].type = "acme.does-not-exist";
    },
    code: "E_UNKNOWN_NODE_TYPE",
    names: /acme\.does-not-exist/,
  },
  {
    name: "a cycle",
    content: (g) => {
      g.edges.push({
        from: { node: "test_edge", port: "edge" },
        to: { node: "test_gray", port: "image" },
      });
      g.edges = g.edges.filter((e) => !(e.to.node === "test_gray" && e.from.node === "data"));
    },
    code: "E_CYCLE",
    names: /test_gray|test_edge/,
  },
  {
    name: "a type mismatch",
    content: (g) => {
      // A colour image into the morphological edge's gray input (the U-Net's own input now
      // accepts colour images, for the DeAE ablation).
      const e = g.edges.find((x) => x.to.node === "train_edge" && x.to.port === "gray")!;
      e.from = { node: "data", port: "train" };
    },
    code: "E_PORT_TYPE_MISMATCH",
    names: /"train_edge\.gray"/,
  },
  {
    name: "a missing input",
    content: (g) => {
      g.edges = g.edges.filter((e) => !(e.to.node === "train" && e.to.port === "target"));
    },
    code: "E_MISSING_INPUT",
    names: /"target".*"train"/,
  },
  {
    name: "a parameter out of range",
    content: (g) => {
      g.nodes[0].params.size = 5;
    },
    code: "E_PARAM_INVALID",
    names: /"data" parameter "size".*got 5/,
  },
  {
    name: "a parameter of the wrong type",
    content: (g) => {
      g.nodes.find((n) => n.id === "train")!.params.preset = 42;
    },
    code: "E_PARAM_INVALID",
    names: /"train" parameter "preset"/,
  },
  {
    name: "duplicate ids",
    content: (g) => {
      g.nodes.push({ ...g.nodes[2] });
    },
    code: "E_DUPLICATE_NODE_ID",
    names: /"train_gray"/,
  },
  {
    name: "an edge to a node that is not there",
    content: (g) => {
      g.edges.push({ from: { node: "ghost", port: "x" }, to: { node: "train", port: "edge" } });
    },
    code: "E_UNKNOWN_NODE",
    names: /"ghost"/,
  },
  {
    name: "more nodes than the cap",
    content: (g) => {
      g.nodes = Array.from({ length: 2001 }, (_, i) => ({
        id: `n${i}`,
        type: "edgrec.grayscale",
        params: {},
      }));
      g.edges = [];
    },
    code: "E_GRAPH_TOO_LARGE",
    names: /2001 nodes/,
  },
  {
    name: "more edges than the cap",
    content: (g) => {
      g.edges = Array.from({ length: 10001 }, () => g.edges[0]);
    },
    code: "E_GRAPH_TOO_LARGE",
    names: /10001 edges/,
  },
  {
    name: "a file of 20 MB",
    content: `{"format":"edgrec-graph","version":2,"description":"${"x".repeat(20 * 2 ** 20)}"}`,
    code: "E_GRAPH_TOO_LARGE",
    names: /bad\.json is \d+ characters/,
  },
];

/** Runs at most `n` jobs at once. */
class Pool {
  private active = 0;
  private queue: (() => void)[] = [];
  constructor(private readonly n: number) {}
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.active >= this.n) await new Promise<void>((ok) => this.queue.push(ok));
    this.active++;
    try {
      return await job();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

/** A folder that looks like the aftermath of an earlier good run: a model and a report. */
function previousRun(dir: string): void {
  mkdirSync(join(dir, "out/model"), { recursive: true });
  mkdirSync(join(dir, "out/inspection"), { recursive: true });
  writeFileSync(join(dir, "out/model/manifest.json"), '{"architecture":"edgrec-unet"}\n');
  writeFileSync(join(dir, "out/model/weights.bin"), Buffer.alloc(1024, 7));
  writeFileSync(join(dir, "out/inspection/report.json"), '{"summary":{}}\n');
}

/** The codes a CLI answer carries, from --json output (parse errors or validation issues). */
function codesOf(out: string): { codes: string[]; messages: string[]; hints: string[] } {
  const codes: string[] = [];
  const messages: string[] = [];
  const hints: string[] = [];
  for (const l of jsonLines(out)) {
    const err = (l.error ?? (l.report as { error?: unknown } | undefined)?.error) as
      | { code: string; message: string; hint?: string; details?: unknown }
      | undefined;
    const issues = (l.issues ?? (Array.isArray(err?.details) ? err?.details : [])) as {
      code: string;
      message: string;
      hint: string;
    }[];
    if (err) {
      codes.push(err.code);
      messages.push(err.message);
      if (err.hint) hints.push(err.hint);
    }
    for (const i of issues ?? []) {
      codes.push(i.code);
      messages.push(i.message);
      hints.push(i.hint);
    }
  }
  return { codes, messages, hints };
}

describe("bad graph files through the CLI", () => {
  // Start every case's two child processes up front, a few at a time (CLI start-up is the
  // cost); each test then awaits its own pair.
  const pool = new Pool(4);
  const pending = CASES.map((c) => {
    const dir = tempDir();
    previousRun(dir);
    const file = join(dir, "bad.json");
    if (typeof c.content === "string") writeFileSync(file, c.content);
    else {
      const g = base();
      c.content(g);
      writeFileSync(file, JSON.stringify(g));
    }
    const before = treeHash(dir);
    const results = Promise.all([
      pool.run(() => edgrec(["validate", file, "--json"], { cwd: dir })),
      pool.run(() =>
        edgrec(["run", file, "--json", "--out", "out", "--cache", "cache"], { cwd: dir }),
      ),
    ]);
    return { dir, before, results };
  });

  for (const [k, c] of CASES.entries()) {
    test(`${c.name}: validate and run exit 3 with ${c.code}; nothing on disk changes`, async () => {
      const { dir, before, results } = pending[k];
      const [validate, run] = await results;
      for (const [what, r] of [
        ["validate", validate],
        ["run", run],
      ] as const) {
        assert.equal(r.code, 3, `${what}: exit ${r.code}\n${r.err}`);
        const { codes, messages, hints } = codesOf(r.out);
        assert.ok(codes.includes(c.code), `${what}: codes ${codes.join(", ")}`);
        assert.ok(
          messages.some((m) => c.names.test(m)),
          `${what}: no message names the input: ${messages.join(" | ").slice(0, 400)}`,
        );
        assert.ok(hints.length > 0 && hints.every((h) => h.length > 5), `${what}: hint`);
        assert.ok(!r.out.includes('"node-started"'), `${what}: a node ran`);
      }
      const after = treeHash(dir);
      // the run may create its own cache folder; everything else must be as it was
      for (const k of Object.keys(after)) if (k.startsWith("cache/")) delete after[k];
      assert.deepEqual(after, before, "files on disk changed");
    });
  }

  test("the node cap is checked before parsing every node: 200000 nodes refused without parsing them", async () => {
    const { parseGraph } = await import("../../apps/runner/src/graph/schema.ts");
    const g = base();
    g.nodes = Array.from({ length: 200_000 }, (_, i) => ({
      id: `n${i}`,
      type: "x",
      params: { big: [1, 2, 3] },
    }));
    const t0 = performance.now();
    assert.throws(() => parseGraph(g, "huge"), /200000 nodes; at most 2000/);
    assert.ok(performance.now() - t0 < 1000, `${performance.now() - t0} ms`);
  });
});

describe("bad paths through the CLI", () => {
  const sets = tinySets();

  test("traversal, absolute paths and symlinks out of the roots: exit 3, E_PATH_OUTSIDE_ROOT", async () => {
    const dir = tempDir();
    symlinkSync("/etc", join(dir, "link-out"));
    const results = await Promise.all(
      ["../../../../etc", "/etc", "link-out", "link-out/ssl"].map((p) =>
        edgrec(
          ["validate", join(GRAPHS, "edgrec.json"), "--json", ...sets, "--set", `data.path=${p}`],
          {
            cwd: dir,
          },
        ),
      ),
    );
    for (const r of results) {
      assert.equal(r.code, 3, r.err);
      const { codes, messages } = codesOf(r.out);
      assert.deepEqual(codes, ["E_PATH_OUTSIDE_ROOT"]);
      assert.match(messages[0], /outside the allowed data folders/);
    }
  });

  test("a missing dataset folder: exit 3, E_PATH_NOT_FOUND naming the folder", async () => {
    const dir = tempDir();
    const r = await edgrec(
      ["validate", join(GRAPHS, "edgrec.json"), "--json", "--set", "data.path=nope/bottle"],
      { cwd: dir },
    );
    assert.equal(r.code, 3);
    const { codes, messages } = codesOf(r.out);
    assert.deepEqual(codes, ["E_PATH_NOT_FOUND"]);
    assert.match(messages[0], /nope\/bottle does not exist/);
  });

  test("an unwritable out folder is refused before any node runs: exit 4", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a-file"), "x");
    const cases = [join(dir, "a-file", "out")];
    if (process.getuid?.() !== 0) {
      mkdirSync(join(dir, "locked"));
      chmodSync(join(dir, "locked"), 0o555);
      cases.push(join(dir, "locked", "out"));
    }
    for (const out of cases) {
      const r = await edgrec(
        ["run", join(GRAPHS, "edgrec.json"), "--json", "--out", out, "--cache", "cache", ...sets],
        { cwd: dir },
      );
      assert.equal(r.code, 4, r.err);
      const { codes, messages } = codesOf(r.out);
      assert.deepEqual(codes, ["E_OUT_UNWRITABLE"]);
      assert.ok(messages[0].includes(out), messages[0]);
      assert.ok(!r.out.includes('"run-started"'), "the run started");
    }
  });

  test("an existing graph used as --out target stays intact when the run is refused", async () => {
    const dir = tempDir();
    cpSync(join(GRAPHS, "edgrec.json"), join(dir, "g.json"));
    const before = treeHash(dir);
    const r = await edgrec(["run", "g.json", "--json", "--out", "g.json/out", ...sets], {
      cwd: dir,
    });
    assert.equal(r.code, 4);
    assert.deepEqual(treeHash(dir), before);
  });
});
