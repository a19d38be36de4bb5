import type { FloatImage } from "../../sdk/image.ts";

/**
 * An 8-bit HWC raster (row-major, channels interleaved, R,G,B order for colour). This is the
 * form the reference keeps images in until after resizing, so the exact OpenCV uint8 resize
 * can be reproduced before the /255 conversion.
 */
export interface U8Image {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

/** uint8 → float32 in [0,1], each value float32(k / 255) exactly as the reference (`/255.0`). */
export function u8ToFloat(img: U8Image): FloatImage {
  const data = new Float32Array(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = img.data[i] / 255;
  return { width: img.width, height: img.height, channels: img.channels, data };
}

/** float [0,1] → uint8 with rounding to nearest and clamping (values outside [0,1] saturate). */
export function floatToU8(img: FloatImage): U8Image {
  const data = new Uint8Array(img.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Math.round(img.data[i] * 255);
    data[i] = Math.min(Math.max(v, 0), 255);
  }
  return { width: img.width, height: img.height, channels: img.channels, data };
}

/**
 * Returns the uint8 raster a float image came from when every value is exactly float32(k/255)
 * for an integer k in [0,255] (what `u8ToFloat` produces); otherwise undefined. Lets the resize
 * node take the bit-exact uint8 path for images decoded from 8-bit files.
 */
export function exactU8Of(img: FloatImage): U8Image | undefined {
  const src = img.data;
  const data = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    const k = Math.round(v * 255);
    if (!(k >= 0 && k <= 255) || Math.fround(k / 255) !== v) return undefined;
    data[i] = k;
  }
  return { width: img.width, height: img.height, channels: img.channels, data };
}

/** Checks that a raster's buffer length matches width × height × channels. */
export function assertRaster(
  what: string,
  img: { width: number; height: number; channels: number; data: { length: number } },
): void {
  const { width, height, channels } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`${what}: image size must be positive integers, got ${width}x${height}`);
  }
  if (channels !== 1 && channels !== 3) {
    throw new Error(`${what}: expected 1 or 3 channels, got ${channels}; convert the image first`);
  }
  if (img.data.length !== width * height * channels) {
    throw new Error(
      `${what}: buffer holds ${img.data.length} values but ${width}x${height}x${channels} ` +
        `needs ${width * height * channels}`,
    );
  }
}
