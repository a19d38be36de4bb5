/**
 * Per-pixel colour-space helpers for the texture augmenters (RGB in [0, 1]; hue in degrees
 * [0, 360)). Hand-written: these run inside synchronous per-sample loops on Float32Array
 * rasters, where a per-pixel library call would dominate the cost. Each writes its three
 * results into `out` (a fresh array by default) so hot loops can reuse one buffer.
 */

export type Triple = [number, number, number] | Float64Array;

/** RGB → HSV: [h (deg), s, v], s and v in [0, 1]. */
export function rgbToHsv<T extends Triple = [number, number, number]>(
  r: number,
  g: number,
  b: number,
  out: T = [0, 0, 0] as T,
): T {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  let h = 0;
  if (d > 0) {
    if (max === r)
      h = (60 * (g - b)) / d; // in [-60, 60]; negatives wrap below
    else if (max === g) h = 60 * ((b - r) / d + 2);
    else h = 60 * ((r - g) / d + 4);
    if (h < 0) h += 360;
  }
  out[0] = h;
  out[1] = max > 0 ? d / max : 0;
  out[2] = max;
  return out;
}

/** Hue (any real, degrees, wrapped), chroma and the smallest channel → RGB into `out`. */
function fromHueChroma<T extends Triple>(h: number, c: number, m: number, out: T): T {
  // Wrap and split without the float % operator (fmod is slow in V8's hot loops).
  const hh = (h - 360 * Math.floor(h / 360)) / 60;
  const sector = Math.min(5, Math.floor(hh));
  const x = c * (1 - Math.abs((sector & 1) + (hh - sector) - 1));
  const r = sector === 0 || sector === 5 ? c : sector === 1 || sector === 4 ? x : 0;
  const g = sector === 1 || sector === 2 ? c : sector === 0 || sector === 3 ? x : 0;
  const b = sector === 3 || sector === 4 ? c : sector === 2 || sector === 5 ? x : 0;
  out[0] = r + m;
  out[1] = g + m;
  out[2] = b + m;
  return out;
}

/** HSV → RGB (h in degrees, wrapped; s, v in [0, 1]). */
export function hsvToRgb<T extends Triple = [number, number, number]>(
  h: number,
  s: number,
  v: number,
  out: T = [0, 0, 0] as T,
): T {
  const c = v * s;
  return fromHueChroma(h, c, v - c, out);
}

/** RGB → HLS: [h (deg), l, s]. */
export function rgbToHls<T extends Triple = [number, number, number]>(
  r: number,
  g: number,
  b: number,
  out: T = [0, 0, 0] as T,
): T {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 2;
  const d = max - min;
  rgbToHsv(r, g, b, out);
  out[1] = l;
  out[2] = d === 0 ? 0 : d / (1 - Math.abs(2 * l - 1));
  return out;
}

/** HLS → RGB. */
export function hlsToRgb<T extends Triple = [number, number, number]>(
  h: number,
  l: number,
  s: number,
  out: T = [0, 0, 0] as T,
): T {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  return fromHueChroma(h, c, l - c / 2, out);
}

/** BT.601 luma, as in YCrCb/YUV. */
export function luma(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

export const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/** Quantises [0, 1] to an 8-bit level 0…255 (round half up, clamped). */
export const toU8 = (v: number): number => Math.round(clamp01(v) * 255);
