/**
 * Area under the per-region-overlap (PRO) curve, in the exact form of the official MVTec AD
 * evaluation and in the authors' 5000-threshold approximation (EDGREC.md §7).
 */
import type { ScoreMap } from "../../sdk/image.ts";
import { type SortedValues, sortWithIndex } from "./argsort.ts";
import { labelComponents8 } from "./components.ts";
import {
  DEFAULT_MASK_RULE,
  describeMaskRule,
  type MaskRule,
  type MetricValue,
  maskPredicate,
} from "./metric-value.ts";
import { checkPairs, type MaskLike } from "./pixel-data.ts";
import { trapezoidArea } from "./trapezoid.ts";

export interface AuProOptions {
  /** Upper FPR limit of the integration, in (0, 1]. Default 0.3. The area is divided by it. */
  readonly fprLimit?: number;
  /** Mask binarisation. Default `mask > 0.5`; the reference uses `{ kind: "nonzero" }`. */
  readonly rule?: MaskRule;
  /** `sortPixelScores(maps)`, to share one sort with pixelMetrics. */
  readonly presorted?: SortedValues;
}

/** AU-PRO value with the settings that produced it. */
export type AuProValue = MetricValue & {
  readonly maskRule: string;
  readonly fprLimit: number;
  /** 8-connected defect regions over all masks. */
  readonly regions: number;
  readonly method: "exact" | "thresholds";
};

/** Per-pixel ground truth for PRO: OK flag and 1/|region| weight, plus per-region pixel lists. */
function prepare(
  fn: string,
  maps: readonly ScoreMap[],
  masks: readonly MaskLike[],
  rule: MaskRule,
) {
  const total = checkPairs(fn, maps, masks);
  const pred = maskPredicate(rule);
  const weight = new Float64Array(total); // 0 for OK pixels
  const regionOf = new Int32Array(total); // global region id + 1, 0 for OK pixels
  let regions = 0;
  let okPixels = 0;
  let o = 0;
  for (let k = 0; k < maps.length; k++) {
    const { width, height, data } = masks[k];
    const fg = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) fg[i] = pred(data[i]) ? 1 : 0;
    const comps = labelComponents8(fg, width, height);
    for (let i = 0; i < data.length; i++) {
      const l = comps.labels[i];
      if (l === 0) okPixels++;
      else {
        weight[o + i] = 1 / comps.sizes[l];
        regionOf[o + i] = regions + l;
      }
    }
    regions += comps.count;
    o += data.length;
  }
  return { total, weight, regionOf, regions, okPixels };
}

function checkLimit(fn: string, limit: number): void {
  if (!(limit > 0 && limit <= 1))
    throw new Error(`${fn}: fprLimit must be in (0, 1] (got ${limit})`);
}

function undefinedReason(regions: number, okPixels: number): string | undefined {
  if (regions === 0) return "AU-PRO undefined: the masks contain no defect region";
  if (okPixels === 0) return "AU-PRO undefined: every pixel is a defect pixel (no OK pixels)";
  return undefined;
}

/**
 * Sorts all pixel scores of `maps` (concatenated in order) once; pass the result as
 * `presorted` to pixelMetrics and auProExact to avoid sorting the same pixels twice.
 */
export function sortPixelScores(maps: readonly ScoreMap[]): SortedValues {
  let total = 0;
  for (const m of maps) total += m.data.length;
  const scores = new Float64Array(total);
  let o = 0;
  for (const m of maps) {
    scores.set(m.data, o);
    o += m.data.length;
  }
  return sortWithIndex(scores);
}

/** The exact PRO curve: FPR (float32 as in the official code) and mean region overlap. */
export interface ProCurve {
  readonly fpr: Float64Array;
  readonly pro: Float64Array;
  readonly regions: number;
  readonly okPixels: number;
}

/**
 * Exact PRO curve over every distinct score (official MVTec AD `compute_pro`): pixels sorted
 * by descending score, FPR = cumulative OK count / N_ok in float32, PRO = cumulative
 * Σ 1/|region| / N_regions, last point of each tie group, clipped to ≤ 1, with (0,0) and (1,1)
 * added. Returns empty arrays when there are no regions or no OK pixels.
 */
export function proCurveExact(
  maps: readonly ScoreMap[],
  masks: readonly MaskLike[],
  opts: Pick<AuProOptions, "rule" | "presorted"> = {},
): ProCurve {
  const p = prepare("proCurveExact", maps, masks, opts.rule ?? DEFAULT_MASK_RULE);
  if (undefinedReason(p.regions, p.okPixels)) {
    return {
      fpr: new Float64Array(0),
      pro: new Float64Array(0),
      regions: p.regions,
      okPixels: p.okPixels,
    };
  }
  const { order, sorted } = opts.presorted ?? sortPixelScores(maps);
  if (order.length !== p.total) {
    throw new Error(
      `proCurveExact: presorted holds ${order.length} scores, the maps hold ${p.total}`,
    );
  }
  const fpr = new Float64Array(p.total + 2);
  const pro = new Float64Array(p.total + 2);
  const nOk = Math.fround(p.okPixels);
  let k = 1;
  let fp = 0;
  let proSum = 0;
  for (let r = p.total - 1; r >= 0; r--) {
    const i = order[r];
    if (p.regionOf[i] === 0) fp++;
    else proSum += p.weight[i];
    if (r === 0 || sorted[r - 1] !== sorted[r]) {
      // The official code casts the cumulative count to float32 and divides in float32.
      fpr[k] = Math.min(1, Math.fround(Math.fround(fp) / nOk));
      pro[k] = Math.min(1, proSum / p.regions);
      k++;
    }
  }
  fpr[k] = 1;
  pro[k] = 1;
  return {
    fpr: fpr.slice(0, k + 1),
    pro: pro.slice(0, k + 1),
    regions: p.regions,
    okPixels: p.okPixels,
  };
}

/**
 * AU-PRO as the official MVTec AD evaluation: exact curve, trapezoid up to `fprLimit` (with
 * linear interpolation at the limit), divided by the limit.
 * @returns value in [0,1]; null when the masks have no region or no OK pixel.
 */
export function auProExact(
  maps: readonly ScoreMap[],
  masks: readonly MaskLike[],
  opts: AuProOptions = {},
): AuProValue {
  const fprLimit = opts.fprLimit ?? 0.3;
  checkLimit("auProExact", fprLimit);
  const rule = opts.rule ?? DEFAULT_MASK_RULE;
  const curve = proCurveExact(maps, masks, { rule, presorted: opts.presorted });
  const meta = {
    maskRule: describeMaskRule(rule),
    fprLimit,
    regions: curve.regions,
    method: "exact" as const,
  };
  const reason = undefinedReason(curve.regions, curve.okPixels);
  if (reason) return { value: null, reason, ...meta };
  return { value: trapezoidArea(curve.fpr, curve.pro, fprLimit) / fprLimit, ...meta };
}

/**
 * The authors' AU-PRO approximation (MVTec 3D-AD `compute_pro(num_thresholds)`): thresholds at
 * `thresholds` evenly spaced ranks of the sorted OK-pixel scores, FPR = 1 − (rank+1)/N_ok,
 * PRO = mean over regions of the fraction of region pixels scoring above the threshold; then
 * the same trapezoid / limit as the exact version.
 * @param opts fprLimit (default 0.3), rule (default mask > 0.5), thresholds (default 5000).
 */
export function auProThresholds(
  maps: readonly ScoreMap[],
  masks: readonly MaskLike[],
  opts: AuProOptions & { readonly thresholds?: number } = {},
): AuProValue {
  const fprLimit = opts.fprLimit ?? 0.3;
  const count = opts.thresholds ?? 5000;
  checkLimit("auProThresholds", fprLimit);
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`auProThresholds: thresholds must be a positive integer (got ${count})`);
  }
  const rule = opts.rule ?? DEFAULT_MASK_RULE;
  const p = prepare("auProThresholds", maps, masks, rule);
  const meta = {
    maskRule: describeMaskRule(rule),
    fprLimit,
    regions: p.regions,
    method: "thresholds" as const,
  };
  const reason = undefinedReason(p.regions, p.okPixels);
  if (reason) return { value: null, reason, ...meta };

  // Gather OK scores and each region's scores, all sorted ascending.
  const ok = new Float64Array(p.okPixels);
  const regionSizes = new Uint32Array(p.regions + 1);
  for (let i = 0; i < p.total; i++) regionSizes[p.regionOf[i]]++;
  const regionStart = new Uint32Array(p.regions + 2);
  for (let r = 1; r <= p.regions; r++) regionStart[r + 1] = regionStart[r] + regionSizes[r];
  const regionScores = new Float64Array(p.total - p.okPixels);
  const fill = regionStart.slice();
  let nOk = 0;
  let o = 0;
  for (const m of maps) {
    for (let i = 0; i < m.data.length; i++, o++) {
      const r = p.regionOf[o];
      if (r === 0) ok[nOk++] = m.data[i];
      else regionScores[fill[r]++] = m.data[i];
    }
  }
  ok.sort();
  for (let r = 1; r <= p.regions; r++)
    regionScores.subarray(regionStart[r], regionStart[r + 1]).sort();

  const cursor = regionStart.slice();
  const fprs = [1];
  const pros = [1];
  const step = count > 1 ? (nOk - 1) / (count - 1) : 0;
  for (let t = 0; t < count; t++) {
    // numpy linspace(0, n−1, count) truncated to int; the last sample is exactly n − 1
    const pos = t === count - 1 && count > 1 ? nOk - 1 : Math.trunc(t * step);
    const threshold = ok[pos];
    let proSum = 0;
    for (let r = 1; r <= p.regions; r++) {
      const end = regionStart[r + 1];
      let c = cursor[r];
      while (c < end && regionScores[c] <= threshold) c++;
      cursor[r] = c;
      proSum += 1 - (c - regionStart[r]) / (end - regionStart[r]);
    }
    fprs.push(1 - (pos + 1) / nOk);
    pros.push(proSum / p.regions);
  }
  fprs.reverse();
  pros.reverse();
  return { value: trapezoidArea(fprs, pros, fprLimit) / fprLimit, ...meta };
}
