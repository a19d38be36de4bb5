import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { FloatImage } from "../../sdk/image.ts";
import { renderGallery } from "./gallery.ts";

const solid = (w: number, h: number, cn: 1 | 3, v: number): FloatImage => ({
  width: w,
  height: h,
  channels: cn,
  data: new Float32Array(w * h * cn).fill(v),
});

describe("renderGallery", () => {
  test("layout: size and pixel placement", () => {
    const samples = [0, 1, 2].map(() => ({ image: solid(4, 3, 3, 0.5), mask: solid(4, 3, 1, 1) }));
    const g = renderGallery(samples, 2);
    // 2 columns of (4 + 2 + 4) plus 3 gaps; 2 rows of 3 plus 3 gaps.
    assert.equal(g.width, 2 * 10 + 3 * 2);
    assert.equal(g.height, 2 * 3 + 3 * 2);
    assert.equal(g.data.length, g.width * g.height * 3);
    const px = (x: number, y: number) =>
      Array.from(g.data.subarray((y * g.width + x) * 3, (y * g.width + x) * 3 + 3));
    assert.deepEqual(px(2, 2), [128, 128, 128]); // first image
    assert.deepEqual(px(2 + 4 + 2, 2), [255, 255, 255]); // first mask
    assert.deepEqual(px(0, 0), [96, 96, 96]); // gap
    assert.deepEqual(px(2 + 10 + 2, 2 + 3 + 2), [96, 96, 96]); // empty 4th cell
  });
  test("clamps values and rejects bad input", () => {
    const g = renderGallery([{ image: solid(2, 2, 3, 2), mask: solid(2, 2, 1, -1) }]);
    assert.equal(g.data[(2 * g.width + 2) * 3], 255);
    assert.equal(g.data[(2 * g.width + 6) * 3], 0);
    assert.throws(() => renderGallery([]), /empty/);
    assert.throws(
      () => renderGallery([{ image: solid(2, 2, 3, 0), mask: solid(2, 2, 1, 0) }], 0),
      /columns/,
    );
  });
});
