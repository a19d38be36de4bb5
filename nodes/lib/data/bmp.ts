/**
 * Minimal BMP decoder. Hand-written because the installed sharp (0.35, libvips without
 * ImageMagick) cannot read BMP at all: `sharp.format.magick.input.buffer === false`.
 * Supports the layouts seen in practice: 24-bit and 32-bit (BI_RGB or BI_BITFIELDS),
 * 1/4/8-bit palette, bottom-up and top-down rows. RLE compression is rejected.
 */

/** Decoded BMP pixels: 8-bit, R,G,B order, 1 channel when the palette is all gray. */
export interface BmpPixels {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
  readonly bitsPerPixel: number;
  /** True when a 32-bit image had a non-empty alpha mask (alpha is dropped). */
  readonly hadAlpha: boolean;
}

/** Width/height and pixel format from the header only (no pixel work). */
export interface BmpHeader {
  readonly width: number;
  readonly height: number;
  readonly topDown: boolean;
  readonly bitsPerPixel: number;
  readonly compression: number;
  readonly pixelOffset: number;
  readonly headerSize: number;
}

export function isBmp(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d;
}

/** Parses the file and DIB headers; throws (message without the file name) when malformed. */
export function readBmpHeader(buf: Buffer): BmpHeader {
  if (buf.length < 26) throw new Error("BMP header is truncated");
  const pixelOffset = buf.readUInt32LE(10);
  const headerSize = buf.readUInt32LE(14);
  let width: number;
  let rawHeight: number;
  let bitsPerPixel: number;
  let compression = 0;
  if (headerSize === 12) {
    width = buf.readUInt16LE(18);
    rawHeight = buf.readInt16LE(20);
    bitsPerPixel = buf.readUInt16LE(24);
  } else if (headerSize >= 40) {
    if (buf.length < 14 + 40) throw new Error("BMP header is truncated");
    width = buf.readInt32LE(18);
    rawHeight = buf.readInt32LE(22);
    bitsPerPixel = buf.readUInt16LE(28);
    compression = buf.readUInt32LE(30);
  } else {
    throw new Error(`unsupported BMP header size ${headerSize}`);
  }
  if (width <= 0 || rawHeight === 0) throw new Error(`invalid BMP size ${width}x${rawHeight}`);
  return {
    width,
    height: Math.abs(rawHeight),
    topDown: rawHeight < 0,
    bitsPerPixel,
    compression,
    pixelOffset,
    headerSize,
  };
}

function maskShift(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

/** Decodes the pixels of a BMP file held in `buf`. */
export function decodeBmp(buf: Buffer): BmpPixels {
  const h = readBmpHeader(buf);
  const { width, height, bitsPerPixel: bpp, compression } = h;
  const isBitfields = compression === 3 || compression === 6;
  if (compression !== 0 && !(isBitfields && (bpp === 16 || bpp === 32))) {
    throw new Error(`unsupported BMP compression ${compression} at ${bpp} bits per pixel`);
  }
  if (![1, 4, 8, 24, 32].includes(bpp) && !(bpp === 16 && isBitfields)) {
    throw new Error(`unsupported BMP bit depth ${bpp}`);
  }
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (h.pixelOffset + stride * height > buf.length) {
    throw new Error(
      `BMP pixel data is truncated (needs ${h.pixelOffset + stride * height} bytes, file has ${buf.length})`,
    );
  }
  const rowStart = (y: number) => h.pixelOffset + (h.topDown ? y : height - 1 - y) * stride;

  if (bpp <= 8) {
    const paletteStart = 14 + h.headerSize;
    const entrySize = h.headerSize === 12 ? 3 : 4;
    const declared = h.headerSize >= 40 ? buf.readUInt32LE(46) : 0;
    const count = declared > 0 ? declared : 1 << bpp;
    if (paletteStart + count * entrySize > h.pixelOffset)
      throw new Error("BMP palette is truncated");
    const pal = new Uint8Array(count * 3);
    let gray = true;
    for (let i = 0; i < count; i++) {
      const p = paletteStart + i * entrySize;
      pal[i * 3] = buf[p + 2];
      pal[i * 3 + 1] = buf[p + 1];
      pal[i * 3 + 2] = buf[p];
      if (buf[p] !== buf[p + 1] || buf[p] !== buf[p + 2]) gray = false;
    }
    const channels = gray ? 1 : 3;
    const data = new Uint8Array(width * height * channels);
    const perByte = 8 / bpp;
    const valueMask = (1 << bpp) - 1;
    for (let y = 0; y < height; y++) {
      const r = rowStart(y);
      for (let x = 0; x < width; x++) {
        const byte = buf[r + Math.floor(x / perByte)];
        const shift = 8 - bpp * ((x % perByte) + 1);
        const idx = (byte >> shift) & valueMask;
        if (idx >= count)
          throw new Error(`BMP palette index ${idx} is out of range (${count} colours)`);
        if (gray) data[y * width + x] = pal[idx * 3];
        else data.set(pal.subarray(idx * 3, idx * 3 + 3), (y * width + x) * 3);
      }
    }
    return { width, height, channels, data, bitsPerPixel: bpp, hadAlpha: false };
  }

  const data = new Uint8Array(width * height * 3);
  if (bpp === 24) {
    for (let y = 0; y < height; y++) {
      const r = rowStart(y);
      for (let x = 0; x < width; x++) {
        const p = r + x * 3;
        const o = (y * width + x) * 3;
        data[o] = buf[p + 2];
        data[o + 1] = buf[p + 1];
        data[o + 2] = buf[p];
      }
    }
    return { width, height, channels: 3, data, bitsPerPixel: bpp, hadAlpha: false };
  }

  // 16/32-bit: BI_RGB 32-bit is X8R8G8B8; bitfields give explicit channel masks.
  let masks = bpp === 32 ? [0xff0000, 0xff00, 0xff, 0] : [0x7c00, 0x3e0, 0x1f, 0];
  if (isBitfields) {
    const m = 14 + 40;
    masks = [buf.readUInt32LE(m), buf.readUInt32LE(m + 4), buf.readUInt32LE(m + 8), 0];
    if (h.headerSize >= 56) masks[3] = buf.readUInt32LE(m + 12);
  }
  const fields = masks.map(maskShift);
  const bytes = bpp / 8;
  for (let y = 0; y < height; y++) {
    const r = rowStart(y);
    for (let x = 0; x < width; x++) {
      const p = r + x * bytes;
      const v = bytes === 4 ? buf.readUInt32LE(p) : buf.readUInt16LE(p);
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const f = fields[c];
        const raw = f.max === 0 ? 0 : ((v & masks[c]) >>> 0) >>> f.shift;
        data[o + c] = f.max === 255 ? raw : Math.round((raw * 255) / Math.max(f.max, 1));
      }
    }
  }
  return { width, height, channels: 3, data, bitsPerPixel: bpp, hadAlpha: masks[3] !== 0 };
}
