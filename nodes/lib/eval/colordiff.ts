/**
 * EdgRec colour-difference map A_color, in the authors' exact form ("reference") or in the
 * form the paper describes ("corrected"). See COLOR_DIFF_DESCRIPTION.
 */
import type { FloatImage, ScoreMap } from "../../sdk/image.ts";
import { rgbToLab8Image, rgbToLabFloat } from "./color.ts";
import { boxBlurU8, meanFilter } from "./filters.ts";
import { assertOddSize, assertRaster, assertSameShape } from "./validate.ts";

/** Which colour map to compute. */
export type ColorDiffMode = "reference" | "corrected";

export interface ColorDiffOptions {
  /** Odd box-filter side. Default 11. */
  readonly filterSize?: number;
  /** Factor applied to the filtered map (the paper's c). Default 0.001. */
  readonly scale?: number;
}

/** User-facing explanation of the two colour-map modes. */
export const COLOR_DIFF_DESCRIPTION = `Colour difference map (A_color): how far the a/b chroma of the \
reconstruction is from the original, smoothed by a box filter and scaled (default 0.001).
- "reference" reproduces the authors' code bit for bit: images are multiplied by 180 (not 255) \
and cast to uint8 (values outside [0,255] wrap modulo 256 after truncation, as observed on the \
reference machine), converted with OpenCV's 8-bit Lab, and the squared a/b differences are \
summed in uint8 arithmetic, so they wrap modulo 256: a chroma difference of 16 scores 0 and the \
map is not monotone in the colour difference. An 11x11 OpenCV box blur with integer rounding \
follows. Use it to reproduce published numbers.
- "corrected" is what the paper describes: images in [0,1] (clamped) are converted to float \
CIELAB (sRGB, D65), the squared a/b differences are summed without any wrap-around, and an \
11x11 float mean filter (reflect-101 border) is applied. Larger colour changes always score \
higher. Use it for new models and production.`;

/**
 * The reference's 8-bit cast of x·180: float32 product, truncation toward zero, then wrap
 * modulo 256 (numpy's float→uint8 cast on x86-64 for out-of-range values; e.g. −1.8 → 255,
 * 270 → 14). Beyond ±2^31 the reference is undefined; we keep applying truncate-and-wrap.
 * @param img 3-channel RGB float image.
 * @returns HWC uint8 RGB.
 * @throws when a value is NaN or infinite (a broken reconstruction, not a colour).
 */
export function scaleTo180U8(img: FloatImage): Uint8Array {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = Math.fround(img.data[i] * 180);
    if (!Number.isFinite(v)) {
      throw new Error(
        `colorDiff: image value ${img.data[i]} at index ${i} is not finite; ` +
          "check the reconstruction for NaN/Infinity",
      );
    }
    const t = Math.trunc(v) % 256;
    out[i] = t < 0 ? t + 256 : t;
  }
  return out;
}

function assertFinite(img: FloatImage): void {
  for (let i = 0; i < img.data.length; i++) {
    if (!Number.isFinite(img.data[i])) {
      throw new Error(
        `colorDiff: image value ${img.data[i]} at index ${i} is not finite; ` +
          "check the reconstruction for NaN/Infinity",
      );
    }
  }
}

function checkInputs(orig: FloatImage, rec: FloatImage, opts: ColorDiffOptions) {
  assertRaster("colorDiff", "orig", orig, orig.channels);
  assertRaster("colorDiff", "rec", rec, rec.channels);
  assertSameShape("colorDiff", ["orig", "rec"], orig, rec);
  for (const [name, img] of [
    ["orig", orig],
    ["rec", rec],
  ] as const) {
    if (img.channels !== 3) {
      throw new Error(
        `colorDiff: ${name} must be a 3-channel RGB image, got ${img.channels} channel(s)`,
      );
    }
  }
  const filterSize = opts.filterSize ?? 11;
  const scale = opts.scale ?? 0.001;
  assertOddSize("colorDiff", "filterSize", filterSize);
  if (!Number.isFinite(scale))
    throw new Error(`colorDiff: scale must be a finite number (got ${scale})`);
  return { filterSize, scale };
}

function referenceMap(
  orig: FloatImage,
  rec: FloatImage,
  filterSize: number,
  scale: number,
): ScoreMap {
  const labO = rgbToLab8Image(scaleTo180U8(orig));
  const labR = rgbToLab8Image(scaleTo180U8(rec));
  const n = orig.width * orig.height;
  const q = new Uint8Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const da = labO[j + 1] - labR[j + 1];
    const db = labO[j + 2] - labR[j + 2];
    q[i] = (da * da + db * db) & 255; // the reference's uint8 arithmetic wraps here
  }
  const blurred = boxBlurU8(q, orig.width, orig.height, filterSize);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = blurred[i] * scale;
  return { width: orig.width, height: orig.height, data };
}

function correctedMap(
  orig: FloatImage,
  rec: FloatImage,
  filterSize: number,
  scale: number,
): ScoreMap {
  assertFinite(orig);
  assertFinite(rec);
  const labO = rgbToLabFloat(orig);
  const labR = rgbToLabFloat(rec);
  const n = orig.width * orig.height;
  const d = new Float64Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const da = labO[j + 1] - labR[j + 1];
    const db = labO[j + 2] - labR[j + 2];
    d[i] = da * da + db * db;
  }
  const smoothed = meanFilter(
    { width: orig.width, height: orig.height, data: d },
    filterSize,
    "reflect101",
  );
  for (let i = 0; i < n; i++) smoothed.data[i] *= scale;
  return smoothed;
}

/**
 * Colour-difference map between an original and its reconstruction.
 * @param orig original, 3-channel RGB float32 in [0,1].
 * @param rec reconstruction, same size, 3 channels, may leave [0,1].
 * @param mode "reference" (authors' code, bit-exact) or "corrected" (paper's intent).
 * @param opts filterSize (odd, default 11), scale (default 0.001).
 * @returns float64 map, same size. Reference values are integers × scale, in [0, 255·scale].
 * @throws on size/channel mismatch, empty images, even filter size or non-finite values.
 */
export function colorDiff(
  orig: FloatImage,
  rec: FloatImage,
  mode: ColorDiffMode,
  opts: ColorDiffOptions = {},
): ScoreMap {
  const { filterSize, scale } = checkInputs(orig, rec, opts);
  if (mode === "reference") return referenceMap(orig, rec, filterSize, scale);
  if (mode === "corrected") return correctedMap(orig, rec, filterSize, scale);
  throw new Error(`colorDiff: mode must be "reference" or "corrected" (got ${String(mode)})`);
}
