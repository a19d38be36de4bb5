/**
 * Input checks shared by the evaluation kernels. Each throws an Error that names the function,
 * the argument, what was expected and what came in.
 * @internal
 */

interface Raster {
  readonly width: number;
  readonly height: number;
  readonly data: ArrayLike<number>;
}

/** Checks that `r` is a non-empty raster whose data length is width·height·channels. */
export function assertRaster(fn: string, arg: string, r: Raster, channels = 1): void {
  if (r === null || typeof r !== "object" || r.data === undefined) {
    throw new Error(`${fn}: ${arg} must be an image/map object with width, height and data`);
  }
  if (!Number.isInteger(r.width) || !Number.isInteger(r.height) || r.width < 1 || r.height < 1) {
    throw new Error(
      `${fn}: ${arg} is empty or malformed (${r.width}x${r.height}); ` +
        "expected positive integer width and height",
    );
  }
  const expected = r.width * r.height * channels;
  if (r.data.length !== expected) {
    throw new Error(
      `${fn}: ${arg} has ${r.data.length} values but ${r.width}x${r.height}x${channels} ` +
        `needs ${expected}; check its width, height and channel count`,
    );
  }
}

/** Checks that two rasters share width and height. */
export function assertSameShape(
  fn: string,
  names: [string, string],
  a: { width: number; height: number },
  b: { width: number; height: number },
): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(
      `${fn}: ${names[0]} is ${a.width}x${a.height} but ${names[1]} is ${b.width}x${b.height}; ` +
        "resize one of them so both have the same size",
    );
  }
}

/** Checks an odd, positive integer window size (the kernels centre their windows). */
export function assertOddSize(fn: string, arg: string, size: number): void {
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0) {
    throw new Error(`${fn}: ${arg} must be an odd positive integer (got ${size})`);
  }
}
