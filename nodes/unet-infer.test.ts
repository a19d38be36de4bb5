import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ensureBackend, type ModelHandle } from "./lib/model/handle.ts";
import { makeManifest } from "./lib/unet/checkpoint.ts";
import { createUNet, disposeUNet, type InputChannels } from "./lib/unet/model.ts";
import { EdgrecError } from "./sdk/errors.ts";
import { createImage, type FloatImage } from "./sdk/image.ts";
import { canConnect } from "./sdk/ports.ts";
import unetInfer from "./unet-infer.ts";
import unetTrain from "./unet-train.ts";

const S = 32;
const handles: ModelHandle[] = [];
before(() => ensureBackend("wasm"));
after(() => {
  for (const h of handles) disposeUNet(h.model);
});

function handle(inputChannels: InputChannels): ModelHandle {
  const model = createUNet(2, 1, inputChannels);
  const manifest = makeManifest(model, {
    inputSize: { width: S, height: S },
    preset: "tiny",
    steps: 0,
    lossCurve: [],
    seed: 1,
    dataFingerprint: "d",
    graphFingerprint: "g",
  });
  const h: ModelHandle = { kind: "edgrec-unet", manifest, model };
  handles.push(h);
  return h;
}

const silent = { info() {}, warn() {}, debug() {}, error() {} };

/** Runs the node as the engine does: prepare once, then map one sample. */
async function infer(h: ModelHandle, edge: FloatImage) {
  const ctx = { nodeId: "test_infer", backend: "wasm", log: silent } as never;
  const prepared = await unetInfer.prepare?.({ model: h }, {}, ctx);
  return unetInfer.map({ model: h, edge }, {}, ctx, prepared);
}

function image(channels: 1 | 3, size = S): FloatImage {
  const img = createImage(size, size, channels);
  for (let i = 0; i < img.data.length; i++) img.data[i] = (i % 17) / 17;
  return img;
}

describe("U-Net infer node", () => {
  test("the edge port keeps its name and accepts edge, gray and RGB images", () => {
    for (const node of [unetInfer, unetTrain]) {
      const port = node.inputs.edge;
      assert.equal(port.type, "NetInput");
      assert.equal(port.title, "edge (or image for DeAE)");
      for (const from of ["Edge", "Gray", "Image"] as const) {
        assert.ok(canConnect(from, port.type), `${from} -> ${node.type}.edge`);
      }
      assert.equal(canConnect("ScoreMap", port.type), false);
    }
    // colour images still cannot reach gray-only or edge inputs
    assert.equal(canConnect("Image", "Gray"), false);
    assert.equal(canConnect("Image", "Edge"), false);
  });

  test("reconstructs RGB from an edge image (1-channel model) and from an RGB image (3-channel model)", async () => {
    for (const k of [1, 3] as const) {
      const out = (await infer(handle(k), image(k))).reconstruction as FloatImage;
      assert.deepEqual([out.width, out.height, out.channels], [S, S, 3]);
      assert.equal(out.data.length, S * S * 3);
      assert.ok(out.data.every(Number.isFinite));
    }
  });

  test("refuses a channel mismatch naming the node, what the model expects and what to do", async () => {
    await assert.rejects(infer(handle(1), image(3)), (err: unknown) => {
      assert.ok(err instanceof EdgrecError);
      assert.equal(err.code, "E_MODEL_CHANNELS");
      assert.equal(err.category, "data");
      assert.match(
        err.message,
        /^node "test_infer": model was trained on 1-channel \(edge or gray\) images but got a 3-channel \(RGB\) image/,
      );
      assert.match(err.hint ?? "", /morph-edge/);
      return true;
    });
    await assert.rejects(infer(handle(3), image(1)), (err: unknown) => {
      assert.ok(err instanceof EdgrecError);
      assert.equal(err.code, "E_MODEL_CHANNELS");
      assert.match(
        err.message,
        /^node "test_infer": model was trained on 3-channel \(RGB\) images but got a 1-channel \(edge or gray\) image/,
      );
      assert.match(err.hint ?? "", /RGB image itself/);
      return true;
    });
  });

  test("still refuses a wrong size", async () => {
    await assert.rejects(infer(handle(3), image(3, 64)), (err: unknown) => {
      assert.ok(err instanceof EdgrecError);
      assert.equal(err.code, "E_MODEL_SIZE");
      assert.match(err.message, /trained on 32x32 images but got 64x64/);
      return true;
    });
  });
});
