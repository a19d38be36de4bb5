import { z } from "zod";
import { resizeImage } from "./lib/data/resize.ts";
import type { FloatImage } from "./sdk/image.ts";
import { defineNode } from "./sdk/node.ts";

export default defineNode({
  type: "edgrec.resize",
  version: 1,
  title: "Resize",
  category: "Image",
  description:
    "Bilinear resize with OpenCV INTER_LINEAR semantics (half-pixel centres). Images decoded from 8-bit files go through OpenCV's exact 8-bit fixed-point path.",
  kind: "map",
  inputs: { image: { type: "Image" } },
  outputs: { image: { type: "Image" } },
  params: z.object({
    width: z
      .number()
      .int()
      .min(8)
      .max(4096)
      .default(256)
      .describe("Output width")
      .meta({ unit: "px", scale: "log" }),
    height: z
      .number()
      .int()
      .min(8)
      .max(4096)
      .default(256)
      .describe("Output height")
      .meta({ unit: "px", scale: "log" }),
  }),
  map(inputs, params) {
    return { image: resizeImage(inputs.image as FloatImage, params.width, params.height) };
  },
});
