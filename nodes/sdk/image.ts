/**
 * In-memory raster types shared by every node. All images are HWC (row-major, channels
 * interleaved), float32, RGB channel order, values nominally in [0, 1]. The reference
 * implementation works in BGR; our kernels use the RGB variants of each conversion so the
 * numbers are identical (see ../shared/method/EDGREC.md §0).
 */
export interface FloatImage {
  readonly width: number;
  readonly height: number;
  /** 1 for gray, edge and mask images; 3 for colour (R, G, B). */
  readonly channels: 1 | 3;
  readonly data: Float32Array;
}

/** A per-pixel anomaly score map, float64 so reference colour maps stay exact multiples of 0.001. */
export interface ScoreMap {
  readonly width: number;
  readonly height: number;
  readonly data: Float64Array;
}

export function createImage(width: number, height: number, channels: 1 | 3): FloatImage {
  return { width, height, channels, data: new Float32Array(width * height * channels) };
}

export function createScoreMap(width: number, height: number): ScoreMap {
  return { width, height, data: new Float64Array(width * height) };
}

/** Throws a clear error when two rasters do not share a size; `what` names the operation. */
export function assertSameSize(
  what: string,
  a: { width: number; height: number },
  b: { width: number; height: number },
): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(
      `${what}: inputs differ in size (${a.width}x${a.height} vs ${b.width}x${b.height}); ` +
        "resize one of them (resize node) so both have the working size",
    );
  }
}
