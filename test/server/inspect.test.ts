/** POST /api/inspect/:graph, plus the small HTTP API (health, catalogue, validate, editor page). */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import sharp from "sharp";
import type { RunnerServer } from "../../apps/runner/src/server/server.ts";
import { simpleGraph, tempDir, testServer } from "./helpers.ts";

const MODEL_DELAY_MS = 300;

function inspectionGraph() {
  return {
    format: "edgrec-graph",
    version: 2,
    name: "line-3",
    nodes: [
      { id: "camera", type: "test.images", params: {} },
      { id: "model", type: "test.model", params: { delayMs: MODEL_DELAY_MS, level: 0.5 } },
      { id: "score", type: "test.anomaly", params: {} },
      { id: "threshold", type: "test.threshold", params: { value: 0.3 } },
    ],
    edges: [
      { from: { node: "camera", port: "image" }, to: { node: "score", port: "image" } },
      { from: { node: "model", port: "model" }, to: { node: "score", port: "model" } },
    ],
  };
}

/** A flat 16x16 PNG of gray level `v` (0-255). */
async function flatPng(v: number): Promise<ArrayBuffer> {
  const png = await sharp(Buffer.alloc(16 * 16 * 3, v), {
    raw: { width: 16, height: 16, channels: 3 },
  })
    .png()
    .toBuffer();
  return png.buffer.slice(png.byteOffset, png.byteOffset + png.byteLength) as ArrayBuffer;
}

type Result = {
  ms: number;
  threshold: number;
  thresholdSource: string;
  nodes: Record<string, string>;
  images: { name: string; score: number; decision: string; ms: number; map?: string }[];
};

describe("inspection endpoint", () => {
  let server: RunnerServer;
  before(async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "library"), { recursive: true });
    writeFileSync(join(dir, "library", "line-3.json"), JSON.stringify(inspectionGraph()));
    writeFileSync(join(dir, "library", "no-source.json"), JSON.stringify(await simpleGraph()));
    server = await testServer({ cacheDir: dir });
  });
  after(async () => {
    await server.close();
  });

  test("one PNG body: score, decision and timing; the model stays warm", async () => {
    const post = async (v: number) => {
      const r = await fetch(`${server.url}/api/inspect/line-3`, {
        method: "POST",
        headers: { "content-type": "image/png", "x-image-name": `flat-${v}.png` },
        body: await flatPng(v),
      });
      assert.equal(r.status, 200);
      return (await r.json()) as Result;
    };
    const cold = await post(128);
    assert.equal(cold.images.length, 1);
    assert.equal(cold.images[0].name, "flat-128.png");
    assert.ok(Math.abs(cold.images[0].score - Math.abs(128 / 255 - 0.5)) < 1e-6);
    assert.equal(cold.images[0].decision, "pass");
    assert.equal(cold.threshold, 0.3);
    assert.equal(cold.thresholdSource, "graph");
    assert.equal(cold.nodes.model, "ran");
    assert.ok(cold.ms >= MODEL_DELAY_MS, `cold call includes the model load (${cold.ms} ms)`);

    const warm = await post(255);
    assert.equal(warm.nodes.model, "cached", "the model comes from the engine's memory cache");
    assert.ok(warm.ms < MODEL_DELAY_MS, `warm call skips the model load (${warm.ms} ms)`);
    assert.equal(warm.images[0].decision, "fail");
    assert.ok(Math.abs(warm.images[0].score - 0.5) < 1e-6);
  });

  test("a JSON batch with ?map=png returns one heat-map PNG per image", async () => {
    const images = [
      { name: "a.png", base64: Buffer.from(await flatPng(0)).toString("base64") },
      { name: "b.png", base64: Buffer.from(await flatPng(120)).toString("base64") },
    ];
    const r = await fetch(`${server.url}/api/inspect/line-3?map=png&threshold=0.1`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ images }),
    });
    assert.equal(r.status, 200);
    const body = (await r.json()) as Result;
    assert.equal(body.thresholdSource, "query");
    assert.deepEqual(
      body.images.map((i) => [i.name, i.decision]),
      [
        ["a.png", "fail"],
        ["b.png", "pass"],
      ],
    );
    for (const img of body.images) {
      const png = Buffer.from(img.map!, "base64");
      const meta = await sharp(png).metadata();
      assert.equal(meta.format, "png");
      assert.equal(meta.width, 16);
    }
  });

  test("clear 4xx answers: no image source, unknown graph, bad body", async () => {
    const png = await flatPng(1);
    const noSource = await fetch(`${server.url}/api/inspect/no-source`, {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: png,
    });
    assert.equal(noSource.status, 400);
    assert.equal((await noSource.json()).error.code, "E_NO_IMAGE_SOURCE");
    const missing = await fetch(`${server.url}/api/inspect/nope`, {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: png,
    });
    assert.equal((await missing.json()).error.code, "E_GRAPH_NOT_FOUND");
    const text = await fetch(`${server.url}/api/inspect/line-3`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "hi",
    });
    assert.equal(text.status, 415);
    const corrupt = await fetch(`${server.url}/api/inspect/line-3`, {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: "not a png",
    });
    assert.ok(corrupt.status >= 400 && corrupt.status < 600);
    const err = (await corrupt.json()).error;
    assert.equal(typeof err.message, "string");
    assert.ok(!("stack" in err));
  });
});

describe("HTTP API", () => {
  let server: RunnerServer;
  before(async () => {
    server = await testServer();
  });
  after(async () => {
    await server.close();
  });

  test("health, catalogue and validate", async () => {
    const health = await (await fetch(`${server.url}/api/health`)).json();
    assert.equal(health.ok, true);
    assert.equal(health.protocol, 1);
    const cat = await (await fetch(`${server.url}/api/catalogue`)).json();
    assert.ok(cat.nodes.some((n: { type: string }) => n.type === "test.ramp"));
    const good = await fetch(`${server.url}/api/validate`, {
      method: "POST",
      body: JSON.stringify(await simpleGraph()),
    });
    assert.deepEqual(await good.json(), { ok: true, issues: [] });
    const bad = await fetch(`${server.url}/api/validate`, {
      method: "POST",
      body: JSON.stringify(
        await simpleGraph((g) => g.nodes.push({ id: "x", type: "nope", params: {} })),
      ),
    });
    const v = await bad.json();
    assert.equal(v.ok, false);
    assert.equal(v.issues[0].code, "E_UNKNOWN_NODE_TYPE");
    assert.equal(v.issues[0].nodeId, "x");
    assert.equal((await fetch(`${server.url}/api/runs/unknown`)).status, 404);
    assert.equal((await fetch(`${server.url}/api/nothing`)).status, 404);
  });

  test("without a built editor the root page says to run npm run build", async () => {
    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /npm run build/);
  });

  test("the built editor is served from its folder", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "index.html"), "<html>editor</html>");
    writeFileSync(join(dir, "app.js"), "export {}");
    const s = await testServer({ editorDir: dir });
    try {
      assert.equal(await (await fetch(`${s.url}/`)).text(), "<html>editor</html>");
      const js = await fetch(`${s.url}/app.js`);
      assert.match(js.headers.get("content-type") ?? "", /javascript/);
      assert.equal(await (await fetch(`${s.url}/some/route`)).text(), "<html>editor</html>");
      assert.equal((await fetch(`${s.url}/missing.css`)).status, 404);
      assert.equal((await fetch(`${s.url}/..%2F..%2Fetc%2Fpasswd`)).status, 404);
    } finally {
      await s.close();
    }
  });
});
