import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createRng } from "../../sdk/rng.ts";
import { squaredErrorMap, ssimDissimilarityMap } from "./ssim.ts";

const img = (w: number, h: number, f: (i: number) => number) => ({
  width: w,
  height: h,
  channels: 3 as const,
  data: Float32Array.from({ length: w * h * 3 }, (_, i) => f(i)),
});

describe("ablation maps", () => {
  test("identical images score zero everywhere", () => {
    const rng = createRng(1);
    const a = img(20, 15, () => rng.next());
    assert.ok(ssimDissimilarityMap(a, a).data.every((v) => Math.abs(v) < 1e-9));
    assert.ok(squaredErrorMap(a, a).data.every((v) => v === 0));
  });

  test("a local change raises the map only near it", () => {
    const rng = createRng(2);
    const a = img(40, 40, () => rng.next());
    const b = { ...a, data: a.data.slice() };
    for (let c = 0; c < 3; c++) b.data[(20 * 40 + 20) * 3 + c] = 1 - a.data[(20 * 40 + 20) * 3 + c];
    const s = ssimDissimilarityMap(a, b);
    assert.ok(s.data[20 * 40 + 20] > 0.01);
    assert.ok(Math.abs(s.data[0]) < 1e-9);
    const l2 = squaredErrorMap(a, b);
    assert.ok(l2.data[20 * 40 + 20] > 0);
    assert.equal(l2.data[0], 0);
  });

  test("different sizes are refused with a clear message", () => {
    assert.throws(
      () =>
        squaredErrorMap(
          img(4, 4, () => 0),
          img(5, 4, () => 0),
        ),
      /differ in size/,
    );
  });
});
