import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { ensureBackend, type ModelHandle } from "./lib/model/handle.ts";
import { loadModel } from "./lib/unet/checkpoint.ts";
import { dataError } from "./sdk/errors.ts";
import { defineNode } from "./sdk/node.ts";

const zThreshold = z.object({ value: z.number(), source: z.string() });

export default defineNode({
  type: "edgrec.load-model",
  version: 1,
  title: "Load model",
  category: "Model",
  description:
    "Loads a trained model folder (manifest.json + weights.bin) written by U-Net train or `edgrec run --out`. The manifest is validated and the weight file's length checked against the architecture before use.",
  kind: "task",
  inputs: {},
  outputs: {
    model: { type: "Model" },
    threshold: {
      type: "Threshold",
      title: "stored threshold",
      description: "From threshold.json in the model folder",
    },
  },
  params: z.object({
    path: z.string().default("").describe("Model folder holding manifest.json and weights.bin"),
  }),
  paths: { path: "model" },
  async fingerprint(params, ctx) {
    if (!params.path) return "";
    const { stat } = await import("node:fs/promises");
    try {
      const dir = ctx.resolvePath("model", params.path);
      const st = await stat(join(dir, "weights.bin"));
      return `${st.size}:${st.mtimeMs}`;
    } catch {
      return "missing";
    }
  },
  async run(_inputs, params, ctx) {
    if (!params.path) {
      throw dataError(
        "E_MODEL_PATH",
        `node "${ctx.nodeId}": no model folder given`,
        "set path to a folder written by U-Net train (see the run's out/ folder)",
      );
    }
    await ensureBackend(ctx.backend, (m) => ctx.log.info(m));
    const dir = ctx.resolvePath("model", params.path);
    try {
      const { manifest, model } = await loadModel(dir);
      let threshold: unknown;
      try {
        threshold = zThreshold.parse(
          JSON.parse(await readFile(join(dir, "threshold.json"), "utf8")),
        );
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
          throw new Error(
            `${join(dir, "threshold.json")} is not a valid threshold file: ${(err as Error).message}`,
          );
        }
      }
      return {
        model: { kind: "edgrec-unet", manifest, model, dir } satisfies ModelHandle,
        threshold,
      };
    } catch (err) {
      throw dataError(
        "E_MODEL_UNREADABLE",
        (err as Error).message,
        "retrain the model or point path at an intact model folder",
        dir,
      );
    }
  },
});
