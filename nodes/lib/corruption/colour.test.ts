import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createRng } from "../../sdk/rng.ts";
import { hlsToRgb, hsvToRgb, luma, rgbToHls, rgbToHsv, toU8 } from "./colour.ts";

describe("colour helpers", () => {
  test("known HSV values", () => {
    assert.deepEqual(rgbToHsv(1, 0, 0), [0, 1, 1]);
    assert.deepEqual(rgbToHsv(0, 1, 0), [120, 1, 1]);
    assert.deepEqual(rgbToHsv(0, 0, 1), [240, 1, 1]);
    assert.deepEqual(rgbToHsv(0.5, 0.5, 0.5), [0, 0, 0.5]);
    assert.deepEqual(hsvToRgb(60, 1, 1), [1, 1, 0]);
  });
  test("HSV and HLS round trips", () => {
    const rng = createRng(9);
    for (let i = 0; i < 2000; i++) {
      const c: [number, number, number] = [rng.next(), rng.next(), rng.next()];
      const a = hsvToRgb(...rgbToHsv(...c));
      const b = hlsToRgb(...rgbToHls(...c));
      for (let k = 0; k < 3; k++) {
        assert.ok(Math.abs(a[k] - c[k]) < 1e-12);
        assert.ok(Math.abs(b[k] - c[k]) < 1e-12);
      }
    }
  });
  test("hue wraps", () => {
    const a = hsvToRgb(-120, 1, 1);
    const b = hsvToRgb(240, 1, 1);
    assert.deepEqual(a, b);
  });
  test("luma and 8-bit quantisation", () => {
    assert.ok(Math.abs(luma(1, 1, 1) - 1) < 1e-12);
    assert.equal(toU8(-0.2), 0);
    assert.equal(toU8(2), 255);
    assert.equal(toU8(0.5), 128);
  });
});
