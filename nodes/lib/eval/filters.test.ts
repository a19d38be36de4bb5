import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createRng } from "../../sdk/rng.ts";
import { avgPool2, borderIndex, boxBlurU8, meanFilter, resizeBilinear } from "./filters.ts";

const map = (width: number, height: number, values: number[]) => ({
  width,
  height,
  data: Float64Array.from(values),
});

/** Direct O(size²) window mean, used as the oracle for the running-sum filter. */
function naiveMean(
  m: { width: number; height: number; data: Float64Array },
  size: number,
  border: "zero" | "reflect101" | "replicate",
) {
  const r = (size - 1) / 2;
  const out = new Float64Array(m.data.length);
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      let s = 0;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const yy = borderIndex(y + dy, m.height, border);
          const xx = borderIndex(x + dx, m.width, border);
          if (yy >= 0 && xx >= 0) s += m.data[yy * m.width + xx];
        }
      }
      out[y * m.width + x] = s / (size * size);
    }
  }
  return out;
}

describe("borderIndex", () => {
  test("reflect-101 mirrors without repeating the edge sample, also past one period", () => {
    assert.deepEqual(
      [-3, -2, -1, 0, 4, 5, 6, 9].map((p) => borderIndex(p, 5, "reflect101")),
      [3, 2, 1, 0, 4, 3, 2, 1],
    );
    assert.equal(borderIndex(-4, 1, "reflect101"), 0);
    assert.equal(borderIndex(-1, 5, "zero"), -1);
    assert.equal(borderIndex(7, 5, "replicate"), 4);
  });
});

describe("meanFilter", () => {
  const rng = createRng(11);
  const m = map(
    9,
    6,
    Array.from({ length: 54 }, () => rng.next()),
  );
  for (const border of ["zero", "reflect101", "replicate"] as const) {
    for (const size of [1, 3, 5, 11]) {
      test(`${border}, size ${size}: equals a direct window sum / size²`, () => {
        const got = meanFilter(m, size, border).data;
        const want = naiveMean(m, size, border);
        for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-12);
      });
    }
  }

  test("zero border keeps the size² divisor (a constant map darkens at the corners)", () => {
    const out = meanFilter(map(3, 3, Array(9).fill(1)), 3, "zero");
    assert.equal(out.data[0], 4 / 9);
    assert.equal(out.data[4], 1);
  });

  test("rejects an even size and an empty map", () => {
    assert.throws(() => meanFilter(m, 4, "zero"), /size must be an odd positive integer \(got 4\)/);
    assert.throws(() => meanFilter(map(0, 0, []), 3, "zero"), /map is empty/);
  });
});

describe("boxBlurU8", () => {
  test("rounds the exact integer window sum like cv2.blur with reflect-101", () => {
    const rng = createRng(5);
    const data = Uint8Array.from({ length: 13 * 8 }, () => rng.int(0, 256));
    const got = boxBlurU8(data, 13, 8, 11);
    const want = naiveMean(map(13, 8, Array.from(data)), 11, "reflect101");
    for (let i = 0; i < want.length; i++) assert.equal(got[i], Math.round(want[i]));
  });
});

describe("avgPool2", () => {
  test("averages 2x2 blocks and drops an odd last row/column", () => {
    const out = avgPool2(map(3, 3, [1, 3, 100, 5, 7, 100, 100, 100, 100]));
    assert.equal(out.width, 1);
    assert.equal(out.height, 1);
    assert.deepEqual(Array.from(out.data), [4]);
  });

  test("rejects a map smaller than 2x2", () => {
    assert.throws(() => avgPool2(map(1, 4, [1, 2, 3, 4])), /needs at least 2x2/);
  });
});

describe("resizeBilinear (align_corners=False)", () => {
  test("2 -> 4 matches PyTorch's half-pixel weights with edge clamping", () => {
    // torch: interpolate([[0, 1]], size=4, bilinear, align_corners=False) = [0, .25, .75, 1]
    const out = resizeBilinear(map(2, 1, [0, 1]), 4, 1);
    assert.deepEqual(Array.from(out.data), [0, 0.25, 0.75, 1]);
  });

  test("same size is the identity; rejects a bad target size", () => {
    const m = map(3, 2, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Array.from(resizeBilinear(m, 3, 2).data), [1, 2, 3, 4, 5, 6]);
    assert.throws(() => resizeBilinear(m, 0, 2), /target size must be positive integers/);
  });
});
