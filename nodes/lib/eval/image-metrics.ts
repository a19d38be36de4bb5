/**
 * Image-level detection metrics: one score and one 0/1 label per image.
 */
import type { MetricValue } from "./metric-value.ts";
import {
  aurocFromCounts,
  averagePrecisionFromCounts,
  f1MaxFromCounts,
  rankCounts,
} from "./ranking.ts";

function counts(fn: string, labels: ArrayLike<number>, scores: ArrayLike<number>) {
  if (labels.length !== scores.length) {
    throw new Error(
      `${fn}: labels has ${labels.length} entries but scores has ${scores.length}; ` +
        "pass one label and one score per image",
    );
  }
  const positive = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l !== 0 && l !== 1)
      throw new Error(`${fn}: labels[${i}] is ${l}; expected 0 (good) or 1 (defective)`);
    positive[i] = l;
    if (Number.isNaN(scores[i])) throw new Error(`${fn}: scores[${i}] is NaN`);
  }
  return rankCounts(scores, positive);
}

/**
 * Image AUROC, equal to sklearn `roc_auc_score(labels, scores)` (ties count half).
 * @param labels 0 = good, 1 = defective; @param scores higher = more anomalous.
 * @returns value in [0,1], or null when only one class is present.
 */
export function imageAuroc(labels: ArrayLike<number>, scores: ArrayLike<number>): MetricValue {
  return aurocFromCounts(counts("imageAuroc", labels, scores));
}

/** Image average precision, equal to sklearn `average_precision_score`; null without positives. */
export function imageAp(labels: ArrayLike<number>, scores: ArrayLike<number>): MetricValue {
  return averagePrecisionFromCounts(counts("imageAp", labels, scores));
}

/** Best image-level F1 and the score threshold (score ≥ threshold ⇒ defective) reaching it. */
export function imageF1Max(labels: ArrayLike<number>, scores: ArrayLike<number>) {
  return f1MaxFromCounts(counts("imageF1Max", labels, scores));
}
