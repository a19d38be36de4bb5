/**
 * The cached maps of one test split in compact typed arrays: colour and structure maps as
 * float32 planes (sample after sample), and the ground truth as a per-pixel region id, so
 * rescoring never needs the engine, the masks or the images again.
 */

import { labelComponents8 } from "../../../../nodes/lib/eval/components.ts";
import type { ScoreMap } from "../../../../nodes/sdk/image.ts";

/** One test sample as gathered from the run's streams. */
export interface SplitSample {
  id: string;
  /** 0 good, 1 defective, -1 unknown. */
  label: 0 | 1 | -1;
  defect: string;
  color: ScoreMap;
  structure: ScoreMap;
  /** 1-channel mask in [0,1], same size as the maps; `missing` when the dataset has none. */
  mask?: { width: number; height: number; data: ArrayLike<number>; missing?: boolean };
}

export interface EvalSplit {
  readonly width: number;
  readonly height: number;
  readonly count: number;
  readonly ids: string[];
  readonly labels: (0 | 1 | -1)[];
  readonly defects: string[];
  /** count·width·height float32 values, sample-major. */
  readonly color: Float32Array;
  readonly structure: Float32Array;
  /** 0 = OK pixel, k ≥ 1 = global id of the 8-connected defect region (mask > 0.5). */
  readonly region: Uint32Array;
  /** Pixel count per region id (index 0 unused). */
  readonly regionSizes: Uint32Array;
  readonly regions: number;
  readonly okPixels: number;
  /** Samples whose mask is missing (pixel metrics are then undefined). */
  readonly masksMissing: number;
}

/** Bytes held by a split's arrays (what the workspace keeps in memory per session). */
export function splitBytes(s: EvalSplit): number {
  return (
    s.color.byteLength + s.structure.byteLength + s.region.byteLength + s.regionSizes.byteLength
  );
}

/**
 * Packs samples into an EvalSplit. Masks are binarised at > 0.5 (the official protocol) and
 * labelled into 8-connected regions for AU-PRO.
 * @throws when samples differ in size, or a mask does not match its maps.
 */
export function buildSplit(samples: readonly SplitSample[]): EvalSplit {
  if (samples.length === 0) {
    throw new Error("evaluation session: the test split is empty; run a graph with test images");
  }
  const { width, height } = samples[0].color;
  const px = width * height;
  const n = samples.length * px;
  const color = new Float32Array(n);
  const structure = new Float32Array(n);
  const region = new Uint32Array(n);
  const sizes: number[] = [0];
  let regions = 0;
  let okPixels = 0;
  let masksMissing = 0;
  samples.forEach((s, k) => {
    for (const [what, m] of [
      ["colour map", s.color],
      ["structure map", s.structure],
    ] as const) {
      if (m.width !== width || m.height !== height || m.data.length !== px) {
        throw new Error(
          `evaluation session: ${what} of sample ${s.id} is ${m.width}x${m.height}, expected ` +
            `${width}x${height} like the first sample; use one working size for the split`,
        );
      }
    }
    color.set(s.color.data, k * px);
    structure.set(s.structure.data, k * px);
    const mask = s.mask;
    if (!mask || mask.missing) {
      if (s.label === 1 || mask?.missing) masksMissing++;
      okPixels += px;
      return;
    }
    if (mask.width !== width || mask.height !== height) {
      throw new Error(
        `evaluation session: mask of sample ${s.id} is ${mask.width}x${mask.height}, ` +
          `expected ${width}x${height}`,
      );
    }
    const fg = new Uint8Array(px);
    for (let i = 0; i < px; i++) fg[i] = mask.data[i] > 0.5 ? 1 : 0;
    const comps = labelComponents8(fg, width, height);
    const o = k * px;
    for (let i = 0; i < px; i++) {
      const l = comps.labels[i];
      if (l === 0) okPixels++;
      else region[o + i] = regions + l;
    }
    for (let l = 1; l <= comps.count; l++) sizes.push(comps.sizes[l]);
    regions += comps.count;
  });
  return {
    width,
    height,
    count: samples.length,
    ids: samples.map((s) => s.id),
    labels: samples.map((s) => s.label),
    defects: samples.map((s) => s.defect),
    color,
    structure,
    region,
    regionSizes: Uint32Array.from(sizes),
    regions,
    okPixels,
    masksMissing,
  };
}
