import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { FloatImage } from "../../sdk/image.ts";
import { createRng } from "../../sdk/rng.ts";
import {
  type AugmentParams,
  applyAugmenter,
  augmentParamsSchema,
  augmentTexture,
  DTD_AUGMENTERS,
  defaultAugmentParams,
  NO_DTD_AUGMENTERS,
} from "./augment.ts";

function randomImage(w: number, h: number, seed: number): FloatImage {
  const rng = createRng(seed);
  // 8-bit levels, like a decoded texture.
  const data = new Float32Array(w * h * 3).map(() => rng.int(0, 256) / 255);
  return { width: w, height: h, channels: 3, data };
}

const params = (over: Partial<AugmentParams>): AugmentParams => ({
  ...defaultAugmentParams,
  ...over,
});
const solid = (r: number, g: number, b: number): FloatImage => ({
  width: 4,
  height: 4,
  channels: 3,
  data: new Float32Array(48).map((_, i) => [r, g, b][i % 3]),
});
const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe("individual augmenters", () => {
  const img = randomImage(24, 20, 1);
  const rng = () => createRng(7);

  test("defaults parse to the reference values", () => {
    assert.deepEqual(defaultAugmentParams.gamma, [0.5, 2]);
    assert.deepEqual(defaultAugmentParams.solarizeThreshold, [32, 128]);
    assert.equal(defaultAugmentParams.solarizeProbability, 0.5);
    assert.deepEqual(defaultAugmentParams.rotate, [-45, 45]);
    assert.throws(() => augmentParamsSchema.parse({ gamma: [2, 1] }));
  });

  test("invert", () => {
    const out = applyAugmenter("invert", img, rng());
    assert.ok(
      maxDiff(
        out.data,
        img.data.map((v) => 1 - v),
      ) === 0,
    );
  });

  test("gamma with a fixed value squares every channel", () => {
    const out = applyAugmenter("gamma", img, rng(), params({ gamma: [2, 2] }));
    // 8-bit table, so within half a level of v².
    const err = maxDiff(
      out.data,
      img.data.map((v) => v * v),
    );
    assert.ok(err <= 0.5 / 255 + 1e-7, `error ${err}`);
  });

  test("gamma draws one value per channel", () => {
    const grey = solid(0.5, 0.5, 0.5);
    const out = applyAugmenter("gamma", grey, rng());
    assert.ok(out.data[0] !== out.data[1] || out.data[1] !== out.data[2]);
  });

  test("posterize to 1 bit leaves two levels", () => {
    const out = applyAugmenter("posterize", img, rng(), params({ posterizeBits: [1, 1] }));
    assert.deepEqual(new Set(Array.from(out.data, (v) => Math.round(v * 255))), new Set([0, 128]));
  });

  test("solarize inverts levels at or above the threshold", () => {
    const p = params({ solarizeProbability: 1, solarizeThreshold: [100, 100] });
    const out = applyAugmenter("solarize", img, rng(), p);
    for (let i = 0; i < img.data.length; i++) {
      const v = Math.round(img.data[i] * 255);
      assert.equal(Math.round(out.data[i] * 255), v >= 100 ? 255 - v : v);
    }
    const none = applyAugmenter("solarize", img, rng(), params({ solarizeProbability: 0 }));
    assert.equal(none.data, img.data);
  });

  test("autocontrast stretches to the full range", () => {
    const narrow = { ...img, data: img.data.map((v) => 0.25 + v / 2) };
    const out = applyAugmenter(
      "autocontrast",
      narrow,
      rng(),
      params({ autocontrastCutoff: [0, 0] }),
    );
    for (let k = 0; k < 3; k++) {
      const ch = out.data.filter((_, i) => i % 3 === k);
      assert.equal(Math.min(...ch), 0);
      assert.equal(Math.max(...ch), 1);
    }
  });

  test("equalize flattens a skewed histogram and keeps a constant image", () => {
    // Needs many more pixels than levels: with fewer than 510, PIL's step is 1 and it saturates.
    const big = randomImage(64, 64, 4);
    const skewed = { ...big, data: big.data.map((v) => v ** 3) };
    const out = applyAugmenter("equalize", skewed, rng());
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(mean(skewed.data) < 0.3);
    assert.ok(Math.abs(mean(out.data) - 0.5) < 0.08, `mean ${mean(out.data)}`);
    const c = solid(0.4, 0.4, 0.4);
    assert.ok(maxDiff(applyAugmenter("equalize", c, rng()).data, c.data) < 1e-7);
  });

  test("sharpness: factor 1 keeps the image, factor 0 smooths an impulse", () => {
    const same = applyAugmenter("sharpness", img, rng(), params({ sharpness: [1, 1] }));
    assert.ok(maxDiff(same.data, img.data) < 1e-7);
    const imp: FloatImage = { width: 5, height: 5, channels: 3, data: new Float32Array(75) };
    imp.data.fill(1, 36, 39); // centre pixel (2, 2)
    const out = applyAugmenter("sharpness", imp, rng(), params({ sharpness: [0, 0] }));
    assert.equal(Math.round(out.data[36] * 255), Math.round((5 * 255) / 13));
    assert.equal(Math.round(out.data[(1 * 5 + 1) * 3] * 255), Math.round(255 / 13));
  });

  test("hue offsets rotate the colour wheel", () => {
    const red = solid(1, 0, 0);
    // 85/255 of a turn = 120°: red → green.
    const hs = applyAugmenter("hueSaturation", red, rng(), params({ hueSaturation: [85, 85] }));
    assert.ok(maxDiff(hs.data.subarray(0, 3), Float32Array.from([0, 1, 0])) < 1e-6);
    // OpenCV hue units: 60 → 120°.
    const sh = applyAugmenter("hueShift", red, rng(), params({ hueShift: [60, 60] }));
    assert.ok(maxDiff(sh.data.subarray(0, 3), Float32Array.from([0, 1, 0])) < 1e-6);
  });

  test("brightness with neutral parameters is a no-op; with an offset it brightens", () => {
    for (let s = 0; s < 6; s++) {
      const out = applyAugmenter(
        "brightness",
        img,
        createRng(s),
        params({ brightnessMul: [1, 1], brightnessAdd: [0, 0] }),
      );
      assert.ok(maxDiff(out.data, img.data) < 1e-5);
      const up = applyAugmenter(
        "brightness",
        solid(0.3, 0.4, 0.5),
        createRng(s),
        params({ brightnessMul: [1, 1], brightnessAdd: [25.5, 25.5] }),
      );
      assert.ok(up.data[0] > 0.3 && up.data[2] > 0.5);
    }
  });

  test("channel dropout with p = 1 keeps exactly one channel", () => {
    const out = applyAugmenter(
      "channelDropout",
      solid(0.2, 0.4, 0.6),
      rng(),
      params({ channelDropoutProbability: 1 }),
    );
    const nonZero = [0, 1, 2].filter((k) => out.data[k] !== 0);
    assert.equal(nonZero.length, 1);
  });

  test("rotate by 0 is the identity", () => {
    const out = applyAugmenter("rotate", img, rng(), params({ rotate: [0, 0] }));
    assert.deepEqual(out.data, img.data);
  });

  test("every augmenter keeps size and [0, 1] range, also on 1-channel images", () => {
    const grey: FloatImage = { width: 24, height: 20, channels: 1, data: img.data.slice(0, 480) };
    for (const name of NO_DTD_AUGMENTERS) {
      for (const src of [img, grey]) {
        const out = applyAugmenter(name, src, createRng(3));
        assert.equal(out.data.length, src.data.length, name);
        assert.equal(out.channels, src.channels);
        assert.ok(
          out.data.every((v) => v >= 0 && v <= 1),
          name,
        );
      }
    }
  });
});

describe("augmentTexture", () => {
  const img = randomImage(16, 16, 2);
  test("three distinct augmenters, deterministic per seed", () => {
    const a = augmentTexture(img, createRng(5));
    const b = augmentTexture(img, createRng(5));
    assert.equal(a.applied.length, 3);
    assert.equal(new Set(a.applied).size, 3);
    assert.deepEqual(a.applied, b.applied);
    assert.deepEqual(a.image.data, b.image.data);
  });
  test("all pool members get drawn, with roughly equal frequency", () => {
    const rng = createRng(8);
    const counts = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      for (const n of augmentTexture(img, rng, { pool: NO_DTD_AUGMENTERS }).applied) {
        counts.set(n, (counts.get(n) ?? 0) + 1);
      }
    }
    assert.equal(counts.size, 12);
    for (const [n, c] of counts) assert.ok(c > 180 && c < 320, `${n}: ${c} (expected ~250)`);
  });
  test("rejects a count larger than the pool", () => {
    assert.throws(
      () => augmentTexture(img, createRng(1), { pool: DTD_AUGMENTERS, count: 11 }),
      /count/,
    );
  });
});
