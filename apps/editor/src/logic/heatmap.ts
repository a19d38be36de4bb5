/**
 * Browser-side recombination of a sample's colour and structure maps into a coloured heat map
 * (RGBA for a canvas ImageData), so a weight slider updates the selected sample without a
 * round trip. Pure functions over typed arrays: the bench times the same code in Node.
 */
import { HEAT_COLORMAP } from "../../../../nodes/lib/eval/heatmap.ts";

export interface PaintOptions {
  wColor: number;
  wStructure: number;
  /** Colour scale: score at the bottom and at the top of the ramp. */
  min: number;
  max: number;
  /** Opacity of the heat colours, 0..255. Default 255. */
  alpha?: number;
}

/**
 * Writes w_c·color + w_s·structure, coloured on [min, max] (clamped), into `out` (RGBA).
 * @param color,structure float32 maps of n pixels; @param out RGBA bytes, length 4n.
 * @returns the maximum combined value (the sample's image score).
 */
export function paintHeatmap(
  out: Uint8ClampedArray,
  color: Float32Array,
  structure: Float32Array,
  o: PaintOptions,
): number {
  const n = color.length;
  if (structure.length !== n || out.length !== 4 * n) {
    throw new Error(
      `paintHeatmap: colour has ${n} values, structure ${structure.length}, output ${out.length} bytes (expected ${4 * n})`,
    );
  }
  const span = o.max - o.min;
  const scale = span > 0 ? 255 / span : 0;
  const alpha = o.alpha ?? 255;
  const lut = HEAT_COLORMAP;
  let best = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = o.wColor * color[i] + o.wStructure * structure[i];
    if (v > best) best = v;
    let k = (v - o.min) * scale;
    k = k > 0 ? (k < 255 ? Math.round(k) : 255) : 0;
    const j = 4 * i;
    const c = 3 * k;
    out[j] = lut[c];
    out[j + 1] = lut[c + 1];
    out[j + 2] = lut[c + 2];
    out[j + 3] = alpha;
  }
  return best;
}

/** Min and max of w_c·color + w_s·structure (the per-image colour scale). */
export function combinedRange(
  color: Float32Array,
  structure: Float32Array,
  wColor: number,
  wStructure: number,
): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < color.length; i++) {
    const v = wColor * color[i] + wStructure * structure[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return Number.isFinite(min) ? { min, max } : { min: 0, max: 0 };
}

/**
 * RGBA of the predicted mask (combined > threshold, filled translucent red) and the
 * ground-truth outline (mask pixels with a non-mask 4-neighbour, opaque green).
 * @param mask 1 = defect pixel, row-major width·height.
 */
export function paintMasks(
  out: Uint8ClampedArray,
  color: Float32Array,
  structure: Float32Array,
  mask: Uint8Array,
  width: number,
  height: number,
  o: { wColor: number; wStructure: number; threshold?: number },
): { predicted: number } {
  let predicted = 0;
  const t = o.threshold;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const j = 4 * i;
      const m = mask[i];
      const edge =
        m === 1 &&
        (x === 0 ||
          y === 0 ||
          x === width - 1 ||
          y === height - 1 ||
          !mask[i - 1] ||
          !mask[i + 1] ||
          !mask[i - width] ||
          !mask[i + width]);
      const pred = t !== undefined && o.wColor * color[i] + o.wStructure * structure[i] > t ? 1 : 0;
      predicted += pred;
      if (edge) {
        out[j] = 80;
        out[j + 1] = 230;
        out[j + 2] = 120;
        out[j + 3] = 255;
        continue;
      }
      out[j] = 247;
      out[j + 1] = 80;
      out[j + 2] = 110;
      out[j + 3] = pred ? 120 : 0;
    }
  }
  return { predicted };
}
