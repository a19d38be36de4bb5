/**
 * Preview grid of corrupted samples: each cell shows the image and its mask side by side.
 * The result is raw 8-bit RGB for the editor to encode as PNG.
 */
import type { FloatImage } from "../../sdk/image.ts";

/** Pixels between an image and its mask and between cells. */
const GAP = 2;
/** Background level of the gaps (mid-grey, distinct from mask black/white). */
const BACKGROUND = 96;

export interface GalleryImage {
  width: number;
  height: number;
  /** Interleaved R, G, B bytes, row-major. */
  data: Uint8Array;
}

function blit(dst: GalleryImage, img: FloatImage, x0: number, y0: number): void {
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const o = ((y0 + y) * dst.width + x0 + x) * 3;
      for (let k = 0; k < 3; k++) {
        const v = img.data[(y * img.width + x) * img.channels + (img.channels === 3 ? k : 0)];
        dst.data[o + k] = Math.round(Math.min(1, Math.max(0, v)) * 255);
      }
    }
  }
}

/**
 * Lays out `samples` in `columns` columns (default: ceil(sqrt(n))). Each cell is
 * [image | mask] separated by a 2-px grey gap; cells take the largest sample's size.
 * Images and masks may have 1 or 3 channels; values are clamped to [0, 1].
 */
export function renderGallery(
  samples: readonly { image: FloatImage; mask: FloatImage }[],
  columns: number = Math.ceil(Math.sqrt(samples.length)),
): GalleryImage {
  if (samples.length === 0) {
    throw new Error("renderGallery: samples is empty; pass at least one {image, mask}");
  }
  if (!Number.isInteger(columns) || columns < 1) {
    throw new Error(`renderGallery: columns must be a positive integer, got ${columns}`);
  }
  const cols = Math.min(columns, samples.length);
  const rows = Math.ceil(samples.length / cols);
  const cw = Math.max(...samples.map((s) => s.image.width + GAP + s.mask.width));
  const ch = Math.max(...samples.map((s) => Math.max(s.image.height, s.mask.height)));
  const width = cols * cw + (cols + 1) * GAP;
  const height = rows * ch + (rows + 1) * GAP;
  const out: GalleryImage = {
    width,
    height,
    data: new Uint8Array(width * height * 3).fill(BACKGROUND),
  };
  samples.forEach((s, i) => {
    const x0 = GAP + (i % cols) * (cw + GAP);
    const y0 = GAP + Math.floor(i / cols) * (ch + GAP);
    blit(out, s.image, x0, y0);
    blit(out, s.mask, x0 + s.image.width + GAP, y0);
  });
  return out;
}
