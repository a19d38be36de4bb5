import * as tf from "@tensorflow/tfjs-core";
import { z } from "zod";
import { ensureBackend, type ModelHandle } from "./lib/model/handle.ts";
import { assertModelChannels, assertModelFits } from "./lib/unet/checkpoint.ts";
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
    "Reconstructs the colour image from its edge image (or, for a DeAE model, from the image itself) with a trained model (eval mode: BatchNorm uses running statistics). The output is unclamped, as in the method. Refuses an input whose size or channel count differs from what the model was trained on. Reconstructions are cached on disk.",
  kind: "map",
  diskCache: true,
  inputs: {
    model: { type: "Model" },
    edge: {
      type: "NetInput",
      title: "edge (or image for DeAE)",
      description:
        "The same kind of input the model was trained on: the edge image for EdgRec, the gray or RGB image itself for the DeAE ablation (the manifest's channelsIn)",
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
      assertModelChannels(handle.manifest, edge);
    } catch (err) {
      throw dataError(
        "E_MODEL_CHANNELS",
        `node "${ctx.nodeId}": ${(err as Error).message}`,
        handle.manifest.channelsIn === 1
          ? "connect the edge input to a morph-edge output (or the gray image, for a gray DeAE model), as in the graph that trained the model"
          : "connect the edge input to the RGB image itself, as in the DeAE graph that trained the model",
      );
    }
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
      const x = tf.tensor4d(edge.data, [1, edge.height, edge.width, edge.channels]);
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
