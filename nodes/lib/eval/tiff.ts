/**
 * Single-channel float32 TIFF writer and reader. Hand-written because sharp (libvips) turns a
 * float32 raw input into an 8-bit 3-channel TIFF (checked with sharp 0.35), which would lose
 * the score values; the format needed here is small and fixed.
 */
import type { ScoreMap } from "../../sdk/image.ts";
import { assertRaster } from "./validate.ts";

const TAG = {
  width: 256,
  height: 257,
  bitsPerSample: 258,
  compression: 259,
  photometric: 262,
  stripOffsets: 273,
  samplesPerPixel: 277,
  rowsPerStrip: 278,
  stripByteCounts: 279,
  planarConfig: 284,
  sampleFormat: 339,
} as const;
const SHORT = 3;
const LONG = 4;

/**
 * Encodes a map as an uncompressed little-endian TIFF: one strip, 32-bit IEEE float
 * (SampleFormat 3), BlackIsZero. Values are rounded to float32.
 * @param map float map or 1-channel image (`channels` other than 1 is rejected).
 * @returns the file bytes.
 */
export function encodeFloatTiff(map: {
  width: number;
  height: number;
  channels?: number;
  data: ArrayLike<number>;
}): Uint8Array {
  if (map.channels !== undefined && map.channels !== 1) {
    throw new Error(
      `encodeFloatTiff: map has ${map.channels} channels; only 1-channel maps are written`,
    );
  }
  assertRaster("encodeFloatTiff", "map", map);
  const { width, height } = map;
  const entries: [number, number, number][] = [
    [TAG.width, LONG, width],
    [TAG.height, LONG, height],
    [TAG.bitsPerSample, SHORT, 32],
    [TAG.compression, SHORT, 1],
    [TAG.photometric, SHORT, 1],
    [TAG.stripOffsets, LONG, 0], // patched below
    [TAG.samplesPerPixel, SHORT, 1],
    [TAG.rowsPerStrip, LONG, height],
    [TAG.stripByteCounts, LONG, width * height * 4],
    [TAG.planarConfig, SHORT, 1],
    [TAG.sampleFormat, SHORT, 3],
  ];
  const ifdSize = 2 + entries.length * 12 + 4;
  const dataOffset = Math.ceil((8 + ifdSize) / 8) * 8; // 8-aligned so readers can view it directly
  entries[5][2] = dataOffset;
  const bytes = new Uint8Array(dataOffset + width * height * 4);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, 0x49); // "II": little-endian
  view.setUint8(1, 0x49);
  view.setUint16(2, 42, true);
  view.setUint32(4, 8, true);
  view.setUint16(8, entries.length, true);
  entries.forEach(([tag, type, value], k) => {
    const o = 10 + k * 12;
    view.setUint16(o, tag, true);
    view.setUint16(o + 2, type, true);
    view.setUint32(o + 4, 1, true);
    if (type === SHORT) view.setUint16(o + 8, value, true);
    else view.setUint32(o + 8, value, true);
  });
  view.setUint32(10 + entries.length * 12, 0, true); // no further IFD
  for (let i = 0; i < map.data.length; i++) view.setFloat32(dataOffset + 4 * i, map.data[i], true);
  return bytes;
}

/**
 * Decodes an uncompressed, single-channel, 32-bit float little-endian TIFF (any number of
 * strips), e.g. files from `encodeFloatTiff` or tifffile.
 * @returns the map (values widened to float64).
 * @throws on other byte orders, compressions, sample formats or channel counts.
 */
export function decodeFloatTiff(bytes: Uint8Array): ScoreMap {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || view.getUint16(0, false) !== 0x4949 || view.getUint16(2, true) !== 42) {
    throw new Error(
      "decodeFloatTiff: not a little-endian TIFF (expected 'II' and 42 in the header)",
    );
  }
  const ifd = view.getUint32(4, true);
  const n = view.getUint16(ifd, true);
  const tags = new Map<number, number[]>();
  for (let k = 0; k < n; k++) {
    const o = ifd + 2 + k * 12;
    const tag = view.getUint16(o, true);
    const type = view.getUint16(o + 2, true);
    const count = view.getUint32(o + 4, true);
    const size = type === SHORT ? 2 : 4;
    const at = count * size <= 4 ? o + 8 : view.getUint32(o + 8, true);
    const values: number[] = [];
    for (let i = 0; i < count; i++) {
      values.push(
        type === SHORT ? view.getUint16(at + 2 * i, true) : view.getUint32(at + 4 * i, true),
      );
    }
    tags.set(tag, values);
  }
  const one = (tag: number, fallback?: number) => tags.get(tag)?.[0] ?? fallback;
  const width = one(TAG.width) ?? 0;
  const height = one(TAG.height) ?? 0;
  const expect = (what: string, got: number | undefined, want: number) => {
    if (got !== want)
      throw new Error(`decodeFloatTiff: ${what} is ${got}, only ${want} is supported`);
  };
  expect("BitsPerSample", one(TAG.bitsPerSample), 32);
  expect("Compression", one(TAG.compression, 1), 1);
  expect("SampleFormat", one(TAG.sampleFormat, 1), 3);
  expect("SamplesPerPixel", one(TAG.samplesPerPixel, 1), 1);
  const offsets = tags.get(TAG.stripOffsets) ?? [];
  const counts = tags.get(TAG.stripByteCounts) ?? [];
  const data = new Float64Array(width * height);
  let i = 0;
  offsets.forEach((off, s) => {
    for (let b = 0; b < counts[s] && i < data.length; b += 4)
      data[i++] = view.getFloat32(off + b, true);
  });
  if (i !== data.length)
    throw new Error(`decodeFloatTiff: strips hold ${i} samples, expected ${data.length}`);
  return { width, height, data };
}
