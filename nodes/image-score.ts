import { z } from "zod";
import type { ScoreMap } from "./sdk/image.ts";
import { defineNode, type SampleStream } from "./sdk/node.ts";
import type { Scores } from "./sdk/values.ts";

/** Mean of the k largest values (k clamped to the map size); k = 1 is the maximum. */
export function topKMean(data: Float64Array, k: number): number {
  const n = Math.min(Math.max(1, k), data.length);
  if (n === 1) {
    let m = Number.NEGATIVE_INFINITY;
    for (const v of data) if (v > m) m = v;
    return m;
  }
  const sorted = Float64Array.from(data).sort();
  let s = 0;
  for (let i = sorted.length - n; i < sorted.length; i++) s += sorted[i];
  return s / n;
}

export default defineNode({
  type: "edgrec.image-score",
  version: 1,
  title: "Image score",
  category: "Scoring",
  description:
    "One anomaly score per image from its score map: the maximum (the method's choice) or the mean of the k highest pixels, which is less sensitive to single hot pixels.",
  kind: "task",
  inputs: { map: { type: "ScoreMap" } },
  outputs: { scores: { type: "Scores" } },
  params: z.object({
    method: z.enum(["max", "top-k-mean"]).default("max").describe("How a map becomes one score"),
    k: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(100)
      .describe("Pixels averaged by top-k-mean"),
  }),
  async run(inputs, params, ctx) {
    const stream = inputs.map as SampleStream<ScoreMap>;
    const out: Scores = {
      ids: [],
      labels: [],
      defects: [],
      scores: [],
      method: params.method === "max" ? "max" : `top-${params.k} mean`,
    };
    for (let i = 0; i < stream.length; i++) {
      ctx.signal.throwIfAborted();
      const info = stream.info(i);
      const map = await stream.get(i);
      out.ids.push(info.id);
      out.labels.push(info.label);
      out.defects.push(info.defect);
      out.scores.push(topKMean(map.data, params.method === "max" ? 1 : params.k));
      ctx.progress({ step: i + 1, total: stream.length, message: info.id });
    }
    return { scores: out };
  },
});
