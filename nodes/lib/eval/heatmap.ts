/**
 * Heat-map overlays of score maps on images. The colour scale is our own perceptual ramp:
 * CIELAB lightness rises linearly from 12 to 96 while the hue turns from violet through red
 * and orange to yellow, so equal score steps look like equal brightness steps and the map
 * stays readable in grayscale.
 */
import type { FloatImage, ScoreMap } from "../../sdk/image.ts";
import { D65_WHITE, SRGB_TO_XYZ } from "./color.ts";
import { assertRaster, assertSameShape } from "./validate.ts";

/** Inverse of a 3×3 matrix (rows). */
function invert3(m: readonly (readonly number[])[]): number[][] {
  const [a, b, c] = m[0];
  const [d, e, f] = m[1];
  const [g, h, i] = m[2];
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}

const XYZ_TO_SRGB = invert3(SRGB_TO_XYZ);

function labToSrgb8(L: number, a: number, b: number): [number, number, number] {
  const fy = (L + 16) / 116;
  const finv = (t: number) => (t > 6 / 29 ? t ** 3 : (108 / 841) * (t - 4 / 29));
  const xyz = [
    D65_WHITE[0] * finv(fy + a / 500),
    D65_WHITE[1] * finv(fy),
    D65_WHITE[2] * finv(fy - b / 200),
  ];
  const rgb = XYZ_TO_SRGB.map((row) => row[0] * xyz[0] + row[1] * xyz[1] + row[2] * xyz[2]);
  const encode = (v: number) => {
    const c = Math.max(0, Math.min(1, v));
    const s = c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
    return Math.round(255 * s);
  };
  return [encode(rgb[0]), encode(rgb[1]), encode(rgb[2])];
}

/** 256-entry RGB table of the ramp, index 0 = lowest score. */
export const HEAT_COLORMAP: Uint8Array = (() => {
  const lut = new Uint8Array(256 * 3);
  for (let k = 0; k < 256; k++) {
    const t = k / 255;
    const L = 12 + 84 * t;
    const hue = ((300 - 215 * t) * Math.PI) / 180; // 300° violet → 85° yellow, through red
    const chroma = 20 + 55 * Math.sin(Math.PI * Math.min(1, t * 1.15));
    lut.set(labToSrgb8(L, chroma * Math.cos(hue), chroma * Math.sin(hue)), 3 * k);
  }
  return lut;
})();

export interface OverlayOptions {
  /** Score shown at the bottom of the colour scale (share it across a dataset). */
  readonly min: number;
  /** Score shown at the top of the colour scale; must exceed min. */
  readonly max: number;
  /** Weight of the heat colour, in [0,1]. Default 0.5. */
  readonly alpha?: number;
}

/** An 8-bit RGB raster, HWC. */
export interface Rgb8Image {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/**
 * Blends a score map, coloured on the fixed scale [min, max] (values outside are clamped),
 * over an image.
 * @param image 1- or 3-channel float image in [0,1], same size as the map.
 * @returns RGB uint8 image.
 */
export function heatmapOverlay(image: FloatImage, map: ScoreMap, opts: OverlayOptions): Rgb8Image {
  assertRaster("heatmapOverlay", "image", image, image.channels);
  assertRaster("heatmapOverlay", "map", map);
  assertSameShape("heatmapOverlay", ["image", "map"], image, map);
  const { min, max } = opts;
  const alpha = opts.alpha ?? 0.5;
  if (!(Number.isFinite(min) && Number.isFinite(max) && max > min)) {
    throw new Error(`heatmapOverlay: need finite min < max (got min ${min}, max ${max})`);
  }
  if (!(alpha >= 0 && alpha <= 1))
    throw new Error(`heatmapOverlay: alpha must be in [0,1] (got ${alpha})`);
  const n = map.width * map.height;
  const out = new Uint8Array(n * 3);
  const ch = image.channels;
  for (let i = 0; i < n; i++) {
    const k = heatIndex(map.data[i], min, max);
    for (let c = 0; c < 3; c++) {
      const base = Math.max(0, Math.min(1, image.data[i * ch + (ch === 3 ? c : 0)]));
      out[3 * i + c] = Math.round((1 - alpha) * 255 * base + alpha * HEAT_COLORMAP[k + c]);
    }
  }
  return { width: map.width, height: map.height, data: out };
}

/** Offset into HEAT_COLORMAP of a score on the scale [min, max] (clamped; NaN at the bottom). */
function heatIndex(v: number, min: number, max: number): number {
  const t = max > min ? (v - min) / (max - min) : 0;
  return 3 * Math.round(255 * Math.max(0, Math.min(1, Number.isNaN(t) ? 0 : t)));
}

/**
 * A map coloured with HEAT_COLORMAP on the scale [min, max], as RGB bytes (HWC). The same
 * colours as heatmapOverlay at alpha 1, for previews that show the map alone.
 */
export function heatColors(map: ScoreMap, min: number, max: number): Uint8Array {
  const out = new Uint8Array(map.data.length * 3);
  for (let i = 0; i < map.data.length; i++) {
    const k = heatIndex(map.data[i], min, max);
    out[3 * i] = HEAT_COLORMAP[k];
    out[3 * i + 1] = HEAT_COLORMAP[k + 1];
    out[3 * i + 2] = HEAT_COLORMAP[k + 2];
  }
  return out;
}

/** Min and max of a map, ignoring NaN; an empty or all-NaN map gives {0, 0}. */
export function mapRange(map: { data: ArrayLike<number> }): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < map.data.length; i++) {
    const v = map.data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return Number.isFinite(min) && Number.isFinite(max) ? { min, max } : { min: 0, max: 0 };
}
