/**
 * Texture augmentation pool of the DTD/Perlin branch (EDGREC.md §2.2, §2.3): ten augmenters
 * (plus two more for the no-DTD variant), three distinct ones drawn per sample and applied
 * in draw order. Implemented from each operation's definition (imgaug/PIL bit equality is
 * neither possible nor needed); ops defined on 8-bit values quantise to 8 bits first.
 */
import { z } from "zod";
import type { FloatImage } from "../../sdk/image.ts";
import type { Rng } from "../../sdk/rng.ts";
import { clamp01, hlsToRgb, hsvToRgb, luma, rgbToHls, rgbToHsv, toU8 } from "./colour.ts";
import { rotateAboutCentre } from "./warp.ts";

/** The ten DTD-version augmenters, in the reference's list order. */
export const DTD_AUGMENTERS = [
  "gamma",
  "brightness",
  "sharpness",
  "hueSaturation",
  "solarize",
  "posterize",
  "invert",
  "autocontrast",
  "equalize",
  "rotate",
] as const;

/** The twelve no-DTD augmenters: the ten above plus hue shift and channel dropout. */
export const NO_DTD_AUGMENTERS = [...DTD_AUGMENTERS, "hueShift", "channelDropout"] as const;

export type AugmenterName = (typeof NO_DTD_AUGMENTERS)[number];

const range = (lo: number, hi: number, what: string) =>
  z
    .tuple([z.number(), z.number()])
    .refine(([a, b]) => a <= b, { message: "range must be [lo, hi] with lo <= hi" })
    .default([lo, hi])
    .describe(what);

const prob = (p: number, what: string) => z.number().min(0).max(1).default(p).describe(what);

/** Ranges of every augmenter; defaults are the reference's (imgaug 0.4 defaults where unset). */
export const augmentParamsSchema = z.object({
  gamma: range(0.5, 2, "GammaContrast: per-channel gamma U(lo, hi); out = in^gamma"),
  brightnessMul: range(0.8, 1.2, "MultiplyAndAddToBrightness: brightness multiplier U(lo, hi)"),
  brightnessAdd: range(
    -30,
    30,
    "MultiplyAndAddToBrightness: brightness offset U(lo, hi), 8-bit units",
  ),
  sharpness: range(
    0,
    2,
    "EnhanceSharpness factor U(lo, hi): 0 = smoothed, 1 = unchanged, 2 = sharper",
  ),
  hueSaturation: range(
    -50,
    50,
    "AddToHueAndSaturation: hue and saturation offsets U(lo, hi), each drawn separately, 8-bit units (hue: 255 = full turn)",
  ),
  solarizeProbability: prob(0.5, "Solarize: probability that the image is solarized at all"),
  solarizeThreshold: range(32, 128, "Solarize: 8-bit levels >= threshold U(lo, hi) are inverted"),
  posterizeBits: range(1, 8, "Posterize: keep an integer number of bits in [lo, hi]"),
  autocontrastCutoff: range(
    0,
    20,
    "Autocontrast: integer percent in [lo, hi] cut from each histogram end",
  ),
  rotate: range(-45, 45, "Affine rotate: degrees U(lo, hi) about the centre, bilinear, fill 0"),
  hueShift: range(
    0,
    90,
    "No-DTD hue shift: add U(lo, hi) to the OpenCV 8-bit hue (0..180 = full turn)",
  ),
  channelDropoutProbability: prob(
    0.5,
    "No-DTD Dropout2d: probability of zeroing each channel (one is always kept)",
  ),
});

export type AugmentParams = z.infer<typeof augmentParamsSchema>;

/** Reference defaults of every augmenter parameter. */
export const defaultAugmentParams: AugmentParams = augmentParamsSchema.parse({});

type Op = (img: FloatImage, rng: Rng, p: AugmentParams) => FloatImage;

function like(img: FloatImage, data: Float32Array): FloatImage {
  return { width: img.width, height: img.height, channels: img.channels, data };
}

/**
 * Applies `f` to every RGB pixel (3-channel images only), returning a new clamped image.
 * `f` writes its result into the scratch triple it is given (no per-pixel allocation).
 */
function mapPixels(
  img: FloatImage,
  f: (r: number, g: number, b: number, out: Float64Array) => void,
): FloatImage {
  const s = img.data;
  const out = new Float32Array(s.length);
  const px = new Float64Array(3);
  for (let i = 0; i < s.length; i += 3) {
    f(s[i], s[i + 1], s[i + 2], px);
    out[i] = clamp01(px[0]);
    out[i + 1] = clamp01(px[1]);
    out[i + 2] = clamp01(px[2]);
  }
  return like(img, out);
}

/** Maps each channel's 8-bit levels through its own 256-entry table (values 0…255). */
function applyLuts(img: FloatImage, luts: ArrayLike<number>[]): FloatImage {
  const s = img.data;
  const cn = img.channels;
  const out = new Float32Array(s.length);
  for (let k = 0; k < cn; k++) {
    const lut = Float32Array.from(luts[k], (v) => v / 255);
    for (let i = k; i < s.length; i += cn) out[i] = lut[toU8(s[i])];
  }
  return like(img, out);
}

function histograms(img: FloatImage): Uint32Array[] {
  const cn = img.channels;
  const h = Array.from({ length: cn }, () => new Uint32Array(256));
  for (let k = 0; k < cn; k++) {
    const hk = h[k];
    for (let i = k; i < img.data.length; i += cn) hk[toU8(img.data[i])]++;
  }
  return h;
}

/** Per-channel gamma U(lo, hi) on 8-bit levels: 255·(v/255)^γ, rounded (imgaug's uint8 table). */
const gamma: Op = (img, rng, p) => {
  const luts = Array.from({ length: img.channels }, () => {
    const g = rng.uniform(p.gamma[0], p.gamma[1]);
    return Array.from({ length: 256 }, (_, v) => Math.round(255 * (v / 255) ** g));
  });
  return applyLuts(img, luts);
};

/**
 * Multiply then add (or add then multiply, random order) the brightness channel of a
 * randomly chosen space: YCrCb luma (Y), HSV value (V) or HLS lightness (L).
 */
const brightness: Op = (img, rng, p) => {
  const mul = rng.uniform(p.brightnessMul[0], p.brightnessMul[1]);
  const add = rng.uniform(p.brightnessAdd[0], p.brightnessAdd[1]) / 255;
  const space = rng.int(0, 3);
  const addFirst = rng.next() < 0.5;
  const f = (v: number) => (addFirst ? (v + add) * mul : v * mul + add);
  if (img.channels === 1) {
    const out = new Float32Array(img.data.length);
    for (let i = 0; i < out.length; i++) out[i] = clamp01(f(img.data[i]));
    return like(img, out);
  }
  return mapPixels(img, (r, g, b, out) => {
    if (space === 0) {
      const y = luma(r, g, b);
      const d = clamp01(f(y)) - y;
      out[0] = r + d;
      out[1] = g + d;
      out[2] = b + d;
    } else if (space === 1) {
      rgbToHsv(r, g, b, out);
      hsvToRgb(out[0], out[1], clamp01(f(out[2])), out);
    } else {
      rgbToHls(r, g, b, out);
      hlsToRgb(out[0], clamp01(f(out[1])), out[2], out);
    }
  });
};

/**
 * PIL ImageEnhance.Sharpness: blend with the SMOOTH-filtered image (3×3 kernel, centre 5,
 * others 1, /13; border pixels unfiltered) by factor U(lo, hi), on 8-bit values.
 */
const sharpness: Op = (img, rng, p) => {
  const factor = rng.uniform(p.sharpness[0], p.sharpness[1]);
  const { width: w, height: h, channels: cn } = img;
  const u8 = new Uint8Array(img.data.length);
  for (let i = 0; i < u8.length; i++) u8[i] = toU8(img.data[i]);
  const out = new Float32Array(u8.length);
  const row = w * cn;
  for (let i = 0; i < u8.length; i++) {
    const x = Math.floor(i / cn) % w;
    const y = Math.floor(i / row);
    let smooth = u8[i];
    if (y > 0 && x > 0 && y < h - 1 && x < w - 1) {
      const sum =
        u8[i - row - cn] +
        u8[i - row] +
        u8[i - row + cn] +
        u8[i - cn] +
        5 * u8[i] +
        u8[i + cn] +
        u8[i + row - cn] +
        u8[i + row] +
        u8[i + row + cn];
      smooth = Math.round(sum / 13);
    }
    const v = Math.round(smooth + factor * (u8[i] - smooth));
    out[i] = Math.min(255, Math.max(0, v)) / 255;
  }
  return like(img, out);
};

/** Adds separate U(lo, hi) offsets (8-bit units) to HSV hue (255 = full turn) and saturation. */
const hueSaturation: Op = (img, rng, p) => {
  const dh = (rng.uniform(p.hueSaturation[0], p.hueSaturation[1]) / 255) * 360;
  const ds = rng.uniform(p.hueSaturation[0], p.hueSaturation[1]) / 255;
  if (img.channels === 1) return img;
  return mapPixels(img, (r, g, b, out) => {
    rgbToHsv(r, g, b, out);
    hsvToRgb(out[0] + dh, clamp01(out[1] + ds), out[2], out);
  });
};

/** With probability p, inverts every 8-bit level >= threshold U(lo, hi). */
const solarize: Op = (img, rng, p) => {
  const apply = rng.next() < p.solarizeProbability;
  const thr = rng.uniform(p.solarizeThreshold[0], p.solarizeThreshold[1]);
  if (!apply) return img;
  const lut = Array.from({ length: 256 }, (_, v) => (v >= thr ? 255 - v : v));
  return applyLuts(img, [lut, lut, lut]);
};

/** Keeps the top `bits` bits of each 8-bit level (PIL posterize). */
const posterize: Op = (img, rng, p) => {
  const lo = Math.max(1, Math.ceil(p.posterizeBits[0]));
  const hi = Math.min(8, Math.floor(p.posterizeBits[1]));
  const bits = rng.int(lo, hi + 1);
  const keep = (0xff << (8 - bits)) & 0xff;
  const lut = Array.from({ length: 256 }, (_, v) => v & keep);
  return applyLuts(img, [lut, lut, lut]);
};

const invert: Op = (img) => {
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = 1 - clamp01(img.data[i]);
  return like(img, out);
};

/**
 * PIL ImageOps.autocontrast per channel: drop `cutoff` % of pixels at each end of the 8-bit
 * histogram, then stretch [lo, hi] linearly to [0, 255].
 */
const autocontrast: Op = (img, rng, p) => {
  const cutoff = rng.int(
    Math.ceil(p.autocontrastCutoff[0]),
    Math.floor(p.autocontrastCutoff[1]) + 1,
  );
  const luts = histograms(img).map((hist) => {
    const n = img.width * img.height;
    const cut = Math.floor((n * cutoff) / 100);
    let lo = 0;
    for (let acc = 0; lo < 255; lo++) {
      acc += hist[lo];
      if (acc > cut) break;
    }
    let hi = 255;
    for (let acc = 0; hi > 0; hi--) {
      acc += hist[hi];
      if (acc > cut) break;
    }
    if (hi <= lo) return Array.from({ length: 256 }, (_, v) => v);
    const scale = 255 / (hi - lo);
    return Array.from({ length: 256 }, (_, v) =>
      Math.min(255, Math.max(0, Math.round((v - lo) * scale))),
    );
  });
  return applyLuts(img, luts);
};

/** PIL ImageOps.equalize per channel (cumulative-histogram table, last level excluded). */
const equalize: Op = (img) => {
  const luts = histograms(img).map((hist) => {
    let last = 255;
    while (last > 0 && hist[last] === 0) last--;
    let total = 0;
    for (const c of hist) total += c;
    const step = Math.floor((total - hist[last]) / 255);
    if (step === 0) return Array.from({ length: 256 }, (_, v) => v);
    const lut = new Array<number>(256);
    let acc = Math.floor(step / 2);
    for (let v = 0; v < 256; v++) {
      lut[v] = Math.min(255, Math.floor(acc / step));
      acc += hist[v];
    }
    return lut;
  });
  return applyLuts(img, luts);
};

const rotate: Op = (img, rng, p) => rotateAboutCentre(img, rng.uniform(p.rotate[0], p.rotate[1]));

/** Adds U(lo, hi) to OpenCV's 8-bit hue (180 = full turn), i.e. 2·value degrees, cyclic. */
const hueShift: Op = (img, rng, p) => {
  const dh = 2 * rng.uniform(p.hueShift[0], p.hueShift[1]);
  if (img.channels === 1) return img;
  return mapPixels(img, (r, g, b, out) => {
    rgbToHsv(r, g, b, out);
    hsvToRgb(out[0] + dh, out[1], out[2], out);
  });
};

/** Zeroes each channel with probability p, always keeping at least one (imgaug Dropout2d). */
const channelDropout: Op = (img, rng, p) => {
  const cn = img.channels;
  const drop = Array.from({ length: cn }, () => rng.next() < p.channelDropoutProbability);
  if (drop.every(Boolean)) drop[rng.int(0, cn)] = false;
  const out = img.data.slice();
  for (let k = 0; k < cn; k++) if (drop[k]) for (let i = k; i < out.length; i += cn) out[i] = 0;
  return like(img, out);
};

const OPS: Record<AugmenterName, Op> = {
  gamma,
  brightness,
  sharpness,
  hueSaturation,
  solarize,
  posterize,
  invert,
  autocontrast,
  equalize,
  rotate,
  hueShift,
  channelDropout,
};

/** Applies one named augmenter, drawing its parameters from `rng`. Returns a new image. */
export function applyAugmenter(
  name: AugmenterName,
  img: FloatImage,
  rng: Rng,
  params: AugmentParams = defaultAugmentParams,
): FloatImage {
  const op = OPS[name];
  if (!op) {
    throw new Error(
      `applyAugmenter: unknown augmenter "${name}"; use one of ${NO_DTD_AUGMENTERS.join(", ")}`,
    );
  }
  return op(img, rng, params);
}

export interface AugmentOptions {
  /** Augmenters to draw from (default: the ten DTD ones). */
  pool?: readonly AugmenterName[];
  /** How many distinct augmenters per sample (default 3). */
  count?: number;
  params?: AugmentParams;
}

/**
 * Draws `count` distinct augmenters from `pool` (without replacement) and applies them in
 * draw order. Returns the augmented texture and the names applied.
 */
export function augmentTexture(
  img: FloatImage,
  rng: Rng,
  options: AugmentOptions = {},
): { image: FloatImage; applied: AugmenterName[] } {
  const pool = options.pool ?? DTD_AUGMENTERS;
  const count = options.count ?? 3;
  if (!Number.isInteger(count) || count < 0 || count > pool.length) {
    throw new Error(
      `augmentTexture: count must be an integer in [0, ${pool.length}] (pool size), got ${count}`,
    );
  }
  const params = options.params ?? defaultAugmentParams;
  const applied = rng.choose(pool.length, count).map((i) => pool[i]);
  let out = img;
  for (const name of applied) out = applyAugmenter(name, out, rng, params);
  return { image: out, applied };
}
