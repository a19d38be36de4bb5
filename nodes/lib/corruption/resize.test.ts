import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { resizeBilinear } from "./resize.ts";

describe("resizeBilinear", () => {
  test("2x upscale of a 2-pixel row follows OpenCV's pixel-centre rule", () => {
    const img = { width: 2, height: 1, channels: 1 as const, data: Float32Array.from([0, 1]) };
    const out = resizeBilinear(img, 4, 1);
    // dst x → src (x + 0.5)/2 − 0.5 = −0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1).
    assert.deepEqual(Array.from(out.data), [0, 0.25, 0.75, 1]);
  });
  test("2x downscale averages pairs", () => {
    const img = {
      width: 4,
      height: 2,
      channels: 1 as const,
      data: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]),
    };
    const out = resizeBilinear(img, 2, 1);
    assert.deepEqual(Array.from(out.data), [2.5, 4.5]);
  });
  test("constant image stays constant; same size returns the input; bad size throws", () => {
    const img = { width: 5, height: 3, channels: 3 as const, data: new Float32Array(45).fill(0.3) };
    const out = resizeBilinear(img, 11, 7);
    assert.ok(out.data.every((v) => Math.abs(v - 0.3) < 1e-6));
    assert.equal(resizeBilinear(img, 5, 3), img);
    assert.throws(() => resizeBilinear(img, 0, 3), /target size/);
  });
});
