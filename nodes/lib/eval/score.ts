/**
 * The EdgRec per-pixel score A = A_color + A_structure and the image score max(A)
 * (EDGREC.md §6 steps 5–6).
 */
import type { FloatImage, ScoreMap } from "../../sdk/image.ts";
import { type ColorDiffMode, type ColorDiffOptions, colorDiff } from "./colordiff.ts";
import { type StructureOptions, structureMap } from "./msgms.ts";
import { assertRaster } from "./validate.ts";

export interface ScoreOptions {
  /** Colour-map mode. Default "reference". */
  readonly colorMode?: ColorDiffMode;
  readonly color?: ColorDiffOptions;
  /** MSGMS scales (default 2), c, and structure filterSize (default 21). */
  readonly structure?: StructureOptions;
}

/**
 * Anomaly score map of a reconstruction: colour map plus structure map (float64 sum).
 * @param orig original RGB image in [0,1]; @param rec reconstruction, same size, RGB.
 * @returns float64 map of the input size.
 */
export function anomalyScoreMap(
  orig: FloatImage,
  rec: FloatImage,
  opts: ScoreOptions = {},
): ScoreMap {
  const color = colorDiff(orig, rec, opts.colorMode ?? "reference", opts.color);
  const structure = structureMap(rec, orig, opts.structure);
  for (let i = 0; i < color.data.length; i++) color.data[i] += structure.data[i];
  return color;
}

/** Image anomaly score = maximum of the score map. @throws on an empty map or a NaN value. */
export function imageScore(map: ScoreMap): number {
  assertRaster("imageScore", "map", map);
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < map.data.length; i++) {
    const v = map.data[i];
    if (Number.isNaN(v)) throw new Error(`imageScore: map value at index ${i} is NaN`);
    if (v > m) m = v;
  }
  return m;
}
