import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ServerMessage } from "../../../runner/src/protocol/messages.ts";
import { formatMs, initialRunState, reduceServerMessage } from "./runStore.ts";

describe("reduceServerMessage", () => {
  test("a run moves nodes through queued, running, cached and done, collecting losses", () => {
    const msgs: ServerMessage[] = [
      { type: "run-accepted", runId: "r1", queuePosition: 0, replyTo: "e1" },
      { type: "run-started", runId: "r1", seq: 0, nodes: ["a", "b"], seed: 0 },
      { type: "node-cached", runId: "r1", seq: 1, nodeId: "a", reason: "same key", from: "disk" },
      { type: "node-started", runId: "r1", seq: 2, nodeId: "b", reason: "new" },
      {
        type: "progress",
        runId: "r1",
        seq: 3,
        nodeId: "b",
        step: 1,
        total: 4,
        loss: 0.5,
        etaMs: 300,
      },
      { type: "progress", runId: "r1", seq: 4, nodeId: "b", step: 2, total: 4, loss: 0.25 },
    ];
    let s = initialRunState();
    for (const m of msgs) s = reduceServerMessage(s, m);
    assert.equal(s.nodes.a.status, "cached");
    assert.equal(s.nodes.b.status, "running");
    assert.deepEqual(s.nodes.b.losses, [0.5, 0.25]);
    assert.equal(s.nodes.b.step, 2);
    // A replayed message (subscribe) is ignored.
    const again = reduceServerMessage(s, msgs[4]);
    assert.equal(again, s);
    s = reduceServerMessage(s, {
      type: "node-finished",
      runId: "r1",
      seq: 5,
      nodeId: "b",
      ms: 1234,
    });
    s = reduceServerMessage(s, { type: "run-finished", runId: "r1", seq: 6, report: { ms: 1500 } });
    assert.equal(s.nodes.b.status, "done");
    assert.equal(s.nodes.b.ms, 1234);
    assert.equal(s.active, false);
    assert.equal(s.summary, "Finished in 1.5 s");
  });

  test("failures carry the message; other runs' messages are ignored", () => {
    let s = reduceServerMessage(initialRunState(), {
      type: "run-accepted",
      runId: "r2",
      queuePosition: 0,
    });
    s = reduceServerMessage(s, {
      type: "run-started",
      runId: "r2",
      seq: 0,
      nodes: ["x", "y"],
      seed: 1,
    });
    const other = reduceServerMessage(s, {
      type: "node-started",
      runId: "zzz",
      seq: 9,
      nodeId: "x",
      reason: "",
    });
    assert.equal(other, s);
    const error = { category: "data" as const, code: "E_X", message: "no images in data/x" };
    s = reduceServerMessage(s, { type: "node-failed", runId: "r2", seq: 1, nodeId: "x", error });
    s = reduceServerMessage(s, { type: "run-failed", runId: "r2", seq: 2, error, report: {} });
    assert.equal(s.nodes.x.error, "no images in data/x");
    assert.equal(s.nodes.y.status, "cancelled");
    assert.equal(s.summary, "Failed: no images in data/x");
  });

  test("formatMs", () => {
    assert.equal(formatMs(840), "840 ms");
    assert.equal(formatMs(12_345), "12.3 s");
    assert.equal(formatMs(245_000), "4 min 05 s");
  });
});
