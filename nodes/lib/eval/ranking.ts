/**
 * Binary-classification metrics over scores and 0/1 labels, matching scikit-learn 1.2
 * (`roc_auc_score`, `average_precision_score`, with ties handled per distinct score).
 */
import { type SortedValues, sortWithIndex } from "./argsort.ts";
import { defined, type MetricValue, undefinedMetric } from "./metric-value.ts";

/** Cumulative counts at each distinct score, from the highest score down. */
export interface RankedCounts {
  /** Distinct scores, descending. */
  readonly thresholds: Float64Array;
  /** Positives with score ≥ thresholds[k]. */
  readonly tps: Float64Array;
  /** Negatives with score ≥ thresholds[k]. */
  readonly fps: Float64Array;
  readonly positives: number;
  readonly negatives: number;
}

/**
 * Sorts once and accumulates true/false positives per distinct score (sklearn's
 * `_binary_clf_curve`).
 * @param scores any numbers (NaN rejected); @param positive 1 = positive, 0 = negative.
 * @param presorted the result of `sortWithIndex(scores)`, to share one sort between metrics.
 */
export function rankCounts(
  scores: ArrayLike<number>,
  positive: Uint8Array,
  presorted?: SortedValues,
): RankedCounts {
  const n = scores.length;
  const { order, sorted } = presorted ?? sortWithIndex(scores);
  const thresholds = new Float64Array(n);
  const tps = new Float64Array(n);
  const fps = new Float64Array(n);
  let k = 0;
  let tp = 0;
  let fp = 0;
  for (let r = n - 1; r >= 0; r--) {
    const i = order[r];
    if (positive[i]) tp++;
    else fp++;
    // close the tie group when the next (lower) score differs
    if (r === 0 || sorted[r - 1] !== sorted[r]) {
      thresholds[k] = sorted[r];
      tps[k] = tp;
      fps[k] = fp;
      k++;
    }
  }
  return {
    thresholds: thresholds.slice(0, k),
    tps: tps.slice(0, k),
    fps: fps.slice(0, k),
    positives: tp,
    negatives: fp,
  };
}

function classesPresent(c: RankedCounts): string | undefined {
  if (c.positives === 0 && c.negatives === 0) return "no samples";
  if (c.positives === 0) return "only negatives present (no positive sample)";
  if (c.negatives === 0) return "only positives present (no negative sample)";
  return undefined;
}

/** Area under the ROC curve (trapezoids between tie groups, as sklearn). */
export function aurocFromCounts(c: RankedCounts): MetricValue {
  const missing = classesPresent(c);
  if (missing) return undefinedMetric(`AUROC undefined: ${missing}`);
  // Twice the area in integer units: exact below 2^53, one division at the end.
  let area2 = 0;
  let prevTp = 0;
  let prevFp = 0;
  for (let k = 0; k < c.tps.length; k++) {
    area2 += (c.fps[k] - prevFp) * (c.tps[k] + prevTp);
    prevTp = c.tps[k];
    prevFp = c.fps[k];
  }
  return defined(area2 / (2 * c.positives * c.negatives));
}

/** Average precision Σ (R_k − R_{k−1})·P_k (step-wise, sklearn; no interpolation). */
export function averagePrecisionFromCounts(c: RankedCounts): MetricValue {
  if (c.positives === 0) return undefinedMetric("average precision undefined: no positive sample");
  let ap = 0;
  let prevTp = 0;
  for (let k = 0; k < c.tps.length; k++) {
    const tp = c.tps[k];
    if (tp !== prevTp) ap += ((tp - prevTp) / c.positives) * (tp / (tp + c.fps[k]));
    prevTp = tp;
  }
  return defined(ap);
}

/** Best F1 over all thresholds; `threshold` is the score at which it is reached (score ≥ t). */
export function f1MaxFromCounts(
  c: RankedCounts,
): MetricValue & { readonly threshold: number | null } {
  if (c.positives === 0)
    return { ...undefinedMetric("F1 undefined: no positive sample"), threshold: null };
  let best = 0;
  let threshold = c.thresholds[0];
  for (let k = 0; k < c.tps.length; k++) {
    const f1 = (2 * c.tps[k]) / (c.tps[k] + c.fps[k] + c.positives);
    if (f1 > best) {
      best = f1;
      threshold = c.thresholds[k];
    }
  }
  return { value: best, threshold };
}
