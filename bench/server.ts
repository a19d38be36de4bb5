/**
 * Runner server figures over real sockets on 127.0.0.1: preview latency (node finished ->
 * preview frame received; preview request -> PNG received) and run-message throughput to 1
 * and 10 watching clients. `npm run bench -- server [--runs N]`.
 */
import { join } from "node:path";
import { Client, PLUGINS, slowGraph, tempDir, testServer } from "../test/server/helpers.ts";
import { machineLine, printTable } from "./_table.ts";

function stats(xs: number[]): { median: number; p90: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p90: q(0.9), max: s[s.length - 1] };
}

function patternGraph(size: number, name: string, withScore: boolean) {
  return {
    format: "edgrec-graph",
    version: 2,
    name,
    nodes: [
      { id: "pattern", type: "test.pattern", params: { n: 4, size } },
      ...(withScore
        ? [
            { id: "model", type: "test.model", params: { delayMs: 0 } },
            { id: "score", type: "test.anomaly", params: {} },
          ]
        : []),
    ],
    edges: withScore
      ? [
          { from: { node: "pattern", port: "image" }, to: { node: "score", port: "image" } },
          { from: { node: "model", port: "model" }, to: { node: "score", port: "model" } },
        ]
      : [],
  };
}

export default async function bench(args: string[]): Promise<void> {
  const runsArg = args.indexOf("--runs");
  const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : 15;
  const dir = tempDir("edgrec-bench-server-");
  const server = await testServer({ cacheDir: dir, outDir: join(dir, "out"), pluginDirs: PLUGINS });
  process.stdout.write(`machine: ${machineLine()}\n`);
  process.stdout.write("2 shared cores with other engineers' jobs: timings are noisy.\n");
  try {
    const latency: Record<string, string | number>[] = [];
    const c = await Client.connect(server.url);
    for (const size of [64, 256]) {
      const finishedToPreview: number[] = [];
      const requestRtt: number[] = [];
      const heatRtt: number[] = [];
      for (let r = 0; r < runs; r++) {
        // Fresh graph name per run so sample values are recomputed (not cached) each time.
        const g = patternGraph(size, `lat-${size}-${r}`, true);
        g.nodes[0].params = { n: 4, size, r } as never;
        const acc = (await c.request({ type: "run", graph: { ...g, seed: r } })) as unknown as {
          runId: string;
        };
        const done = await c.waitFor(
          (m) =>
            m.type === "node-finished" &&
            "runId" in m &&
            m.runId === acc.runId &&
            m.nodeId === "score",
        );
        const frame = await c.waitForFrame((f) => f.header.runId === acc.runId);
        finishedToPreview.push(frame.at - done.at);
        await c.waitForRunEnd(acc.runId);
        let t = performance.now();
        const id = c.send({
          type: "preview",
          runId: acc.runId,
          nodeId: "pattern",
          port: "image",
          sample: 1,
        });
        await c.waitForFrame((f) => f.header.replyTo === id);
        requestRtt.push(performance.now() - t);
        t = performance.now();
        const hid = c.send({
          type: "preview",
          runId: acc.runId,
          nodeId: "score",
          port: "map",
          sample: 2,
          scale: "shared",
        });
        await c.waitForFrame((f) => f.header.replyTo === hid);
        heatRtt.push(performance.now() - t);
      }
      for (const [what, xs] of [
        ["node finished -> live preview", finishedToPreview],
        ["preview request, RGB image", requestRtt],
        ["preview request, score map (shared scale)", heatRtt],
      ] as const) {
        const s = stats(xs);
        latency.push({
          size: `${size}x${size}`,
          measure: what,
          runs: xs.length,
          "median ms": s.median,
          "p90 ms": s.p90,
          "max ms": s.max,
        });
      }
    }
    await c.close();
    printTable("preview latency (client clock)", latency);

    const throughput: Record<string, string | number>[] = [];
    for (const clients of [1, 10]) {
      for (let rep = 0; rep < 3; rep++) {
        const watchers = await Promise.all(
          Array.from({ length: clients }, () => Client.connect(server.url)),
        );
        const graph = await slowGraph(0, `tp-${clients}-${rep}`);
        graph.nodes[0].params = { n: 100, base: 0.1 };
        graph.nodes.find((n) => n.id === "total")!.params = { epochs: 10, delayMs: 0 };
        graph.seed = rep + 100 * clients;
        const t0 = performance.now();
        const acc = (await watchers[0].request({ type: "run", graph })) as unknown as {
          runId: string;
        };
        await Promise.all(
          watchers
            .slice(1)
            .map((w) => w.request({ type: "subscribe", runId: acc.runId, since: -1 })),
        );
        const ends = await Promise.all(watchers.map((w) => w.waitForRunEnd(acc.runId, 120000)));
        const elapsed = Math.max(...ends.map((e) => e.at)) - t0;
        const perClient = watchers[0].runMessages(acc.runId).length;
        const total = watchers.reduce((s, w) => s + w.runMessages(acc.runId).length, 0);
        throughput.push({
          clients,
          rep: rep + 1,
          "messages/client": perClient,
          "run ms (to last client)": Math.round(elapsed),
          "messages/s delivered": Math.round((total / elapsed) * 1000),
        });
        await Promise.all(watchers.map((w) => w.close()));
      }
    }
    printTable("run messages delivered (1000 progress messages per run)", throughput);
  } finally {
    await server.close();
  }
}
