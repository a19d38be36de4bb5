/**
 * Every saved graph is validated and run on small data with the tiny preset: correctness of
 * the whole chain, not quality. Runs in-process through the same engine the CLI uses.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { RunReport } from "../../apps/runner/src/engine/events.ts";
import { type Graph, parseGraph } from "../../apps/runner/src/graph/schema.ts";
import { validateGraph } from "../../apps/runner/src/graph/validate.ts";
import { createRuntime, PROJECT_ROOT } from "../../apps/runner/src/runtime.ts";
import { renderGraphs } from "../../scripts/make-graphs.ts";

const graphsDir = join(PROJECT_ROOT, "graphs");
const BOTTLE = join(PROJECT_ROOT, "../shared/data/mvtec-mini/bottle");

function listGraphs(dir = graphsDir, prefix = ""): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) =>
      statSync(join(dir, f)).isDirectory()
        ? listGraphs(join(dir, f), `${prefix}${f}/`)
        : f.endsWith(".json")
          ? [`${prefix}${f}`]
          : [],
    );
}

const load = (file: string) => parseGraph(readFileSync(join(graphsDir, file), "utf8"), file);

/** Small and fast: 32x32 images, a width-4 net, one short epoch, a handful of test images. */
function tiny(g: Graph, data?: string): Graph {
  for (const n of g.nodes) {
    if (n.type === "edgrec.dataset")
      Object.assign(n.params, { size: 32, maxTrain: 8, maxTest: 12 }, data ? { path: data } : {});
    if (n.type === "edgrec.unet-train") Object.assign(n.params, { preset: "tiny", epochs: 1 });
    if (n.type === "edgrec.images") Object.assign(n.params, { size: 32 });
  }
  return g;
}

async function runtime(extraData: string[] = []) {
  const tmp = mkdtempSync(join(tmpdir(), "edgrec-graphs-"));
  const rt = await createRuntime({
    cacheDir: join(tmp, "cache"),
    dataRoots: [PROJECT_ROOT, tmp, ...extraData],
    outRoots: [tmp],
    modelRoots: [tmp],
    memoryBytes: 512 * 2 ** 20,
  });
  return { rt, tmp };
}

function assertOk(report: RunReport) {
  assert.equal(report.ok, true, `${report.error?.code}: ${report.error?.message}`);
}

describe("saved graphs", () => {
  test("graphs/ is exactly what scripts/make-graphs.ts writes", () => {
    for (const [file, text] of Object.entries(renderGraphs())) {
      assert.equal(
        readFileSync(join(graphsDir, file), "utf8"),
        text,
        `${file} is stale: run scripts/make-graphs.ts`,
      );
    }
  });

  test("every graph validates against the built-in nodes", async () => {
    const { rt } = await runtime();
    for (const file of listGraphs()) {
      const r = validateGraph(load(file), rt.registry);
      assert.deepEqual(r.issues, [], file);
    }
  });

  for (const file of listGraphs().filter((f) => f !== "edgrec-inspect.json")) {
    test(`${file} runs end to end on the demo data (tiny preset)`, async () => {
      const { rt, tmp } = await runtime();
      const { report } = await rt.engine.run({ graph: tiny(load(file)), outDir: tmp });
      assertOk(report);
      const metrics = Object.entries(report.results).find(([k]) =>
        k.startsWith("metrics."),
      )?.[1] as Record<string, { value: number | null }>;
      for (const k of ["imageAuroc", "pixelAuroc", "pixelAp", "auPro"]) {
        const v = metrics[k].value;
        assert.ok(v !== null && v >= 0 && v <= 1, `${file} ${k} = ${v}`);
      }
      assert.ok(existsSync(join(tmp, "model", "manifest.json")));
      assert.ok(existsSync(join(tmp, "model", "threshold.json")));
      // DeAE is image to image: its U-Net reads the corrupted RGB image, EdgRec's the edge.
      const manifest = JSON.parse(readFileSync(join(tmp, "model", "manifest.json"), "utf8"));
      assert.equal(manifest.channelsIn, file === "ablations/deae.json" ? 3 : 1, file);
    });
  }

  test("edgrec-inspect.json inspects new images with a trained model and reports failures", async () => {
    const { rt, tmp } = await runtime();
    const trained = await rt.engine.run({ graph: tiny(load("edgrec.json")), outDir: tmp });
    assertOk(trained.report);
    const imagesDir = join(tmp, "new");
    const { mkdirSync, copyFileSync, writeFileSync } = await import("node:fs");
    mkdirSync(imagesDir);
    const demo = join(PROJECT_ROOT, "data/demo/demo_disc/test");
    copyFileSync(join(demo, "good/000.png"), join(imagesDir, "a.png"));
    copyFileSync(join(demo, "stain/000.png"), join(imagesDir, "b.png"));
    const g = tiny(load("edgrec-inspect.json"));
    g.nodes.find((n) => n.id === "model")!.params.path = join(tmp, "model");
    g.nodes.find((n) => n.id === "images")!.params.path = imagesDir;
    const ok = await rt.engine.run({ graph: g, outDir: tmp });
    assertOk(ok.report);
    const report = JSON.parse(readFileSync(join(tmp, "inspection", "report.json"), "utf8"));
    assert.equal(report.summary.inspected, 2);
    assert.ok(
      report.images.every(
        (r: { decision: string }) => r.decision === "pass" || r.decision === "fail",
      ),
    );
    assert.ok(
      readFileSync(join(tmp, "inspection", "report.csv"), "utf8").startsWith(
        "id,path,status,score,decision",
      ),
    );

    writeFileSync(join(imagesDir, "c.png"), "not an image");
    const bad = await rt.engine.run({ graph: g, outDir: tmp });
    assert.equal(bad.report.ok, false);
    assert.equal(bad.report.error?.code, "E_NOT_INSPECTED");
    assert.match(bad.report.error!.message, /c\.png/);
    const after = JSON.parse(readFileSync(join(tmp, "inspection", "report.json"), "utf8"));
    assert.equal(after.summary.inspected, 2);
    assert.equal(after.summary.failedToInspect, 1);
  });

  test("the runner's inspection endpoint scores posted images with the saved inspection graph", async () => {
    const { rt, tmp } = await runtime();
    const trained = await rt.engine.run({ graph: tiny(load("edgrec.json")), outDir: tmp });
    assertOk(trained.report);
    const { mkdirSync, writeFileSync } = await import("node:fs");
    const { startServer } = await import("../../apps/runner/src/server/server.ts");
    const pino = (await import("pino")).default;
    // The user library holds the production graph pointed at this model, at the tiny size.
    const library = join(tmp, "library");
    mkdirSync(library);
    const g = tiny(load("edgrec-inspect.json"));
    g.name = "line-3";
    g.nodes.find((n) => n.id === "model")!.params.path = join(tmp, "model");
    const { serializeGraph } = await import("../../apps/runner/src/graph/schema.ts");
    writeFileSync(join(library, "line-3.json"), serializeGraph(g));
    // The same line scoring by the mean of the 5 hottest pixels: the endpoint must follow it.
    g.name = "line-3-top5";
    Object.assign(g.nodes.find((n) => n.id === "report")!.params, {
      scoreMethod: "top-k-mean",
      k: 5,
    });
    writeFileSync(join(library, "line-3-top5.json"), serializeGraph(g));
    const server = await startServer({
      port: 0,
      cacheDir: join(tmp, "server-cache"),
      libraryDir: library,
      outDir: tmp,
      dataRoots: [PROJECT_ROOT, tmp],
      modelRoots: [tmp],
      log: pino({ level: "silent" }),
    });
    try {
      const demo = join(PROJECT_ROOT, "data/demo/demo_disc/test");
      for (const file of ["good/000.png", "stain/000.png"]) {
        const res = await fetch(`${server.url}/api/inspect/line-3?map=png`, {
          method: "POST",
          headers: { "content-type": "image/png" },
          body: new Uint8Array(readFileSync(join(demo, file))),
        });
        assert.equal(res.status, 200, await res.clone().text());
        const body = (await res.json()) as {
          images: { score: number; decision: string; map?: string }[];
          threshold: number;
        };
        assert.equal(body.images.length, 1);
        assert.ok(Number.isFinite(body.images[0].score));
        assert.ok(["pass", "fail"].includes(body.images[0].decision));
        assert.equal(
          body.images[0].decision,
          body.images[0].score > body.threshold ? "fail" : "pass",
        );
        assert.ok(body.images[0].map, "anomaly map returned on request");
        assert.equal((body as { scoreMethod?: string }).scoreMethod, "max");
        const top5 = await fetch(`${server.url}/api/inspect/line-3-top5`, {
          method: "POST",
          headers: { "content-type": "image/png" },
          body: new Uint8Array(readFileSync(join(demo, file))),
        });
        const b5 = (await top5.json()) as { scoreMethod: string; images: { score: number }[] };
        assert.equal(b5.scoreMethod, "top-5 mean");
        assert.ok(
          b5.images[0].score < body.images[0].score,
          `top-5 mean ${b5.images[0].score} must be below the maximum ${body.images[0].score}`,
        );
      }
    } finally {
      await server.close();
    }
  });

  test("the default graph runs on real MVTec bottle images (subset, tiny preset)", async (t) => {
    if (!existsSync(BOTTLE)) {
      t.skip(`real data not found at ${BOTTLE}: this check needs ../shared/data`);
      return;
    }
    const { rt, tmp } = await runtime([BOTTLE]);
    const g = tiny(load("edgrec.json"), BOTTLE);
    g.nodes.find((n) => n.id === "data")!.params.maxTest = 20;
    const { report } = await rt.engine.run({ graph: g, outDir: tmp });
    assertOk(report);
    const m = report.results["metrics.metrics"] as Record<string, { value: number | null }> & {
      protocol: { images: number; defective: number };
    };
    assert.equal(m.protocol.images, 20);
    assert.ok(m.protocol.defective > 0 && m.protocol.defective < 20);
    for (const k of ["imageAuroc", "pixelAuroc", "auPro"]) assert.ok(m[k].value !== null, k);
    const tiffs = readdirSync(join(tmp, "maps", "bottle", "test", "broken_large")).filter((f) =>
      f.endsWith(".tiff"),
    );
    assert.ok(tiffs.length > 0);
  });
});
