/** The graph library round trip and the queue that survives a runner restart. */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Client, simpleGraph, slowGraph, tempDir, testServer } from "./helpers.ts";

describe("graph library", () => {
  test("save, list and load round-trip; built-ins are never overwritten", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "builtin-graphs"), { recursive: true });
    const builtin = await simpleGraph((g) => {
      g.name = "Demo";
    });
    writeFileSync(join(dir, "builtin-graphs", "Demo.json"), JSON.stringify(builtin));
    const server = await testServer({ cacheDir: dir });
    try {
      const c = await Client.connect(server.url);
      const graph = await simpleGraph((g) => {
        g.name = "mine";
        g.nodes[1].params.factor = 4;
      });
      const saved = await c.request({ type: "save-graph", name: "My graph_1.v2", graph });
      assert.equal(saved.type, "graph-saved");
      assert.ok(existsSync(join(dir, "library", "My graph_1.v2.json")));

      const list = await c.request({ type: "list-graphs" });
      const graphs = (list as { graphs: { name: string; builtin: boolean }[] }).graphs;
      assert.deepEqual(
        graphs.map((g) => [g.name, g.builtin]),
        [
          ["Demo", true],
          ["My graph_1.v2", false],
        ],
      );
      const loaded = (await c.request({
        type: "load-graph",
        name: "My graph_1.v2",
      })) as unknown as {
        graph: { nodes: { id: string; params: Record<string, unknown> }[]; layout: unknown };
      };
      assert.equal(loaded.graph.nodes[1].params.factor, 4);
      assert.deepEqual(loaded.graph.layout, graph.layout);

      const over = (await c.request({ type: "save-graph", name: "Demo", graph })) as unknown as {
        error: { code: string };
      };
      assert.equal(over.error.code, "E_GRAPH_BUILTIN");
      assert.equal(
        JSON.parse(readFileSync(join(dir, "builtin-graphs", "Demo.json"), "utf8")).name,
        "Demo",
      );
      const bad = (await c.request({
        type: "save-graph",
        name: "x",
        graph: { nodes: 1 },
      })) as unknown as {
        error: { code: string };
      };
      assert.equal(bad.error.code, "E_GRAPH_FORMAT");
      const missing = (await c.request({ type: "load-graph", name: "nope" })) as unknown as {
        error: { code: string };
      };
      assert.equal(missing.error.code, "E_GRAPH_NOT_FOUND");

      const http = await (await fetch(`${server.url}/api/graphs`)).json();
      assert.equal(http.graphs.length, 2);
      const one = await (await fetch(`${server.url}/api/graphs/My%20graph_1.v2`)).json();
      assert.equal(one.graph.name, "mine");
      await c.close();
    } finally {
      await server.close();
    }
  });
});

describe("queue persistence", () => {
  test("a queued run survives a runner restart and completes", async () => {
    const dir = tempDir();
    const first = await testServer({ cacheDir: dir });
    const c = await Client.connect(first.url);
    const a = await c.request({ type: "run", graph: await slowGraph(300, "long") });
    const b = await c.request({ type: "run", graph: await slowGraph(0, "waiting") });
    const runA = (a as { runId: string }).runId;
    const runB = (b as { runId: string }).runId;
    assert.equal((b as { queuePosition: number }).queuePosition, 1);
    await c.waitFor((m) => m.type === "node-started" && "runId" in m && m.runId === runA);
    await first.close();
    await c.close();

    const queued = JSON.parse(readFileSync(join(dir, "queue.json"), "utf8")) as { id: string }[];
    assert.deepEqual(
      queued.map((q) => q.id),
      [runA, runB],
      "the interrupted run and the queued one are both on disk",
    );

    const second = await testServer({ cacheDir: dir });
    try {
      const d = await Client.connect(second.url);
      await d.request({ type: "subscribe", runId: runB, since: -1 });
      const end = await d.waitForRunEnd(runB);
      assert.equal(end.type, "run-finished");
      assert.ok(d.runMessages(runB).some((m) => m.type === "log" && /re-queued/.test(m.message)));
      await d.request({ type: "subscribe", runId: runA, since: -1 });
      assert.equal((await d.waitForRunEnd(runA)).type, "run-finished");
      const report = await (await fetch(`${second.url}/api/runs/${runB}`)).json();
      assert.equal(report.status, "finished");
      assert.equal(report.report.ok, true);
      // Wait for the last queue write, then the queue file is empty.
      for (let i = 0; i < 50; i++) {
        if (JSON.parse(readFileSync(join(dir, "queue.json"), "utf8")).length === 0) break;
        await new Promise((ok) => setTimeout(ok, 20));
      }
      assert.deepEqual(JSON.parse(readFileSync(join(dir, "queue.json"), "utf8")), []);
      await d.close();
    } finally {
      await second.close();
    }
  });
});
