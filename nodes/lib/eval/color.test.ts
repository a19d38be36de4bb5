import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildLab8Tables, rgbToLab8, rgbToLab8Image, rgbToLabFloat, toGray } from "./color.ts";
import { loadGolden, loadPipeline, maxAbsDiff } from "./golden-fixture.ts";

interface Tables {
  gamma_tab: number[];
  cbrt_tab: number[];
  coeffs_xyz_rows_rgb_cols: number[][];
}
interface Conversions {
  n: number;
  rgb_u8: number[];
  lab_u8: number[];
  gray_f32_from_rgb_div255: number[];
}

describe("OpenCV 8-bit Lab tables", () => {
  test("tables built from the rule equal opencv_lab8_tables.json entry for entry", () => {
    const golden = loadGolden<Tables>("opencv_lab8_tables");
    const built = buildLab8Tables();
    assert.deepEqual(Array.from(built.gamma), golden.gamma_tab);
    assert.deepEqual(Array.from(built.cbrt), golden.cbrt_tab);
    assert.deepEqual(Array.from(built.coeffs), golden.coeffs_xyz_rows_rgb_cols.flat());
  });
});

describe("rgbToLab8", () => {
  test("all 4106 golden colours match cv2 BGR2LAB exactly", () => {
    const c = loadGolden<Conversions>("color_conversions");
    assert.deepEqual(Array.from(rgbToLab8Image(Uint8Array.from(c.rgb_u8))), c.lab_u8);
    for (let i = 0; i < 50; i++) {
      const [r, g, b] = c.rgb_u8.slice(3 * i, 3 * i + 3);
      assert.deepEqual(rgbToLab8(r, g, b), c.lab_u8.slice(3 * i, 3 * i + 3));
    }
  });

  for (const name of ["pipeline_64x64", "pipeline_45x62"] as const) {
    test(`${name}: lab_a_u8 and lab_b_u8 match exactly`, () => {
      const { g } = loadPipeline(name);
      assert.deepEqual(Array.from(rgbToLab8Image(Uint8Array.from(g.image_a_rgb_u8))), g.lab_a_u8);
      assert.deepEqual(Array.from(rgbToLab8Image(Uint8Array.from(g.image_b_rgb_u8))), g.lab_b_u8);
    });
  }

  test("rejects out-of-range components and ragged buffers", () => {
    assert.throws(() => rgbToLab8(256, 0, 0), /r must be an integer in \[0,255\]/);
    assert.throws(() => rgbToLab8(0, 1.5, 0), /g must be/);
    assert.throws(() => rgbToLab8Image(new Uint8Array(4)), /multiple of 3/);
  });
});

describe("toGray", () => {
  test("matches gray_f32_from_rgb_div255 for all golden colours (bit-exact in practice)", () => {
    const c = loadGolden<Conversions>("color_conversions");
    const img = {
      width: c.n,
      height: 1,
      channels: 3 as const,
      data: Float32Array.from(c.rgb_u8, (v) => v / 255),
    };
    assert.ok(maxAbsDiff(toGray(img).data, c.gray_f32_from_rgb_div255) <= 1e-6);
    assert.equal(maxAbsDiff(toGray(img).data, c.gray_f32_from_rgb_div255), 0);
  });

  for (const name of ["pipeline_64x64", "pipeline_45x62"] as const) {
    test(`${name}: gray_a_f32 and gray_b_f32 within 1e-6`, () => {
      const { g, orig, rec } = loadPipeline(name);
      assert.ok(maxAbsDiff(toGray(orig).data, g.gray_a_f32 as number[]) <= 1e-6);
      assert.ok(maxAbsDiff(toGray(rec).data, g.gray_b_f32 as number[]) <= 1e-6);
    });
  }

  test("rejects an image whose data does not fit its shape, and an empty image", () => {
    const bad = { width: 2, height: 2, channels: 3 as const, data: new Float32Array(5) };
    assert.throws(() => toGray(bad), /toGray: img has 5 values but 2x2x3 needs 12/);
    const empty = { width: 0, height: 0, channels: 3 as const, data: new Float32Array(0) };
    assert.throws(() => toGray(empty), /toGray: img is empty/);
  });
});

describe("rgbToLabFloat", () => {
  test("white, black and sRGB red give textbook CIELAB values", () => {
    const img = {
      width: 3,
      height: 1,
      channels: 3 as const,
      data: Float32Array.from([1, 1, 1, 0, 0, 0, 1, 0, 0]),
    };
    const lab = rgbToLabFloat(img);
    assert.ok(Math.abs(lab[0] - 100) < 1e-3 && Math.abs(lab[1]) < 1e-3 && Math.abs(lab[2]) < 1e-3);
    assert.deepEqual(Array.from(lab.slice(3, 6)), [0, 0, 0]);
    // sRGB red is about (53.24, 80.09, 67.20)
    assert.ok(
      Math.abs(lab[6] - 53.24) < 0.05 &&
        Math.abs(lab[7] - 80.09) < 0.05 &&
        Math.abs(lab[8] - 67.2) < 0.05,
    );
  });

  test("stays within 3 units of OpenCV's 8-bit a/b on the golden colours", () => {
    const c = loadGolden<Conversions>("color_conversions");
    const img = {
      width: c.n,
      height: 1,
      channels: 3 as const,
      data: Float32Array.from(c.rgb_u8, (v) => v / 255),
    };
    const lab = rgbToLabFloat(img);
    let worst = 0;
    for (let i = 0; i < c.n; i++) {
      worst = Math.max(worst, Math.abs(lab[3 * i + 1] + 128 - c.lab_u8[3 * i + 1]));
      worst = Math.max(worst, Math.abs(lab[3 * i + 2] + 128 - c.lab_u8[3 * i + 2]));
    }
    assert.ok(worst <= 3, `worst a/b deviation ${worst}`);
  });
});
