/** Heat-map overlays written to disk (Node only: heatmap.ts itself also runs in the editor). */
import { writeFileAtomic } from "../../apps/runner/src/atomic.ts";
import type { FloatImage, ScoreMap } from "../sdk/image.ts";
import { encodePng } from "./data/decode.ts";
import { heatmapOverlay, type OverlayOptions } from "./eval/heatmap.ts";

/**
 * Writes `image` with `map` blended over it (HEAT_COLORMAP on [min, max]) as a PNG, atomically.
 * A scale with max <= min is widened a hair so a flat map draws at the bottom colour.
 */
export async function writeOverlayPng(
  file: string,
  image: FloatImage,
  map: ScoreMap,
  opts: OverlayOptions,
): Promise<void> {
  const max = opts.max > opts.min ? opts.max : opts.min + 1e-9;
  const overlay = heatmapOverlay(image, map, { ...opts, max });
  await writeFileAtomic(file, await encodePng({ ...overlay, channels: 3 }));
}
