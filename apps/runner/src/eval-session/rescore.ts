/**
 * Rescoring a cached split under new weights: recombine the colour and structure maps, take
 * image scores (map maximum), and recompute every metric from one radix sort of the combined
 * pixel scores. The sweep over the sorted scores computes pixel AUROC, AP, F1-max and the exact
 * AU-PRO in one pass (the same formulas as nodes/lib/eval: sklearn tie groups, the official
 * MVTec float32 FPR, trapezoid with interpolation at the FPR limit), so nothing upstream of the
 * weighted sum is touched.
 *
 * Precision note: combined scores are float32 (the cached maps are float32), so scores that
 * differ only beyond float32 precision tie; metrics match the float64 node within ~1e-6.
 */
import { imageAp, imageAuroc, imageF1Max } from "../../../../nodes/lib/eval/image-metrics.ts";
import type { MetricValue } from "../../../../nodes/lib/eval/metric-value.ts";
import { defined, undefinedMetric } from "../../../../nodes/lib/eval/metric-value.ts";
import { rankCounts } from "../../../../nodes/lib/eval/ranking.ts";
import { floatKeys, type RadixScratch, radixSortPairs } from "./radix.ts";
import type { EvalSplit } from "./split.ts";

export interface RescoreOptions {
  /** Weight of the colour map, ≥ 0. */
  wColor: number;
  /** Weight of the structure map, ≥ 0. */
  wStructure: number;
  /** Decision threshold on scores (image: score > t; pixel: combined > t). Optional. */
  threshold?: number;
  /** AU-PRO integration limit in (0, 1]. Default 0.3. */
  fprLimit?: number;
  /** Most points per returned curve. Default 200. */
  curvePoints?: number;
  /** Image score = mean of the k highest pixels of each map; default 1 (the maximum). */
  topK?: number;
}

/** A downsampled curve (x and y of the same length). */
export interface Curve {
  x: number[];
  y: number[];
}

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface RescoreMetrics {
  imageAuroc: MetricValue;
  imageAp: MetricValue;
  imageF1Max: MetricValue & { threshold?: number | null };
  pixelAuroc: MetricValue;
  pixelAp: MetricValue;
  pixelF1Max: MetricValue & { threshold?: number | null };
  auPro: MetricValue & { fprLimit: number };
}

export interface RescoreResult {
  /** Image scores (maximum, or top-k mean, of the combined map), one per sample. */
  scores: number[];
  /** Min and max of the combined maps over the whole split (the shared colour scale). */
  range: { min: number; max: number };
  metrics: RescoreMetrics;
  /** Confusion counts at `threshold`, image- and pixel-level; absent without a threshold. */
  confusion?: { threshold: number; image: Confusion; pixel: Confusion };
  curves: { imageRoc: Curve; imagePr: Curve; pixelRoc: Curve; pixelPr: Curve; pro: Curve };
  /** Wall time of each step, ms. */
  timings: { combineMs: number; sortMs: number; sweepMs: number; imageMs: number; totalMs: number };
}

/** Work buffers of one split, reused across rescorings (4 words per pixel). */
export interface RescoreBuffers {
  /** Combined scores as float32; its Uint32 view becomes the sort keys. */
  combined: Float32Array;
  payload: Uint32Array;
  scratch: RadixScratch;
}

/** Allocates the work buffers for a split of `pixels` values. */
export function allocBuffers(pixels: number): RescoreBuffers {
  return {
    combined: new Float32Array(pixels),
    payload: new Uint32Array(pixels),
    scratch: { keys: new Uint32Array(pixels), payload: new Uint32Array(pixels) },
  };
}

/** Bytes held by the work buffers. */
export function buffersBytes(b: RescoreBuffers): number {
  return (
    b.combined.byteLength +
    b.payload.byteLength +
    b.scratch.keys.byteLength +
    b.scratch.payload.byteLength
  );
}

/** Keeps a curve to about `max` points: a point is kept once it moved 2/max (L1) away. */
class CurveSampler {
  readonly x: number[] = [];
  readonly y: number[] = [];
  private readonly step: number;
  constructor(private readonly max: number) {
    this.step = 2 / Math.max(2, max);
  }
  add(x: number, y: number): void {
    const n = this.x.length;
    if (n > 0 && Math.abs(x - this.x[n - 1]) + Math.abs(y - this.y[n - 1]) < this.step) return;
    this.x.push(x);
    this.y.push(y);
  }
  /** Adds the final point unconditionally and thins evenly if still too long. */
  finish(x: number, y: number): Curve {
    const n = this.x.length;
    if (n === 0 || this.x[n - 1] !== x || this.y[n - 1] !== y) {
      this.x.push(x);
      this.y.push(y);
    }
    if (this.x.length <= this.max) return { x: this.x, y: this.y };
    const out: Curve = { x: [], y: [] };
    const last = this.x.length - 1;
    for (let i = 0; i < this.max; i++) {
      const j = Math.round((i * last) / (this.max - 1));
      out.x.push(this.x[j]);
      out.y.push(this.y[j]);
    }
    return out;
  }
}

const emptyCurve = (): Curve => ({ x: [], y: [] });

/**
 * Mean of the k largest values of `values`, by quickselect on a copy in `work` (O(n) on
 * average, where sorting each map would cost O(n log n) on every weight change).
 */
export function topKMeanOf(
  values: Float32Array,
  k: number,
  work = new Float32Array(values.length),
): number {
  const n = values.length;
  const a = work.subarray(0, n);
  a.set(values);
  // Partition so that a[n - k .. n) holds the k largest values.
  const target = n - k;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  let sum = 0;
  for (let i = target; i < n; i++) sum += a[i];
  return sum / k;
}

/**
 * Recombines and rescores the split.
 * @param split cached maps and ground truth; @param buffers from allocBuffers(split pixels).
 * @returns image scores, every metric, confusion counts, curves (≤ curvePoints each), timings.
 * @throws on negative or non-finite weights, or an fprLimit outside (0, 1].
 */
export function rescore(
  split: EvalSplit,
  buffers: RescoreBuffers,
  opts: RescoreOptions,
): RescoreResult {
  const t0 = performance.now();
  const { wColor, wStructure } = opts;
  for (const [name, w] of [
    ["wColor", wColor],
    ["wStructure", wStructure],
  ] as const) {
    if (!(Number.isFinite(w) && w >= 0)) {
      throw new Error(`rescore: ${name} must be a finite number ≥ 0 (got ${w})`);
    }
  }
  const fprLimit = opts.fprLimit ?? 0.3;
  if (!(fprLimit > 0 && fprLimit <= 1)) {
    throw new Error(`rescore: fprLimit must be in (0, 1] (got ${fprLimit})`);
  }
  const maxPts = opts.curvePoints ?? 200;
  const n = split.color.length;
  if (buffers.combined.length !== n) {
    throw new Error(`rescore: buffers hold ${buffers.combined.length} pixels, split has ${n}`);
  }
  const { combined, payload } = buffers;
  const { color, structure, region } = split;
  const px = split.width * split.height;
  const threshold = opts.threshold;
  const hasT = threshold !== undefined && Number.isFinite(threshold);
  const pixelC: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  const scores: number[] = new Array(split.count);
  const topK = Math.min(opts.topK ?? 1, px);
  if (!(Number.isInteger(topK) && topK >= 1)) {
    throw new Error(`rescore: topK must be an integer ≥ 1 (got ${opts.topK})`);
  }
  const pick = topK > 1 ? new Float32Array(px) : undefined;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < split.count; k++) {
    let m = Number.NEGATIVE_INFINITY;
    const end = (k + 1) * px;
    for (let i = k * px; i < end; i++) {
      const v = wColor * color[i] + wStructure * structure[i];
      combined[i] = v;
      payload[i] = region[i];
      if (v > m) m = v;
      if (v < min) min = v;
    }
    scores[k] = Math.fround(topK > 1 ? topKMeanOf(combined.subarray(k * px, end), topK, pick) : m);
    if (m > max) max = m;
  }
  if (hasT) {
    // A second pass over float32 values keeps the hot loop above branch-free.
    for (let i = 0; i < n; i++) {
      const pred = combined[i] > (threshold as number);
      if (region[i] !== 0) pred ? pixelC.tp++ : pixelC.fn++;
      else pred ? pixelC.fp++ : pixelC.tn++;
    }
  }
  const t1 = performance.now();

  const keys = new Uint32Array(combined.buffer, combined.byteOffset, n);
  const pixelMetricsWanted = split.masksMissing === 0;
  if (pixelMetricsWanted) {
    floatKeys(keys);
    radixSortPairs(keys, payload, buffers.scratch);
  }
  const t2 = performance.now();

  const metrics: RescoreMetrics = {
    imageAuroc: undefinedMetric("not computed"),
    imageAp: undefinedMetric("not computed"),
    imageF1Max: undefinedMetric("not computed"),
    pixelAuroc: undefinedMetric(
      `${split.masksMissing} defective image(s) have no ground-truth mask`,
    ),
    pixelAp: undefinedMetric(`${split.masksMissing} defective image(s) have no ground-truth mask`),
    pixelF1Max: undefinedMetric(
      `${split.masksMissing} defective image(s) have no ground-truth mask`,
    ),
    auPro: {
      ...undefinedMetric(`${split.masksMissing} defective image(s) have no ground-truth mask`),
      fprLimit,
    },
  };
  const curves: RescoreResult["curves"] = {
    imageRoc: emptyCurve(),
    imagePr: emptyCurve(),
    pixelRoc: emptyCurve(),
    pixelPr: emptyCurve(),
    pro: emptyCurve(),
  };
  if (pixelMetricsWanted) sweep(split, keys, payload, fprLimit, maxPts, metrics, curves);
  const t3 = performance.now();

  const labelled = split.labels.every((l) => l === 0 || l === 1);
  const imageC: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  if (labelled) {
    metrics.imageAuroc = imageAuroc(split.labels, scores);
    metrics.imageAp = imageAp(split.labels, scores);
    metrics.imageF1Max = imageF1Max(split.labels, scores);
    const c = rankCounts(scores, Uint8Array.from(split.labels));
    if (c.positives > 0 && c.negatives > 0) {
      const roc = new CurveSampler(maxPts);
      const pr = new CurveSampler(maxPts);
      roc.add(0, 0);
      for (let k = 0; k < c.tps.length; k++) {
        roc.add(c.fps[k] / c.negatives, c.tps[k] / c.positives);
        pr.add(c.tps[k] / c.positives, c.tps[k] / (c.tps[k] + c.fps[k]));
      }
      curves.imageRoc = roc.finish(1, 1);
      const last = c.tps.length - 1;
      curves.imagePr = pr.finish(1, c.tps[last] / (c.tps[last] + c.fps[last]));
    }
  } else {
    const why = undefinedMetric("some images have no label (production images)");
    metrics.imageAuroc = why;
    metrics.imageAp = why;
    metrics.imageF1Max = why;
  }
  if (hasT) {
    scores.forEach((s, k) => {
      const pred = s > (threshold as number);
      if (split.labels[k] === 1) pred ? imageC.tp++ : imageC.fn++;
      else if (split.labels[k] === 0) pred ? imageC.fp++ : imageC.tn++;
    });
  }
  const t4 = performance.now();
  return {
    scores,
    range: Number.isFinite(min) ? { min, max } : { min: 0, max: 0 },
    metrics,
    ...(hasT
      ? { confusion: { threshold: threshold as number, image: imageC, pixel: pixelC } }
      : {}),
    curves,
    timings: {
      combineMs: t1 - t0,
      sortMs: t2 - t1,
      sweepMs: t3 - t2,
      imageMs: t4 - t3,
      totalMs: t4 - t0,
    },
  };
}

/** Float32 value of a sort key (inverse of floatKeys). */
const keyView = new Uint32Array(1);
const valView = new Float32Array(keyView.buffer);
function keyValue(key: number): number {
  keyView[0] = key & 0x80000000 ? key & 0x7fffffff : ~key;
  return valView[0];
}

/**
 * One descending pass over the sorted (key, region) pairs: tie groups of equal keys close a
 * curve point, as sklearn's `_binary_clf_curve` and the official `compute_pro` do.
 */
function sweep(
  split: EvalSplit,
  keys: Uint32Array,
  regionOf: Uint32Array,
  fprLimit: number,
  maxPts: number,
  metrics: RescoreMetrics,
  curves: RescoreResult["curves"],
): void {
  const n = keys.length;
  const P = n - split.okPixels;
  const N = split.okPixels;
  const weights = new Float64Array(split.regionSizes.length);
  for (let r = 1; r < weights.length; r++) weights[r] = 1 / split.regionSizes[r];
  const nOk = Math.fround(N);
  const R = split.regions;
  const roc = new CurveSampler(maxPts);
  const pr = new CurveSampler(maxPts);
  const proCurve = new CurveSampler(maxPts);
  roc.add(0, 0);
  proCurve.add(0, 0);
  let tp = 0;
  let fp = 0;
  let proSum = 0;
  let prevTp = 0;
  let prevFp = 0;
  let area2 = 0;
  let ap = 0;
  let bestF1 = 0;
  let bestKey = keys[n - 1];
  // streaming trapezoid of the PRO curve up to fprLimit, starting at (0, 0)
  let px = 0;
  let py = 0;
  let proArea = 0;
  let proDone = false;
  for (let r = n - 1; r >= 0; r--) {
    const reg = regionOf[r];
    if (reg === 0) fp++;
    else {
      tp++;
      proSum += weights[reg];
    }
    const key = keys[r];
    if (r > 0 && keys[r - 1] === key) continue;
    area2 += (fp - prevFp) * (tp + prevTp);
    if (P > 0) {
      if (tp !== prevTp) ap += ((tp - prevTp) / P) * (tp / (tp + fp));
      const f1 = (2 * tp) / (tp + fp + P);
      if (f1 > bestF1) {
        bestF1 = f1;
        bestKey = key;
      }
      pr.add(tp / P, tp / (tp + fp));
    }
    if (P > 0 && N > 0) roc.add(fp / N, tp / P);
    prevTp = tp;
    prevFp = fp;
    if (R > 0 && N > 0) {
      const x = Math.min(1, Math.fround(Math.fround(fp) / nOk));
      const y = Math.min(1, proSum / R);
      proCurve.add(x, y);
      if (!proDone) {
        if (x <= fprLimit) {
          proArea += 0.5 * (y + py) * (x - px);
          px = x;
          py = y;
        } else {
          if (px < fprLimit) {
            const yI = py + ((y - py) * (fprLimit - px)) / (x - px);
            proArea += 0.5 * (yI + py) * (fprLimit - px);
          }
          proDone = true;
        }
      }
    }
  }
  if (R > 0 && N > 0 && !proDone) {
    // the official curve ends with (1, 1)
    const x = 1;
    const y = 1;
    if (x <= fprLimit) proArea += 0.5 * (y + py) * (x - px);
    else if (px < fprLimit) {
      const yI = py + ((y - py) * (fprLimit - px)) / (x - px);
      proArea += 0.5 * (yI + py) * (fprLimit - px);
    }
  }
  const classes =
    P === 0 ? "no defect pixel in the masks" : N === 0 ? "every pixel is a defect pixel" : null;
  metrics.pixelAuroc = classes
    ? undefinedMetric(`AUROC undefined: ${classes}`)
    : defined(area2 / (2 * P * N));
  metrics.pixelAp = P === 0 ? undefinedMetric("AP undefined: no defect pixel") : defined(ap);
  metrics.pixelF1Max =
    P === 0
      ? { ...undefinedMetric("F1 undefined: no defect pixel"), threshold: null }
      : { value: bestF1, threshold: keyValue(bestKey) };
  metrics.auPro =
    R === 0
      ? { ...undefinedMetric("AU-PRO undefined: the masks contain no defect region"), fprLimit }
      : N === 0
        ? { ...undefinedMetric("AU-PRO undefined: no OK pixels"), fprLimit }
        : { ...defined(proArea / fprLimit), fprLimit };
  if (P > 0 && N > 0) curves.pixelRoc = roc.finish(1, 1);
  if (P > 0) curves.pixelPr = pr.finish(1, P / n);
  if (R > 0 && N > 0) curves.pro = proCurve.finish(1, 1);
}
