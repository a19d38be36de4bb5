/**
 * Trained-model files: `weights.bin` (flat little-endian float32 state in model.state order:
 * per layer conv weight HWIO, bias, BN gamma, beta, running mean, running var) and
 * `manifest.json`. Both are written to a temp file and renamed, manifest last, so a reader
 * never sees a manifest pointing at half-written weights.
 */
import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../../../apps/runner/src/atomic.ts";
import {
  createUNet,
  type InputChannels,
  setFlatState,
  stateFloatCount,
  type UNet,
} from "./model.ts";

export const ARCHITECTURE = "edgrec-unet";
export const WEIGHTS_FILE = "weights.bin";
export const MANIFEST_FILE = "manifest.json";

export const manifestSchema = z.object({
  architecture: z.literal(ARCHITECTURE),
  formatVersion: z.literal(1),
  width: z.number().int().positive(),
  inputSize: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }),
  /**
   * Input channels the network was built and trained for: 1 (edge image, or the gray image of
   * the DeAE ablation) or 3 (RGB image, DeAE). Written since the first format version, always
   * 1 before 3-channel models existed; a manifest without it loads as 1.
   */
  channelsIn: z.literal([1, 3]).default(1),
  channelsOut: z.literal(3),
  channelOrder: z.literal("RGB"),
  preset: z.string(),
  steps: z.number().int().nonnegative(),
  /**
   * Decay of the exponential moving average of the weights that the weight file holds
   * (Trainer emaDecay), or 0 when it holds the last trained weights. Absent in manifests
   * written before the average existed: 0.
   */
  emaDecay: z.number().min(0).lt(1).default(0),
  lossCurve: z.array(z.number()),
  seed: z.number().int(),
  dataFingerprint: z.string(),
  graphFingerprint: z.string(),
  weightsFile: z.literal(WEIGHTS_FILE),
  weightFloats: z.number().int().positive(),
  createdAt: z.string(),
});
export type ModelManifest = z.infer<typeof manifestSchema>;

/**
 * What the caller supplies; the fixed fields are filled in by saveModel, and emaDecay may be
 * left out (0: the last trained weights).
 */
export type ManifestInput = Partial<Pick<ModelManifest, "emaDecay">> &
  Omit<
    ModelManifest,
    | "architecture"
    | "formatVersion"
    | "width"
    | "channelsIn"
    | "channelsOut"
    | "channelOrder"
    | "weightsFile"
    | "weightFloats"
    | "createdAt"
    | "emaDecay"
  >;

/** Temp file, fsync, rename: a crash leaves the old file or the new one, never half of one. */
const atomicWrite = writeFileAtomic;

/**
 * A complete manifest for a network of `net.width` reading `net.inputChannels` channels: the
 * fixed fields filled in from the network, then validated.
 */
export function makeManifest(
  net: { width: number; inputChannels: InputChannels },
  info: ManifestInput,
): ModelManifest {
  return manifestSchema.parse({
    ...info,
    architecture: ARCHITECTURE,
    formatVersion: 1,
    width: net.width,
    channelsIn: net.inputChannels,
    channelsOut: 3,
    channelOrder: "RGB",
    weightsFile: WEIGHTS_FILE,
    weightFloats: stateFloatCount(net.width, net.inputChannels),
    createdAt: new Date().toISOString(),
  });
}

/** Writes `model` (weights + running stats) and its manifest into `dir` (created if needed). */
export async function saveModel(
  dir: string,
  model: UNet,
  state: Float32Array,
  info: ManifestInput,
): Promise<ModelManifest> {
  const floats = stateFloatCount(model.width, model.inputChannels);
  if (state.length !== floats) {
    throw new Error(
      `saveModel: state has ${state.length} floats, width ${model.width} with ` +
        `${model.inputChannels} input channel(s) needs ${floats}`,
    );
  }
  const manifest = makeManifest(model, info);
  await mkdir(dir, { recursive: true });
  const bytes = new Uint8Array(state.buffer, state.byteOffset, state.byteLength);
  await atomicWrite(join(dir, WEIGHTS_FILE), bytes);
  await atomicWrite(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Reads and validates a manifest (no weights). */
export async function readManifest(dir: string): Promise<ModelManifest> {
  const path = join(dir, MANIFEST_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch (e) {
    throw new Error(
      `loadModel: cannot read ${path} (${(e as Error).message}); train a model first`,
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `loadModel: ${path} is not an ${ARCHITECTURE} manifest: ${issue.path.join(".")}: ` +
        `${issue.message}; retrain or point at an EdgRec model folder`,
    );
  }
  const { width, channelsIn, weightFloats } = parsed.data;
  const want = stateFloatCount(width, channelsIn);
  if (weightFloats !== want) {
    throw new Error(
      `loadModel: ${path} says width ${width} but weightFloats ${weightFloats} (a width-${width} ` +
        `network with ${channelsIn} input channel(s) has ${want}); the manifest is ` +
        "inconsistent, retrain",
    );
  }
  return parsed.data;
}

/** Loads a saved model; checks the weight file length against the architecture. */
export async function loadModel(dir: string): Promise<{ manifest: ModelManifest; model: UNet }> {
  const manifest = await readManifest(dir);
  const path = join(dir, manifest.weightsFile);
  const want = manifest.weightFloats * 4;
  const size = (await stat(path)).size;
  if (size !== want) {
    throw new Error(
      `loadModel: ${path} has ${size} bytes, a width-${manifest.width} ${ARCHITECTURE} with ` +
        `${manifest.channelsIn} input channel(s) needs ${want}; the file is truncated or from ` +
        "another model, retrain or restore it",
    );
  }
  const buf = await readFile(path);
  const flat = new Float32Array(manifest.weightFloats);
  new Uint8Array(flat.buffer).set(buf);
  const model = createUNet(manifest.width, manifest.seed, manifest.channelsIn);
  setFlatState(model, flat);
  return { manifest, model };
}

/** Throws when images of `size` cannot be fed to the model described by `manifest`. */
export function assertModelFits(
  manifest: Pick<ModelManifest, "inputSize" | "width">,
  size: { width: number; height: number },
): void {
  const { width, height } = manifest.inputSize;
  if (size.width !== width || size.height !== height) {
    throw new Error(
      `model was trained on ${width}x${height} images but got ${size.width}x${size.height}; ` +
        `resize the input to ${width}x${height} (resize node) or train a model at this size`,
    );
  }
}

/** "1-channel (edge or gray)" / "3-channel (RGB)": what a channel count means here. */
function describeChannels(k: number): string {
  return k === 1 ? "1-channel (edge or gray)" : k === 3 ? "3-channel (RGB)" : `${k}-channel`;
}

/**
 * Throws when `image` has a channel count other than the one the model was trained on
 * (manifest.channelsIn): an EdgRec model reads edge images, a DeAE model the image itself.
 */
export function assertModelChannels(
  manifest: Pick<ModelManifest, "channelsIn">,
  image: { channels: number },
): void {
  if (image.channels !== manifest.channelsIn) {
    throw new Error(
      `model was trained on ${describeChannels(manifest.channelsIn)} images but got a ` +
        `${describeChannels(image.channels)} image; feed it the same kind of input as the ` +
        "graph that trained it, or train a model on this input",
    );
  }
}
