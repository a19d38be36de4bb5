import { z } from "zod";
import { COLOR_DIFF_DESCRIPTION, colorDiff } from "./lib/eval/colordiff.ts";
import type { FloatImage } from "./sdk/image.ts";
import { defineNode } from "./sdk/node.ts";

export default defineNode({
  type: "edgrec.color-diff",
  version: 1,
  title: "LAB colour difference",
  category: "Scoring",
  description: COLOR_DIFF_DESCRIPTION,
  kind: "map",
  inputs: {
    image: { type: "Image", title: "original" },
    reconstruction: { type: "Image" },
  },
  outputs: { map: { type: "ScoreMap", title: "colour map" } },
  params: z.object({
    mode: z
      .enum(["corrected", "reference"])
      .default("corrected")
      .describe(
        "reference = the authors' code bit for bit (x180, uint8 wrap-around); corrected = the paper's intent",
      ),
    filterSize: z
      .number()
      .int()
      .min(1)
      .max(51)
      .default(11)
      .refine((v) => v % 2 === 1, "filterSize must be odd")
      .describe("Box filter side (odd)")
      .meta({ unit: "px", sliderStep: 2 }),
    scale: z
      .number()
      .min(0)
      .max(1)
      .default(0.001)
      .describe("Scaling constant c applied to the filtered map")
      .meta({ scale: "log", sliderMin: 1e-6 }),
  }),
  map(inputs, params) {
    return {
      map: colorDiff(inputs.image as FloatImage, inputs.reconstruction as FloatImage, params.mode, {
        filterSize: params.filterSize,
        scale: params.scale,
      }),
    };
  },
});
