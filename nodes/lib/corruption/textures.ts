/**
 * Built-in procedural textures, used as the anomaly source when no texture folder (DTD) is
 * given. Every texture is a pure function of the random stream, so a sample's texture is
 * reproducible from its seed. Hand-written: small, dependency-free generators that run at
 * any size inside the per-sample loop.
 */
import type { FloatImage } from "../../sdk/image.ts";
import type { Rng } from "../../sdk/rng.ts";
import { clamp01, hsvToRgb } from "./colour.ts";

export const TEXTURE_FAMILIES = ["valueNoise", "stripes", "checker", "cells", "scratches"] as const;
export type TextureFamily = (typeof TEXTURE_FAMILIES)[number];

type Rgb = [number, number, number];

function randomColour(rng: Rng): Rgb {
  return hsvToRgb(rng.uniform(0, 360), rng.uniform(0.1, 1), rng.uniform(0.15, 1));
}

/** Writes mix(a, b, t) for t in [0, 1] into an RGB buffer at pixel index p. */
function put(data: Float32Array, p: number, a: Rgb, b: Rgb, t: number): void {
  const o = p * 3;
  data[o] = clamp01(a[0] + t * (b[0] - a[0]));
  data[o + 1] = clamp01(a[1] + t * (b[1] - a[1]));
  data[o + 2] = clamp01(a[2] + t * (b[2] - a[2]));
}

const smooth = (t: number) => t * t * (3 - 2 * t);

/**
 * Fractal value noise in [0, 1]: `octaves` layers of smoothly interpolated random lattice
 * values, base cell `cell` pixels, each octave half the cell and `gain` times the weight.
 */
export function fractalValueNoise(
  width: number,
  height: number,
  rng: Rng,
  cell = 64,
  octaves = 4,
  gain = 0.5,
): Float32Array {
  const out = new Float32Array(width * height);
  let amp = 1;
  let total = 0;
  for (let o = 0; o < octaves; o++) {
    const c = Math.max(2, cell / 2 ** o);
    const gw = Math.ceil(width / c) + 2;
    const gh = Math.ceil(height / c) + 2;
    const lattice = new Float32Array(gw * gh).map(() => rng.next());
    const ox = rng.uniform(0, c);
    const oy = rng.uniform(0, c);
    for (let y = 0; y < height; y++) {
      const fy = (y + oy) / c;
      const iy = Math.floor(fy);
      const ty = smooth(fy - iy);
      for (let x = 0; x < width; x++) {
        const fx = (x + ox) / c;
        const ix = Math.floor(fx);
        const tx = smooth(fx - ix);
        const k = iy * gw + ix;
        const top = lattice[k] + tx * (lattice[k + 1] - lattice[k]);
        const bot = lattice[k + gw] + tx * (lattice[k + gw + 1] - lattice[k + gw]);
        out[y * width + x] += amp * (top + ty * (bot - top));
      }
    }
    total += amp;
    amp *= gain;
  }
  for (let i = 0; i < out.length; i++) out[i] /= total;
  return out;
}

function valueNoise(w: number, h: number, rng: Rng, data: Float32Array): void {
  const n = fractalValueNoise(w, h, rng, rng.uniform(8, 96), rng.int(2, 6), rng.uniform(0.35, 0.7));
  const a = randomColour(rng);
  const b = randomColour(rng);
  const contrast = rng.uniform(1, 3);
  for (let p = 0; p < w * h; p++) put(data, p, a, b, clamp01(0.5 + (n[p] - 0.5) * contrast));
}

/** Parallel bands at a random angle and period, phase jittered by low-frequency noise. */
function stripes(w: number, h: number, rng: Rng, data: Float32Array): void {
  const theta = rng.uniform(0, Math.PI);
  const period = rng.uniform(4, 40);
  const duty = rng.uniform(0.2, 0.8);
  const softness = rng.uniform(0, 0.3);
  const jitter = rng.uniform(0, period);
  const warp = fractalValueNoise(w, h, rng, rng.uniform(32, 128), 2);
  const a = randomColour(rng);
  const b = randomColour(rng);
  const [c, s] = [Math.cos(theta), Math.sin(theta)];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      const u = (x * c + y * s + jitter * warp[p]) / period;
      const f = u - Math.floor(u);
      const t =
        softness > 0
          ? clamp01((Math.abs(f - duty / 2) - duty / 2) / softness + 0.5)
          : f < duty
            ? 0
            : 1;
      put(data, p, a, b, t);
    }
  }
}

/** Rotated checkerboard with jittered cell edges. */
function checker(w: number, h: number, rng: Rng, data: Float32Array): void {
  const theta = rng.uniform(0, Math.PI / 2);
  const size = rng.uniform(4, 48);
  const jitter = rng.uniform(0, size / 3);
  const wx = fractalValueNoise(w, h, rng, rng.uniform(16, 64), 2);
  const wy = fractalValueNoise(w, h, rng, rng.uniform(16, 64), 2);
  const a = randomColour(rng);
  const b = randomColour(rng);
  const [c, s] = [Math.cos(theta), Math.sin(theta)];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      const u = Math.floor((x * c - y * s + jitter * (wx[p] - 0.5)) / size);
      const v = Math.floor((x * s + y * c + jitter * (wy[p] - 0.5)) / size);
      put(data, p, a, b, (u + v) & 1);
    }
  }
}

/** Voronoi cells, one colour per cell, darkened along cell borders (F2 − F1 distance). */
function cells(w: number, h: number, rng: Rng, data: Float32Array): void {
  const n = rng.int(6, 60);
  const px = Float64Array.from({ length: n }, () => rng.uniform(0, w));
  const py = Float64Array.from({ length: n }, () => rng.uniform(0, h));
  const base = randomColour(rng);
  const spread = rng.uniform(0.1, 0.6);
  const tint = Array.from({ length: n }, () => rng.uniform(-spread, spread));
  const edge = randomColour(rng);
  const edgeWidth = rng.uniform(1, 6);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let d1 = Number.POSITIVE_INFINITY;
      let d2 = Number.POSITIVE_INFINITY;
      let k1 = 0;
      for (let k = 0; k < n; k++) {
        const d = (x - px[k]) ** 2 + (y - py[k]) ** 2;
        if (d < d1) {
          d2 = d1;
          d1 = d;
          k1 = k;
        } else if (d < d2) d2 = d;
      }
      const border = clamp01(1 - (Math.sqrt(d2) - Math.sqrt(d1)) / edgeWidth);
      const t = tint[k1];
      const cell: Rgb = [base[0] + t, base[1] + t, base[2] + t];
      put(data, y * w + x, cell, edge, border);
    }
  }
}

/** Noisy background crossed by random straight and slightly curved scratches. */
function scratches(w: number, h: number, rng: Rng, data: Float32Array): void {
  valueNoise(w, h, rng, data);
  const count = rng.int(5, 40);
  const diag = Math.hypot(w, h);
  for (let s = 0; s < count; s++) {
    const colour = randomColour(rng);
    const width = rng.uniform(0.5, 3);
    const x0 = rng.uniform(0, w);
    const y0 = rng.uniform(0, h);
    const theta = rng.uniform(0, 2 * Math.PI);
    const len = rng.uniform(0.1, 0.8) * diag;
    const bend = rng.uniform(-0.004, 0.004);
    const steps = Math.ceil(len);
    for (let i = 0; i <= steps; i++) {
      const a = theta + bend * i;
      const cx = x0 + Math.cos(a) * i;
      const cy = y0 + Math.sin(a) * i;
      const r = Math.ceil(width);
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const x = Math.round(cx) + dx;
          const y = Math.round(cy) + dy;
          if (x < 0 || y < 0 || x >= w || y >= h) continue;
          const d = Math.sqrt((x - cx) ** 2 + (y - cy) ** 2);
          const alpha = clamp01(width - d + 0.5);
          if (alpha <= 0) continue;
          const o = (y * w + x) * 3;
          for (let k = 0; k < 3; k++) data[o + k] += alpha * (colour[k] - data[o + k]);
        }
      }
    }
  }
}

const GENERATORS: Record<TextureFamily, (w: number, h: number, rng: Rng, d: Float32Array) => void> =
  {
    valueNoise,
    stripes,
    checker,
    cells,
    scratches,
  };

/**
 * A width×height RGB texture in [0, 1] drawn from `rng`. `family` defaults to one drawn
 * uniformly from `families` (default: all of TEXTURE_FAMILIES).
 */
export function proceduralTexture(
  width: number,
  height: number,
  rng: Rng,
  family?: TextureFamily,
  families: readonly TextureFamily[] = TEXTURE_FAMILIES,
): FloatImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`proceduralTexture: size must be positive integers, got ${width}x${height}`);
  }
  if (families.length === 0) {
    throw new Error(
      `proceduralTexture: families is empty; pass some of ${TEXTURE_FAMILIES.join(", ")}`,
    );
  }
  const fam = family ?? families[rng.int(0, families.length)];
  const gen = GENERATORS[fam];
  if (!gen) {
    throw new Error(
      `proceduralTexture: unknown family "${fam}"; use one of ${TEXTURE_FAMILIES.join(", ")}`,
    );
  }
  const data = new Float32Array(width * height * 3);
  gen(width, height, rng, data);
  return { width, height, channels: 3, data };
}

/** A texture provider for corruptSample that generates procedural textures of a fixed size. */
export function proceduralTextureProvider(
  width: number,
  height: number,
  families: readonly TextureFamily[] = TEXTURE_FAMILIES,
): (rng: Rng) => FloatImage {
  return (rng) => proceduralTexture(width, height, rng, undefined, families);
}
