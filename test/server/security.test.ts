/** Access token, Origin check, and paths or names that try to leave their folders. */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import type { RunnerServer } from "../../apps/runner/src/server/server.ts";
import { Client, tempDir, testServer } from "./helpers.ts";

/** Resolves with the HTTP status of a refused upgrade, or "open". */
function tryUpgrade(url: string, headers: Record<string, string> = {}): Promise<number | "open"> {
  return new Promise((ok) => {
    const ws = new WebSocket(url, { headers });
    ws.once("open", () => {
      ws.close();
      ok("open");
    });
    ws.once("unexpected-response", (_req, res) => ok(res.statusCode ?? 0));
    ws.once("error", () => {});
  });
}

describe("a runner bound beyond loopback requires a token", () => {
  let server: RunnerServer;
  let local: string;
  before(async () => {
    server = await testServer({ host: "0.0.0.0" });
    local = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await server.close();
  });

  test("a token is generated", () => {
    assert.ok(server.token && server.token.length >= 40);
  });

  test("HTTP without the token is 401; Bearer or ?token= works", async () => {
    const no = await fetch(`${local}/api/health`);
    assert.equal(no.status, 401);
    assert.equal((await no.json()).error.code, "E_UNAUTHORIZED");
    const wrong = await fetch(`${local}/api/health`, { headers: { authorization: "Bearer nope" } });
    assert.equal(wrong.status, 401);
    const bearer = await fetch(`${local}/api/health`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    assert.equal(bearer.status, 200);
    const query = await fetch(`${local}/api/catalogue?token=${server.token}`);
    assert.equal(query.status, 200);
    assert.equal((await fetch(`${local}/`)).status, 401, "the editor page too");
  });

  test("the WebSocket upgrade is refused without the token", async () => {
    assert.equal(await tryUpgrade(`ws://127.0.0.1:${server.port}/ws`), 401);
    assert.equal(await tryUpgrade(`ws://127.0.0.1:${server.port}/ws?token=bad`), 401);
    const c = await Client.connect(local, { query: `?token=${server.token}` });
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    await c.close();
    assert.equal(
      await tryUpgrade(`ws://127.0.0.1:${server.port}/ws`, {
        authorization: `Bearer ${server.token}`,
      }),
      "open",
    );
  });
});

describe("a loopback runner", () => {
  let server: RunnerServer;
  let dataDir: string;
  before(async () => {
    const dir = tempDir();
    dataDir = join(dir, "data");
    mkdirSync(join(dataDir, "images"), { recursive: true });
    server = await testServer({ cacheDir: dir });
  });
  after(async () => {
    await server.close();
  });

  test("listens on 127.0.0.1 without a token", async () => {
    assert.equal(server.host, "127.0.0.1");
    assert.equal(server.token, undefined);
    assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
  });

  test("a foreign Origin is refused on HTTP and on the upgrade; same host passes", async () => {
    const evil = { origin: "http://evil.example" };
    assert.equal((await fetch(`${server.url}/api/health`, { headers: evil })).status, 403);
    assert.equal(await tryUpgrade(`${server.url.replace("http", "ws")}/ws`, evil), 403);
    const same = { origin: server.url };
    assert.equal(await tryUpgrade(`${server.url.replace("http", "ws")}/ws`, same), "open");
    assert.equal((await fetch(`${server.url}/api/health`, { headers: same })).status, 200);
  });

  test("a foreign Host name (DNS rebinding) is refused without a token", async () => {
    const status = (host: string) =>
      new Promise<number>((ok, fail) => {
        const req = request(`${server.url}/api/health`, { headers: { host } }, (res) => {
          res.resume();
          ok(res.statusCode ?? 0);
        });
        req.on("error", fail);
        req.end();
      });
    assert.equal(await status(`evil.example:${server.port}`), 403);
    assert.equal(await status(`localhost:${server.port}`), 200);
    assert.equal(await status(`127.0.0.1:${server.port}`), 200);
  });

  test("a graph whose path parameter leaves the data roots is refused", async () => {
    const c = await Client.connect(server.url);
    const graph = (path: string) => ({
      format: "edgrec-graph",
      version: 2,
      name: "outside",
      nodes: [{ id: "src", type: "test.images", params: { path } }],
      edges: [],
    });
    for (const path of ["/etc", "../../../../etc", `${dataDir}/../..`]) {
      const r = (await c.request({ type: "run", graph: graph(path) })) as unknown as {
        type: string;
        error: { code: string; details: { code: string; nodeId: string; param: string }[] };
      };
      assert.equal(r.type, "error", path);
      assert.equal(r.error.code, "E_GRAPH_INVALID");
      assert.equal(r.error.details[0].code, "E_PATH_OUTSIDE_ROOT", path);
      assert.equal(r.error.details[0].nodeId, "src");
      assert.equal(r.error.details[0].param, "path");
    }
    const inside = await c.request({ type: "validate", graph: graph("images") });
    assert.equal((inside as { ok: boolean }).ok, true);
    await c.close();
  });

  test("graph names cannot traverse out of the library", async () => {
    const c = await Client.connect(server.url);
    for (const name of ["../secret", "..", "a/b", ".hidden"]) {
      const r = (await c.request({ type: "load-graph", name })) as unknown as {
        error: { code: string };
      };
      assert.equal(r.error.code, "E_GRAPH_NAME", name);
    }
    const save = (await c.request({
      type: "save-graph",
      name: "../escape",
      graph: {},
    })) as unknown as { error: { code: string } };
    assert.equal(save.error.code, "E_BAD_MESSAGE");
    const http = await fetch(`${server.url}/api/graphs/..%2F..%2Fpackage`);
    assert.equal(http.status, 400);
    await c.close();
  });
});
