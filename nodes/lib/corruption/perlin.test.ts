import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createRng } from "../../sdk/rng.ts";
import { loadGolden } from "./_fixtures.ts";
import { drawPerlinAngles, perlinNoise, randomPerlinNoise, thresholdNoise } from "./perlin.ts";

interface PerlinCase {
  seed: number;
  shape: [number, number];
  res: [number, number];
  angles: number[];
  noise: number[];
  mask_gt_0_5: number[];
}

const golden = loadGolden<{ cases: PerlinCase[] }>("perlin.json");

describe("perlinNoise matches rand_perlin_2d_np (perlin.json)", () => {
  for (const c of golden.cases) {
    test(`seed ${c.seed}, shape ${c.shape}, res ${c.res}`, () => {
      const noise = perlinNoise(c.shape[0], c.shape[1], c.res, c.angles);
      assert.equal(noise.length, c.noise.length);
      let maxErr = 0;
      for (let k = 0; k < noise.length; k++) {
        maxErr = Math.max(maxErr, Math.abs(noise[k] - c.noise[k]));
      }
      assert.ok(maxErr < 1e-12, `max abs error ${maxErr}`);
      const mask = thresholdNoise(noise);
      assert.deepEqual(Array.from(mask), c.mask_gt_0_5.map(Number));
      assert.ok(
        mask.some((v) => v === 1),
        "golden case should have some mask pixels",
      );
    });
  }
});

describe("perlinNoise properties", () => {
  test("zero at every lattice point and bounded in magnitude", () => {
    const rng = createRng(11);
    const n = randomPerlinNoise(64, 64, [4, 8], rng);
    for (let i = 0; i < 64; i += 16)
      for (let j = 0; j < 64; j += 8) assert.equal(Math.abs(n[i * 64 + j]), 0);
    for (const v of n) assert.ok(Math.abs(v) <= 1.5);
  });
  test("works when the size is not a multiple of the lattice", () => {
    const rng = createRng(3);
    const n = randomPerlinNoise(45, 62, [8, 32], rng);
    assert.equal(n.length, 45 * 62);
    assert.ok(n.every(Number.isFinite));
    assert.ok(n.some((v) => v !== 0));
  });
  test("angles are in [0, 2π) and the count follows the lattice", () => {
    const a = drawPerlinAngles([2, 16], createRng(1));
    assert.equal(a.length, 3 * 17);
    assert.ok(a.every((v) => v >= 0 && v < 2 * Math.PI));
  });
  test("rejects a wrong angle count and bad sizes", () => {
    assert.throws(() => perlinNoise(8, 8, [2, 2], [0, 1]), /angles must hold/);
    assert.throws(() => perlinNoise(0, 8, [2, 2], new Array(9).fill(0)), /height/);
  });
  test("threshold parameter", () => {
    const m = thresholdNoise([0.2, 0.5, 0.6], 0.3);
    assert.deepEqual(Array.from(m), [0, 1, 1]);
  });
});
