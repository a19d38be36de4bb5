/**
 * Per-pixel colour-space helpers for the texture augmenters (RGB in [0, 1]; hue in degrees
 * [0, 360)). Hand-written: these run inside synchronous per-sample loops on Float32Array
 * rasters, where a per-pixel library call would dominate the cost.
 */

/** RGB → HSV: returns [h (deg), s, v], all but h in [0, 1]. */
export function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  let h = 0;
  if (d > 0) {
    if (max === r) h = 60 * (((g - b) / d) % 6);
    else if (max === g) h = 60 * ((b - r) / d + 2);
    else h = 60 * ((r - g) / d + 4);
    if (h < 0) h += 360;
  }
  return [h, max > 0 ? d / max : 0, max];
}

/** Hue (any real, degrees, wrapped), chroma and the smallest channel → RGB. */
function fromHueChroma(h: number, c: number, m: number): [number, number, number] {
  const hh = (((h % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((hh % 2) - 1));
  let r = 0;
  let g = 0;
  let b = 0;
  if (hh < 1) [r, g, b] = [c, x, 0];
  else if (hh < 2) [r, g, b] = [x, c, 0];
  else if (hh < 3) [r, g, b] = [0, c, x];
  else if (hh < 4) [r, g, b] = [0, x, c];
  else if (hh < 5) [r, g, b] = [x, 0, c];
  else [r, g, b] = [c, 0, x];
  return [r + m, g + m, b + m];
}

/** HSV → RGB (h in degrees, wrapped; s, v in [0, 1]). */
export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const c = v * s;
  return fromHueChroma(h, c, v - c);
}

/** RGB → HLS: returns [h (deg), l, s]. */
export function rgbToHls(r: number, g: number, b: number): [number, number, number] {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 2;
  const d = max - min;
  const [h] = rgbToHsv(r, g, b);
  const s = d === 0 ? 0 : d / (1 - Math.abs(2 * l - 1));
  return [h, l, s];
}

/** HLS → RGB. */
export function hlsToRgb(h: number, l: number, s: number): [number, number, number] {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  return fromHueChroma(h, c, l - c / 2);
}

/** BT.601 luma, as in YCrCb/YUV. */
export function luma(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

export const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/** Quantises [0, 1] to an 8-bit level 0…255 (round half up, clamped). */
export const toU8 = (v: number): number => Math.round(clamp01(v) * 255);
