/** Live previews are throttled per node and dropped for a backed-up client; a client that
 * keeps backing up is disconnected. Uses a stand-in socket whose unsent byte count we set. */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, test } from "node:test";
import pino from "pino";
import type WebSocket from "ws";
import { Connection } from "../../apps/runner/src/server/connection.ts";
import { DEFAULT_LIMITS, type ServerContext } from "../../apps/runner/src/server/context.ts";

class FakeSocket extends EventEmitter {
  readyState = 1; // OPEN
  bufferedAmount = 0;
  sent: (string | Uint8Array)[] = [];
  terminated = false;
  send(data: string | Uint8Array): void {
    this.sent.push(data);
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }
  close(): void {
    this.readyState = 3;
  }
}

function connection() {
  const ws = new FakeSocket();
  const ctx = { limits: DEFAULT_LIMITS, runs: { unwatch() {} } } as unknown as ServerContext;
  const conn = new Connection(ws as unknown as WebSocket, ctx, pino({ level: "silent" }));
  return { ws, conn };
}

const frame = (i: number) => new Uint8Array([i]);
const binaries = (ws: FakeSocket) => ws.sent.filter((s) => typeof s !== "string") as Uint8Array[];

describe("preview throttling and backpressure", () => {
  test("a burst to one node: 4 go out, the latest follows when a token frees, the rest drop", async () => {
    const { ws, conn } = connection();
    for (let i = 0; i < 20; i++) conn.preview("run", "node", frame(i));
    assert.deepEqual(
      binaries(ws).map((f) => f[0]),
      [0, 1, 2, 3],
    );
    // Another node has its own budget.
    conn.preview("run", "other", frame(99));
    assert.equal(binaries(ws).length, 5);
    await new Promise((ok) => setTimeout(ok, 400));
    assert.deepEqual(
      binaries(ws).map((f) => f[0]),
      [0, 1, 2, 3, 99, 19],
    );
    assert.equal(conn.stats.previewsDropped, 15);
    ws.emit("close", 1000);
  });

  test("previews are dropped while the socket buffer is over the bound; messages still go", () => {
    const { ws, conn } = connection();
    ws.bufferedAmount = DEFAULT_LIMITS.previewBufferBytes + 1;
    conn.preview("run", "node", frame(1));
    assert.equal(binaries(ws).length, 0);
    assert.equal(conn.stats.previewsDropped, 1);
    conn.message({ type: "log", runId: "run", seq: 0, level: "info", message: "hi" });
    assert.equal(ws.sent.length, 1);
    assert.equal(ws.terminated, false);
    ws.emit("close", 1000);
  });

  test("a client whose buffer passes the hard bound is disconnected", () => {
    const { ws, conn } = connection();
    ws.bufferedAmount = DEFAULT_LIMITS.maxBufferBytes + 1;
    conn.message({ type: "log", runId: "run", seq: 0, level: "info", message: "hi" });
    assert.equal(ws.terminated, true);
    assert.equal(ws.sent.length, 0);
  });
});
