/**
 * Speed of the evaluation kernels on the MVTec bottle test set (83 images, resized to 256x256),
 * with the image itself as "original" and a noised copy as "reconstruction".
 * `npm run bench -- eval`. Timings are wall and CPU time on a shared machine: treat as noisy.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { auProExact, auProThresholds, sortPixelScores } from "../nodes/lib/eval/aupro.ts";
import { toGray } from "../nodes/lib/eval/color.ts";
import { colorDiff } from "../nodes/lib/eval/colordiff.ts";
import { meanFilter } from "../nodes/lib/eval/filters.ts";
import { imageAuroc } from "../nodes/lib/eval/image-metrics.ts";
import { REFERENCE_MASK_RULES } from "../nodes/lib/eval/metric-value.ts";
import { morphEdge } from "../nodes/lib/eval/morph.ts";
import { msgmsMap, structureMap } from "../nodes/lib/eval/msgms.ts";
import { pixelMetrics } from "../nodes/lib/eval/pixel-metrics.ts";
import { imageScore } from "../nodes/lib/eval/score.ts";
import type { FloatImage, ScoreMap } from "../nodes/sdk/image.ts";
import { createRng } from "../nodes/sdk/rng.ts";
import { BOTTLE, loadFloat } from "./_data.ts";
import { machineLine, printTable } from "./_table.ts";

const ROOT = BOTTLE;
const SIZE = 256;

interface Sample {
  orig: FloatImage;
  rec: FloatImage;
  mask: FloatImage;
  label: number;
}

async function loadSamples(): Promise<Sample[]> {
  const rng = createRng(2024);
  const samples: Sample[] = [];
  for (const defect of readdirSync(join(ROOT, "test")).sort()) {
    for (const file of readdirSync(join(ROOT, "test", defect)).sort()) {
      const orig = await loadFloat(join(ROOT, "test", defect, file), 3);
      const rec = { ...orig, data: orig.data.map((v) => v + 0.03 * rng.normal()) };
      const mask =
        defect === "good"
          ? { width: SIZE, height: SIZE, channels: 1 as const, data: new Float32Array(SIZE * SIZE) }
          : await loadFloat(
              join(ROOT, "ground_truth", defect, file.replace(".png", "_mask.png")),
              1,
            );
      samples.push({ orig, rec, mask, label: defect === "good" ? 0 : 1 });
    }
  }
  return samples;
}

/** Runs fn once and returns [wall ms, cpu ms]. */
function time(fn: () => void): [number, number] {
  const c = process.cpuUsage();
  const t = performance.now();
  fn();
  const d = process.cpuUsage(c);
  return [performance.now() - t, (d.user + d.system) / 1000];
}

export default async function run(_args: string[]): Promise<void> {
  if (!existsSync(join(ROOT, "test"))) {
    process.stdout.write(`eval bench skipped: ${ROOT}/test not found\n`);
    return;
  }
  const samples = await loadSamples();
  const n = samples.length;
  const rows: Record<string, string | number>[] = [];
  const perImage = (name: string, fn: (s: Sample) => unknown) => {
    const [wall, cpu] = time(() => {
      for (const s of samples) fn(s);
    });
    rows.push({ kernel: name, images: n, "wall ms/img": wall / n, "cpu ms/img": cpu / n });
  };

  perImage("gray (toGray)", (s) => toGray(s.orig));
  const grays = samples.map((s) => toGray(s.orig));
  let k = 0;
  perImage("edge (morphEdge)", () => morphEdge(grays[k++ % n]));
  perImage("colour diff reference", (s) => colorDiff(s.orig, s.rec, "reference"));
  perImage("colour diff corrected", (s) => colorDiff(s.orig, s.rec, "corrected"));
  perImage("MSGMS map, 2 scales", (s) => msgmsMap(s.rec, s.orig, { scales: 2 }));
  perImage("structure map, 2 scales", (s) => structureMap(s.rec, s.orig, { scales: 2 }));
  perImage("structure map, 3 scales", (s) => structureMap(s.rec, s.orig, { scales: 3 }));
  const maps83: ScoreMap[] = samples.map((s) => {
    const c = colorDiff(s.orig, s.rec, "reference");
    const st = structureMap(s.rec, s.orig);
    for (let i = 0; i < c.data.length; i++) c.data[i] += st.data[i];
    return c;
  });
  k = 0;
  perImage("mean filter 21x21 (zero)", () => meanFilter(maps83[k++ % n], 21, "zero"));
  printTable("Per-image kernels (256x256)", rows);

  // Metrics over 100 maps (the 83 test maps, then the first 17 again) to match the target size.
  const maps = Array.from({ length: 100 }, (_, i) => maps83[i % n]);
  const masks = Array.from({ length: 100 }, (_, i) => samples[i % n].mask);
  const labels = Array.from({ length: 100 }, (_, i) => samples[i % n].label);
  const metricRows: Record<string, string | number>[] = [];
  const metric = (name: string, fn: () => { value: number | null }) => {
    let value: number | null = null;
    const [wall, cpu] = time(() => {
      value = fn().value;
    });
    metricRows.push({
      metric: name,
      maps: 100,
      "wall ms": wall,
      "cpu ms": cpu,
      value: value ?? "null",
    });
  };
  const scores = maps.map(imageScore);
  metric("image AUROC", () => imageAuroc(labels, scores));
  let pm: ReturnType<typeof pixelMetrics> | undefined;
  metric("pixel AUROC + AP + F1 (one sort)", () => {
    pm = pixelMetrics(maps, masks, { rule: REFERENCE_MASK_RULES.pixelAuroc });
    return pm.auroc;
  });
  metricRows.push({
    metric: "  pixel AP (same run)",
    maps: 100,
    "wall ms": "-",
    "cpu ms": "-",
    value: pm?.ap.value ?? "null",
  });
  metric("AU-PRO exact (0.3)", () => auProExact(maps, masks, { rule: REFERENCE_MASK_RULES.auPro }));
  metric("shared: sort + pixel metrics + AU-PRO", () => {
    const presorted = sortPixelScores(maps);
    pixelMetrics(maps, masks, { rule: REFERENCE_MASK_RULES.pixelAuroc, presorted });
    return auProExact(maps, masks, { rule: REFERENCE_MASK_RULES.auPro, presorted });
  });
  metric("AU-PRO 5000 thresholds (0.3)", () =>
    auProThresholds(maps, masks, { rule: REFERENCE_MASK_RULES.auPro }),
  );
  printTable("Metrics over 100 maps of 256x256 (6.55M pixels)", metricRows);
  process.stdout.write(
    `\n${machineLine()}\nload average: ${(await import("node:os"))
      .loadavg()
      .map((v) => v.toFixed(1))
      .join(" ")} (2 shared cores: timings are noisy)\n`,
  );
}
