import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createRng } from "../../sdk/rng.ts";
import {
  fractalValueNoise,
  proceduralTexture,
  proceduralTextureProvider,
  TEXTURE_FAMILIES,
} from "./textures.ts";

function stats(data: Float32Array) {
  let mean = 0;
  for (const v of data) mean += v;
  mean /= data.length;
  let varSum = 0;
  for (const v of data) varSum += (v - mean) ** 2;
  return { mean, std: Math.sqrt(varSum / data.length) };
}

describe("procedural textures", () => {
  for (const family of TEXTURE_FAMILIES) {
    test(`${family}: in range, not flat, deterministic, seed-dependent`, () => {
      const a = proceduralTexture(64, 48, createRng(1), family);
      const b = proceduralTexture(64, 48, createRng(1), family);
      const c = proceduralTexture(64, 48, createRng(2), family);
      assert.equal(a.data.length, 64 * 48 * 3);
      assert.ok(a.data.every((v) => v >= 0 && v <= 1));
      assert.deepEqual(a.data, b.data);
      assert.notDeepEqual(a.data, c.data);
      // Some structure in at least one of several seeds (a random palette can be low-contrast).
      const stds = [1, 2, 3, 4].map(
        (s) => stats(proceduralTexture(64, 48, createRng(s), family).data).std,
      );
      assert.ok(Math.max(...stds) > 0.03, `std ${stds}`);
    });
  }
  test("fractal value noise is in [0, 1] and spatially correlated", () => {
    const n = fractalValueNoise(64, 64, createRng(4), 32, 3);
    assert.ok(n.every((v) => v >= 0 && v <= 1));
    let neighbour = 0;
    let far = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 63; x++) neighbour += Math.abs(n[y * 64 + x] - n[y * 64 + x + 1]);
      for (let x = 0; x < 32; x++) far += Math.abs(n[y * 64 + x] - n[y * 64 + x + 32]);
    }
    assert.ok(
      neighbour / 63 < far / 32,
      "neighbouring pixels should differ less than distant ones",
    );
  });
  test("provider draws all families and any size", () => {
    const provider = proceduralTextureProvider(17, 9);
    const rng = createRng(3);
    for (let i = 0; i < 10; i++) {
      const t = provider(rng);
      assert.equal(t.width, 17);
      assert.equal(t.height, 9);
    }
    assert.throws(() => proceduralTexture(0, 5, rng), /size/);
    assert.throws(() => proceduralTexture(5, 5, rng, undefined, []), /families/);
  });
});
