/** Runs over the WebSocket: events, previews, watchers, replay, cancel and the queue. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import sharp from "sharp";
import type { RunnerServer } from "../../apps/runner/src/server/server.ts";
import { Client, simpleGraph, slowGraph, testServer } from "./helpers.ts";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function assertPng(png: Uint8Array): void {
  assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE, "PNG signature");
}

/** Seq numbers of a run as one client saw them: must be 0, 1, 2, ... with no gap. */
function assertContiguous(seqs: number[], from = 0): void {
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => from + i),
  );
}

/** The simple graph plus two nodes nobody consumes, so the engine previews their samples. */
function previewGraph() {
  return simpleGraph((g) => {
    g.name = "preview";
    g.nodes.push(
      { id: "shown", type: "test.scale", params: { factor: 3 } },
      { id: "pattern", type: "test.pattern", params: { n: 3, size: 32 } },
      { id: "model", type: "test.model", params: { delayMs: 0, level: 0.5 } },
      { id: "score", type: "test.anomaly", params: {} },
    );
    g.edges.push(
      { from: { node: "ramp", port: "image" }, to: { node: "shown", port: "image" } },
      { from: { node: "pattern", port: "image" }, to: { node: "score", port: "image" } },
      { from: { node: "model", port: "model" }, to: { node: "score", port: "model" } },
    );
  });
}

describe("runs over the WebSocket", () => {
  let server: RunnerServer;
  before(async () => {
    server = await testServer();
  });
  after(async () => {
    await server.close();
  });

  test("a full run streams node events, progress with ETA, previews and the report", async () => {
    const c = await Client.connect(server.url);
    const accepted = await c.request({ type: "run", graph: await previewGraph() });
    assert.equal(accepted.type, "run-accepted");
    const runId = (accepted as { runId: string }).runId;
    assert.equal((accepted as { queuePosition: number }).queuePosition, 0);
    const end = await c.waitForRunEnd(runId);
    assert.equal(end.type, "run-finished", JSON.stringify(end));
    const msgs = c.runMessages(runId);
    assertContiguous(msgs.map((m) => m.seq));
    assert.equal(msgs[0].type, "run-started");
    const started = msgs.find((m) => m.type === "node-started" && m.nodeId === "total");
    assert.ok(started && started.type === "node-started" && started.reason.length > 0);
    const progress = msgs.filter((m) => m.type === "progress" && m.nodeId === "total");
    assert.equal(progress.length, 8, "2 epochs x 4 samples");
    const last = progress.at(-1)!;
    assert.ok(last.type === "progress" && last.step === 8 && last.total === 8 && last.etaMs === 0);
    assert.ok(progress.some((p) => p.type === "progress" && typeof p.etaMs === "number"));
    const finished = msgs.find((m) => m.type === "node-finished" && m.nodeId === "total");
    assert.ok(finished && finished.type === "node-finished" && finished.ms >= 0);
    const report = (end as { report: { ok: boolean; results: Record<string, number> } }).report;
    assert.equal(report.ok, true);
    assert.equal(typeof report.results["total.value"], "number");

    // The engine previews the first samples of map nodes nobody consumes.
    const gray = await c.waitForFrame((f) => f.header.nodeId === "shown");
    assertPng(gray.png);
    const meta = await sharp(gray.png).metadata();
    assert.equal(meta.width, 2);
    assert.equal(meta.height, 2);
    // Score maps previewed by the engine arrive normalised to one gray channel.
    const map = await c.waitForFrame((f) => f.header.nodeId === "score");
    const decoded = await sharp(map.png).raw().toBuffer({ resolveWithObject: true });
    assert.equal(decoded.info.width, 32);
    assert.equal(map.header.width, 32);
    assert.equal(map.header.runId, runId);
    assert.equal(map.header.label, "pattern/0");
    assert.deepEqual(c.invalid, [], "every message matches the protocol schema");
    await c.close();
  });

  test("preview requests return PNGs of any node output and sample", async () => {
    const c = await Client.connect(server.url);
    const accepted = await c.request({ type: "run", graph: await previewGraph() });
    const runId = (accepted as { runId: string }).runId;
    await c.waitForRunEnd(runId);

    const id = c.send({ type: "preview", runId, nodeId: "scale", port: "image", sample: 2 });
    const frame = await c.waitForFrame((f) => f.header.replyTo === id);
    assertPng(frame.png);
    const px = await sharp(frame.png).raw().toBuffer({ resolveWithObject: true });
    assert.equal(px.info.width, 2);
    // ramp sample 2 = 0.1 + 0.02, scaled by 2 -> 0.24 -> 61 of 255
    assert.equal(px.data[0], Math.round(0.24 * 255));
    assert.equal(frame.header.label, "ramp/2");

    for (const scale of ["shared", "per-image"] as const) {
      const pid = c.send({
        type: "preview",
        runId,
        nodeId: "score",
        port: "map",
        sample: 1,
        scale,
      });
      const f = await c.waitForFrame((x) => x.header.replyTo === pid);
      const img = await sharp(f.png).raw().toBuffer({ resolveWithObject: true });
      assert.equal(img.info.width, 32);
      assert.equal(img.info.channels, 3, "score maps are drawn as RGB heat maps");
    }

    const bad = await c.request({
      type: "preview",
      runId,
      nodeId: "total",
      port: "value",
      sample: 0,
    });
    assert.equal(bad.type, "error");
    assert.equal((bad as { error: { code: string } }).error.code, "E_NOT_PREVIEWABLE");
    const range = await c.request({
      type: "preview",
      runId,
      nodeId: "scale",
      port: "image",
      sample: 99,
    });
    assert.equal((range as { error: { code: string } }).error.code, "E_SAMPLE_RANGE");
    await c.close();
  });

  test("two watchers see the same sequence of messages", async () => {
    const a = await Client.connect(server.url);
    const b = await Client.connect(server.url);
    const accepted = await a.request({ type: "run", graph: await slowGraph(20, "watched") });
    const runId = (accepted as { runId: string }).runId;
    const sub = await b.request({ type: "subscribe", runId, since: -1 });
    assert.equal(sub.type, "subscribed");
    await Promise.all([a.waitForRunEnd(runId), b.waitForRunEnd(runId)]);
    const seen = (c: Client) => c.runMessages(runId).map((m) => `${m.seq}:${m.type}`);
    assert.deepEqual(seen(b), seen(a));
    assertContiguous(a.runMessages(runId).map((m) => m.seq));
    await Promise.all([a.close(), b.close()]);
  });

  test("a client that reconnects gets what it missed with subscribe/since", async () => {
    const a = await Client.connect(server.url);
    const accepted = await a.request({ type: "run", graph: await slowGraph(60, "replayed") });
    const runId = (accepted as { runId: string }).runId;
    await a.waitFor((m) => m.type === "progress" && "runId" in m && m.runId === runId);
    const before = a.runMessages(runId);
    const lastSeen = before.at(-1)!.seq;
    await a.close();

    // Wait for the run to end while nobody watches.
    for (let i = 0; i < 200; i++) {
      const r = await (await fetch(`${server.url}/api/runs/${runId}`)).json();
      if (r.status !== "running" && r.status !== "queued") break;
      await new Promise((ok) => setTimeout(ok, 50));
    }
    const b = await Client.connect(server.url);
    const sub = await b.request({ type: "subscribe", runId, since: lastSeen });
    const lastSeq = (sub as { lastSeq: number }).lastSeq;
    await b.waitForRunEnd(runId);
    const missed = b.runMessages(runId);
    assert.equal(missed[0].seq, lastSeen + 1);
    assert.equal(missed.at(-1)!.seq, lastSeq);
    assertContiguous([...before, ...missed].map((m) => m.seq));
    assert.ok(
      missed.some((m) => m.type === "progress"),
      "missed progress is replayed",
    );
    await b.close();
  });

  test("cancel stops a running run and a queued one", async () => {
    const c = await Client.connect(server.url);
    const t0 = performance.now();
    const first = await c.request({ type: "run", graph: await slowGraph(400, "cancel-running") });
    const second = await c.request({ type: "run", graph: await slowGraph(400, "cancel-queued") });
    const runA = (first as { runId: string }).runId;
    const runB = (second as { runId: string }).runId;
    assert.equal((second as { queuePosition: number }).queuePosition, 1);
    c.send({ type: "cancel", runId: runB });
    const endB = await c.waitForRunEnd(runB);
    assert.equal(endB.type, "run-failed");
    assert.equal((endB as { error: { category: string } }).error.category, "cancelled");

    await c.waitFor((m) => m.type === "node-started" && "runId" in m && m.runId === runA);
    c.send({ type: "cancel", runId: runA });
    const endA = await c.waitForRunEnd(runA);
    assert.equal(endA.type, "run-failed");
    const err = (endA as { error: { code: string; message: string } }).error;
    assert.equal(err.code, "E_CANCELLED");
    assert.ok(!("stack" in err));
    assert.equal((endA as { report: { cancelled: boolean } }).report.cancelled, true);
    assert.ok(performance.now() - t0 < 1600, "cancelled before the 4 x 400 ms of work");
    const again = await c.request({ type: "cancel", runId: runA });
    assert.equal((again as { error: { code: string } }).error.code, "E_RUN_NOT_ACTIVE");
    await c.close();
  });

  test("runs queue: the second waits until the first ended", async () => {
    const c = await Client.connect(server.url);
    const first = await c.request({ type: "run", graph: await slowGraph(50, "queue-1") });
    const second = await c.request({ type: "run", graph: await slowGraph(0, "queue-2") });
    const runA = (first as { runId: string }).runId;
    const runB = (second as { runId: string }).runId;
    assert.equal((first as { queuePosition: number }).queuePosition, 0);
    assert.equal((second as { queuePosition: number }).queuePosition, 1);
    await c.waitForRunEnd(runB);
    const order = c.messages
      .filter((m) => "runId" in m && (m.runId === runA || m.runId === runB))
      .map((m) => `${(m as { runId: string }).runId === runA ? "A" : "B"}:${m.type}`);
    const endA = order.indexOf("A:run-finished");
    const startB = order.indexOf("B:run-started");
    assert.ok(order.includes("B:run-queued"), order.join(" "));
    assert.ok(endA >= 0 && startB > endA, `B starts after A ends: ${order.join(" ")}`);
    await c.close();
  });
});
