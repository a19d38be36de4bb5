import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { FloatImage } from "../../sdk/image.ts";
import { createRng } from "../../sdk/rng.ts";
import { type U8Image, u8ToFloat } from "./raster.ts";
import { resizeFloat, resizeImage, resizeU8 } from "./resize.ts";

/** Independent float64 reference: half-pixel centres, neighbours clamped at the borders. */
function referenceBilinear(
  src: { width: number; height: number; channels: number; data: ArrayLike<number> },
  w: number,
  h: number,
): Float64Array {
  const cn = src.channels;
  const out = new Float64Array(w * h * cn);
  const clamp = (v: number, n: number) => Math.min(Math.max(v, 0), n - 1);
  for (let y = 0; y < h; y++) {
    const fy = ((y + 0.5) * src.height) / h - 0.5;
    const y0 = Math.floor(fy);
    const wy = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = ((x + 0.5) * src.width) / w - 0.5;
      const x0 = Math.floor(fx);
      const wx = fx - x0;
      for (let c = 0; c < cn; c++) {
        const at = (yy: number, xx: number) =>
          src.data[(clamp(yy, src.height) * src.width + clamp(xx, src.width)) * cn + c];
        const top = at(y0, x0) * (1 - wx) + at(y0, x0 + 1) * wx;
        const bottom = at(y0 + 1, x0) * (1 - wx) + at(y0 + 1, x0 + 1) * wx;
        out[(y * w + x) * cn + c] = top * (1 - wy) + bottom * wy;
      }
    }
  }
  return out;
}

function randomU8(width: number, height: number, channels: 1 | 3, seed: number): U8Image {
  const rng = createRng(seed);
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(0, 256);
  return { width, height, channels, data };
}

describe("resizeU8 (OpenCV INTER_LINEAR, fixed point)", () => {
  test("2x upscale of a 2x2 matches the hand-computed weights (0.25/0.75, clamped borders)", () => {
    const src: U8Image = {
      width: 2,
      height: 2,
      channels: 1,
      data: Uint8Array.from([0, 100, 200, 40]),
    };
    // Rows by hand: y0 = row0, y1 = .75 row0 + .25 row1, y2 = .25 row0 + .75 row1, y3 = row1;
    // the same weights along x. Exact values 58.75, 76.25, 126.25, 78.75 round to nearest.
    const expected = [0, 25, 75, 100, 50, 59, 76, 85, 150, 126, 79, 55, 200, 160, 80, 40];
    assert.deepEqual(Array.from(resizeU8(src, 4, 4).data), expected);
  });

  test("downscale by exactly 2 is the rounded 2x2 average", () => {
    const src: U8Image = {
      width: 4,
      height: 2,
      channels: 1,
      data: Uint8Array.from([1, 2, 10, 20, 3, 4, 30, 41]),
    };
    // (1+2+3+4+2)>>2 = 3 (2.5 rounds up), (10+20+30+41+2)>>2 = 25 (25.25).
    assert.deepEqual(Array.from(resizeU8(src, 2, 1).data), [3, 25]);
  });

  test("same size is an identity copy", () => {
    const src = randomU8(7, 5, 3, 1);
    const out = resizeU8(src, 7, 5);
    assert.deepEqual(out.data, src.data);
    assert.notEqual(out.data, src.data);
  });

  test("constant images stay constant (no fixed-point loss at 0, 1, 254, 255)", () => {
    for (const v of [0, 1, 254, 255]) {
      const src: U8Image = { width: 5, height: 3, channels: 3, data: new Uint8Array(45).fill(v) };
      for (const [w, h] of [
        [13, 7],
        [2, 2],
        [256, 256],
      ]) {
        assert.ok(
          resizeU8(src, w, h).data.every((x) => x === v),
          `value ${v} to ${w}x${h}`,
        );
      }
    }
  });

  test("random RGB and gray images agree with the float64 reference to within 1 level", () => {
    for (const [sw, sh, dw, dh, cn] of [
      [37, 23, 64, 64, 3],
      [64, 48, 29, 31, 1],
      [100, 90, 256, 256, 3],
      [300, 300, 256, 256, 1],
    ] as const) {
      const src = randomU8(sw, sh, cn, sw * 7 + dh);
      const got = resizeU8(src, dw, dh);
      const ref = referenceBilinear(src, dw, dh);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got.data[i] - ref[i]));
      assert.ok(worst <= 1, `${sw}x${sh}->${dw}x${dh}: max error ${worst}`);
    }
  });

  test("rejects bad targets and mismatched buffers with a clear message", () => {
    const src = randomU8(4, 4, 1, 2);
    assert.throws(() => resizeU8(src, 0, 4), /target size must be positive integers/);
    assert.throws(
      () => resizeU8({ width: 4, height: 4, channels: 3, data: new Uint8Array(16) }, 2, 2),
      /buffer holds 16 values/,
    );
  });
});

describe("resizeFloat (OpenCV INTER_LINEAR, float32)", () => {
  test("2x upscale of a 2x2 gives the exact bilinear values", () => {
    const src: FloatImage = {
      width: 2,
      height: 2,
      channels: 1,
      data: Float32Array.from([0, 1, 0.5, 0.25]),
    };
    const out = resizeFloat(src, 4, 4);
    const ref = referenceBilinear(src, 4, 4);
    for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(out.data[i] - ref[i]) < 1e-7);
    // By hand: row0 -> [0, .25, .75, 1], row1 -> [.5, .4375, .3125, .25]; y1 = .75 row0 + .25 row1.
    assert.equal(out.data[1], 0.25);
    assert.equal(out.data[5], 0.296875);
  });

  test("downscale by 2 equals the 2x2 mean; same size copies", () => {
    const src = u8ToFloat(randomU8(8, 6, 3, 3));
    const out = resizeFloat(src, 4, 3);
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 4; x++) {
        for (let c = 0; c < 3; c++) {
          const at = (yy: number, xx: number) => src.data[(yy * 8 + xx) * 3 + c];
          const mean =
            (at(2 * y, 2 * x) +
              at(2 * y, 2 * x + 1) +
              at(2 * y + 1, 2 * x) +
              at(2 * y + 1, 2 * x + 1)) /
            4;
          assert.ok(Math.abs(out.data[(y * 4 + x) * 3 + c] - mean) < 1e-7);
        }
      }
    }
    assert.deepEqual(resizeFloat(src, 8, 6).data, src.data);
  });

  // OpenCV stores each source coordinate as float32 (ulp ~4e-6 near 60), so the fractions, and
  // with them the results, differ from a float64 computation by a few 1e-6.
  test("random images agree with the float64 reference to 5e-6", () => {
    for (const [sw, sh, dw, dh, cn] of [
      [37, 23, 64, 64, 3],
      [61, 45, 20, 33, 1],
    ] as const) {
      const src = u8ToFloat(randomU8(sw, sh, cn, sw + dw));
      const got = resizeFloat(src, dw, dh);
      const ref = referenceBilinear(src, dw, dh);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got.data[i] - ref[i]));
      assert.ok(worst < 5e-6, `${sw}x${sh}->${dw}x${dh}: max error ${worst}`);
    }
  });
});

describe("resizeImage", () => {
  test("auto mode takes the uint8 path for images decoded from 8 bits", () => {
    const u8 = randomU8(33, 17, 3, 9);
    const viaAuto = resizeImage(u8ToFloat(u8), 20, 40);
    assert.deepEqual(viaAuto.data, u8ToFloat(resizeU8(u8, 20, 40)).data);
  });

  test("auto mode falls back to float for off-grid values; float mode forces it", () => {
    const src: FloatImage = {
      width: 3,
      height: 1,
      channels: 1,
      data: Float32Array.from([0.1, 0.2, 0.3]),
    };
    assert.deepEqual(resizeImage(src, 6, 1).data, resizeFloat(src, 6, 1).data);
    const u8 = u8ToFloat(randomU8(9, 9, 1, 4));
    assert.deepEqual(resizeImage(u8, 5, 5, "float").data, resizeFloat(u8, 5, 5).data);
  });

  test("masks resized bilinearly get fractional borders", () => {
    const data = new Uint8Array(36);
    for (const i of [14, 15, 20, 21]) data[i] = 255; // a 2x2 defect in a 6x6 mask
    const out = resizeImage(u8ToFloat({ width: 6, height: 6, channels: 1, data }), 12, 12);
    const values = new Set(Array.from(out.data));
    assert.ok(
      [...values].some((v) => v > 0 && v < 1),
      "expected fractional border values",
    );
    assert.ok(values.has(1), "the inside of the defect stays 1");
  });
});
