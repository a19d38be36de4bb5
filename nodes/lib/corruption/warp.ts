/**
 * OpenCV-compatible affine warp (bilinear, constant border) on float HWC rasters.
 * Hand-written because the CutPaste golden vectors need OpenCV's exact sampling grid:
 * `cv::warpAffine` inverts the matrix, maps every destination pixel with 10-bit fixed point,
 * rounds the source position to 1/32 pixel (INTER_BITS = 5) and blends the four neighbours
 * with float32 weights from a 32×32 table. sharp's affine uses a different sampler.
 */
import type { FloatImage } from "../../sdk/image.ts";

/** Row-major 2×3 forward matrix [a, b, c, d, e, f]: x' = a·x + b·y + c, y' = d·x + e·y + f. */
export type Affine2x3 = readonly [number, number, number, number, number, number];

const INTER_BITS = 5;
const INTER_TAB_SIZE = 1 << INTER_BITS;
const AB_BITS = 10;
const AB_SCALE = 1 << AB_BITS;
const ROUND_DELTA = AB_SCALE / INTER_TAB_SIZE / 2;
const INT_MAX = 2147483647;
const INT_MIN = -2147483648;

/** OpenCV's saturate_cast<int>(double): round half to even, then clamp. */
function satInt(v: number): number {
  let r = Math.round(v);
  if (r - v === 0.5 && r % 2 !== 0) r -= 1;
  return Math.min(INT_MAX, Math.max(INT_MIN, r));
}

/**
 * Bilinear weights for each of the 32×32 sub-pixel positions, as float32 products of the
 * 1-D weights (1 − t, t), t = k/32 — these products are exact in float32.
 */
const WEIGHTS: Float32Array = (() => {
  const tab = new Float32Array(INTER_TAB_SIZE * INTER_TAB_SIZE * 4);
  for (let i = 0; i < INTER_TAB_SIZE; i++) {
    const fy = Math.fround(i / INTER_TAB_SIZE);
    const wy = [Math.fround(1 - fy), fy];
    for (let j = 0; j < INTER_TAB_SIZE; j++) {
      const fx = Math.fround(j / INTER_TAB_SIZE);
      const wx = [Math.fround(1 - fx), fx];
      const o = (i * INTER_TAB_SIZE + j) * 4;
      tab[o] = wy[0] * wx[0];
      tab[o + 1] = wy[0] * wx[1];
      tab[o + 2] = wy[1] * wx[0];
      tab[o + 3] = wy[1] * wx[1];
    }
  }
  return tab;
})();

/** Inverse of a 2×3 affine map exactly as cv::warpAffine computes it (singular → zeros). */
export function invertAffine(m: Affine2x3): Affine2x3 {
  let d = m[0] * m[4] - m[1] * m[3];
  d = d !== 0 ? 1 / d : 0;
  const a11 = m[4] * d;
  const a22 = m[0] * d;
  const a12 = m[1] * -d;
  const a21 = m[3] * -d;
  const b1 = -a11 * m[2] - a12 * m[5];
  const b2 = -a21 * m[2] - a22 * m[5];
  return [a11, a12, b1, a21, a22, b2];
}

/** Raw planar description of an interleaved raster accepted by `warpAffineData`. */
export interface RasterData {
  width: number;
  height: number;
  channels: number;
  data: Float32Array | Float64Array;
}

function checkMatrix(m: Affine2x3): void {
  if (m.length !== 6 || !m.every(Number.isFinite)) {
    throw new Error(
      `warpAffine: matrix must be 6 finite numbers [a, b, c, d, e, f], got [${m.join(", ")}]`,
    );
  }
}

/**
 * Warps an interleaved raster (any channel count, float32 or float64 samples) with forward
 * matrix `m` (source → destination, as passed to cv2.warpAffine without WARP_INVERSE_MAP)
 * into an `outWidth`×`outHeight` raster of the same sample type, bilinear, constant border
 * `borderValue` (default 0). The float32 sum is emulated so float32 images match OpenCV.
 */
export function warpAffineData<T extends Float32Array | Float64Array>(
  src: RasterData & { data: T },
  m: Affine2x3,
  outWidth: number = src.width,
  outHeight: number = src.height,
  borderValue = 0,
): T {
  checkMatrix(m);
  const { width: sw, height: sh, channels: cn, data: s } = src;
  if (s.length !== sw * sh * cn) {
    throw new Error(
      `warpAffine: data length ${s.length} does not match ${sw}x${sh}x${cn}; pass a consistent raster`,
    );
  }
  if (
    !Number.isInteger(outWidth) ||
    !Number.isInteger(outHeight) ||
    outWidth < 1 ||
    outHeight < 1
  ) {
    throw new Error(
      `warpAffine: output size must be positive integers, got ${outWidth}x${outHeight}`,
    );
  }
  const f32 = s instanceof Float32Array;
  const r = f32 ? Math.fround : (v: number) => v;
  const out = (
    f32 ? new Float32Array(outWidth * outHeight * cn) : new Float64Array(outWidth * outHeight * cn)
  ) as T;
  const inv = invertAffine(m);
  const adelta = new Int32Array(outWidth);
  const bdelta = new Int32Array(outWidth);
  for (let x = 0; x < outWidth; x++) {
    adelta[x] = satInt(inv[0] * x * AB_SCALE);
    bdelta[x] = satInt(inv[3] * x * AB_SCALE);
  }
  const rowStride = sw * cn;
  for (let y = 0; y < outHeight; y++) {
    const x0 = satInt((inv[1] * y + inv[2]) * AB_SCALE) + ROUND_DELTA;
    const y0 = satInt((inv[4] * y + inv[5]) * AB_SCALE) + ROUND_DELTA;
    for (let x = 0; x < outWidth; x++) {
      const X = (x0 + adelta[x]) >> (AB_BITS - INTER_BITS);
      const Y = (y0 + bdelta[x]) >> (AB_BITS - INTER_BITS);
      // OpenCV saturates these to int16; below 32767 px both values fall outside alike.
      const sx = X >> INTER_BITS;
      const sy = Y >> INTER_BITS;
      const wo = ((Y & (INTER_TAB_SIZE - 1)) * INTER_TAB_SIZE + (X & (INTER_TAB_SIZE - 1))) * 4;
      const w0 = WEIGHTS[wo];
      const w1 = WEIGHTS[wo + 1];
      const w2 = WEIGHTS[wo + 2];
      const w3 = WEIGHTS[wo + 3];
      const o = (y * outWidth + x) * cn;
      if (sx >= 0 && sx < sw - 1 && sy >= 0 && sy < sh - 1) {
        const p = sy * rowStride + sx * cn;
        // Two copies of the blend so the hot loop calls Math.fround directly (monomorphic).
        if (f32) {
          const fr = Math.fround;
          for (let k = 0; k < cn; k++) {
            const q = p + k;
            out[o + k] = fr(
              fr(fr(fr(s[q] * w0) + fr(s[q + cn] * w1)) + fr(s[q + rowStride] * w2)) +
                fr(s[q + rowStride + cn] * w3),
            );
          }
        } else {
          for (let k = 0; k < cn; k++) {
            const q = p + k;
            out[o + k] =
              s[q] * w0 + s[q + cn] * w1 + s[q + rowStride] * w2 + s[q + rowStride + cn] * w3;
          }
        }
      } else if (sx >= sw || sx + 1 < 0 || sy >= sh || sy + 1 < 0) {
        for (let k = 0; k < cn; k++) out[o + k] = borderValue;
      } else {
        // Partly outside: missing neighbours take the border value, as OpenCV's slow path.
        const in0 = sx >= 0 && sx < sw;
        const in1 = sx + 1 >= 0 && sx + 1 < sw;
        const inY0 = sy >= 0 && sy < sh;
        const inY1 = sy + 1 >= 0 && sy + 1 < sh;
        const p00 = in0 && inY0 ? sy * rowStride + sx * cn : -1;
        const p01 = in1 && inY0 ? sy * rowStride + (sx + 1) * cn : -1;
        const p10 = in0 && inY1 ? (sy + 1) * rowStride + sx * cn : -1;
        const p11 = in1 && inY1 ? (sy + 1) * rowStride + (sx + 1) * cn : -1;
        for (let k = 0; k < cn; k++) {
          const v0 = p00 >= 0 ? s[p00 + k] : borderValue;
          const v1 = p01 >= 0 ? s[p01 + k] : borderValue;
          const v2 = p10 >= 0 ? s[p10 + k] : borderValue;
          const v3 = p11 >= 0 ? s[p11 + k] : borderValue;
          out[o + k] = r(r(r(r(v0 * w0) + r(v1 * w1)) + r(v2 * w2)) + r(v3 * w3));
        }
      }
    }
  }
  return out;
}

/**
 * `cv2.warpAffine(img, m, (outWidth, outHeight), INTER_LINEAR, BORDER_CONSTANT, 0)` on a
 * FloatImage (HWC float32, 1 or 3 channels). Output defaults to the input size.
 */
export function warpAffine(
  img: FloatImage,
  m: Affine2x3,
  outWidth: number = img.width,
  outHeight: number = img.height,
): FloatImage {
  const data = warpAffineData(img, m, outWidth, outHeight, 0);
  return { width: outWidth, height: outHeight, channels: img.channels, data };
}

/**
 * Forward matrix of an imgaug-style rotation by `degrees` about the image centre
 * ((w/2 − 0.5, h/2 − 0.5) in pixel-centre coordinates). Positive angles turn the content
 * clockwise on screen (y axis pointing down), as imgaug's Affine(rotate=…).
 */
export function centreRotationMatrix(width: number, height: number, degrees: number): Affine2x3 {
  const t = (degrees * Math.PI) / 180;
  const c = Math.cos(t);
  const s = Math.sin(t);
  const cx = width / 2 - 0.5;
  const cy = height / 2 - 0.5;
  return [c, -s, cx - c * cx + s * cy, s, c, cy - s * cx - c * cy];
}

/**
 * Rotates a raster about its centre by `degrees` (imgaug Affine(rotate) semantics: same
 * size, bilinear, fill 0). Used for the training rotation and the Perlin-noise rotation.
 */
export function rotateAboutCentre(img: FloatImage, degrees: number): FloatImage;
export function rotateAboutCentre<T extends Float32Array | Float64Array>(
  img: RasterData & { data: T },
  degrees: number,
): RasterData & { data: T };
export function rotateAboutCentre(img: RasterData, degrees: number): RasterData {
  if (!Number.isFinite(degrees)) {
    throw new Error(`rotateAboutCentre: degrees must be a finite number, got ${degrees}`);
  }
  const m = centreRotationMatrix(img.width, img.height, degrees);
  return { ...img, data: warpAffineData(img, m) };
}
