/**
 * Box filters, 2×2 average pooling and PyTorch-style bilinear upsampling on ScoreMaps, plus
 * OpenCV's 8-bit box blur. All run in O(1) per pixel via running sums.
 */
import { createScoreMap, type ScoreMap } from "../../sdk/image.ts";
import { assertOddSize, assertRaster } from "./validate.ts";

/** Border handling for the mean filter. */
export type BorderMode = "zero" | "reflect101" | "replicate";

/**
 * Index of the source sample for a position `p` outside [0, n) (OpenCV borderInterpolate).
 * Returns -1 for the zero border.
 */
export function borderIndex(p: number, n: number, mode: BorderMode): number {
  if (p >= 0 && p < n) return p;
  if (mode === "zero") return -1;
  if (mode === "replicate") return p < 0 ? 0 : n - 1;
  if (n === 1) return 0;
  // reflect-101 (mirror without repeating the edge), repeated for windows wider than the image
  const period = 2 * (n - 1);
  let q = ((p % period) + period) % period;
  if (q >= n) q = period - q;
  return q;
}

/** Sliding-window sums of `size` over a line of `n` samples read through `get`, into `out`. */
function slidingSums(
  n: number,
  size: number,
  mode: BorderMode,
  get: (i: number) => number,
  out: Float64Array,
): void {
  const r = (size - 1) / 2;
  const padded = new Float64Array(n + 2 * r);
  for (let p = -r; p < n + r; p++) {
    const q = borderIndex(p, n, mode);
    padded[p + r] = q < 0 ? 0 : get(q);
  }
  // Prefix sums keep the O(1) update without the drift of add-then-subtract running sums.
  const prefix = new Float64Array(padded.length + 1);
  for (let i = 0; i < padded.length; i++) prefix[i + 1] = prefix[i] + padded[i];
  for (let i = 0; i < n; i++) out[i] = prefix[i + size] - prefix[i];
}

/** Window sums (not divided) of a centred size×size box; exact for integer inputs < 2^53. */
function boxSums(map: ScoreMap, size: number, border: BorderMode): Float64Array {
  const { width: w, height: h, data } = map;
  const rowSums = new Float64Array(w * h);
  const line = new Float64Array(Math.max(w, h));
  for (let y = 0; y < h; y++) {
    const o = y * w;
    slidingSums(w, size, border, (x) => data[o + x], line);
    rowSums.set(line.subarray(0, w), o);
  }
  const out = new Float64Array(w * h);
  for (let x = 0; x < w; x++) {
    slidingSums(h, size, border, (y) => rowSums[y * w + x], line);
    for (let y = 0; y < h; y++) out[y * w + x] = line[y];
  }
  return out;
}

/**
 * Mean filter with a centred size×size window: (sum over the window) / size².
 * With `border: "zero"` out-of-image samples count as 0 and the divisor stays size², which is
 * the reference's structure-map smoothing (a zero-padded convolution).
 * @param map input map (float64).
 * @param size odd window side (e.g. 21 for the structure map, 11 for the colour map).
 * @param border "zero" | "reflect101" (OpenCV default) | "replicate".
 * @returns a new map of the same size.
 */
export function meanFilter(map: ScoreMap, size: number, border: BorderMode): ScoreMap {
  assertRaster("meanFilter", "map", map);
  assertOddSize("meanFilter", "size", size);
  const sums = boxSums(map, size, border);
  const inv = 1 / (size * size);
  for (let i = 0; i < sums.length; i++) sums[i] *= inv;
  return { width: map.width, height: map.height, data: sums };
}

/**
 * OpenCV `cv2.blur` on a single-channel uint8 map: normalised size×size box, reflect-101
 * border, output round(S / size²) of the exact integer window sum S (EDGREC.md §6.2).
 * @param data uint8 map, row-major, length width·height.
 * @param size odd window side (so size² is odd and no .5 tie can occur).
 */
export function boxBlurU8(
  data: Uint8Array,
  width: number,
  height: number,
  size: number,
): Uint8Array {
  assertRaster("boxBlurU8", "data", { width, height, data });
  assertOddSize("boxBlurU8", "size", size);
  const sums = boxSums({ width, height, data: Float64Array.from(data) }, size, "reflect101");
  const area = size * size;
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(sums[i] / area);
  return out;
}

/**
 * 2×2 average pooling, stride 2, no padding (PyTorch `avg_pool2d(2)`): output
 * floor(w/2)×floor(h/2); an odd last row/column is dropped.
 * @throws when the map is smaller than 2×2.
 */
export function avgPool2(map: ScoreMap): ScoreMap {
  assertRaster("avgPool2", "map", map);
  const w = Math.floor(map.width / 2);
  const h = Math.floor(map.height / 2);
  if (w < 1 || h < 1) {
    throw new Error(
      `avgPool2: map is ${map.width}x${map.height}, needs at least 2x2; use fewer scales`,
    );
  }
  const out = createScoreMap(w, h);
  const src = map.data;
  const sw = map.width;
  for (let y = 0; y < h; y++) {
    const a = 2 * y * sw;
    for (let x = 0; x < w; x++) {
      const i = a + 2 * x;
      out.data[y * w + x] = (src[i] + src[i + 1] + src[i + sw] + src[i + sw + 1]) * 0.25;
    }
  }
  return out;
}

/** Source index pair and weight for each output position (PyTorch align_corners=False). */
function bilinearAxis(inSize: number, outSize: number) {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const t = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = Math.max((o + 0.5) * scale - 0.5, 0);
    const lo = Math.min(Math.floor(src), inSize - 1);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, inSize - 1);
    t[o] = src - lo;
  }
  return { i0, i1, t };
}

/**
 * Bilinear resize with PyTorch `interpolate(mode="bilinear", align_corners=False)` semantics:
 * half-pixel centres, source coordinate clamped at 0, neighbour clamped at the last index.
 * @returns a new width×height map.
 */
export function resizeBilinear(map: ScoreMap, width: number, height: number): ScoreMap {
  assertRaster("resizeBilinear", "map", map);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(
      `resizeBilinear: target size must be positive integers (got ${width}x${height})`,
    );
  }
  const ax = bilinearAxis(map.width, width);
  const ay = bilinearAxis(map.height, height);
  const out = createScoreMap(width, height);
  const src = map.data;
  const sw = map.width;
  for (let y = 0; y < height; y++) {
    const r0 = ay.i0[y] * sw;
    const r1 = ay.i1[y] * sw;
    const ty = ay.t[y];
    for (let x = 0; x < width; x++) {
      const c0 = ax.i0[x];
      const c1 = ax.i1[x];
      const tx = ax.t[x];
      const top = src[r0 + c0] * (1 - tx) + src[r0 + c1] * tx;
      const bottom = src[r1 + c0] * (1 - tx) + src[r1 + c1] * tx;
      out.data[y * width + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}
