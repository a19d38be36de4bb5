import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseGraph } from "../graph/schema.ts";
import { createRuntime, PROJECT_ROOT } from "../runtime.ts";
import type { RunEvent } from "./events.ts";

const fixtures = join(PROJECT_ROOT, "test/fixtures");
const calls = () =>
  (globalThis as Record<string, unknown>).__edgrecTestCalls as Record<string, number>;
const simple = () => parseGraph(readFileSync(join(fixtures, "graphs/simple.json"), "utf8"));

async function runtime() {
  const tmp = mkdtempSync(join(tmpdir(), "edgrec-engine-"));
  return createRuntime({
    pluginDirs: [join(fixtures, "plugins/good")],
    cacheDir: join(tmp, "cache"),
    dataRoots: [tmp],
    outRoots: [tmp],
  });
}

describe("engine", () => {
  test("runs a graph of simple nodes and reports what ran", async () => {
    const rt = await runtime();
    const events: RunEvent[] = [];
    const { report, values } = await rt.engine.run({
      graph: simple(),
      outDir: tmpdir(),
      onEvent: (e) => events.push(e),
    });
    assert.equal(report.ok, true, JSON.stringify(report.error));
    // plain: sum over 4 samples of 4 pixels of (0.1 + i/100)
    assert.ok(Math.abs((values.get("plain")!.value as number) - 4 * (0.4 + 0.06)) < 1e-5);
    assert.equal(report.nodes.total.status, "ran");
    assert.equal(report.nodes.ramp.status, "lazy");
    assert.ok(events.some((e) => e.type === "progress" && e.nodeId === "total"));
    assert.equal(events.at(-1)?.type, "run-finished");
  });

  test("a one-parameter change re-runs only what depends on it", async () => {
    const rt = await runtime();
    const g = simple();
    const first = await rt.engine.run({ graph: g, outDir: tmpdir() });
    assert.equal(first.report.ok, true);
    const scaleCalls = calls().scale;
    const rampCalls = calls().ramp;
    g.nodes.find((n) => n.id === "scale")!.params.factor = 3;
    const second = await rt.engine.run({ graph: g, outDir: tmpdir() });
    assert.equal(second.report.ok, true);
    assert.equal(second.report.nodes.plain.status, "cached");
    assert.equal(second.report.nodes.total.status, "ran");
    assert.match(second.report.nodes.total.reason, /input changed/);
    assert.match(second.report.nodes.plain.reason, /nothing it depends on changed/);
    // ramp samples came from the per-sample cache, scale was recomputed with the new factor
    assert.equal(calls().ramp, rampCalls);
    assert.equal(calls().scale, scaleCalls + 4);
    g.nodes.find((n) => n.id === "scale")!.params.factor = 2;
    const third = await rt.engine.run({ graph: g, outDir: tmpdir() });
    assert.equal(third.report.nodes.total.status, "cached");
  });

  test("stochastic nodes draw fresh values each epoch, reproducibly per seed", async () => {
    const rt = await runtime();
    const { values } = await rt.engine.run({
      graph: simple(),
      outDir: tmpdir(),
      targets: ["jitter"],
    });
    const s = values.get("jitter")!.image as {
      get(i: number, e: number): Promise<{ data: Float32Array }>;
    };
    const a0 = (await s.get(0, 0)).data[0];
    const a1 = (await s.get(0, 1)).data[0];
    assert.notEqual(a0, a1);
    const rt2 = await runtime();
    const again = await rt2.engine.run({ graph: simple(), outDir: tmpdir(), targets: ["jitter"] });
    const s2 = again.values.get("jitter")!.image as typeof s;
    assert.equal((await s2.get(0, 0)).data[0], a0);
    assert.equal((await s2.get(0, 1)).data[0], a1);
    const other = await rt2.engine.run({
      graph: simple(),
      outDir: tmpdir(),
      targets: ["jitter"],
      seed: 99,
    });
    const s3 = other.values.get("jitter")!.image as typeof s;
    assert.notEqual((await s3.get(0, 0)).data[0], a0);
  });

  test("running up to a node computes only its ancestors and previews it", async () => {
    const rt = await runtime();
    const events: RunEvent[] = [];
    const { report } = await rt.engine.run({
      graph: simple(),
      outDir: tmpdir(),
      targets: ["scale"],
      onEvent: (e) => events.push(e),
    });
    assert.deepEqual(Object.keys(report.nodes).sort(), ["ramp", "scale"]);
    const previews = events.filter((e) => e.type === "preview");
    assert.equal(previews.length, 4);
  });

  test("cancellation stops a running task and reports it", async () => {
    const rt = await runtime();
    const g = simple();
    g.nodes.find((n) => n.id === "plain")!.params.delayMs = 50;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 60);
    const { report } = await rt.engine.run({ graph: g, outDir: tmpdir(), signal: ac.signal });
    assert.equal(report.ok, false);
    assert.equal(report.cancelled, true);
    assert.equal(report.error?.code, "E_CANCELLED");
  });

  test("an invalid graph fails before anything runs", async () => {
    const rt = await runtime();
    const g = simple();
    g.nodes.find((n) => n.id === "scale")!.params.factor = 99;
    const { report } = await rt.engine.run({ graph: g, outDir: tmpdir() });
    assert.equal(report.ok, false);
    assert.equal(report.error?.code, "E_GRAPH_INVALID");
    assert.deepEqual(report.nodes, {});
  });
});
