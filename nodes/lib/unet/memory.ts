/**
 * Predicts the memory a U-Net training step needs, before any tensor is allocated, so a run
 * that would exhaust the machine fails at once with a useful message instead of after hours.
 *
 * The estimate follows the architecture in model.ts: every conv layer keeps a few
 * N·h·w·cout tensors alive from the forward pass until its gradient is computed (conv output,
 * centred values, BN output, ReLU output), the loss keeps a few N·H·W·3 SSIM maps, and the
 * state is weights + gradients + two Adam moments. The per-layer and loss factors are
 * calibrated against tf.profile() peak bytes of real steps (see memory.test.ts).
 */
import { checkInputChannels, layerSpecs, paramCount, stateFloatCount } from "./model.ts";

export interface TrainingShape {
  /** U-Net base width C (>= 1). */
  width: number;
  /** Images per step (>= 1). */
  batchSize: number;
  /** Square training size in pixels (multiple of 16). */
  imageSize: number;
  /** Channels of the input images: 1 (edge or gray, the default) or 3 (RGB, DeAE). */
  inputChannels?: number;
  /** The trainer keeps a moving average of the weights (emaDecay > 0): one more model state. */
  ema?: boolean;
}

export interface MemoryEstimate {
  /** Total predicted peak bytes of one training step, including the runtime's baseline. */
  bytes: number;
  /** Activation tensors kept for the backward pass (and their gradients). */
  activationBytes: number;
  /** Loss tensors (L2 + SSIM maps). */
  lossBytes: number;
  /** Weights, running stats, gradients, Adam moments and the weight average if any. */
  stateBytes: number;
  /** Node, TensorFlow.js and the data pipeline, independent of the model. */
  baselineBytes: number;
}

/**
 * Float32 tensors of size N·h·w·cout alive per conv layer at the peak of the backward pass
 * (forward intermediates, their gradients, and the pad/transpose copies of the wasm conv
 * gradient kernels). Weighted least-squares fit of tf.profile().peakBytes over five
 * configurations (width 4-32, batch 2-8, 32-128 px; bench/_mem_probe.ts) against the fused
 * conv+BN+ReLU backward of commit 7d1ea08 gave 6.25 (all five within ±5%); rounded up.
 * memory.test.ts fails when model.ts changes enough to need a new fit.
 */
export const ACTIVATION_FACTOR = 6.5;
/**
 * Float32 tensors of size N·H·W·3 at full resolution: the SSIM loss (5 stacked maps, two
 * separable blurs, their gradients) plus full-resolution transients. Same fit gave 129.
 */
export const LOSS_FACTOR = 135;
/** Node + TensorFlow.js + wasm module + sharp before training, measured RSS (~120-170 MB). */
export const BASELINE_BYTES = 200 * 2 ** 20;

/** Resolution divisor of each layer key: encoder level l works at size / 2^l. */
function levelOf(key: string): number {
  const name = key.split(".")[0];
  const enc = /^block(\d)$/.exec(name);
  if (enc) return Number(enc[1]) - 1;
  // decoder: up1 and db1 at level 3 ... up4, db4 and fin_out at level 0
  const dec = /^(?:up|db)(\d)$/.exec(name);
  if (dec) return 4 - Number(dec[1]);
  return 0;
}

/**
 * Estimated peak bytes of one training step of the EdgRec U-Net.
 * Throws on shapes the trainer would refuse (non-positive values, size not a multiple of 16).
 */
export function estimateTrainingBytes(shape: TrainingShape): MemoryEstimate {
  const { width, batchSize, imageSize, inputChannels = 1, ema = false } = shape;
  for (const [k, v] of Object.entries({ width, batchSize, imageSize })) {
    if (!Number.isInteger(v) || v < 1) {
      throw new Error(`estimateTrainingBytes: ${k} must be a positive integer, got ${v}`);
    }
  }
  if (imageSize % 16 !== 0) {
    throw new Error(`estimateTrainingBytes: imageSize ${imageSize} is not a multiple of 16`);
  }
  checkInputChannels(inputChannels);
  let activationFloats = batchSize * imageSize * imageSize * inputChannels; // the input
  for (const s of layerSpecs(width, inputChannels)) {
    const side = imageSize / 2 ** levelOf(s.key);
    activationFloats += ACTIVATION_FACTOR * batchSize * side * side * s.cout;
  }
  const lossFloats = LOSS_FACTOR * batchSize * imageSize * imageSize * 3;
  // weights+running stats, gradients, Adam m and v (plus one transient update per tensor),
  // and the EMA copy of weights+running stats
  const stateFloats =
    (ema ? 2 : 1) * stateFloatCount(width, inputChannels) + 4 * paramCount(width, inputChannels);
  const activationBytes = 4 * activationFloats;
  const lossBytes = 4 * lossFloats;
  const stateBytes = 4 * stateFloats;
  return {
    bytes: activationBytes + lossBytes + stateBytes + BASELINE_BYTES,
    activationBytes,
    lossBytes,
    stateBytes,
    baselineBytes: BASELINE_BYTES,
  };
}

/** "1.2 GiB" / "350 MiB": sizes people can compare with their machine. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  return `${Math.round(n / 2 ** 20)} MiB`;
}

/**
 * Throws when `estimate` does not fit in `availableBytes`, naming the estimate, the limit and
 * what to change. `what` names the node for the message.
 */
export function assertTrainingFits(
  shape: TrainingShape,
  availableBytes: number,
  what = "U-Net training",
): MemoryEstimate {
  const est = estimateTrainingBytes(shape);
  if (est.bytes > availableBytes) {
    const { width, batchSize, imageSize, inputChannels = 1 } = shape;
    const input = inputChannels === 1 ? "" : ` (${inputChannels}-channel input)`;
    throw new Error(
      `${what}: width ${width}, batch ${batchSize} at ${imageSize}x${imageSize}${input} needs about ` +
        `${formatBytes(est.bytes)} (activations ${formatBytes(est.activationBytes)}, loss ` +
        `${formatBytes(est.lossBytes)}, weights+Adam ${formatBytes(est.stateBytes)}) but only ` +
        `${formatBytes(availableBytes)} is available; use a smaller preset (cpu-fast or tiny), ` +
        `halve batchSize or width, or a smaller dataset size`,
    );
  }
  return est;
}

/** The wasm backend keeps every tensor in one heap with 32-bit addresses. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;
/**
 * How far the estimate may exceed the heap before a run is refused when the native kernels
 * are active: they need no pad/transpose copies, so real peaks sit about 1.3x below the
 * estimate (memory.test.ts). Measured on this project's machine: width 32, batch 8 at 256 px
 * (estimate 4.6 GiB in the heap) trains; width 128, batch 8 at 128 px (5.2 GiB) aborts. A
 * run the estimate lets through and the heap still cannot hold fails with a clear error too.
 */
export const NATIVE_HEAP_SLACK = 1.2;

/**
 * Throws before training when one process's share of a step cannot fit the wasm heap, whatever
 * the machine's memory: the wasm backend aborts ("memory access out of bounds") instead.
 * `shape.batchSize` is the per-process batch (half the batch with two processes).
 */
export function assertWasmHeapFits(shape: TrainingShape, nativeKernels: boolean, what: string) {
  const est = estimateTrainingBytes(shape);
  const inHeap = est.bytes - est.baselineBytes;
  const limit = WASM_HEAP_BYTES * (nativeKernels ? NATIVE_HEAP_SLACK : 1);
  if (inHeap > limit) {
    const { width, batchSize, imageSize } = shape;
    throw new Error(
      `${what}: width ${width}, ${batchSize} images per process at ${imageSize}x${imageSize} need ` +
        `about ${formatBytes(inHeap)} of tensors, more than the WebAssembly backend's ` +
        `${formatBytes(WASM_HEAP_BYTES)} heap (32-bit addresses) can hold`,
    );
  }
  return est;
}
