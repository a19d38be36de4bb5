/**
 * Colour conversions used by the EdgRec evaluation: OpenCV's float gray formula, OpenCV's
 * 8-bit fixed-point RGB→Lab (bit-exact, EDGREC.md §6.1) and a float CIELAB for the corrected
 * colour map. Hand-written because no JS library reproduces OpenCV's integer Lab tables.
 */
import { createImage, type FloatImage } from "../../sdk/image.ts";
import { assertRaster } from "./validate.ts";

// OpenCV's gray weights as float32 constants (its float path multiplies in float32).
const GRAY_R = Math.fround(0.299);
const GRAY_G = Math.fround(0.587);
const GRAY_B = Math.fround(0.114);

/**
 * Gray = 0.299·R + 0.587·G + 0.114·B in float32, evaluated like OpenCV's SIMD float path
 * (B·0.114 rounded, then two fused multiply-adds for G and R), so results equal
 * `cv2.cvtColor(BGR2GRAY)` on float32 images bit for bit on the golden colours.
 * @param img colour image (3 channels, RGB, [0,1]); a 1-channel image is returned as a copy.
 * @returns 1-channel float32 image of the same size.
 * @throws when the image is empty or its data length does not match its shape.
 */
export function toGray(img: FloatImage): FloatImage {
  assertRaster("toGray", "img", img, img.channels);
  const out = createImage(img.width, img.height, 1);
  const n = img.width * img.height;
  const src = img.data;
  if (img.channels === 1) {
    out.data.set(src);
    return out;
  }
  const f = Math.fround;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    // A float32×float32 product is exact in double, so `a*b + c` rounded once to float32
    // emulates a fused multiply-add.
    out.data[i] = f(src[j] * GRAY_R + f(src[j + 1] * GRAY_G + f(src[j + 2] * GRAY_B)));
  }
  return out;
}

/** Integer tables of OpenCV's 8-bit Lab conversion (EDGREC.md §6.1). */
export interface Lab8Tables {
  /** 256 entries: round(2040·sRGBgamma(i/255)). */
  readonly gamma: Uint16Array;
  /** 3072 entries: round(32768·f(i/2040)), with OpenCV's two off-by-one entries. */
  readonly cbrt: Uint16Array;
  /** Rows X, Y, Z; columns R, G, B; scaled by 4096 and divided by the D65 white point. */
  readonly coeffs: Int32Array;
}

/** sRGB→XYZ matrix (rows X, Y, Z; columns R, G, B) and D65 white point, as OpenCV uses them. */
export const SRGB_TO_XYZ = [
  [0.412453, 0.35758, 0.180423],
  [0.212671, 0.71516, 0.072169],
  [0.019334, 0.119193, 0.950227],
] as const;
export const D65_WHITE = [0.950456, 1, 1.088754] as const;

/** sRGB decoding curve (x in [0,1], any finite x accepted). */
export function srgbToLinear(x: number): number {
  return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
}

/** CIELAB companding function f(t). */
function labF(t: number): number {
  return t >= 216 / 24389 ? Math.cbrt(t) : (t * 841) / 108 + 16 / 116;
}

/** Round half to even, as OpenCV's cvRound / saturate_cast does. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Builds OpenCV's 8-bit Lab tables from the rule in EDGREC.md §6.1. OpenCV evaluates the cube
 * root with its own software float routine, which rounds two near-tie entries (49 and 628) the
 * other way from a double-precision evaluation; those two are set to OpenCV's values.
 */
export function buildLab8Tables(): Lab8Tables {
  const gamma = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    const x = Math.fround(i / 255);
    gamma[i] = roundHalfEven(Math.fround(2040 * Math.fround(srgbToLinear(x))));
  }
  const cbrt = new Uint16Array(3072);
  for (let i = 0; i < 3072; i++) cbrt[i] = Math.round(32768 * labF(i / 2040));
  cbrt[49] = 9454;
  cbrt[628] = 22126;
  const coeffs = new Int32Array(9);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++)
      coeffs[r * 3 + c] = Math.round((4096 * SRGB_TO_XYZ[r][c]) / D65_WHITE[r]);
  }
  return { gamma, cbrt, coeffs };
}

const TABLES = buildLab8Tables();

function clampU8(v: number): number {
  return Math.max(0, Math.min(255, v));
}

/** Converts one pixel; writes L, a, b (OpenCV 8-bit encoding) into out[o..o+2]. */
function lab8Into(r: number, g: number, b: number, out: Uint8Array, o: number): void {
  const { gamma, cbrt, coeffs: k } = TABLES;
  const R = gamma[r];
  const G = gamma[g];
  const B = gamma[b];
  const fX = cbrt[(R * k[0] + G * k[1] + B * k[2] + 2048) >> 12];
  const fY = cbrt[(R * k[3] + G * k[4] + B * k[5] + 2048) >> 12];
  const fZ = cbrt[(R * k[6] + G * k[7] + B * k[8] + 2048) >> 12];
  out[o] = clampU8((296 * fY - 1336934 + 16384) >> 15);
  out[o + 1] = clampU8((500 * (fX - fY) + 4194304 + 16384) >> 15);
  out[o + 2] = clampU8((200 * (fY - fZ) + 4194304 + 16384) >> 15);
}

/**
 * OpenCV 8-bit RGB→Lab of one colour, bit-exact with `cv2.cvtColor(COLOR_RGB2LAB)` on uint8.
 * @param r,g,b integers in [0,255].
 * @returns [L·255/100, a+128, b+128], each an integer in [0,255].
 */
export function rgbToLab8(r: number, g: number, b: number): [number, number, number] {
  for (const [name, v] of [
    ["r", r],
    ["g", g],
    ["b", b],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 255) {
      throw new Error(`rgbToLab8: ${name} must be an integer in [0,255] (got ${v})`);
    }
  }
  const out = new Uint8Array(3);
  lab8Into(r, g, b, out, 0);
  return [out[0], out[1], out[2]];
}

/**
 * Bulk OpenCV 8-bit RGB→Lab over an HWC uint8 RGB buffer.
 * @param rgb length 3·n, channel order R, G, B.
 * @returns HWC uint8 Lab (L, a, b) of the same length.
 */
export function rgbToLab8Image(rgb: Uint8Array): Uint8Array {
  if (rgb.length % 3 !== 0) {
    throw new Error(
      `rgbToLab8Image: rgb has ${rgb.length} bytes, expected a multiple of 3 (HWC RGB)`,
    );
  }
  const out = new Uint8Array(rgb.length);
  for (let i = 0; i < rgb.length; i += 3) lab8Into(rgb[i], rgb[i + 1], rgb[i + 2], out, i);
  return out;
}

/**
 * Float CIELAB (sRGB decoding, D65) of a colour image, no quantisation.
 * @param img 3-channel RGB image; values are clamped to [0,1] first because the sRGB curve is
 *   only defined there (a reconstruction can leave that range).
 * @returns Float64Array HWC with L* in [0,100], a* and b* in CIELAB units (about ±128).
 */
export function rgbToLabFloat(img: FloatImage): Float64Array {
  assertRaster("rgbToLabFloat", "img", img, 3);
  if (img.channels !== 3) {
    throw new Error(`rgbToLabFloat: img must have 3 channels (RGB), got ${img.channels}`);
  }
  const out = new Float64Array(img.data.length);
  const m = SRGB_TO_XYZ;
  const w = D65_WHITE;
  const clamp01 = (v: number) => Math.max(0, Math.min(1, v));
  for (let i = 0; i < img.data.length; i += 3) {
    const r = srgbToLinear(clamp01(img.data[i]));
    const g = srgbToLinear(clamp01(img.data[i + 1]));
    const b = srgbToLinear(clamp01(img.data[i + 2]));
    const fx = labF((m[0][0] * r + m[0][1] * g + m[0][2] * b) / w[0]);
    const fy = labF((m[1][0] * r + m[1][1] * g + m[1][2] * b) / w[1]);
    const fz = labF((m[2][0] * r + m[2][1] * g + m[2][2] * b) / w[2]);
    out[i] = 116 * fy - 16;
    out[i + 1] = 500 * (fx - fy);
    out[i + 2] = 200 * (fy - fz);
  }
  return out;
}
