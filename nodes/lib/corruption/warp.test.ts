import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { FloatImage } from "../../sdk/image.ts";
import { createRng } from "../../sdk/rng.ts";
import { centreRotationMatrix, invertAffine, rotateAboutCentre, warpAffine } from "./warp.ts";

function randomImage(w: number, h: number, cn: 1 | 3, seed: number): FloatImage {
  const rng = createRng(seed);
  const data = new Float32Array(w * h * cn);
  for (let k = 0; k < data.length; k++) data[k] = rng.next();
  return { width: w, height: h, channels: cn, data };
}

describe("warpAffine", () => {
  test("identity keeps the image bit for bit", () => {
    const img = randomImage(17, 11, 3, 1);
    const out = warpAffine(img, [1, 0, 0, 0, 1, 0]);
    assert.deepEqual(out.data, img.data);
  });

  test("integer translation shifts and fills 0", () => {
    const img = randomImage(8, 6, 1, 2);
    const out = warpAffine(img, [1, 0, 2, 0, 1, 1]);
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 8; x++) {
        const want = x >= 2 && y >= 1 ? img.data[(y - 1) * 8 + (x - 2)] : 0;
        assert.equal(out.data[y * 8 + x], want, `pixel ${x},${y}`);
      }
    }
  });

  test("half-pixel shift averages neighbours; fractions quantised to 1/32 pixel", () => {
    const img: FloatImage = {
      width: 4,
      height: 1,
      channels: 1,
      data: Float32Array.from([0, 1, 0, 0]),
    };
    // destination x samples source x − 0.5 → (0 + 1)/2 at x = 1.
    const half = warpAffine(img, [1, 0, 0.5, 0, 1, 0]);
    assert.equal(half.data[1], 0.5);
    // A shift of 0.01 px rounds to 0/32: the image is unchanged (exact bilinear would not be).
    const tiny = warpAffine(img, [1, 0, 0.01, 0, 1, 0]);
    assert.deepEqual(Array.from(tiny.data), [0, 1, 0, 0]);
    // 0.1 px rounds to 3/32.
    const small = warpAffine(img, [1, 0, 0.1, 0, 1, 0]);
    assert.equal(small.data[1], 1 - 3 / 32);
    assert.equal(small.data[2], 3 / 32);
  });

  test("output size can differ from the input", () => {
    const img = randomImage(5, 5, 3, 3);
    const out = warpAffine(img, [1, 0, 0, 0, 1, 0], 7, 2);
    assert.equal(out.width, 7);
    assert.equal(out.height, 2);
    assert.equal(out.data.length, 7 * 2 * 3);
    assert.equal(out.data[6 * 3], 0);
  });

  test("invertAffine composes to identity", () => {
    const m = [0.8, -0.3, 4, 0.2, 1.1, -2] as const;
    const inv = invertAffine(m);
    const [x, y] = [3.5, -7.25];
    const fx = m[0] * x + m[1] * y + m[2];
    const fy = m[3] * x + m[4] * y + m[5];
    assert.ok(Math.abs(inv[0] * fx + inv[1] * fy + inv[2] - x) < 1e-12);
    assert.ok(Math.abs(inv[3] * fx + inv[4] * fy + inv[5] - y) < 1e-12);
  });

  test("bad input is rejected with a clear message", () => {
    const img = randomImage(4, 4, 1, 4);
    assert.throws(() => warpAffine(img, [1, 0, Number.NaN, 0, 1, 0]), /matrix must be 6 finite/);
    assert.throws(() => warpAffine(img, [1, 0, 0, 0, 1, 0], 0, 4), /output size/);
    assert.throws(() => rotateAboutCentre(img, Number.POSITIVE_INFINITY), /degrees/);
  });
});

describe("rotateAboutCentre", () => {
  test("0° is the identity and 360° nearly so", () => {
    const img = randomImage(16, 12, 3, 5);
    assert.deepEqual(rotateAboutCentre(img, 0).data, img.data);
    const full = rotateAboutCentre(img, 360);
    let err = 0;
    // Border pixels may lose a neighbour to rounding; compare the interior.
    for (let y = 1; y < 11; y++) {
      for (let x = 1; x < 15; x++) {
        for (let k = 0; k < 3; k++) {
          const i = (y * 16 + x) * 3 + k;
          err = Math.max(err, Math.abs(full.data[i] - img.data[i]));
        }
      }
    }
    assert.ok(err < 1e-5, `360° error ${err}`);
  });

  test("90° on a square image is an exact pixel permutation (clockwise on screen)", () => {
    const n = 9;
    const img = randomImage(n, n, 1, 6);
    const out = rotateAboutCentre(img, 90);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        // Clockwise: destination (x, y) comes from source (y, n-1-x).
        const want = img.data[(n - 1 - x) * n + y];
        assert.ok(Math.abs(out.data[y * n + x] - want) < 1e-6, `pixel ${x},${y}`);
      }
    }
  });

  test("45° leaves black corners and keeps the centre", () => {
    const img: FloatImage = {
      width: 32,
      height: 32,
      channels: 1,
      data: new Float32Array(32 * 32).fill(1),
    };
    const out = rotateAboutCentre(img, 45);
    assert.equal(out.data[0], 0);
    assert.equal(out.data[32 * 32 - 1], 0);
    assert.equal(out.data[16 * 32 + 16], 1);
  });

  test("works on float64 rasters (Perlin noise)", () => {
    const data = new Float64Array(64).map((_, i) => i / 64);
    const out = rotateAboutCentre({ width: 8, height: 8, channels: 1, data }, 10);
    assert.ok(out.data instanceof Float64Array);
    assert.equal(out.data.length, 64);
  });

  test("centreRotationMatrix fixes the centre", () => {
    const m = centreRotationMatrix(10, 6, 33);
    const [cx, cy] = [4.5, 2.5];
    assert.ok(Math.abs(m[0] * cx + m[1] * cy + m[2] - cx) < 1e-12);
    assert.ok(Math.abs(m[3] * cx + m[4] * cy + m[5] - cy) < 1e-12);
  });
});
