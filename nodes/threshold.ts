import { z } from "zod";
import { dataError } from "./sdk/errors.ts";
import { defineNode } from "./sdk/node.ts";
import type { Scores, ThresholdValue } from "./sdk/values.ts";

/**
 * Smallest threshold t among the normal scores such that the fraction of normal scores above
 * t is at most `fpr` (decisions are "defective" when score > t).
 */
export function calibrateThreshold(normalScores: number[], fpr: number): number {
  const s = [...normalScores].sort((a, b) => a - b);
  const allowed = Math.floor(fpr * s.length);
  return s[s.length - 1 - allowed];
}

/** Threshold maximising F1 on labelled scores (only when the user asks to fit on test). */
export function f1Threshold(scores: number[], labels: number[]): number {
  const order = scores.map((s, i) => [s, labels[i]] as const).sort((a, b) => b[0] - a[0]);
  const positives = labels.filter((l) => l === 1).length;
  let tp = 0;
  let best = { f1: -1, t: order[0]?.[0] ?? 0 };
  for (let i = 0; i < order.length; i++) {
    if (order[i][1] === 1) tp++;
    if (i + 1 < order.length && order[i + 1][0] === order[i][0]) continue;
    const f1 = (2 * tp) / (i + 1 + positives);
    // decisions are score > t, so the threshold sits just below this score
    const t = i + 1 < order.length ? (order[i][0] + order[i + 1][0]) / 2 : order[i][0] - 1e-12;
    if (f1 > best.f1) best = { f1, t };
  }
  return best.t;
}

export default defineNode({
  type: "edgrec.threshold",
  version: 1,
  title: "Threshold",
  category: "Evaluation",
  description:
    "Decision threshold on image scores (defective when score > threshold). 'calibrate' sets it on normal validation images at a target false-positive rate; 'fixed' takes a value; 'fit-on-test' maximises F1 on the labelled test split and is marked as such everywhere it is used (it overstates real performance).",
  kind: "task",
  inputs: {
    calibration: { type: "Scores", optional: true, title: "normal validation scores" },
    test: { type: "Scores", optional: true, title: "test scores (fit-on-test only)" },
  },
  outputs: { threshold: { type: "Threshold" } },
  params: z.object({
    mode: z
      .enum(["calibrate", "fixed", "fit-on-test"])
      .default("calibrate")
      .describe("Where the threshold comes from"),
    value: z.number().default(0.5).describe("The threshold in 'fixed' mode"),
    targetFpr: z
      .number()
      .min(0)
      .max(0.5)
      .default(0.01)
      .describe("Allowed false-positive rate on normal validation images in 'calibrate' mode")
      .meta({ scale: "log", sliderMin: 0.001 }),
  }),
  async run(inputs, params, ctx) {
    let threshold: ThresholdValue;
    if (params.mode === "fixed") {
      threshold = { value: params.value, source: "fixed value set by the user" };
    } else if (params.mode === "calibrate") {
      const cal = inputs.calibration as Scores | undefined;
      const normal = cal ? cal.scores.filter((_, i) => cal.labels[i] !== 1) : [];
      if (normal.length === 0) {
        throw dataError(
          "E_NO_CALIBRATION_DATA",
          `node "${ctx.nodeId}": calibration needs scores of normal validation images, got none`,
          "connect the scores of validation images (set validationFraction on the dataset node), or use mode 'fixed'",
        );
      }
      threshold = {
        value: calibrateThreshold(normal, params.targetFpr),
        source: `calibrated on ${normal.length} normal validation images at FPR ${params.targetFpr}`,
      };
    } else {
      const test = inputs.test as Scores | undefined;
      if (!test?.labels.some((l) => l === 1) || !test.labels.some((l) => l === 0)) {
        throw dataError(
          "E_NO_LABELLED_TEST",
          `node "${ctx.nodeId}": fit-on-test needs labelled test scores with both normal and defective images`,
          "connect the test scores, or use 'calibrate'",
        );
      }
      threshold = {
        value: f1Threshold(test.scores, test.labels),
        source: `FITTED ON THE TEST SPLIT (F1-max over ${test.scores.length} images): optimistic`,
      };
    }
    return { threshold };
  },
});
