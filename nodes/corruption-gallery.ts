import { z } from "zod";
import { renderGallery } from "./lib/corruption/gallery.ts";
import type { FloatImage } from "./sdk/image.ts";
import { defineNode, type SampleStream } from "./sdk/node.ts";

export default defineNode({
  type: "edgrec.corruption-gallery",
  version: 1,
  title: "Corruption gallery",
  category: "Corruption",
  description:
    "A preview grid of N corrupted training samples, each beside its mask, drawn for one epoch: how the pseudo-anomalies look with the current corruption settings. Change the epoch to see fresh draws.",
  kind: "task",
  inputs: {
    corrupted: { type: "Image" },
    mask: { type: "Mask" },
  },
  outputs: { count: { type: "Number", title: "anomalous samples shown" } },
  params: z.object({
    samples: z.number().int().min(1).max(64).default(12).describe("Samples in the grid"),
    columns: z.number().int().min(1).max(16).default(4).describe("Grid columns"),
    epoch: z
      .number()
      .int()
      .min(0)
      .max(100000)
      .default(0)
      .describe("Which epoch's random draws to show")
      // every epoch is as good as another: step through the first 100, type later ones
      .meta({ sliderMax: 100 }),
  }),
  async run(inputs, params, ctx) {
    const images = inputs.corrupted as SampleStream<FloatImage>;
    const masks = inputs.mask as SampleStream<FloatImage>;
    const n = Math.min(params.samples, images.length);
    const cells: { image: FloatImage; mask: FloatImage }[] = [];
    let anomalous = 0;
    for (let i = 0; i < n; i++) {
      const [image, mask] = await Promise.all([
        images.get(i, params.epoch),
        masks.get(i, params.epoch),
      ]);
      if (mask.data.some((v) => v > 0)) anomalous++;
      cells.push({ image, mask });
      ctx.progress({ step: i + 1, total: n });
    }
    const grid = renderGallery(cells, params.columns);
    ctx.preview(
      "gallery",
      { kind: "rgb8", width: grid.width, height: grid.height, data: grid.data },
      0,
      `epoch ${params.epoch}`,
    );
    return { count: anomalous };
  },
});
