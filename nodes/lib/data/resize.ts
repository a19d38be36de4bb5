/**
 * Bilinear resize with the semantics of OpenCV `cv2.resize(src, (w, h), INTER_LINEAR)`, which the
 * reference uses for images, textures and masks (EDGREC.md §0). Hand-written because sharp/libvips
 * resample with different pixel-centre and rounding rules, and the reference numbers depend on
 * OpenCV's exact ones:
 * - source coordinate of output pixel d: `float((d + 0.5) * scale - 0.5)`, scale = 1 / (dst / src)
 *   in double precision; neighbours are clamped at the borders;
 * - uint8 input uses 11-bit fixed-point weights (INTER_RESIZE_COEF_BITS = 11) and OpenCV's
 *   rounding of the vertical pass; float input is computed in float32;
 * - an exact 2× reduction on both axes is done as a 2×2 average (OpenCV switches to INTER_AREA
 *   there; for uint8 the result is the same as the bilinear formula).
 */
import type { FloatImage } from "../../sdk/image.ts";
import { assertRaster, exactU8Of, floatToU8, type U8Image, u8ToFloat } from "./raster.ts";

const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS;

/** Interpolation taps along one axis: neighbours i0/i1 and the float32 fraction toward i1. */
interface AxisTaps {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly frac: Float32Array;
}

/**
 * OpenCV resets the horizontal fraction to 0 when the left neighbour falls outside the source;
 * the vertical one keeps its fraction and clamps both rows instead. Both give clamp-to-edge
 * values, but the float rounding differs, so the two axes are built separately.
 */
function axisTaps(srcLen: number, dstLen: number, horizontal: boolean): AxisTaps {
  const scale = 1 / (dstLen / srcLen);
  const i0 = new Int32Array(dstLen);
  const i1 = new Int32Array(dstLen);
  const frac = new Float32Array(dstLen);
  const last = srcLen - 1;
  for (let d = 0; d < dstLen; d++) {
    const f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    let fr = Math.fround(f - s);
    if (horizontal) {
      if (s < 0) {
        s = 0;
        fr = 0;
      }
      if (s >= last) {
        s = last;
        fr = 0;
      }
      i0[d] = s;
      i1[d] = Math.min(s + 1, last);
    } else {
      i0[d] = Math.min(Math.max(s, 0), last);
      i1[d] = Math.min(Math.max(s + 1, 0), last);
    }
    frac[d] = fr;
  }
  return { i0, i1, frac };
}

/** OpenCV's saturate_cast<short>(float): round half to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function checkTarget(what: string, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`${what}: target size must be positive integers, got ${width}x${height}`);
  }
}

function isExactHalf(src: { width: number; height: number }, w: number, h: number): boolean {
  return src.width === 2 * w && src.height === 2 * h;
}

/**
 * Bit-exact OpenCV INTER_LINEAR resize of an 8-bit HWC image (1 or 3 channels).
 * @returns a new U8Image of `width`×`height`, same channel count.
 */
export function resizeU8(src: U8Image, width: number, height: number): U8Image {
  assertRaster("resizeU8 input", src);
  checkTarget("resizeU8", width, height);
  const cn = src.channels;
  if (src.width === width && src.height === height) {
    return { width, height, channels: cn, data: src.data.slice() };
  }
  const out = new Uint8Array(width * height * cn);
  const s = src.data;
  if (isExactHalf(src, width, height)) {
    const stride = src.width * cn;
    for (let y = 0; y < height; y++) {
      const r0 = 2 * y * stride;
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < cn; c++) {
          const p = r0 + 2 * x * cn + c;
          const sum = s[p] + s[p + cn] + s[p + stride] + s[p + stride + cn];
          out[(y * width + x) * cn + c] = (sum + 2) >> 2;
        }
      }
    }
    return { width, height, channels: cn, data: out };
  }
  const hx = axisTaps(src.width, width, true);
  const vy = axisTaps(src.height, height, false);
  const rowLen = width * cn;
  // Horizontal pass per source row (cached: consecutive output rows share source rows).
  const alpha0 = new Int32Array(width);
  const alpha1 = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    const f = hx.frac[x];
    alpha0[x] = roundHalfEven(Math.fround(1 - f) * COEF_SCALE);
    alpha1[x] = roundHalfEven(f * COEF_SCALE);
  }
  const cache = new Map<number, Int32Array>();
  const hrow = (sy: number): Int32Array => {
    let row = cache.get(sy);
    if (row) return row;
    row = new Int32Array(rowLen);
    const base = sy * src.width * cn;
    for (let x = 0; x < width; x++) {
      const p0 = base + hx.i0[x] * cn;
      const p1 = base + hx.i1[x] * cn;
      for (let c = 0; c < cn; c++) {
        row[x * cn + c] = s[p0 + c] * alpha0[x] + s[p1 + c] * alpha1[x];
      }
    }
    if (cache.size > 4) cache.delete(cache.keys().next().value as number);
    cache.set(sy, row);
    return row;
  };
  for (let y = 0; y < height; y++) {
    const f = vy.frac[y];
    const b0 = roundHalfEven(Math.fround(1 - f) * COEF_SCALE);
    const b1 = roundHalfEven(f * COEF_SCALE);
    const r0 = hrow(vy.i0[y]);
    const r1 = hrow(vy.i1[y]);
    const o = y * rowLen;
    for (let i = 0; i < rowLen; i++) {
      // OpenCV's uint8 vertical pass (scalar and SIMD alike): pre-shift by 4, take the high
      // 16 bits of each product, then a rounding shift by 2.
      const v = (((b0 * (r0[i] >> 4)) >> 16) + ((b1 * (r1[i] >> 4)) >> 16) + 2) >> 2;
      out[o + i] = Math.min(v, 255);
    }
  }
  return { width, height, channels: cn, data: out };
}

/**
 * OpenCV INTER_LINEAR resize of a float32 HWC image (1 or 3 channels), computed in float32
 * like OpenCV's CV_32F path (agrees with it to about 1 ulp). Values are not clamped.
 */
export function resizeFloat(src: FloatImage, width: number, height: number): FloatImage {
  assertRaster("resizeFloat input", src);
  checkTarget("resizeFloat", width, height);
  const cn = src.channels;
  if (src.width === width && src.height === height) {
    return { width, height, channels: cn, data: src.data.slice() };
  }
  const f32 = Math.fround;
  const out = new Float32Array(width * height * cn);
  const s = src.data;
  if (isExactHalf(src, width, height)) {
    const stride = src.width * cn;
    for (let y = 0; y < height; y++) {
      const r0 = 2 * y * stride;
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < cn; c++) {
          const p = r0 + 2 * x * cn + c;
          const top = f32(s[p] + s[p + cn]);
          const bottom = f32(s[p + stride] + s[p + stride + cn]);
          out[(y * width + x) * cn + c] = f32(top + bottom) * 0.25;
        }
      }
    }
    return { width, height, channels: cn, data: out };
  }
  const hx = axisTaps(src.width, width, true);
  const vy = axisTaps(src.height, height, false);
  const rowLen = width * cn;
  const cache = new Map<number, Float32Array>();
  const hrow = (sy: number): Float32Array => {
    let row = cache.get(sy);
    if (row) return row;
    row = new Float32Array(rowLen);
    const base = sy * src.width * cn;
    for (let x = 0; x < width; x++) {
      const a1 = hx.frac[x];
      const a0 = f32(1 - a1);
      const p0 = base + hx.i0[x] * cn;
      const p1 = base + hx.i1[x] * cn;
      for (let c = 0; c < cn; c++) row[x * cn + c] = f32(s[p0 + c] * a0) + f32(s[p1 + c] * a1);
    }
    if (cache.size > 4) cache.delete(cache.keys().next().value as number);
    cache.set(sy, row);
    return row;
  };
  for (let y = 0; y < height; y++) {
    const b1 = vy.frac[y];
    const b0 = f32(1 - b1);
    const r0 = hrow(vy.i0[y]);
    const r1 = hrow(vy.i1[y]);
    const o = y * rowLen;
    for (let i = 0; i < rowLen; i++) out[o + i] = f32(r0[i] * b0) + f32(r1[i] * b1);
  }
  return { width, height, channels: cn, data: out };
}

/** How `resizeImage` picks its arithmetic. */
export type ResizeMode = "auto" | "u8" | "float";

/**
 * Resizes a float image the way the reference would. In "auto" mode (default) an image whose
 * values are all exactly float32(k/255) (i.e. it was decoded from an 8-bit file) goes through
 * the bit-exact uint8 path and comes back as k'/255, as the reference does (resize on uint8,
 * then /255); any other image uses the float path. "u8" first rounds to 8 bits (floatToU8).
 */
export function resizeImage(
  src: FloatImage,
  width: number,
  height: number,
  mode: ResizeMode = "auto",
): FloatImage {
  if (mode === "float") return resizeFloat(src, width, height);
  const u8 = exactU8Of(src) ?? (mode === "u8" ? floatToU8(src) : undefined);
  return u8 ? u8ToFloat(resizeU8(u8, width, height)) : resizeFloat(src, width, height);
}
