import { z } from "zod";
import { structureMap } from "./lib/eval/msgms.ts";
import type { FloatImage } from "./sdk/image.ts";
import { defineNode } from "./sdk/node.ts";

export default defineNode({
  type: "edgrec.msgms",
  version: 1,
  title: "MSGMS structure difference",
  category: "Scoring",
  description:
    "Multi-scale gradient-magnitude similarity: Prewitt/3 gradients per channel, GMS = (2 m1 m2 + c)/(m1² + m2² + c) at each scale (2x2 average pooling between scales, bilinear upsampling back), map = channel mean of 1 − mean GMS, then a zero-padded mean filter. 2 scales is the authors' current code; 3 is the likely setting of the paper's numbers.",
  kind: "map",
  inputs: {
    image: { type: "Image", title: "original" },
    reconstruction: { type: "Image" },
  },
  outputs: { map: { type: "ScoreMap", title: "structure map" } },
  params: z.object({
    scales: z.number().int().min(1).max(5).default(2).describe("Number of scales"),
    c: z
      .number()
      .min(0)
      .max(1)
      .default(0.0026)
      .describe("GMS stability constant (GMSD: 0.0026)")
      .meta({ scale: "log", sliderMin: 1e-6 }),
    filterSize: z
      .number()
      .int()
      .min(1)
      .max(101)
      .default(21)
      .refine((v) => v % 2 === 1, "filterSize must be odd")
      .describe("Zero-padded mean filter side (odd)")
      .meta({ unit: "px", sliderStep: 2 }),
  }),
  map(inputs, params) {
    return {
      map: structureMap(inputs.reconstruction as FloatImage, inputs.image as FloatImage, params),
    };
  },
});
