import * as tf from "@tensorflow/tfjs-core";
import { z } from "zod";
import { ensureBackend, type ModelHandle } from "./lib/model/handle.ts";
import { assertModelFits } from "./lib/unet/checkpoint.ts";
import { forward } from "./lib/unet/model.ts";
import { dataError } from "./sdk/errors.ts";
import type { FloatImage } from "./sdk/image.ts";
import { defineNode } from "./sdk/node.ts";

export default defineNode({
  type: "edgrec.unet-infer",
  version: 1,
  title: "U-Net infer",
  category: "Model",
  description:
    "Reconstructs the colour image from its edge image with a trained model (eval mode: BatchNorm uses running statistics). The output is unclamped, as in the method. Refuses an edge image whose size differs from the model's training size. Reconstructions are cached on disk.",
  kind: "map",
  diskCache: true,
  inputs: {
    model: { type: "Model" },
    edge: {
      type: "Gray",
      title: "input (edge)",
      description: "Same kind of input the model was trained on",
    },
  },
  outputs: { reconstruction: { type: "Image" } },
  params: z.object({}),
  async prepare(inputs, _params, ctx) {
    await ensureBackend(ctx.backend, (m) => ctx.log.info(m));
    const handle = inputs.model as ModelHandle;
    if (handle?.kind !== "edgrec-unet") {
      throw dataError(
        "E_MODEL_KIND",
        `node "${ctx.nodeId}": the model input is not an EdgRec U-Net`,
        "connect the output of U-Net train or Load model",
      );
    }
    return handle;
  },
  map(inputs, _params, ctx, prepared) {
    const handle = prepared as ModelHandle;
    const edge = inputs.edge as FloatImage;
    try {
      assertModelFits(handle.manifest, edge);
    } catch (err) {
      throw dataError(
        "E_MODEL_SIZE",
        `node "${ctx.nodeId}": ${(err as Error).message}`,
        "resize the images to the model's training size",
      );
    }
    const data = tf.tidy(() => {
      const x = tf.tensor4d(edge.data, [1, edge.height, edge.width, 1]);
      return forward(handle.model, x, false).dataSync() as Float32Array;
    });
    return {
      reconstruction: {
        width: edge.width,
        height: edge.height,
        channels: 3,
        data,
      } satisfies FloatImage,
    };
  },
});
