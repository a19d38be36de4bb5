/**
 * Evaluation metrics over a test split. Every figure records the protocol that produced it
 * (resolution, mask binarisation, score function) so two runs can be compared honestly, and
 * a metric the data cannot define is reported as undefined with the reason.
 */
import { z } from "zod";
import { auProExact, auProThresholds } from "./lib/eval/aupro.ts";
import { imageAp, imageAuroc, imageF1Max } from "./lib/eval/image-metrics.ts";
import type { MaskRule, MetricValue } from "./lib/eval/metric-value.ts";
import { undefinedMetric } from "./lib/eval/metric-value.ts";
import { pixelMetrics } from "./lib/eval/pixel-metrics.ts";
import { dataError } from "./sdk/errors.ts";
import type { FloatImage, ScoreMap } from "./sdk/image.ts";
import { defineNode, type SampleStream } from "./sdk/node.ts";
import type { Scores, ThresholdValue } from "./sdk/values.ts";

export const metricsParams = z.object({
  protocol: z
    .enum(["official", "reference"])
    .default("official")
    .describe(
      "official: masks binarised at > 0.5 for every pixel metric and exact AU-PRO (MVTec AD evaluation); reference: the authors' rules (pixel AUROC/AP positive only where the resized mask is exactly 1, AU-PRO on any non-zero pixel with 5000 thresholds)",
    ),
  fprLimit: z
    .number()
    .min(0.001)
    .max(1)
    .default(0.3)
    .describe("AU-PRO integration limit (false-positive rate)"),
  alsoReferenceAuPro: z
    .boolean()
    .default(true)
    .describe(
      "Also report the authors' 5000-threshold AU-PRO on non-zero masks, for comparison with published numbers",
    ),
});

export interface MetricsResult {
  imageAuroc: MetricValue;
  imageAp: MetricValue;
  imageF1Max: MetricValue;
  pixelAuroc: MetricValue & { maskRule?: string };
  pixelAp: MetricValue & { maskRule?: string };
  pixelF1Max: MetricValue & { maskRule?: string };
  auPro: MetricValue & { maskRule?: string; fprLimit?: number; method?: string };
  auProReference?: MetricValue;
  atThreshold?: {
    threshold: number;
    source: string;
    tp: number;
    fp: number;
    tn: number;
    fn: number;
  };
  protocol: {
    name: string;
    images: number;
    defective: number;
    resolution: string;
    scoreFunction: string;
    pixelMaskRule: string;
    auProMaskRule: string;
  };
}

export function computeMetrics(
  scores: Scores,
  maps: ScoreMap[] | undefined,
  masks: (FloatImage & { missing?: boolean })[] | undefined,
  params: z.infer<typeof metricsParams>,
  threshold?: ThresholdValue,
): MetricsResult {
  const labelled = scores.labels.every((l) => l === 0 || l === 1);
  const labels = scores.labels.map((l) => (l === 1 ? 1 : 0));
  const noLabels = undefinedMetric("some images have no label (production images)");
  const pixelRule: MaskRule =
    params.protocol === "reference" ? { kind: "uint8-cast" } : { kind: "above", threshold: 0.5 };
  const proRule: MaskRule =
    params.protocol === "reference" ? { kind: "nonzero" } : { kind: "above", threshold: 0.5 };
  const result: MetricsResult = {
    imageAuroc: labelled ? imageAuroc(labels, scores.scores) : noLabels,
    imageAp: labelled ? imageAp(labels, scores.scores) : noLabels,
    imageF1Max: labelled ? imageF1Max(labels, scores.scores) : noLabels,
    pixelAuroc: undefinedMetric("no score maps connected"),
    pixelAp: undefinedMetric("no score maps connected"),
    pixelF1Max: undefinedMetric("no score maps connected"),
    auPro: undefinedMetric("no score maps connected"),
    protocol: {
      name: params.protocol,
      images: scores.scores.length,
      defective: labels.filter((l) => l === 1).length,
      resolution: maps?.length ? `${maps[0].width}x${maps[0].height}` : "n/a",
      scoreFunction: `image score = ${scores.method} of the map`,
      pixelMaskRule: params.protocol === "reference" ? "mask == 1 (uint8 cast)" : "mask > 0.5",
      auProMaskRule:
        params.protocol === "reference" ? "mask > 0 (5000 thresholds)" : "mask > 0.5 (exact curve)",
    },
  };
  if (maps && masks) {
    if (maps.length !== masks.length) {
      throw dataError(
        "E_METRICS_COUNT",
        `metrics: ${maps.length} score maps but ${masks.length} masks`,
        "connect maps and masks of the same split",
      );
    }
    const missing = masks.filter((m) => m.missing).length;
    if (missing > 0) {
      const why = undefinedMetric(
        `${missing} defective image(s) have no ground-truth mask (dataset without masks)`,
      );
      result.pixelAuroc = why;
      result.pixelAp = why;
      result.pixelF1Max = why;
      result.auPro = why;
    } else {
      const px = pixelMetrics(maps, masks, { rule: pixelRule });
      result.pixelAuroc = px.auroc;
      result.pixelAp = px.ap;
      result.pixelF1Max = px.f1Max;
      result.auPro =
        params.protocol === "reference"
          ? auProThresholds(maps, masks, { rule: proRule, fprLimit: params.fprLimit })
          : auProExact(maps, masks, { rule: proRule, fprLimit: params.fprLimit });
      if (params.alsoReferenceAuPro && params.protocol !== "reference") {
        result.auProReference = auProThresholds(maps, masks, {
          rule: { kind: "nonzero" },
          fprLimit: params.fprLimit,
        });
      }
    }
  }
  if (threshold) {
    const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
    scores.scores.forEach((s, i) => {
      const pred = s > threshold.value;
      if (labels[i] === 1) pred ? c.tp++ : c.fn++;
      else pred ? c.fp++ : c.tn++;
    });
    result.atThreshold = { threshold: threshold.value, source: threshold.source, ...c };
  }
  return result;
}

export default defineNode({
  type: "edgrec.metrics",
  version: 1,
  title: "Metrics",
  category: "Evaluation",
  description:
    "Image AUROC, AP and F1-max from image scores; pixel AUROC, step-wise AP and F1-max and AU-PRO from score maps and masks; confusion counts at a threshold when one is connected. Undefined metrics (one class only, no masks) are reported with the reason, never as 0 or 0.5.",
  kind: "task",
  inputs: {
    scores: { type: "Scores" },
    map: { type: "ScoreMap", optional: true, title: "score maps" },
    mask: { type: "Mask", optional: true, title: "masks" },
    threshold: { type: "Threshold", optional: true },
  },
  outputs: { metrics: { type: "Metrics" } },
  params: metricsParams,
  async run(inputs, params, ctx) {
    const scores = inputs.scores as Scores;
    const mapStream = inputs.map as SampleStream<ScoreMap> | undefined;
    const maskStream = inputs.mask as SampleStream<FloatImage> | undefined;
    let maps: ScoreMap[] | undefined;
    let masks: FloatImage[] | undefined;
    if (mapStream && maskStream) {
      if (mapStream.length !== maskStream.length || mapStream.length !== scores.scores.length) {
        throw dataError(
          "E_METRICS_COUNT",
          `node "${ctx.nodeId}": ${scores.scores.length} scores, ${mapStream.length} maps, ${maskStream.length} masks`,
          "connect scores, maps and masks of the same test split",
        );
      }
      maps = [];
      masks = [];
      for (let i = 0; i < mapStream.length; i++) {
        ctx.signal.throwIfAborted();
        maps.push(await mapStream.get(i));
        masks.push(await maskStream.get(i));
        ctx.progress({ step: i + 1, total: mapStream.length, message: "gathering maps" });
      }
    }
    return {
      metrics: computeMetrics(
        scores,
        maps,
        masks,
        params,
        inputs.threshold as ThresholdValue | undefined,
      ),
    };
  },
});
