/**
 * Writes score maps as 32-bit float TIFF in the MVTec evaluation layout
 * (<out>/<category>/test/<defect>/<name>.tiff), readable by the official evaluation script,
 * and heatmap overlays as PNG on one colour scale for the whole split.
 */
import { basename, join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../apps/runner/src/atomic.ts";
import { mapRange } from "./lib/eval/heatmap.ts";
import { encodeFloatTiff } from "./lib/eval/tiff.ts";
import { writeOverlayPng } from "./lib/overlay-file.ts";
import { outFolderParam } from "./lib/params.ts";
import type { FloatImage, ScoreMap } from "./sdk/image.ts";
import { defineNode, type SampleStream } from "./sdk/node.ts";
import type { ReportValue } from "./sdk/values.ts";

/** Path parts of a sample: MVTec ids look like "test/<defect>/<name>". */
export function samplePath(info: { id: string; defect: string; category?: string }): {
  dir: string;
  name: string;
} {
  const name = basename(info.id);
  return { dir: join(info.category ?? "dataset", "test", info.defect), name };
}

export default defineNode({
  type: "edgrec.export-maps",
  version: 1,
  title: "Export maps",
  category: "Export",
  description:
    "Writes each score map as a float32 TIFF under <out>/<folder>/<category>/test/<defect>/<name>.tiff (the MVTec evaluation layout) and, when the images are connected, a heatmap overlay PNG beside it. Overlays share one colour scale across the split by default, so good parts do not look defective; per-image scaling is available and marked in the file name.",
  kind: "task",
  inputs: {
    map: { type: "ScoreMap" },
    image: { type: "Image", optional: true, title: "images (for overlays)" },
  },
  outputs: { report: { type: "Report" } },
  params: z.object({
    folder: outFolderParam("maps"),
    tiff: z.boolean().default(true).describe("Write float32 TIFF score maps"),
    overlays: z
      .boolean()
      .default(true)
      .describe("Write heatmap overlay PNGs (needs the images input)"),
    scale: z.enum(["dataset", "per-image"]).default("dataset").describe("Overlay colour scale"),
    alpha: z.number().min(0).max(1).default(0.5).describe("Overlay opacity"),
  }),
  async run(inputs, params, ctx) {
    const maps = inputs.map as SampleStream<ScoreMap>;
    const images = inputs.image as SampleStream<FloatImage> | undefined;
    const root = join(ctx.outDir, params.folder);
    ctx.resolvePath("out", root);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    if (params.overlays && images && params.scale === "dataset") {
      for (let i = 0; i < maps.length; i++) {
        const r = mapRange(await maps.get(i));
        lo = Math.min(lo, r.min);
        hi = Math.max(hi, r.max);
      }
    }
    const files: string[] = [];
    for (let i = 0; i < maps.length; i++) {
      ctx.signal.throwIfAborted();
      const info = maps.info(i);
      const map = await maps.get(i);
      const { dir, name } = samplePath(info);
      if (params.tiff) {
        const file = join(root, dir, `${name}.tiff`);
        await writeFileAtomic(file, encodeFloatTiff(map));
        files.push(file);
      }
      if (params.overlays && images) {
        const { min, max } = params.scale === "per-image" ? mapRange(map) : { min: lo, max: hi };
        const suffix = params.scale === "per-image" ? "_overlay_per-image.png" : "_overlay.png";
        const file = join(root, dir, `${name}${suffix}`);
        await writeOverlayPng(file, await images.get(i), map, { min, max, alpha: params.alpha });
        files.push(file);
      }
      ctx.progress({ step: i + 1, total: maps.length, message: info.id });
    }
    const report: ReportValue = {
      files: files.length > 20 ? [...files.slice(0, 20), `... ${files.length - 20} more`] : files,
      summary: {
        folder: root,
        maps: maps.length,
        written: files.length,
        colourScale: params.scale === "dataset" ? [lo, hi] : "per image",
      },
    };
    return { report };
  },
});
