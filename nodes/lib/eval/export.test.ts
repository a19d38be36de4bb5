import assert from "node:assert/strict";
import { describe, test } from "node:test";
import sharp from "sharp";
import { createRng } from "../../sdk/rng.ts";
import { decodeFloatTiff, encodeFloatTiff, HEAT_COLORMAP, heatmapOverlay } from "./export.ts";

const rng = createRng(9);
const map = { width: 7, height: 5, data: Float64Array.from({ length: 35 }, () => rng.normal()) };

describe("float32 TIFF", () => {
  test("round-trips through our reader with float32 precision", () => {
    const back = decodeFloatTiff(encodeFloatTiff(map));
    assert.equal(back.width, 7);
    assert.equal(back.height, 5);
    assert.deepEqual(Array.from(back.data), Array.from(map.data, Math.fround));
  });

  test("libvips/libtiff (through sharp) reads it as a 1-channel float image with our values", async () => {
    const file = Buffer.from(encodeFloatTiff(map));
    const meta = await sharp(file).metadata();
    assert.equal(meta.format, "tiff");
    assert.equal(meta.channels, 1);
    assert.equal(meta.depth, "float");
    const { data, info } = await sharp(file)
      .raw({ depth: "float" })
      .toBuffer({ resolveWithObject: true });
    // sharp expands gray to sRGB on raw output; every channel carries the stored value.
    const all = new Float32Array(data.buffer, data.byteOffset, 35 * info.channels);
    const values = Array.from({ length: 35 }, (_, i) => all[i * info.channels]);
    assert.deepEqual(values, Array.from(map.data, Math.fround));
  });

  test("rejects colour maps and foreign files", () => {
    assert.throws(
      () => encodeFloatTiff({ width: 1, height: 1, channels: 3, data: [0, 0, 0] }),
      /only 1-channel/,
    );
    assert.throws(
      () => decodeFloatTiff(Uint8Array.of(0x4d, 0x4d, 0, 42, 0, 0, 0, 8)),
      /not a little-endian TIFF/,
    );
  });
});

describe("heatmapOverlay", () => {
  const img = { width: 3, height: 1, channels: 1 as const, data: Float32Array.of(0.5, 0.5, 0.5) };
  const scores = { width: 3, height: 1, data: Float64Array.of(-1, 0.5, 9) };

  test("the colour ramp gets brighter from low to high scores", () => {
    const lum = (k: number) =>
      0.2126 * HEAT_COLORMAP[3 * k] +
      0.7152 * HEAT_COLORMAP[3 * k + 1] +
      0.0722 * HEAT_COLORMAP[3 * k + 2];
    for (let k = 8; k < 256; k += 8) assert.ok(lum(k) > lum(k - 8), `ramp not brighter at ${k}`);
  });

  test("clamps to the caller's [min, max] and blends with alpha", () => {
    const full = heatmapOverlay(img, scores, { min: 0, max: 1, alpha: 1 });
    assert.deepEqual(Array.from(full.data.slice(0, 3)), Array.from(HEAT_COLORMAP.slice(0, 3)));
    assert.deepEqual(Array.from(full.data.slice(6, 9)), Array.from(HEAT_COLORMAP.slice(765, 768)));
    const none = heatmapOverlay(img, scores, { min: 0, max: 1, alpha: 0 });
    assert.ok(none.data.every((v) => v === 128));
  });

  test("rejects min ≥ max, alpha outside [0,1] and size mismatches", () => {
    assert.throws(() => heatmapOverlay(img, scores, { min: 1, max: 1 }), /need finite min < max/);
    assert.throws(
      () => heatmapOverlay(img, scores, { min: 0, max: 1, alpha: 2 }),
      /alpha must be in \[0,1\]/,
    );
    const other = { width: 2, height: 1, data: new Float64Array(2) };
    assert.throws(
      () => heatmapOverlay(img, other, { min: 0, max: 1 }),
      /image is 3x1 but map is 2x1/,
    );
  });
});
