import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { FloatImage } from "../../sdk/image.ts";
import { createRng } from "../../sdk/rng.ts";
import { loadGolden } from "./_fixtures.ts";
import { cutPaste, type DrawSource, rngDrawSource } from "./cutpaste.ts";

interface CutPasteCase {
  seed: number;
  image_f32_hwc: number[];
  randrange_calls: { args: [number, number]; value: number }[];
  patch_shape: [number, number, number];
  out_f32_hwc: number[];
  mask: number[];
}

const golden = loadGolden<{ height: number; width: number; cases: CutPasteCase[] }>(
  "cutpaste.json",
);

/** Replays recorded randrange calls and checks that each is made with the same arguments. */
function replay(calls: CutPasteCase["randrange_calls"]): DrawSource & { used: () => number } {
  let i = 0;
  return {
    randrange(lo, hi) {
      const call = calls[i++];
      assert.ok(call, `unexpected extra randrange(${lo}, ${hi})`);
      assert.deepEqual([lo, hi], call.args, `randrange call ${i} arguments`);
      return call.value;
    },
    used: () => i,
  };
}

describe("cutPaste replays cutpaste.json", () => {
  for (const c of golden.cases) {
    test(`seed ${c.seed}`, () => {
      const img: FloatImage = {
        width: golden.width,
        height: golden.height,
        channels: 3,
        data: Float32Array.from(c.image_f32_hwc),
      };
      const src = replay(c.randrange_calls);
      const r = cutPaste(img, src);
      assert.equal(src.used(), c.randrange_calls.length);
      assert.deepEqual([r.details.patchHeight, r.details.patchWidth], c.patch_shape.slice(0, 2));
      assert.deepEqual(Array.from(r.mask.data), c.mask.map(Number));
      let maxErr = 0;
      for (let k = 0; k < c.out_f32_hwc.length; k++) {
        maxErr = Math.max(maxErr, Math.abs(r.image.data[k] - c.out_f32_hwc[k]));
      }
      assert.ok(maxErr <= 1e-5, `max abs error ${maxErr}`);
      // The input is not modified.
      assert.deepEqual(img.data, Float32Array.from(c.image_f32_hwc));
    });
  }
});

describe("cutPaste with our Rng", () => {
  const img: FloatImage = {
    width: 256,
    height: 256,
    channels: 3,
    data: new Float32Array(256 * 256 * 3).map((_, i) => (i % 251) / 251),
  };
  test("lengths, angle and paste position follow the reference ranges at 256", () => {
    const rng = createRng(42);
    for (let n = 0; n < 200; n++) {
      const r = cutPaste(img, rngDrawSource(rng));
      const d = r.details;
      for (const len of [d.drawnHeight, d.drawnWidth]) {
        assert.ok(len % 2 === 0 && len >= 204 && len <= 228, `length ${len}`);
      }
      assert.equal(d.patchHeight, Math.min(d.drawnHeight, 256 - d.top));
      assert.equal(d.patchWidth, Math.min(d.drawnWidth, 256 - d.left));
      assert.ok(Number.isInteger(d.angle) && d.angle >= -6 && d.angle < 6);
      assert.equal(d.angleRadians, d.angle);
      assert.ok(d.pasteRow >= 1 && d.pasteRow + d.patchHeight <= 255);
      assert.ok(d.pasteCol >= 1 && d.pasteCol + d.patchWidth <= 255);
      let area = 0;
      for (const v of r.mask.data) area += v;
      assert.equal(area, d.patchHeight * d.patchWidth);
    }
  });
  test("angle unit 'degrees' converts and angle 0 pastes the patch unchanged", () => {
    const r = cutPaste(img, rngDrawSource(createRng(1)), {
      angleUnit: "degrees",
      angleRange: [0, 1],
    });
    const d = r.details;
    assert.equal(d.angleRadians, 0);
    for (let y = 0; y < d.patchHeight; y += 7) {
      for (let x = 0; x < d.patchWidth; x += 5) {
        const src = ((d.top + y) * 256 + d.left + x) * 3;
        const dst = ((d.pasteRow + y) * 256 + d.pasteCol + x) * 3;
        assert.equal(r.image.data[dst], img.data[src]);
      }
    }
    const r2 = cutPaste(img, rngDrawSource(createRng(2)), {
      angleUnit: "degrees",
      angleRange: [30, 31],
    });
    assert.ok(Math.abs(r2.details.angleRadians - Math.PI / 6) < 1e-15);
  });
  test("tiny and non-square images do not throw", () => {
    const rng = createRng(5);
    for (const [w, h] of [
      [3, 3],
      [5, 40],
      [40, 5],
    ]) {
      const small: FloatImage = { width: w, height: h, channels: 1, data: new Float32Array(w * h) };
      const r = cutPaste(small, rngDrawSource(rng));
      assert.equal(r.mask.data.length, w * h);
    }
  });
  test("rejects bad options", () => {
    assert.throws(
      () => cutPaste(img, rngDrawSource(createRng(1)), { sizeRange: [0.9, 0.8] }),
      /sizeRange/,
    );
    assert.throws(
      () => cutPaste(img, rngDrawSource(createRng(1)), { angleRange: [1.5, 3] }),
      /angleRange/,
    );
  });
});
