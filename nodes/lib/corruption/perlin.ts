/**
 * Single-octave 2-D gradient ("Perlin") noise, a port of the reference `rand_perlin_2d_np`
 * (EDGREC.md §2.2). Hand-written: the reference's exact lattice/fade arithmetic must be
 * reproduced to 1e-12, which no noise library promises.
 */
import type { Rng } from "../../sdk/rng.ts";

/** 6t⁵ − 15t⁴ + 10t³ in Horner form (differs from the reference's powers by ~1e-16). */
const fade = (t: number): number => t * t * t * (t * (t * 6 - 15) + 10);

function checkDims(h: number, w: number, rx: number, ry: number): void {
  for (const [name, v] of [
    ["height", h],
    ["width", w],
    ["res[0]", rx],
    ["res[1]", ry],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new Error(`perlinNoise: ${name} must be a positive integer, got ${v}`);
    }
  }
}

/**
 * Cell index and fractional position of every pixel along one axis of length `n` with `r`
 * lattice cells. When `n` is a multiple of `r` this is exactly the reference (integer cell
 * from `i // (n // r)`, fraction `(i * (r / n)) % 1`); otherwise (which the reference
 * rejects) the cell is `floor(i * r / n)` so any size works.
 */
function axisCoords(n: number, r: number): { cell: Int32Array; frac: Float64Array } {
  const cell = new Int32Array(n);
  const frac = new Float64Array(n);
  const delta = r / n;
  const d = Math.floor(n / r);
  const divisible = n % r === 0;
  for (let i = 0; i < n; i++) {
    const p = i * delta;
    if (divisible) {
      cell[i] = Math.floor(i / d);
      frac[i] = p % 1;
    } else {
      cell[i] = Math.min(Math.floor(p), r - 1);
      frac[i] = p - cell[i];
    }
  }
  return { cell, frac };
}

/**
 * Perlin noise of shape h×w (row-major, float64, values roughly in [-1, 1]) on an
 * rx×ry lattice (rx cells along rows, ry along columns), given the (rx+1)·(ry+1)
 * lattice gradient angles in radians, row-major over the lattice ((rx+1) rows, (ry+1)
 * columns) — exactly the angles `rand_perlin_2d_np` draws as `2π·rand(rx+1, ry+1)`.
 */
export function perlinNoise(
  h: number,
  w: number,
  res: readonly [number, number],
  angles: Float64Array | readonly number[],
): Float64Array {
  const [rx, ry] = res;
  checkDims(h, w, rx, ry);
  const lw = ry + 1;
  if (angles.length !== (rx + 1) * lw) {
    throw new Error(
      `perlinNoise: angles must hold (res[0]+1)*(res[1]+1) = ${(rx + 1) * lw} values, got ${angles.length}`,
    );
  }
  const gx = new Float64Array(angles.length);
  const gy = new Float64Array(angles.length);
  for (let k = 0; k < angles.length; k++) {
    gx[k] = Math.cos(angles[k]);
    gy[k] = Math.sin(angles[k]);
  }
  const rows = axisCoords(h, rx);
  const cols = axisCoords(w, ry);
  const fv = cols.frac.map(fade);
  const out = new Float64Array(h * w);
  for (let i = 0; i < h; i++) {
    const ci = rows.cell[i];
    const u = rows.frac[i];
    const fu = fade(u);
    for (let j = 0; j < w; j++) {
      const cj = cols.cell[j];
      const v = cols.frac[j];
      const k00 = ci * lw + cj;
      const k10 = k00 + lw;
      const n00 = u * gx[k00] + v * gy[k00];
      const n10 = (u - 1) * gx[k10] + v * gy[k10];
      const n01 = u * gx[k00 + 1] + (v - 1) * gy[k00 + 1];
      const n11 = (u - 1) * gx[k10 + 1] + (v - 1) * gy[k10 + 1];
      const a = n00 + fu * (n10 - n00);
      const b = n01 + fu * (n11 - n01);
      out[i * w + j] = Math.SQRT2 * (a + fv[j] * (b - a));
    }
  }
  return out;
}

/** Draws the (rx+1)·(ry+1) gradient angles uniformly in [0, 2π) from `rng`. */
export function drawPerlinAngles(res: readonly [number, number], rng: Rng): Float64Array {
  const n = (res[0] + 1) * (res[1] + 1);
  const angles = new Float64Array(n);
  for (let k = 0; k < n; k++) angles[k] = 2 * Math.PI * rng.next();
  return angles;
}

/** `perlinNoise` with the lattice angles drawn from `rng`. */
export function randomPerlinNoise(
  h: number,
  w: number,
  res: readonly [number, number],
  rng: Rng,
): Float64Array {
  return perlinNoise(h, w, res, drawPerlinAngles(res, rng));
}

/** Binary mask (0/1 as Uint8Array) of `noise > threshold` (reference threshold 0.5). */
export function thresholdNoise(noise: ArrayLike<number>, threshold = 0.5): Uint8Array {
  const m = new Uint8Array(noise.length);
  for (let k = 0; k < noise.length; k++) m[k] = noise[k] > threshold ? 1 : 0;
  return m;
}
