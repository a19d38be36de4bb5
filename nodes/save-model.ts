import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../apps/runner/src/atomic.ts";
import type { ModelHandle } from "./lib/model/handle.ts";
import { outFolderParam } from "./lib/params.ts";
import { saveModel } from "./lib/unet/checkpoint.ts";
import { getFlatState } from "./lib/unet/model.ts";
import { defineNode } from "./sdk/node.ts";
import type { ReportValue, ThresholdValue } from "./sdk/values.ts";

export const THRESHOLD_FILE = "threshold.json";

export default defineNode({
  type: "edgrec.save-model",
  version: 1,
  title: "Save model",
  category: "Export",
  description:
    "Writes the trained model (manifest.json + weights.bin) and, when connected, its decision threshold (threshold.json) into <out>/<folder>, atomically. The inspection graph loads this folder.",
  kind: "task",
  inputs: {
    model: { type: "Model" },
    threshold: { type: "Threshold", optional: true },
  },
  outputs: { report: { type: "Report" } },
  params: z.object({
    folder: outFolderParam("model"),
  }),
  async run(inputs, params, ctx) {
    const h = inputs.model as ModelHandle;
    const dir = ctx.resolvePath("out", join(ctx.outDir, params.folder));
    await saveModel(dir, h.model, getFlatState(h.model), h.manifest);
    const files = [join(dir, "manifest.json"), join(dir, "weights.bin")];
    const threshold = inputs.threshold as ThresholdValue | undefined;
    if (threshold) {
      await writeFileAtomic(join(dir, THRESHOLD_FILE), `${JSON.stringify(threshold, null, 2)}\n`);
      files.push(join(dir, THRESHOLD_FILE));
    }
    const report: ReportValue = {
      files,
      summary: {
        folder: dir,
        width: h.manifest.width,
        steps: h.manifest.steps,
        threshold: threshold?.value ?? null,
      },
    };
    return { report };
  },
});
