/**
 * Evaluation workspace speed on the MVTec bottle test set (83 images at 256x256): one weight
 * change → all metrics (image AUROC/AP, pixel AUROC/AP/F1, exact AU-PRO, curves) from the
 * cached maps, and → the selected sample's recoloured heat map (the editor's browser code,
 * run here in Node). The "reconstruction" is a deterministic 5x5 box blur of each image (no
 * trained model needed): colour and structure maps then come from the real kernels.
 * `npm run bench -- rescore [--top-k K]` (K > 1: image scores are top-K means). The machine is shared: timings are noisy, medians are shown.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { combinedRange, paintHeatmap } from "../apps/editor/src/logic/heatmap.ts";
import { allocBuffers, buffersBytes, rescore } from "../apps/runner/src/eval-session/rescore.ts";
import { buildSplit, type SplitSample, splitBytes } from "../apps/runner/src/eval-session/split.ts";
import { auProExact, sortPixelScores } from "../nodes/lib/eval/aupro.ts";
import { colorDiff } from "../nodes/lib/eval/colordiff.ts";
import { meanFilter } from "../nodes/lib/eval/filters.ts";
import { structureMap } from "../nodes/lib/eval/msgms.ts";
import { pixelMetrics } from "../nodes/lib/eval/pixel-metrics.ts";
import type { FloatImage, ScoreMap } from "../nodes/sdk/image.ts";
import { BOTTLE, loadFloat } from "./_data.ts";
import { machineLine, printTable } from "./_table.ts";

const ROOT = BOTTLE;
const SIZE = 256;

/** Blurred copy per channel with the existing mean filter (reflect-101 border). */
function blurred(img: FloatImage): FloatImage {
  const px = img.width * img.height;
  const out = new Float32Array(img.data.length);
  for (let c = 0; c < img.channels; c++) {
    const plane: ScoreMap = {
      width: img.width,
      height: img.height,
      data: Float64Array.from({ length: px }, (_, i) => img.data[i * img.channels + c]),
    };
    const b = meanFilter(plane, 5, "reflect101");
    for (let i = 0; i < px; i++) out[i * img.channels + c] = b.data[i];
  }
  return { ...img, data: out };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (b: number) => (b / 2 ** 20).toFixed(1);

export default async function run(args: string[]): Promise<void> {
  const at = args.indexOf("--top-k");
  const topK = at >= 0 ? Number(args[at + 1]) : 1;
  if (!existsSync(join(ROOT, "test"))) {
    process.stdout.write(`rescore bench skipped: ${ROOT}/test not found\n`);
    return;
  }
  const t0 = performance.now();
  const samples: SplitSample[] = [];
  for (const defect of readdirSync(join(ROOT, "test")).sort()) {
    for (const file of readdirSync(join(ROOT, "test", defect)).sort()) {
      const orig = await loadFloat(join(ROOT, "test", defect, file), 3);
      const rec = blurred(orig);
      const mask =
        defect === "good"
          ? { width: SIZE, height: SIZE, data: new Float32Array(SIZE * SIZE) }
          : await loadFloat(
              join(ROOT, "ground_truth", defect, file.replace(".png", "_mask.png")),
              1,
            );
      samples.push({
        id: `${defect}/${file}`,
        label: defect === "good" ? 0 : 1,
        defect,
        color: colorDiff(orig, rec, "corrected"),
        structure: structureMap(rec, orig, { scales: 2 }),
        mask,
      });
    }
  }
  const prepMs = performance.now() - t0;
  const tb = performance.now();
  const split = buildSplit(samples);
  const buildMs = performance.now() - tb;
  const buffers = allocBuffers(split.color.length);
  const pixels = split.color.length;

  // one weight change → all metrics
  const weights = [
    [1, 1],
    [2, 1],
    [1, 0.5],
    [4, 1],
    [0.5, 2],
    [1, 1.5],
    [3, 0.25],
    [1, 1],
  ];
  const runs = weights.map(([wc, ws]) =>
    rescore(split, buffers, { wColor: wc, wStructure: ws, threshold: 0.5, topK }),
  );
  const pick = (k: keyof (typeof runs)[0]["timings"]) => median(runs.map((r) => r.timings[k]));
  const last = runs[runs.length - 1];

  // the same metrics through the float64 node kernels (one shared sort), for comparison
  const tk = performance.now();
  const maps: ScoreMap[] = samples.map((s) => ({
    width: SIZE,
    height: SIZE,
    data: Float64Array.from(s.color.data, (c, i) => c + s.structure.data[i]),
  }));
  const masks = samples.map((s) => ({ ...s.mask!, channels: 1 }));
  const sorted = sortPixelScores(maps);
  const px = pixelMetrics(maps, masks, { presorted: sorted });
  const pro = auProExact(maps, masks, { presorted: sorted });
  const kernelMs = performance.now() - tk;

  // one weight change → selected sample's heat map (browser code)
  const k = samples.findIndex((s) => s.label === 1);
  const o = k * SIZE * SIZE;
  const color = split.color.subarray(o, o + SIZE * SIZE);
  const structure = split.structure.subarray(o, o + SIZE * SIZE);
  const rgba = new Uint8ClampedArray(SIZE * SIZE * 4);
  const paint: number[] = [];
  const paintPerImage: number[] = [];
  for (let r = 0; r < 60; r++) {
    const wc = 0.5 + (r % 7) * 0.3;
    const t = performance.now();
    paintHeatmap(rgba, color, structure, { wColor: wc, wStructure: 1, ...last.range });
    paint.push(performance.now() - t);
    const t2 = performance.now();
    const range = combinedRange(color, structure, wc, 1);
    paintHeatmap(rgba, color, structure, { wColor: wc, wStructure: 1, ...range });
    paintPerImage.push(performance.now() - t2);
  }

  printTable(`Evaluation workspace, bottle test set (${split.count} images, ${SIZE}x${SIZE})`, [
    { step: "load + colour/structure maps (setup, not timed target)", ms: prepMs },
    { step: "pack split into float32 arrays (session open)", ms: buildMs },
    { step: "rescore total (median of 8 weight changes)", ms: pick("totalMs") },
    {
      step: `  recombine + image scores (${topK > 1 ? `top-${topK} mean` : "max"}) + pixel confusion`,
      ms: pick("combineMs"),
    },
    { step: `  radix sort ${pixels} float32 scores`, ms: pick("sortMs") },
    { step: "  sweep: pixel AUROC/AP/F1 + exact AU-PRO + curves", ms: pick("sweepMs") },
    { step: "  image metrics", ms: pick("imageMs") },
    { step: "same pixel metrics via float64 node kernels (reference)", ms: kernelMs },
    { step: "browser heat map of 1 sample, shared scale (median of 60)", ms: median(paint) },
    { step: "browser heat map of 1 sample, per-image scale", ms: median(paintPerImage) },
  ]);
  printTable("Memory held", [
    { what: "cached maps + region ids (whole split)", MiB: mib(splitBytes(split)) },
    { what: "rescore work buffers (reused)", MiB: mib(buffersBytes(buffers)) },
  ]);
  printTable("Metrics at weights 1/1 (workspace float32 vs node float64)", [
    {
      metric: "pixel AUROC",
      workspace: last.metrics.pixelAuroc.value ?? "n/a",
      kernels: px.auroc.value ?? "n/a",
    },
    {
      metric: "pixel AP",
      workspace: last.metrics.pixelAp.value ?? "n/a",
      kernels: px.ap.value ?? "n/a",
    },
    {
      metric: "AU-PRO 0.3",
      workspace: last.metrics.auPro.value ?? "n/a",
      kernels: pro.value ?? "n/a",
    },
    { metric: "image AUROC", workspace: last.metrics.imageAuroc.value ?? "n/a", kernels: "-" },
  ]);
  process.stdout.write(
    `${machineLine()}\nload avg ${(await import("node:os"))
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(" ")} (shared machine: timings are noisy)\n`,
  );
}
