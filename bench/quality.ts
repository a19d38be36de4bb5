/**
 * Quality against training wall time on a real category: runs graphs/edgrec.json (corrected
 * colour map, official metric protocol) and graphs/edgrec-reference.json (the authors'
 * evaluation) at growing training budgets. A longer budget resumes the shorter run's
 * checkpoint, so one training run yields the whole curve.
 *
 *   npm run bench -- quality [--data DIR] [--preset cpu-fast] [--width N] [--minutes 5,10,20,30]
 *                            [--textures DIR|procedural] [--size 128] [--seed 0] [--scales 2]
 *                            [--processes 1|2] [--lr 1e-3] [--batch 8]  (0/unset = the preset's)
 *                            [--ema 0.999]  (-1 = the preset's, 0 = off)
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseGraph } from "../apps/runner/src/graph/schema.ts";
import { createRuntime, PROJECT_ROOT } from "../apps/runner/src/runtime.ts";
import { machineLine, printTable } from "./_table.ts";

type Metric = { value: number | null };

export default async function quality(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: "string", default: join(PROJECT_ROOT, "../shared/data/mvtec-mini/bottle") },
      preset: { type: "string", default: "cpu-fast" },
      width: { type: "string", default: "0" },
      minutes: { type: "string", default: "5,10,20,30" },
      textures: { type: "string", default: join(PROJECT_ROOT, "../shared/data/dtd-mini") },
      size: { type: "string", default: "128" },
      seed: { type: "string", default: "0" },
      scales: { type: "string", default: "2" },
      cache: { type: "string" },
      processes: { type: "string", default: "0" },
      lr: { type: "string" },
      batch: { type: "string", default: "0" },
      ema: { type: "string", default: "-1" },
    },
  });
  const data = resolve(values.data);
  if (!existsSync(data)) {
    process.stdout.write(`skipped: dataset ${data} not found (needs ../shared/data)\n`);
    return;
  }
  const procedural = values.textures === "procedural" || !existsSync(values.textures);
  const cacheDir = values.cache ?? mkdtempSync(join(tmpdir(), "edgrec-quality-"));
  const rt = await createRuntime({
    cacheDir,
    dataRoots: [PROJECT_ROOT, data, ...(procedural ? [] : [resolve(values.textures)])],
    outRoots: [cacheDir],
    modelRoots: [cacheDir],
  });
  const minutes = values.minutes.split(",").map(Number);
  const rows: Record<string, string | number>[] = [];
  process.stdout.write(`${machineLine()}\ncache ${cacheDir}\n`);
  for (const m of minutes) {
    for (const file of ["edgrec.json", "edgrec-reference.json"]) {
      const g = parseGraph(readFileSync(join(PROJECT_ROOT, "graphs", file), "utf8"), file);
      for (const n of g.nodes) {
        if (n.type === "edgrec.dataset")
          Object.assign(n.params, { path: data, size: Number(values.size), validationFraction: 0 });
        if (n.type === "edgrec.corrupt")
          Object.assign(
            n.params,
            procedural
              ? { textureSource: "procedural" }
              : { textureSource: "folder", textureFolder: resolve(values.textures) },
          );
        if (n.type === "edgrec.unet-train")
          Object.assign(n.params, {
            preset: values.preset,
            width: Number(values.width),
            maxMinutes: m,
            checkpointEvery: 100,
            processes: Number(values.processes),
            batchSize: Number(values.batch),
            ema: Number(values.ema),
            ...(values.lr ? { learningRate: Number(values.lr) } : {}),
          });
        if (n.type === "edgrec.threshold") Object.assign(n.params, { mode: "fixed", value: 1 });
        if (n.type === "edgrec.msgms") Object.assign(n.params, { scales: Number(values.scales) });
      }
      const t0 = performance.now();
      const { report } = await rt.engine.run({
        graph: g,
        outDir: cacheDir,
        seed: Number(values.seed),
        backend: "wasm",
      });
      if (!report.ok) throw new Error(`${file} at ${m} min failed: ${report.error?.message}`);
      const mt = report.results["metrics.metrics"] as Record<string, Metric>;
      const tr = report.results["train.training"] as
        | { steps: number; trainedMinutes: number; width: number }
        | undefined;
      const f = (k: string) => (mt[k]?.value == null ? "n/a" : (mt[k].value as number).toFixed(3));
      rows.push({
        graph: file === "edgrec.json" ? "corrected/official" : "reference/reference",
        width: tr?.width ?? "",
        minutes: m,
        steps: tr?.steps ?? "(cached)",
        "image AUROC": f("imageAuroc"),
        "pixel AUROC": f("pixelAuroc"),
        "pixel AP": f("pixelAp"),
        "AU-PRO@0.3": f("auPro"),
        "AU-PRO 5000/ref": f("auProReference"),
        "run s": Math.round((performance.now() - t0) / 1000),
      });
      printTable(
        `quality on ${data} (preset ${values.preset}, size ${values.size}, ema ${values.ema === "-1" ? "preset" : values.ema}, textures ${procedural ? "procedural" : values.textures})`,
        rows,
      );
    }
  }
}
