import { z } from "zod";
import { morphEdge } from "./lib/eval/morph.ts";
import type { FloatImage } from "./sdk/image.ts";
import { defineNode } from "./sdk/node.ts";

export default defineNode({
  type: "edgrec.morph-edge",
  version: 1,
  title: "Morphological edge",
  category: "Image",
  description:
    "3x3 dilation minus 3x3 erosion of a gray image (flat square element). At the border only in-image neighbours count, as kornia's geodesic mode. No scaling: the edge stays in [0, 1]. This is the U-Net's input.",
  kind: "map",
  inputs: { gray: { type: "Gray" } },
  outputs: { edge: { type: "Edge" } },
  params: z.object({}),
  map(inputs) {
    return { edge: morphEdge(inputs.gray as FloatImage) };
  },
});
