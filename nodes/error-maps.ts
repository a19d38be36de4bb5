import { z } from "zod";
import { squaredErrorMap, ssimDissimilarityMap } from "./lib/maps/ssim.ts";
import type { FloatImage } from "./sdk/image.ts";
import { defineNode } from "./sdk/node.ts";

/** The paper's simpler evaluation functions (L2, SSIM), kept for ablations. */
export default defineNode({
  type: "edgrec.error-map",
  version: 1,
  title: "L2 / SSIM error map",
  category: "Scoring",
  description:
    "Pixel-wise reconstruction error for the evaluation-function ablations: 'l2' = channel mean of the squared difference; 'ssim' = channel mean of 1 − SSIM (11x11 Gaussian window, σ 1.5).",
  kind: "map",
  inputs: {
    image: { type: "Image", title: "original" },
    reconstruction: { type: "Image" },
  },
  outputs: { map: { type: "ScoreMap" } },
  params: z.object({ kind: z.enum(["l2", "ssim"]).default("l2").describe("Error function") }),
  map(inputs, params) {
    const a = inputs.image as FloatImage;
    const b = inputs.reconstruction as FloatImage;
    return { map: params.kind === "l2" ? squaredErrorMap(a, b) : ssimDissimilarityMap(a, b) };
  },
});
