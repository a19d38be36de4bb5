/** Bad input on the WebSocket: every kind is answered with an error and nothing goes down. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { MAX_MESSAGE_BYTES } from "../../apps/runner/src/protocol/messages.ts";
import type { RunnerServer } from "../../apps/runner/src/server/server.ts";
import { Client, simpleGraph, testServer } from "./helpers.ts";

type ErrorMsg = {
  type: "error";
  replyTo?: string;
  error: { code: string; category: string; hint?: string; details?: unknown };
};

async function stillServes(server: RunnerServer, c?: Client): Promise<void> {
  const health = await fetch(`${server.url}/api/health`);
  assert.equal(health.status, 200);
  if (c) {
    const cat = await c.request({ type: "get-catalogue" });
    assert.equal(cat.type, "catalogue");
  }
}

describe("protocol errors", () => {
  let server: RunnerServer;
  before(async () => {
    server = await testServer({ limits: { messageBurst: 40, messagesPerSecond: 20 } });
  });
  after(async () => {
    await server.close();
  });

  test("hello negotiates the highest common version and is required first", async () => {
    const c = await Client.connect(server.url, { hello: false });
    const early = (await c.request({ type: "list-graphs" })) as unknown as ErrorMsg;
    assert.equal(early.error.code, "E_HELLO_REQUIRED");
    const hello = await c.request({ type: "hello", protocols: [1, 7, 9] });
    assert.equal(hello.type, "hello");
    assert.equal((hello as { protocol: number }).protocol, 1);
    await c.close();

    const old = await Client.connect(server.url, { hello: false });
    const closed = new Promise<number>((ok) => old.ws.once("close", (code) => ok(code)));
    const refused = (await old.request({
      type: "hello",
      protocols: [7, 9],
    })) as unknown as ErrorMsg;
    assert.equal(refused.error.code, "E_PROTOCOL_VERSION");
    assert.equal(await closed, 1002);
  });

  test("malformed JSON, unknown type, wrong fields, binary: an error each, connection stays", async () => {
    const c = await Client.connect(server.url);
    c.ws.send("{ not json");
    const bad = (await c.waitFor((m) => m.type === "error")) as unknown as ErrorMsg;
    assert.equal(bad.error.code, "E_BAD_JSON");
    assert.equal(bad.error.category, "protocol");

    const unknown = (await c.request({ type: "explode" })) as unknown as ErrorMsg;
    assert.equal(unknown.error.code, "E_UNKNOWN_TYPE");
    assert.match(unknown.error.hint ?? "", /subscribe/);

    const wrong = (await c.request({
      type: "subscribe",
      runId: 5,
      since: "x",
    })) as unknown as ErrorMsg;
    assert.equal(wrong.error.code, "E_BAD_MESSAGE");
    assert.ok(Array.isArray(wrong.error.details));

    const notGraph = (await c.request({
      type: "run",
      graph: { format: "x" },
    })) as unknown as ErrorMsg;
    assert.equal(notGraph.error.code, "E_GRAPH_FORMAT");
    assert.equal(notGraph.error.category, "graph");

    const before = c.messages.length;
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await c.waitFor(() => c.messages.length > before && c.messages.at(-1)?.type === "error");
    assert.equal((c.messages.at(-1) as unknown as ErrorMsg).error.code, "E_BINARY_MESSAGE");
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    await stillServes(server, c);
    assert.deepEqual(c.invalid, []);
    await c.close();
  });

  test("an invalid graph is refused with every issue, its code, node and port", async () => {
    const c = await Client.connect(server.url);
    const graph = await simpleGraph((g) => {
      g.nodes.push({ id: "ghost", type: "no.such.node", params: {} });
      g.nodes[1].params.factor = -5;
      g.edges.push({ from: { node: "ramp", port: "nope" }, to: { node: "plain", port: "image" } });
    });
    const v = await c.request({ type: "validate", graph });
    assert.equal(v.type, "validation");
    const issues = (v as { issues: { code: string; nodeId?: string; port?: string }[] }).issues;
    assert.equal((v as { ok: boolean }).ok, false);
    const codes = issues.map((i) => i.code).sort();
    assert.ok(codes.includes("E_UNKNOWN_NODE_TYPE"));
    assert.ok(codes.includes("E_PARAM_INVALID"));
    assert.ok(issues.some((i) => i.nodeId === "ghost"));
    assert.ok(issues.some((i) => i.port === "nope"));

    const run = (await c.request({ type: "run", graph })) as unknown as ErrorMsg;
    assert.equal(run.error.code, "E_GRAPH_INVALID");
    assert.equal((run.error.details as unknown[]).length, issues.length);

    const target = (await c.request({
      type: "run",
      graph: await simpleGraph(),
      targets: ["nowhere"],
    })) as unknown as ErrorMsg;
    assert.equal(target.error.code, "E_UNKNOWN_TARGET");
    await c.close();
  });

  test("an oversized frame closes that socket with 1009; the runner stays up", async () => {
    const c = await Client.connect(server.url);
    const closed = new Promise<number>((ok) => c.ws.once("close", (code) => ok(code)));
    c.ws.send(
      JSON.stringify({ type: "validate", id: "big", graph: "x".repeat(MAX_MESSAGE_BYTES) }),
    );
    assert.equal(await closed, 1009);
    const d = await Client.connect(server.url);
    await stillServes(server, d);
    await d.close();
  });

  test("a flood is rate limited with E_RATE_LIMITED and the connection survives", async () => {
    const c = await Client.connect(server.url);
    for (let i = 0; i < 200; i++) c.ws.send(JSON.stringify({ type: "list-graphs", id: `f${i}` }));
    const limited = (await c.waitFor(
      (m) => m.type === "error" && (m as unknown as ErrorMsg).error.code === "E_RATE_LIMITED",
    )) as unknown as ErrorMsg;
    assert.equal(limited.error.category, "protocol");
    const answered = c.messages.filter((m) => m.type === "graph-list").length;
    assert.ok(answered < 200, `only the burst is answered (${answered})`);
    await new Promise((ok) => setTimeout(ok, 1000));
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    await stillServes(server, c);
    await c.close();
  });
});
