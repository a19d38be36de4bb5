import { z } from "zod";
import { toGray } from "./lib/eval/color.ts";
import type { FloatImage } from "./sdk/image.ts";
import { defineNode } from "./sdk/node.ts";

export default defineNode({
  type: "edgrec.grayscale",
  version: 1,
  title: "Grayscale",
  category: "Image",
  description:
    "Luminance 0.299R + 0.587G + 0.114B in float32, exactly OpenCV's float BGR2GRAY as the method uses it.",
  kind: "map",
  inputs: { image: { type: "Image" } },
  outputs: { gray: { type: "Gray" } },
  params: z.object({}),
  map(inputs) {
    return { gray: toGray(inputs.image as FloatImage) };
  },
});
