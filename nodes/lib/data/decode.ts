import { readFile } from "node:fs/promises";
import sharp, { type Metadata, type OutputInfo } from "sharp";
import type { FloatImage } from "../../sdk/image.ts";
import { decodeBmp, isBmp, readBmpHeader } from "./bmp.ts";
import { floatToU8, type U8Image } from "./raster.ts";
import { resizeU8 } from "./resize.ts";

/** Default pixel limit: 25 megapixels (a 25 MP RGB float32 image already takes 300 MB). */
export const DEFAULT_PIXEL_LIMIT = 25_000_000;

/** Raster formats accepted from sharp; vector and document formats are refused. */
const SHARP_FORMATS = new Set(["png", "jpeg", "tiff", "webp", "gif"]);

export interface DecodeOptions {
  /** Refuse images with more than this many pixels (width × height); default DEFAULT_PIXEL_LIMIT. */
  pixelLimit?: number;
  /** Name used in messages; defaults to the path, or "<buffer>". */
  name?: string;
  /** Return gray sources as 3 identical channels (what cv2.imread in colour mode does). Default false. */
  expandGray?: boolean;
}

export interface DecodedImage {
  /** HWC float32 in [0,1], R,G,B (or 1 gray channel). 8-bit sources give exactly float32(k/255). */
  image: FloatImage;
  /** Human-readable notes on conversions applied (alpha dropped, CMYK converted, ...). */
  notes: string[];
  /** Bits per sample of the decoded source: 16 for 16-bit PNG/TIFF, else 8. */
  sourceBits: 8 | 16;
  /** Channels in the file, alpha included (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA/CMYK). */
  sourceChannels: number;
  /** Container format as detected from the bytes: png, jpeg, tiff, bmp, webp, gif. */
  format: string;
}

/** Integer raster as decoded, before conversion to float. */
interface RawRaster {
  width: number;
  height: number;
  channels: 1 | 3;
  bits: 8 | 16;
  data: Uint8Array | Uint16Array;
  notes: string[];
  sourceChannels: number;
  format: string;
}

function describe(input: string | Buffer, name?: string): string {
  return name ?? (typeof input === "string" ? input : "<buffer>");
}

async function loadBytes(input: string | Buffer, label: string): Promise<Buffer> {
  if (typeof input !== "string") return input;
  try {
    return await readFile(input);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`Image file not found: ${label}; check the path`);
    if (code === "EISDIR") throw new Error(`Expected an image file but got a folder: ${label}`);
    throw new Error(`Cannot read image file ${label}: ${(err as Error).message}`);
  }
}

function checkLimit(label: string, width: number, height: number, limit: number): void {
  if (width * height > limit) {
    throw new Error(
      `Image ${label} is ${width}x${height} (${width * height} pixels), above the pixel limit of ` +
        `${limit}; downscale it first or raise pixelLimit`,
    );
  }
}

function corrupt(label: string, detail: string): Error {
  return new Error(
    `Cannot decode image ${label}: ${detail}. Expected a valid PNG, JPEG, TIFF or BMP file; ` +
      "the file may be truncated or corrupt",
  );
}

async function readRaster(input: string | Buffer, opts: DecodeOptions): Promise<RawRaster> {
  const label = describe(input, opts.name);
  const limit = opts.pixelLimit ?? DEFAULT_PIXEL_LIMIT;
  const buf = await loadBytes(input, label);
  if (buf.length === 0) throw new Error(`Image ${label} is empty (0 bytes); re-export the file`);

  if (isBmp(buf)) {
    let header: ReturnType<typeof readBmpHeader>;
    try {
      header = readBmpHeader(buf);
    } catch (err) {
      throw corrupt(label, (err as Error).message);
    }
    checkLimit(label, header.width, header.height, limit);
    try {
      const bmp = decodeBmp(buf);
      const notes = bmp.hadAlpha ? ["alpha channel dropped"] : [];
      return {
        width: bmp.width,
        height: bmp.height,
        channels: bmp.channels,
        bits: 8,
        data: bmp.data,
        notes,
        sourceChannels: bmp.hadAlpha ? 4 : bmp.channels,
        format: "bmp",
      };
    } catch (err) {
      throw corrupt(label, (err as Error).message);
    }
  }

  let meta: Metadata;
  try {
    meta = await sharp(buf, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw corrupt(label, (err as Error).message.trim());
  }
  if (!SHARP_FORMATS.has(meta.format)) {
    throw new Error(
      `Image ${label} is in ${meta.format} format; expected PNG, JPEG, TIFF, BMP, WebP or GIF`,
    );
  }
  checkLimit(label, meta.width, meta.height, limit);

  const notes: string[] = [];
  const sourceChannels = meta.channels;
  const isGray = meta.space === "b-w" || meta.space === "grey16";
  const bits: 8 | 16 = meta.depth === "ushort" ? 16 : 8;
  if (meta.depth !== "uchar" && meta.depth !== "ushort") {
    notes.push(`${meta.depth} samples converted to 8 bits`);
  }
  if (meta.hasAlpha) notes.push("alpha channel dropped");
  if (meta.space === "cmyk") notes.push("CMYK converted to sRGB");
  if ((meta.pages ?? 1) > 1) notes.push(`only the first of ${meta.pages} pages decoded`);
  if (meta.orientation !== undefined && meta.orientation !== 1) {
    notes.push(`EXIF orientation ${meta.orientation} applied`);
  }
  if (meta.hasProfile) notes.push("embedded ICC profile applied by the decoder");

  const space = isGray ? (bits === 16 ? "grey16" : "b-w") : bits === 16 ? "rgb16" : "srgb";
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await sharp(buf, { limitInputPixels: limit, autoOrient: true })
      .removeAlpha()
      .toColourspace(space)
      .raw({ depth: bits === 16 ? "ushort" : "uchar" })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw corrupt(label, (err as Error).message.trim());
  }
  const channels = out.info.channels;
  if (channels !== 1 && channels !== 3) {
    throw corrupt(label, `decoder returned ${channels} channels`);
  }
  const data =
    bits === 16
      ? new Uint16Array(out.data.buffer, out.data.byteOffset, out.data.length / 2).slice()
      : new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length);
  return {
    width: out.info.width,
    height: out.info.height,
    channels,
    bits,
    data,
    notes,
    sourceChannels,
    format: meta.format,
  };
}

function grayToRgb(data: Float32Array): Float32Array {
  const out = new Float32Array(data.length * 3);
  for (let i = 0; i < data.length; i++) out.fill(data[i], i * 3, i * 3 + 3);
  return out;
}

/**
 * Decodes an image file or buffer (PNG, JPEG, TIFF, BMP; also WebP/GIF) into a float image.
 * 8-bit samples become float32(k/255), 16-bit ones float32(k/65535) (full precision is kept,
 * whereas the reference's cv2.imread would reduce 16-bit files to 8 bits). Alpha is dropped, EXIF
 * orientation applied, gray kept as 1 channel unless `expandGray`. The pixel limit is checked
 * from the header before any pixel is decoded.
 * @throws Error naming the file for missing, empty, truncated, corrupt or oversized input.
 */
export async function decodeImage(
  input: string | Buffer,
  opts: DecodeOptions = {},
): Promise<DecodedImage> {
  const raw = await readRaster(input, opts);
  const scale = raw.bits === 16 ? 65535 : 255;
  let data: Float32Array = new Float32Array(raw.data.length);
  for (let i = 0; i < data.length; i++) data[i] = raw.data[i] / scale;
  let channels = raw.channels;
  if (channels === 1 && opts.expandGray) {
    data = grayToRgb(data);
    channels = 3;
    raw.notes.push("gray expanded to RGB");
  }
  return {
    image: { width: raw.width, height: raw.height, channels, data },
    notes: raw.notes,
    sourceBits: raw.bits,
    sourceChannels: raw.sourceChannels,
    format: raw.format,
  };
}

/** OpenCV's 8-bit RGB→gray (14-bit fixed point), as used by cv2.imread(..., IMREAD_GRAYSCALE). */
function rgbToGrayU8(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length / 3);
  for (let i = 0; i < out.length; i++) {
    out[i] = (rgb[i * 3] * 4899 + rgb[i * 3 + 1] * 9617 + rgb[i * 3 + 2] * 1868 + 8192) >> 14;
  }
  return out;
}

/** Target size: a square side or an explicit width/height. */
export type Size = number | { width: number; height: number };

function sizeOf(size: Size): { width: number; height: number } {
  return typeof size === "number" ? { width: size, height: size } : size;
}

/**
 * Reads a ground-truth mask as in the reference test loader: gray 8-bit (colour masks converted
 * with OpenCV's gray formula, 16-bit reduced to 8 bits), resized bilinearly (bit-exact uint8
 * INTER_LINEAR) to `size`, divided by 255. Border pixels get fractional values in (0,1).
 * @returns a 1-channel FloatImage in [0,1].
 */
export async function decodeMask(
  input: string | Buffer,
  size: Size,
  opts: Omit<DecodeOptions, "expandGray"> = {},
): Promise<FloatImage> {
  const raw = await readRaster(input, opts);
  let gray: Uint8Array;
  const src8 =
    raw.bits === 16 ? Uint8Array.from(raw.data, (v) => v >> 8) : (raw.data as Uint8Array);
  if (raw.channels === 3) gray = rgbToGrayU8(src8);
  else gray = src8;
  const { width, height } = sizeOf(size);
  const resized = resizeU8(
    { width: raw.width, height: raw.height, channels: 1, data: gray },
    width,
    height,
  );
  const data = new Float32Array(resized.data.length);
  for (let i = 0; i < data.length; i++) data[i] = resized.data[i] / 255;
  return { width, height, channels: 1, data };
}

/**
 * Encodes an 8-bit raster, or a float image in [0,1] (rounded, clamped), as PNG.
 * 1-channel input gives an 8-bit gray PNG, 3-channel an RGB PNG.
 */
export async function encodePng(img: U8Image | FloatImage): Promise<Buffer> {
  const u8 = img.data instanceof Float32Array ? floatToU8(img as FloatImage) : (img as U8Image);
  if (u8.data.length !== u8.width * u8.height * u8.channels) {
    throw new Error(
      `encodePng: buffer holds ${u8.data.length} values, expected ${u8.width}x${u8.height}x${u8.channels}`,
    );
  }
  const pipeline = sharp(u8.data, {
    raw: { width: u8.width, height: u8.height, channels: u8.channels },
  });
  return (u8.channels === 1 ? pipeline.toColourspace("b-w") : pipeline).png().toBuffer();
}
