import { z } from "zod";
import { meanFilter } from "./lib/eval/filters.ts";
import type { ScoreMap } from "./sdk/image.ts";
import { defineNode } from "./sdk/node.ts";

export default defineNode({
  type: "edgrec.mean-filter",
  version: 1,
  title: "Mean filter",
  category: "Scoring",
  description:
    "Box mean of a score map. Border 'zero' divides by size² everywhere (the reference's structure smoothing, which pulls borders toward 0); 'reflect101' and 'replicate' mirror or repeat edge pixels.",
  kind: "map",
  inputs: { map: { type: "ScoreMap" } },
  outputs: { map: { type: "ScoreMap" } },
  params: z.object({
    size: z
      .number()
      .int()
      .min(1)
      .max(101)
      .default(21)
      .refine((v) => v % 2 === 1, "size must be odd")
      .describe("Window side (odd)")
      .meta({ unit: "px", sliderStep: 2 }),
    border: z.enum(["zero", "reflect101", "replicate"]).default("zero").describe("Border handling"),
  }),
  map(inputs, params) {
    return { map: meanFilter(inputs.map as ScoreMap, params.size, params.border) };
  },
});
