/**
 * Ascending argsort of float64 scores. Hand-written because the metrics sort millions of
 * pixel scores with a permutation: a comparator sort over an index array is several times
 * slower in V8, and an LSD radix sort over 64-bit keys needs six scatter passes.
 *
 * Method: a bucket sort on the value range. One pass scatters (value, index) pairs into about
 * n/8 buckets by a monotone linear map of the value, so bucket order is value order; each
 * bucket is then sorted in cache (insertion sort when small, the same bucketing recursively
 * when large, so skewed score distributions stay fast).
 */

const SMALL = 32;

/** Stable insertion sort of vals/idx on [start, end). */
function insertionSort(vals: Float64Array, idx: Uint32Array, start: number, end: number): void {
  for (let i = start + 1; i < end; i++) {
    const v = vals[i];
    const k = idx[i];
    let j = i - 1;
    while (j >= start && vals[j] > v) {
      vals[j + 1] = vals[j];
      idx[j + 1] = idx[j];
      j--;
    }
    vals[j + 1] = v;
    idx[j + 1] = k;
  }
}

/** Comparator sort of [start, end), stable through the index tie-break; for corner cases. */
function fallbackSort(vals: Float64Array, idx: Uint32Array, start: number, end: number): void {
  const order = Array.from(idx.subarray(start, end));
  const byIndex = new Map<number, number>();
  for (let i = start; i < end; i++) byIndex.set(idx[i], vals[i]);
  order.sort((a, b) => (byIndex.get(a) as number) - (byIndex.get(b) as number) || a - b);
  for (let i = 0; i < order.length; i++) {
    idx[start + i] = order[i];
    vals[start + i] = byIndex.get(order[i]) as number;
  }
}

/** Sorts vals/idx on [start, end) (all finite), using tmp arrays of the same length as scratch. */
function bucketSort(
  vals: Float64Array,
  idx: Uint32Array,
  tmpVals: Float64Array,
  tmpIdx: Uint32Array,
  start: number,
  end: number,
): void {
  const n = end - start;
  if (n <= SMALL) {
    insertionSort(vals, idx, start, end);
    return;
  }
  let min = vals[start];
  let max = min;
  for (let i = start + 1; i < end; i++) {
    const v = vals[i];
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  if (min === max) return; // all tied: the input order is already stable

  const nb = Math.max(2, n >> 3);
  // Halving avoids overflow of max − min for huge ranges; subtraction, division and
  // multiplication are each monotone in v, so the bucket index never decreases as v grows.
  const lo = min * 0.5;
  const halfRange = max * 0.5 - lo;
  if (!(halfRange > 0)) {
    fallbackSort(vals, idx, start, end); // distinct subnormals whose halves coincide
    return;
  }
  const scale = nb / halfRange;
  if (!Number.isFinite(scale)) {
    fallbackSort(vals, idx, start, end);
    return;
  }
  // Bucket ids are cached so the scatter pass does not recompute them.
  const ids = new Uint32Array(n);
  const counts = new Uint32Array(nb + 1);
  const last = nb - 1;
  for (let i = 0; i < n; i++) {
    const b = Math.floor((vals[start + i] * 0.5 - lo) * scale);
    const id = Math.min(b, last);
    ids[i] = id;
    counts[id + 1]++;
  }
  if (counts[1] === n || counts[nb] === n) {
    fallbackSort(vals, idx, start, end); // no split progress (denormal-range corner case)
    return;
  }
  for (let b = 1; b <= nb; b++) counts[b] += counts[b - 1];
  const offsets = counts.slice(0, nb);
  for (let i = 0; i < n; i++) {
    const o = start + offsets[ids[i]]++;
    tmpVals[o] = vals[start + i];
    tmpIdx[o] = idx[start + i];
  }
  vals.set(tmpVals.subarray(start, end), start);
  idx.set(tmpIdx.subarray(start, end), start);

  for (let b = 0; b < nb; b++) {
    const s = start + counts[b];
    const e = start + counts[b + 1];
    if (e - s > 1) bucketSort(vals, idx, tmpVals, tmpIdx, s, e);
  }
}

/** Result of sortWithIndex: the permutation and the values in that order. */
export interface SortedValues {
  /** order[r] = index of the r-th smallest value. */
  readonly order: Uint32Array;
  /** sorted[r] = values[order[r]] (−0 stored as +0). */
  readonly sorted: Float64Array;
}

/**
 * Indices that sort `values` ascending (stable for equal values). −0 and +0 count as equal.
 * @param values numbers, ±Infinity allowed; NaN is rejected.
 * @returns Uint32Array permutation p with values[p[0]] ≤ values[p[1]] ≤ …
 * @throws when a value is NaN (its position in an order is meaningless).
 */
export function argsortFloat64(values: ArrayLike<number>): Uint32Array {
  return sortWithIndex(values).order;
}

/** Like argsortFloat64, and also returns the sorted values (saves a gather per element). */
export function sortWithIndex(values: ArrayLike<number>): SortedValues {
  const n = values.length;
  const vals = new Float64Array(n);
  const idx = new Uint32Array(n);
  // Infinities go to the ends directly so the bucketing only sees finite values.
  let negInf = 0;
  let posInf = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (Number.isNaN(v))
      throw new Error(`argsortFloat64: value at index ${i} is NaN; scores must be numbers`);
    if (v === Number.NEGATIVE_INFINITY) negInf++;
    else if (v === Number.POSITIVE_INFINITY) posInf++;
  }
  let a = 0;
  let f = negInf;
  let z = n - posInf;
  for (let i = 0; i < n; i++) {
    const v = values[i] + 0; // folds −0 into +0
    const o = v === Number.NEGATIVE_INFINITY ? a++ : v === Number.POSITIVE_INFINITY ? z++ : f++;
    vals[o] = v;
    idx[o] = i;
  }
  bucketSort(vals, idx, new Float64Array(n), new Uint32Array(n), negInf, n - posInf);
  return { order: idx, sorted: vals };
}
