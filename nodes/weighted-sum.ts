import { z } from "zod";
import { assertSameSize, type ScoreMap } from "./sdk/image.ts";
import { defineNode } from "./sdk/node.ts";

// Weights are relative: a log slider puts 1 in the middle of 0.01..100; 0 (leave out) is typed.
const weight = (d: number, what: string) =>
  z.number().min(0).max(100).default(d).describe(what).meta({ scale: "log", sliderMin: 0.01 });

export default defineNode({
  type: "edgrec.weighted-sum",
  version: 1,
  title: "Weighted sum",
  category: "Scoring",
  description:
    "Combines up to four score maps: w_color·color + w_structure·structure + w3·map3 + w4·map4. Unconnected inputs are left out. The reference EdgRec score is colour (already ×0.001) + structure with both weights 1.",
  kind: "map",
  inputs: {
    color: { type: "ScoreMap", optional: true },
    structure: { type: "ScoreMap", optional: true },
    map3: { type: "ScoreMap", optional: true },
    map4: { type: "ScoreMap", optional: true },
  },
  outputs: { map: { type: "ScoreMap" } },
  params: z.object({
    colorWeight: weight(1, "Weight of the colour map"),
    structureWeight: weight(1, "Weight of the structure map"),
    weight3: weight(1, "Weight of map 3"),
    weight4: weight(1, "Weight of map 4"),
  }),
  map(inputs, params) {
    const parts: [ScoreMap, number][] = [];
    const add = (m: unknown, w: number) => {
      if (m) parts.push([m as ScoreMap, w]);
    };
    add(inputs.color, params.colorWeight);
    add(inputs.structure, params.structureWeight);
    add(inputs.map3, params.weight3);
    add(inputs.map4, params.weight4);
    if (parts.length === 0) throw new Error("weighted sum: connect at least one score map");
    const [first] = parts[0];
    const out = new Float64Array(first.data.length);
    for (const [m, w] of parts) {
      assertSameSize("weighted sum", first, m);
      for (let i = 0; i < out.length; i++) out[i] += w * m.data[i];
    }
    return { map: { width: first.width, height: first.height, data: out } };
  },
});
