/**
 * Validation and flattening of (score map, mask) pairs for the pixel metrics.
 * @internal
 */
import type { ScoreMap } from "../../sdk/image.ts";
import { type MaskRule, maskPredicate } from "./metric-value.ts";
import { assertRaster } from "./validate.ts";

/** A single-channel mask with values in [0,1] (a 1-channel FloatImage or a ScoreMap). */
export interface MaskLike {
  readonly width: number;
  readonly height: number;
  readonly channels?: number;
  readonly data: ArrayLike<number>;
}

/** Checks maps and masks pairwise (count, size, channels, value range). */
export function checkPairs(
  fn: string,
  maps: readonly ScoreMap[],
  masks: readonly MaskLike[],
): number {
  if (maps.length !== masks.length) {
    throw new Error(
      `${fn}: got ${maps.length} score map(s) but ${masks.length} mask(s); pass one mask per map`,
    );
  }
  let total = 0;
  for (let k = 0; k < maps.length; k++) {
    assertRaster(fn, `maps[${k}]`, maps[k]);
    if (masks[k].channels !== undefined && masks[k].channels !== 1) {
      throw new Error(
        `${fn}: masks[${k}] has ${masks[k].channels} channels; expected a 1-channel mask`,
      );
    }
    assertRaster(fn, `masks[${k}]`, masks[k]);
    if (maps[k].width !== masks[k].width || maps[k].height !== masks[k].height) {
      throw new Error(
        `${fn}: maps[${k}] is ${maps[k].width}x${maps[k].height} but masks[${k}] is ` +
          `${masks[k].width}x${masks[k].height}; resize the mask to the score-map size`,
      );
    }
    const d = masks[k].data;
    for (let i = 0; i < d.length; i++) {
      if (!(d[i] >= 0 && d[i] <= 1)) {
        throw new Error(
          `${fn}: masks[${k}] value ${d[i]} at index ${i} is outside [0,1]; divide 8-bit masks by 255`,
        );
      }
    }
    total += maps[k].data.length;
  }
  return total;
}

/** Concatenates all map values, and the binarised masks under `rule`. */
export function flattenPairs(
  fn: string,
  maps: readonly ScoreMap[],
  masks: readonly MaskLike[],
  rule: MaskRule,
): { scores: Float64Array; positive: Uint8Array } {
  const total = checkPairs(fn, maps, masks);
  const isFg = maskPredicate(rule);
  const scores = new Float64Array(total);
  const positive = new Uint8Array(total);
  let o = 0;
  for (let k = 0; k < maps.length; k++) {
    scores.set(maps[k].data, o);
    const d = masks[k].data;
    for (let i = 0; i < d.length; i++) positive[o + i] = isFg(d[i]) ? 1 : 0;
    o += d.length;
  }
  return { scores, positive };
}
