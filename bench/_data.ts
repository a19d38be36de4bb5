/** Real data for benchmarks, read from ../shared beside the project (never committed). */
import { join } from "node:path";
import { PROJECT_ROOT } from "../apps/runner/src/runtime.ts";
import { decodeImage, decodeMask } from "../nodes/lib/data/decode.ts";
import { resizeImage } from "../nodes/lib/data/resize.ts";
import type { FloatImage } from "../nodes/sdk/image.ts";

export const BOTTLE = join(PROJECT_ROOT, "../shared/data/mvtec-mini/bottle");

/**
 * Reads an image (3 channels) or a mask (1 channel) at `size` the way the dataset node does:
 * decode with sharp, OpenCV-style bilinear resize.
 */
export async function loadFloat(path: string, channels: 1 | 3, size = 256): Promise<FloatImage> {
  if (channels === 1) return decodeMask(path, size);
  const { image } = await decodeImage(path, { expandGray: true });
  return resizeImage(image, size, size);
}
