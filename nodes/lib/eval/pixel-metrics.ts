/**
 * Pixel-level metrics over all pixels of all score maps, against float masks binarised by an
 * explicit rule that is recorded in the result.
 */
import type { ScoreMap } from "../../sdk/image.ts";
import type { SortedValues } from "./argsort.ts";
import {
  DEFAULT_MASK_RULE,
  describeMaskRule,
  type MaskRule,
  type MetricValue,
} from "./metric-value.ts";
import { flattenPairs, type MaskLike } from "./pixel-data.ts";
import {
  aurocFromCounts,
  averagePrecisionFromCounts,
  f1MaxFromCounts,
  rankCounts,
} from "./ranking.ts";

export interface PixelMetricOptions {
  /** Mask binarisation. Default `mask > 0.5`; the reference uses `{ kind: "uint8-cast" }`. */
  readonly rule?: MaskRule;
  /** `sortPixelScores(maps)` from aupro.ts, to share one sort with AU-PRO. */
  readonly presorted?: SortedValues;
}

/** A pixel metric with the mask rule that produced it. */
export type PixelMetricValue = MetricValue & { readonly maskRule: string };

export interface PixelMetrics {
  readonly auroc: PixelMetricValue;
  readonly ap: PixelMetricValue;
  readonly f1Max: PixelMetricValue & { readonly threshold: number | null };
}

/**
 * Pixel AUROC, AP and F1-max from one sort of all pixels (sklearn semantics, ties per
 * distinct score).
 * @param maps score maps (any size, one per image); @param masks same sizes, values in [0,1].
 * @throws on count/size mismatches, masks outside [0,1], NaN scores.
 */
export function pixelMetrics(
  maps: readonly ScoreMap[],
  masks: readonly MaskLike[],
  opts: PixelMetricOptions = {},
): PixelMetrics {
  const rule = opts.rule ?? DEFAULT_MASK_RULE;
  const { scores, positive } = flattenPairs("pixelMetrics", maps, masks, rule);
  if (opts.presorted && opts.presorted.order.length !== scores.length) {
    throw new Error(
      `pixelMetrics: presorted holds ${opts.presorted.order.length} scores, the maps hold ${scores.length}`,
    );
  }
  const counts = rankCounts(scores, positive, opts.presorted);
  const maskRule = describeMaskRule(rule);
  return {
    auroc: { ...aurocFromCounts(counts), maskRule },
    ap: { ...averagePrecisionFromCounts(counts), maskRule },
    f1Max: { ...f1MaxFromCounts(counts), maskRule },
  };
}

/** Pixel AUROC (sklearn `roc_auc_score` on all pixels); null when masks have one class only. */
export function pixelAuroc(
  maps: readonly ScoreMap[],
  masks: readonly MaskLike[],
  opts: PixelMetricOptions = {},
): PixelMetricValue {
  return pixelMetrics(maps, masks, opts).auroc;
}

/** Pixel average precision (sklearn `average_precision_score`); null without defect pixels. */
export function pixelAp(
  maps: readonly ScoreMap[],
  masks: readonly MaskLike[],
  opts: PixelMetricOptions = {},
): PixelMetricValue {
  return pixelMetrics(maps, masks, opts).ap;
}
