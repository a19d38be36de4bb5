import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import sharp from "sharp";
import { createRng } from "../../sdk/rng.ts";
import { decodeImage, decodeMask, encodePng } from "./decode.ts";
import type { U8Image } from "./raster.ts";
import { resizeU8 } from "./resize.ts";

const W = 5;
const H = 3;

function pattern(channels: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  return Uint8Array.from({ length: W * H * channels }, () => rng.int(0, 256));
}

/** Writes a BMP: 24-bit, 32-bit (BI_RGB, X8R8G8B8) or 8-bit with the given palette. */
function writeBmp(
  rgb: Uint8Array,
  w: number,
  h: number,
  bpp: 8 | 24 | 32,
  topDown: boolean,
  palette?: Uint8Array,
): Buffer {
  const stride = Math.ceil((w * bpp) / 32) * 4;
  const palBytes = bpp === 8 ? 256 * 4 : 0;
  const offset = 14 + 40 + palBytes;
  const buf = Buffer.alloc(offset + stride * h);
  buf.write("BM", 0, "latin1");
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(offset, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(w, 18);
  buf.writeInt32LE(topDown ? -h : h, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(bpp, 28);
  if (palette) {
    for (let i = 0; i < 256; i++) {
      buf[54 + i * 4] = palette[i * 3 + 2];
      buf[54 + i * 4 + 1] = palette[i * 3 + 1];
      buf[54 + i * 4 + 2] = palette[i * 3];
    }
  }
  for (let y = 0; y < h; y++) {
    const row = offset + (topDown ? y : h - 1 - y) * stride;
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      if (bpp === 8)
        buf[row + x] = rgb[p]; // here `rgb` holds palette indices
      else {
        const o = row + x * (bpp / 8);
        buf[o] = rgb[p * 3 + 2];
        buf[o + 1] = rgb[p * 3 + 1];
        buf[o + 2] = rgb[p * 3];
      }
    }
  }
  return buf;
}

const asU8 = (data: Float32Array) => Array.from(data, (v) => Math.round(v * 255));

let dir = "";
const rgb = pattern(3, 1);
const gray16 = Uint16Array.from({ length: W * H }, (_, i) => (i * 4099 + 17) % 65536);
const raw3 = { raw: { width: W, height: H, channels: 3 as const } };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgrec-decode-"));
  await sharp(rgb, raw3).png().toFile(join(dir, "rgb8.png"));
  await sharp(gray16, { raw: { width: W, height: H, channels: 1 } })
    .toColourspace("grey16")
    .png()
    .toFile(join(dir, "gray16.png"));
  const rgba = new Uint8Array(W * H * 4);
  for (let i = 0; i < W * H; i++) {
    rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = i * 10;
  }
  await sharp(rgba, { raw: { width: W, height: H, channels: 4 } })
    .png()
    .toFile(join(dir, "rgba.png"));
  // Smooth 32x32 gradient for JPEG so lossy error stays small.
  const smooth = Uint8Array.from(
    { length: 32 * 32 * 3 },
    (_, i) => 60 + (Math.floor(i / 3) % 32) * 4,
  );
  await sharp(smooth, { raw: { width: 32, height: 32, channels: 3 } })
    .jpeg({ quality: 95, chromaSubsampling: "4:4:4" })
    .toFile(join(dir, "smooth.jpg"));
  await sharp(rgb, raw3).tiff({ compression: "lzw" }).toFile(join(dir, "rgb8.tif"));
  const png = await sharp(
    pattern(3, 5).map((v) => v),
    raw3,
  )
    .png({ compressionLevel: 0 })
    .toBuffer();
  await writeFile(join(dir, "truncated.png"), png.subarray(0, Math.floor(png.length * 0.6)));
  await writeFile(join(dir, "empty.png"), Buffer.alloc(0));
  await writeFile(join(dir, "garbage.png"), Buffer.from("this is not an image at all"));
  await writeFile(join(dir, "rgb24.bmp"), writeBmp(rgb, W, H, 24, false));
  await writeFile(join(dir, "rgb32-topdown.bmp"), writeBmp(rgb, W, H, 32, true));
  const grayPal = Uint8Array.from({ length: 768 }, (_, i) => Math.floor(i / 3));
  const idx = pattern(1, 2);
  await writeFile(join(dir, "pal8-gray.bmp"), writeBmp(idx, W, H, 8, false, grayPal));
  const colourPal = Uint8Array.from({ length: 768 }, (_, i) => (i * 37) % 256);
  await writeFile(join(dir, "pal8-colour.bmp"), writeBmp(idx, W, H, 8, true, colourPal));
  const full = writeBmp(rgb, W, H, 24, false);
  await writeFile(join(dir, "truncated.bmp"), full.subarray(0, full.length - 7));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("decodeImage", () => {
  test("8-bit RGB PNG decodes exactly to k/255", async () => {
    const d = await decodeImage(join(dir, "rgb8.png"));
    assert.equal(d.image.width, W);
    assert.equal(d.image.height, H);
    assert.equal(d.image.channels, 3);
    assert.equal(d.sourceBits, 8);
    assert.equal(d.sourceChannels, 3);
    assert.equal(d.format, "png");
    assert.deepEqual(asU8(d.image.data), Array.from(rgb));
    assert.equal(d.image.data[0], Math.fround(rgb[0] / 255));
    assert.deepEqual(d.notes, []);
  });

  test("16-bit gray PNG keeps full precision; gray expands to RGB on request", async () => {
    const d = await decodeImage(join(dir, "gray16.png"));
    assert.equal(d.sourceBits, 16);
    assert.equal(d.image.channels, 1);
    assert.deepEqual(
      Array.from(d.image.data, (v) => Math.round(v * 65535)),
      Array.from(gray16),
    );
    const e = await decodeImage(join(dir, "gray16.png"), { expandGray: true });
    assert.equal(e.image.channels, 3);
    assert.equal(e.image.data[3 * 7 + 2], d.image.data[7]);
    assert.ok(e.notes.includes("gray expanded to RGB"));
  });

  test("RGBA PNG drops alpha with a note and keeps the colour", async () => {
    const d = await decodeImage(join(dir, "rgba.png"));
    assert.equal(d.sourceChannels, 4);
    assert.equal(d.image.channels, 3);
    assert.deepEqual(asU8(d.image.data), Array.from(rgb));
    assert.ok(d.notes.some((n) => n.includes("alpha")));
  });

  test("JPEG and TIFF decode (JPEG within lossy error, TIFF exact)", async () => {
    const j = await decodeImage(join(dir, "smooth.jpg"));
    assert.equal(j.format, "jpeg");
    assert.equal(j.image.width, 32);
    let worst = 0;
    for (let i = 0; i < j.image.data.length; i++) {
      worst = Math.max(
        worst,
        Math.abs(j.image.data[i] * 255 - (60 + (Math.floor(i / 3) % 32) * 4)),
      );
    }
    assert.ok(worst <= 6, `JPEG error ${worst}`);
    const t = await decodeImage(join(dir, "rgb8.tif"));
    assert.equal(t.format, "tiff");
    assert.deepEqual(asU8(t.image.data), Array.from(rgb));
  });

  test("BMP: 24-bit bottom-up, 32-bit top-down, 8-bit gray and colour palettes", async () => {
    for (const f of ["rgb24.bmp", "rgb32-topdown.bmp"]) {
      const d = await decodeImage(join(dir, f));
      assert.equal(d.format, "bmp");
      assert.deepEqual(asU8(d.image.data), Array.from(rgb), f);
    }
    const idx = pattern(1, 2);
    const g = await decodeImage(join(dir, "pal8-gray.bmp"));
    assert.equal(g.image.channels, 1);
    assert.deepEqual(asU8(g.image.data), Array.from(idx));
    const c = await decodeImage(join(dir, "pal8-colour.bmp"));
    assert.equal(c.image.channels, 3);
    const expected = Array.from(idx).flatMap((k) =>
      [0, 1, 2].map((ch) => ((k * 3 + ch) * 37) % 256),
    );
    assert.deepEqual(asU8(c.image.data), expected);
  });

  test("buffers decode too, named in errors by `name`", async () => {
    const buf = await sharp(rgb, raw3).png().toBuffer();
    const d = await decodeImage(buf);
    assert.deepEqual(asU8(d.image.data), Array.from(rgb));
    await assert.rejects(
      decodeImage(Buffer.from("nope"), { name: "camera-frame-12" }),
      /camera-frame-12/,
    );
  });

  test("pixel limit is enforced from the header, naming file, size and limit", async () => {
    const path = join(dir, "rgb8.png");
    await assert.rejects(decodeImage(path, { pixelLimit: 14 }), (err: Error) => {
      assert.match(err.message, /rgb8\.png/);
      assert.match(err.message, /5x3 \(15 pixels\)/);
      assert.match(err.message, /pixel limit of 14/);
      return true;
    });
    await assert.rejects(
      decodeImage(join(dir, "rgb24.bmp"), { pixelLimit: 10 }),
      /5x3.*limit of 10/,
    );
    assert.equal((await decodeImage(path, { pixelLimit: 15 })).image.width, W);
  });

  test("truncated, zero-byte, garbage and missing files give errors naming the path", async () => {
    for (const f of ["truncated.png", "truncated.bmp", "garbage.png"]) {
      const p = join(dir, f);
      await assert.rejects(decodeImage(p), (err: Error) => {
        assert.ok(err.message.includes(p), err.message);
        assert.match(err.message, /Cannot decode image/);
        return true;
      });
    }
    await assert.rejects(decodeImage(join(dir, "empty.png")), /empty\.png is empty \(0 bytes\)/);
    await assert.rejects(decodeImage(join(dir, "missing.png")), /not found: .*missing\.png/);
  });
});

describe("decodeMask", () => {
  test("reads gray, resizes with the uint8 bilinear path and scales to [0,1]", async () => {
    const m = new Uint8Array(36);
    for (const i of [14, 15, 20, 21]) m[i] = 255;
    const path = join(dir, "mask.png");
    await sharp(m, { raw: { width: 6, height: 6, channels: 1 } })
      .toColourspace("b-w")
      .png()
      .toFile(path);
    const got = await decodeMask(path, 12);
    assert.equal(got.channels, 1);
    assert.equal(got.width, 12);
    const want = resizeU8({ width: 6, height: 6, channels: 1, data: m }, 12, 12);
    assert.deepEqual(asU8(got.data), Array.from(want.data));
    assert.ok(got.data.some((v) => v > 0 && v < 1));
    assert.ok(got.data.some((v) => v === 1));
  });

  test("colour masks are converted with OpenCV's gray weights", async () => {
    const path = join(dir, "mask-rgb.png");
    await sharp(Uint8Array.from([255, 0, 0, 0, 255, 0]), {
      raw: { width: 2, height: 1, channels: 3 },
    })
      .png()
      .toFile(path);
    const got = await decodeMask(path, { width: 2, height: 1 });
    // (255*4899 + 8192) >> 14 = 76 and (255*9617 + 8192) >> 14 = 150
    assert.deepEqual(asU8(got.data), [76, 150]);
  });
});

describe("encodePng", () => {
  test("round-trips 8-bit RGB and float gray", async () => {
    const img: U8Image = { width: W, height: H, channels: 3, data: rgb };
    const back = await decodeImage(await encodePng(img));
    assert.deepEqual(asU8(back.image.data), Array.from(rgb));
    const g = Float32Array.from({ length: 6 }, (_, i) => i / 5);
    const png = await encodePng({ width: 3, height: 2, channels: 1, data: g });
    const meta = await sharp(png).metadata();
    assert.equal(meta.channels, 1);
    const gb = await decodeImage(png);
    assert.deepEqual(asU8(gb.image.data), [0, 51, 102, 153, 204, 255]);
  });
});

const REAL = "/work/shared/data/mvtec-mini";
describe("real mvtec-mini files", {
  skip: existsSync(REAL) ? false : `${REAL} not present`,
}, () => {
  test("bottle is 8-bit RGB, screw 8-bit gray; a same-size mask stays binary", async () => {
    const bottle = await decodeImage(join(REAL, "bottle/train/good/000.png"));
    assert.deepEqual(
      [bottle.image.width, bottle.image.height, bottle.image.channels],
      [256, 256, 3],
    );
    assert.equal(bottle.sourceBits, 8);
    const screw = await decodeImage(join(REAL, "screw/train/good/ok000.png"), { expandGray: true });
    assert.equal(screw.sourceChannels, 1);
    assert.equal(screw.image.channels, 3);
    const mask = await decodeMask(join(REAL, "bottle/ground_truth/broken_large/000_mask.png"), 256);
    assert.ok(mask.data.every((v) => v === 0 || v === 1));
    assert.ok(mask.data.some((v) => v === 1));
    const small = await decodeMask(
      join(REAL, "bottle/ground_truth/broken_large/000_mask.png"),
      100,
    );
    assert.ok(
      small.data.some((v) => v > 0 && v < 1),
      "bilinear downsizing gives fractional borders",
    );
  });
});
