import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { rgbToLab8Image } from "./color.ts";
import { COLOR_DIFF_DESCRIPTION, colorDiff, scaleTo180U8 } from "./colordiff.ts";
import { loadPipeline, swapRB } from "./golden-fixture.ts";

const solid = (w: number, h: number, rgb: [number, number, number]) => {
  const data = new Float32Array(w * h * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  return { width: w, height: h, channels: 3 as const, data };
};

describe("colorDiff reference mode", () => {
  for (const name of ["pipeline_64x64", "pipeline_45x62"] as const) {
    test(`${name}: x180 uint8 images and their Lab equal the golden arrays`, () => {
      const { g, orig, rec } = loadPipeline(name);
      const o8 = scaleTo180U8(orig);
      const r8 = scaleTo180U8(rec);
      assert.deepEqual(swapRB(o8), g.orig180_bgr_u8);
      assert.deepEqual(swapRB(r8), g.rec180_bgr_u8);
      assert.deepEqual(Array.from(rgbToLab8Image(o8)), g.lab_orig180_u8);
      assert.deepEqual(Array.from(rgbToLab8Image(r8)), g.lab_rec180_u8);
    });

    test(`${name}: color_map matches exactly (as integers x1000)`, () => {
      const { g, orig, rec } = loadPipeline(name);
      const got = colorDiff(orig, rec, "reference").data;
      const want = g.color_map as number[];
      assert.deepEqual(
        Array.from(got, (v) => Math.round(v * 1000)),
        want.map((v) => Math.round(v * 1000)),
      );
      // The reference multiplies the uint8 blur by 0.001 in float64, and so do we.
      assert.deepEqual(Array.from(got), want);
    });
  }

  test("out-of-range reconstruction values truncate then wrap modulo 256", () => {
    const img = {
      width: 4,
      height: 1,
      channels: 3 as const,
      data: Float32Array.from([-0.01, -0.5, 1.5, 0, 0, 0, 1, 1, 1, 2, 0.5, 0]),
    };
    assert.deepEqual(
      Array.from(scaleTo180U8(img)),
      [255, 166, 14, 0, 0, 0, 180, 180, 180, 104, 90, 0],
    );
  });

  test("a chroma difference whose squares sum to a multiple of 256 scores 0 (uint8 wrap)", () => {
    // Search a small RGB grid for a colour whose a/b differ from grey by Δa² + Δb² ≡ 0 mod 256.
    const u = (v: number) => (v + 0.5) / 180; // lands on the uint8 value v after the x180 cast
    const labOf = (r: number, g: number, b: number) => rgbToLab8Image(Uint8Array.of(r, g, b));
    const grey = labOf(90, 90, 90);
    let pair: [number, number] | undefined;
    for (let r = 60; r < 130 && !pair; r++) {
      for (let g = 60; g < 130 && !pair; g++) {
        const lab = labOf(r, g, 90);
        const d = (lab[1] - grey[1]) ** 2 + (lab[2] - grey[2]) ** 2;
        if (d > 0 && d % 256 === 0) pair = [r, g];
      }
    }
    assert.ok(pair, "no colour with Δa²+Δb² ≡ 0 (mod 256) found on the grid");
    const orig = solid(11, 11, [u(90), u(90), u(90)]);
    const rec = solid(11, 11, [u(pair[0]), u(pair[1]), u(90)]);
    assert.ok(colorDiff(orig, rec, "reference").data.every((v) => v === 0));
    assert.ok(colorDiff(orig, rec, "corrected").data.every((v) => v > 0.1));
  });
});

describe("colorDiff corrected mode", () => {
  test("is zero for identical images and grows with the colour difference", () => {
    const a = solid(5, 5, [0.5, 0.5, 0.5]);
    assert.ok(colorDiff(a, a, "corrected").data.every((v) => v === 0));
    const small = colorDiff(a, solid(5, 5, [0.55, 0.5, 0.5]), "corrected").data[12];
    const large = colorDiff(a, solid(5, 5, [0.7, 0.5, 0.5]), "corrected").data[12];
    assert.ok(small > 0 && large > small);
  });

  test("scale and filter size are parameters", () => {
    const a = solid(7, 7, [0.2, 0.4, 0.6]);
    const b = solid(7, 7, [0.3, 0.4, 0.6]);
    const base = colorDiff(a, b, "corrected").data[24];
    assert.ok(Math.abs(colorDiff(a, b, "corrected", { scale: 0.002 }).data[24] - 2 * base) < 1e-12);
    assert.ok(Math.abs(colorDiff(a, b, "corrected", { filterSize: 3 }).data[24] - base) < 1e-9);
  });

  test("stays close to the reference map without wrap-around on the golden pair", () => {
    const { g, orig, rec } = loadPipeline("pipeline_64x64");
    const info = g.color_map_without_uint8_wrap_INFO_ONLY as number[];
    const got = colorDiff(orig, rec, "corrected", { scale: 0.001 }).data;
    // Different scaling (x255 vs x180) and float Lab: same pattern, not the same numbers.
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < info.length; i++) {
      dot += got[i] * info[i];
      na += got[i] * got[i];
      nb += info[i] * info[i];
    }
    assert.ok(dot / Math.sqrt(na * nb) > 0.9);
  });
});

describe("colorDiff input checks", () => {
  const a = solid(4, 4, [0, 0, 0]);
  test("mismatched sizes, gray input, NaN, bad mode and even filter give clear errors", () => {
    assert.throws(
      () => colorDiff(a, solid(4, 5, [0, 0, 0]), "reference"),
      /orig is 4x4 but rec is 4x5/,
    );
    const gray = { width: 4, height: 4, channels: 1 as const, data: new Float32Array(16) };
    assert.throws(() => colorDiff(gray, gray, "reference"), /orig must be a 3-channel RGB image/);
    const nan = solid(4, 4, [Number.NaN, 0, 0]);
    assert.throws(() => colorDiff(a, nan, "reference"), /not finite/);
    assert.throws(() => colorDiff(a, nan, "corrected"), /not finite/);
    assert.throws(
      () => colorDiff(a, a, "reference", { filterSize: 10 }),
      /filterSize must be an odd/,
    );
    assert.throws(() => colorDiff(a, a, "other" as "reference"), /mode must be/);
  });

  test("the user description names both modes", () => {
    assert.match(COLOR_DIFF_DESCRIPTION, /"reference"/);
    assert.match(COLOR_DIFF_DESCRIPTION, /"corrected"/);
  });
});
