/**
 * U-Net training driver. Pulls corrupted edge images (or, for the DeAE baseline, the corrupted
 * images themselves, gray or RGB) and clean targets from the upstream pipeline in shuffled
 * batches (fresh corruption every epoch), reports loss, images per second and ETA, previews
 * reconstructions, checkpoints atomically and resumes exactly. The network is built for the
 * channel count of the first input sample.
 */
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { freemem } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../apps/runner/src/atomic.ts";
import { decodeValue, encodeValue } from "../apps/runner/src/engine/serialize.ts";
import { ensureBackend, type ModelHandle } from "./lib/model/handle.ts";
import { loadModel, makeManifest, saveModel } from "./lib/unet/checkpoint.ts";
import { assertTrainingFits, assertWasmHeapFits } from "./lib/unet/memory.ts";
import { getFlatState, type UNet } from "./lib/unet/model.ts";
import { nativeKernelsLabel } from "./lib/unet/native.ts";
import { GradientPartner, splitBatch } from "./lib/unet/parallel.ts";
import { PRESETS } from "./lib/unet/presets.ts";
import { Trainer, type TrainerSnapshot } from "./lib/unet/train.ts";
import { dataError } from "./sdk/errors.ts";
import type { FloatImage } from "./sdk/image.ts";
import { defineNode, type SampleStream } from "./sdk/node.ts";
import { createRng, mixSeed } from "./sdk/rng.ts";

export const trainParams = z.object({
  preset: z
    .enum(["tiny", "demo", "cpu-fast", "cpu", "paper"])
    .default("cpu-fast")
    .describe(
      "tiny: tests; demo: 64 px, width 8, the demo data in under a minute (native kernels) to a few minutes; cpu-fast: 128 px, width 8, batch 4, Adam 1e-3, 2 processes, weight average, about 32 min on bottle with the native kernels; cpu: 128 px, width 16, Adam 1e-3, 2 processes, weight average, about 18 min on bottle with the native kernels; paper: 256 px, width 128, 800 epochs (the reference; needs a native backend)",
    ),
  width: z
    .number()
    .int()
    .min(0)
    .max(256)
    .default(0)
    .describe("U-Net base width C (0 = the preset's)")
    .meta({ scale: "log", sliderMin: 1 }),
  batchSize: z
    .number()
    .int()
    .min(0)
    .max(64)
    .default(0)
    .describe("Batch size (0 = the preset's)")
    .meta({ scale: "log", sliderMin: 1 }),
  epochs: z
    .number()
    .int()
    .min(0)
    .max(100000)
    .default(0)
    .describe("Epochs (0 = the preset's); the learning rate drops ×0.2 at 80% and 90% of them")
    .meta({ scale: "log", sliderMin: 1 }),
  maxMinutes: z
    .number()
    .min(0)
    .max(100000)
    .default(0)
    .describe("Stop after this much training wall time and keep the model (0 = no limit)")
    .meta({ unit: "min", scale: "log", sliderMin: 1 }),
  learningRate: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe(
      "Adam learning rate (0 = the preset's: 1e-4 for paper and tiny as in the reference, 1e-3 for the short demo and CPU presets)",
    )
    // Adam's useful rates: the slider spans 1e-5..0.1, 0 and larger rates are typed
    .meta({ scale: "log", sliderMin: 1e-5, sliderMax: 0.1 }),
  processes: z
    .number()
    .int()
    .min(0)
    .max(2)
    .default(0)
    .describe(
      "0 = the preset's; 2 = data-parallel over two processes, each computing half of every batch (uses both cores with the wasm backend). BatchNorm then normalises each half with its own statistics, so losses differ slightly from 1 process",
    ),
  ema: z
    .number()
    .min(-1)
    .max(0.9999)
    .refine(
      (v) => v === -1 || v >= 0,
      "ema must be -1 (the preset's), 0 (off) or a decay between 0 and 0.9999",
    )
    .default(-1)
    .describe(
      "Moving average of the weights: previews and the saved model use an exponential moving average of the network (weights and BatchNorm statistics) with this decay instead of the last weights, a steadier model wherever training stops; 0.999 averages over roughly the last 1000 steps. -1 = the preset's (0.999 for cpu-fast and cpu, off for the others); 0 = off (the last weights, as in the reference)",
    )
    // -1, 0 and 0.9..0.9999 mean different things: no slider could show that honestly
    .meta({ slider: false }),
  checkpointEvery: z
    .number()
    .int()
    .min(1)
    .max(100000)
    .default(50)
    .describe("Steps between checkpoints"),
  previewEvery: z
    .number()
    .int()
    .min(1)
    .max(100000)
    .default(25)
    .describe("Steps between reconstruction previews"),
});
type Params = z.infer<typeof trainParams>;

interface Checkpoint {
  snapshot: TrainerSnapshot;
  lossCurve: number[];
  trainedMs: number;
}

const CHECKPOINT = "checkpoint.bin";

// The engine's cache format already stores JSON with typed arrays (weights, Adam moments).
async function saveCheckpoint(dir: string, c: Checkpoint): Promise<void> {
  await writeFileAtomic(join(dir, CHECKPOINT), encodeValue(c));
}

async function loadCheckpoint(dir: string): Promise<Checkpoint | undefined> {
  const file = join(dir, CHECKPOINT);
  if (!existsSync(file)) return undefined;
  try {
    return decodeValue(await readFile(file)) as Checkpoint;
  } catch (err) {
    throw new Error(`checkpoint ${file}: ${(err as Error).message}`);
  }
}

/**
 * Memory a training run may use: EDGREC_TRAIN_MEMORY_MB when set (a deliberate cap, e.g. in
 * a container whose limit the OS does not report), else free memory plus what this process
 * already holds (the estimate includes the process baseline).
 */
export function availableTrainingBytes(): number {
  const env = process.env.EDGREC_TRAIN_MEMORY_MB;
  if (env !== undefined && env !== "") {
    const mb = Number(env);
    if (!Number.isFinite(mb) || mb <= 0) {
      throw dataError(
        "E_MEMORY_LIMIT",
        `EDGREC_TRAIN_MEMORY_MB must be a positive number of MiB, got "${env}"`,
        "unset it or set e.g. EDGREC_TRAIN_MEMORY_MB=4096",
      );
    }
    return mb * 2 ** 20;
  }
  return freemem() + process.memoryUsage().rss;
}

/** Fails before the first step when the predicted peak does not fit (see lib/unet/memory.ts). */
function checkTrainingMemory(
  shape: {
    width: number;
    batchSize: number;
    imageSize: number;
    inputChannels: number;
    ema: boolean;
  },
  nodeId: string,
): void {
  try {
    assertTrainingFits(shape, availableTrainingBytes(), `node "${nodeId}"`);
  } catch (err) {
    if (err instanceof Error && err.name === "EdgrecError") throw err;
    throw dataError(
      "E_OUT_OF_MEMORY",
      (err as Error).message,
      "choose train.preset=cpu-fast or tiny, or lower train.batchSize / train.width / the dataset size",
    );
  }
}

const WASM_HEAP_HINT =
  "train with processes 2 (each process holds half the batch), lower train.batchSize, " +
  "train.width or the dataset size, or use a native backend (--backend tensorflow or " +
  "tensorflow-gpu, with @tensorflow/tfjs-node(-gpu) installed)";

/** On the wasm backend, fails before the first step when a process's share cannot fit its heap. */
function checkWasmHeap(
  shape: { width: number; batchSize: number; imageSize: number; inputChannels: number },
  processes: number,
  nodeId: string,
): void {
  try {
    assertWasmHeapFits(
      { ...shape, batchSize: Math.ceil(shape.batchSize / processes) },
      nativeKernelsLabel() !== undefined,
      `node "${nodeId}"`,
    );
  } catch (err) {
    throw dataError("E_OUT_OF_MEMORY", (err as Error).message, WASM_HEAP_HINT);
  }
}

/** The wasm backend's own words when its heap runs out mid-step. */
const WASM_HEAP_FAILURE = /memory access out of bounds|^Aborted\(|Cannot enlarge memory/;

/** Shuffled sample order of one epoch; depends only on (seed, epoch). */
function epochOrder(n: number, seed: number, epoch: number): number[] {
  const rng = createRng(mixSeed(seed, 0x5eed, epoch));
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

export function resolveTrainSettings(p: Params) {
  const preset = PRESETS[p.preset];
  return {
    width: p.width || preset.width,
    batchSize: p.batchSize || preset.batchSize,
    epochs: p.epochs || preset.epochs,
    imageSize: preset.imageSize,
    learningRate: p.learningRate || preset.learningRate,
    processes: p.processes || preset.processes,
    // -1, not 0, means the preset's: 0 must stay a way to turn the average off
    ema: p.ema === -1 ? preset.ema : p.ema,
  };
}

export default defineNode({
  type: "edgrec.unet-train",
  // 2: presets carry learning rate and processes (cpu-fast, cpu changed), so old caches differ
  // 3: cpu-fast and cpu save a moving average of the weights (param ema)
  // 4: demo trains at 1e-3. Cache keys hash the params as written ("preset": "demo"), not the
  // preset's values, so every change to a preset's values must bump this version.
  version: 4,
  title: "U-Net train",
  category: "Model",
  description:
    "Trains the EdgRec U-Net (additive skips, bilinear upsampling, BatchNorm, no output activation) to rebuild the clean colour image from the edge image of its corrupted version (or, for the DeAE baseline, from the corrupted image itself, gray or RGB: the network is built for the input's channel count). Loss L2 + SSIM, Adam. Optionally previews and saves a moving average of the weights (ema; on in the CPU presets). Checkpoints every N steps; a stopped run resumes from its last checkpoint with the same result.",
  kind: "task",
  seeded: true,
  inputs: {
    edge: {
      type: "NetInput",
      title: "edge (or image for DeAE)",
      description:
        "EdgRec feeds the morphological edge of the corrupted image; the DeAE ablation feeds the corrupted RGB image itself. 1 or 3 channels, the same for every sample; the model records it",
    },
    target: { type: "Image", title: "clean target" },
  },
  outputs: { model: { type: "Model" } },
  params: trainParams,
  persist: {
    async save(outputs, dir) {
      const h = outputs.model as ModelHandle;
      await saveModel(dir, h.model, getFlatState(h.model), h.manifest);
      h.dir = dir;
    },
    async load(dir) {
      const { manifest, model } = await loadModel(dir);
      return { model: { kind: "edgrec-unet", manifest, model, dir } satisfies ModelHandle };
    },
  },
  async run(inputs, params, ctx) {
    const edges = inputs.edge as SampleStream<FloatImage>;
    const targets = inputs.target as SampleStream<FloatImage>;
    if (edges.length === 0) {
      throw dataError(
        "E_DATASET_EMPTY",
        `node "${ctx.nodeId}": no training images`,
        "check the dataset's train split",
      );
    }
    if (edges.length !== targets.length) {
      throw dataError(
        "E_STREAM_LENGTH",
        `node "${ctx.nodeId}": ${edges.length} edges but ${targets.length} targets`,
        "connect edge and target from the same training split",
      );
    }
    const backend = await ensureBackend(ctx.backend, (m) => ctx.log.info(m));
    ctx.log.info({ backend }, `tfjs backend ${backend.name}: ${backend.reason}`);
    const s = resolveTrainSettings(params);
    const first = await edges.get(0, 0);
    const { width: w, height: h, channels } = first;
    if (channels !== 1 && channels !== 3) {
      throw dataError(
        "E_INPUT_CHANNELS",
        `node "${ctx.nodeId}": the edge input has ${channels} channels; the U-Net reads 1 (edge or gray image) or 3 (RGB image)`,
        "connect a morph-edge output (EdgRec), or the gray or RGB image itself (DeAE)",
      );
    }
    if (w !== s.imageSize || h !== s.imageSize) {
      ctx.warn(
        `training at ${w}x${h}; preset ${params.preset} is meant for ${s.imageSize}x${s.imageSize} (set the dataset size to match)`,
      );
    }
    // a non-square or odd size is refused by the Trainer with its own message; estimate its bound
    const side = Math.max(16, Math.ceil(Math.max(w, h) / 16) * 16);
    checkTrainingMemory(
      {
        width: s.width,
        batchSize: s.batchSize,
        imageSize: side,
        inputChannels: channels,
        ema: s.ema > 0,
      },
      ctx.nodeId,
    );
    if (backend.name === "wasm") {
      const shape = { width: s.width, batchSize: s.batchSize, imageSize: side };
      checkWasmHeap({ ...shape, inputChannels: channels }, s.processes, ctx.nodeId);
    }
    const n = edges.length;
    const stepsPerEpoch = Math.ceil(n / s.batchSize);
    const totalSteps = stepsPerEpoch * s.epochs;
    const trainer = new Trainer({
      width: s.width,
      inputChannels: channels,
      imageWidth: w,
      imageHeight: h,
      epochs: s.epochs,
      stepsPerEpoch,
      seed: ctx.seed,
      lr: s.learningRate,
      emaDecay: s.ema,
    });
    // The time budget and checkpoint cadence do not change what a step computes, so runs that
    // differ only in them share checkpoints: a longer budget continues a shorter run.
    const work = await ctx.workDir({
      ignoreParams: ["maxMinutes", "checkpointEvery", "previewEvery"],
    });
    let lossCurve: number[] = [];
    let trainedMs = 0;
    const resumed = await loadCheckpoint(work).catch((err) => {
      ctx.warn(`checkpoint unreadable, starting over: ${(err as Error).message}`);
      return undefined;
    });
    if (resumed) {
      trainer.restore(resumed.snapshot);
      lossCurve = resumed.lossCurve;
      trainedMs = resumed.trainedMs;
      ctx.warn(`resuming from checkpoint at step ${trainer.steps} of ${totalSteps}`);
    }
    const budgetMs = params.maxMinutes > 0 ? params.maxMinutes * 60_000 : Number.POSITIVE_INFINITY;
    const checkpoint = () =>
      saveCheckpoint(work, { snapshot: trainer.stateSnapshot(), lossCurve, trainedMs });
    let windowStart = performance.now();
    let windowImages = 0;
    let stoppedBy = "all epochs done";
    let model: UNet;
    const partner =
      s.processes === 2 && backend.name !== "tensorflow"
        ? await GradientPartner.start(trainer, backend.name)
        : undefined;
    try {
      while (trainer.steps < totalSteps) {
        if (ctx.signal.aborted) {
          await checkpoint();
          ctx.signal.throwIfAborted();
        }
        if (trainedMs >= budgetMs) {
          stoppedBy = `time budget of ${params.maxMinutes} min reached`;
          break;
        }
        const t0 = performance.now();
        const step = trainer.steps;
        const epoch = Math.floor(step / stepsPerEpoch);
        const order = epochOrder(n, ctx.seed, epoch);
        const at = (step % stepsPerEpoch) * s.batchSize;
        const idx = order.slice(at, at + s.batchSize);
        const per = w * h * channels;
        const edgeBatch = new Float32Array(idx.length * per);
        const targetBatch = new Float32Array(idx.length * w * h * 3);
        for (let j = 0; j < idx.length; j++) {
          // epoch + 1: epoch 0 of the corruption stream is kept for previews
          const [e, t] = await Promise.all([
            edges.get(idx[j], epoch + 1),
            targets.get(idx[j], epoch + 1),
          ]);
          if (e.data.length !== per || t.data.length !== w * h * 3) {
            const got = e.data.length !== per ? e : t;
            throw dataError(
              "E_INPUT_SHAPE",
              `node "${ctx.nodeId}": sample ${edges.info(idx[j]).id} gives a ` +
                `${got.width}x${got.height}x${got.channels} ${got === e ? "edge input" : "target"}, ` +
                `but training runs on ${w}x${h}x${got === e ? channels : 3} (set by the first sample)`,
              "give every sample the same size (dataset size or resize node) and the same kind of input",
            );
          }
          edgeBatch.set(e.data, j * per);
          targetBatch.set(t.data, j * w * h * 3);
        }
        let r: { loss: number; l2: number; ssim: number };
        if (partner && idx.length > 1) {
          const [mine, theirs] = splitBatch({ edge: edgeBatch, target: targetBatch }, idx.length);
          const { result } = await partner.submit(trainer, theirs, theirs.count);
          r = await trainer.stepShared(mine, result);
        } else r = trainer.step({ edge: edgeBatch, target: targetBatch });
        lossCurve.push(r.loss);
        const ms = performance.now() - t0;
        trainedMs += ms;
        windowImages += idx.length;
        const now = performance.now();
        const ips = windowImages / ((now - windowStart) / 1000);
        if (now - windowStart > 10_000) {
          windowStart = now;
          windowImages = 0;
        }
        ctx.progress({
          step: trainer.steps,
          total: totalSteps,
          loss: r.loss,
          message: `epoch ${epoch + 1}/${s.epochs}`,
          values: {
            l2: r.l2,
            ssim: r.ssim,
            lr: trainer.currentLearningRate(),
            imagesPerSecond: ips,
          },
        });
        if (trainer.steps % params.previewEvery === 0 || trainer.steps === 1) {
          // the network the run would save: the moving average when there is one
          const rec = trainer.predict(edgeBatch.subarray(0, per), false, { ema: trainer.hasEma });
          ctx.preview(
            "reconstruction",
            { kind: "image", image: { width: w, height: h, channels: 3, data: rec } },
            idx[0],
            `step ${trainer.steps}`,
          );
        }
        if (trainer.steps % params.checkpointEvery === 0) await checkpoint();
        // let sockets and timers breathe between synchronous training steps
        await new Promise((r) => setImmediate(r));
      }
      if (trainer.steps >= totalSteps) await rm(join(work, CHECKPOINT), { force: true });
      else await checkpoint();
      // The network to keep: the moving average when ema > 0 (the checkpoint holds both).
      model = trainer.finish();
    } catch (err) {
      trainer.dispose();
      if (backend.name === "wasm" && WASM_HEAP_FAILURE.test((err as Error).message ?? "")) {
        throw dataError(
          "E_OUT_OF_MEMORY",
          `node "${ctx.nodeId}": the WebAssembly backend ran out of its 4 GiB heap during a ` +
            `training step (width ${s.width}, batch ${s.batchSize} at ${w}x${h}: ` +
            `${(err as Error).message})`,
          WASM_HEAP_HINT,
        );
      }
      throw err;
    } finally {
      partner?.close();
    }
    ctx.record("training", {
      steps: trainer.steps,
      totalSteps,
      stoppedBy,
      trainedMinutes: trainedMs / 60000,
      backend: backend.name,
      width: s.width,
      inputChannels: channels,
      batchSize: s.batchSize,
      learningRate: s.learningRate,
      processes: s.processes,
      emaDecay: s.ema,
    });
    const manifest = makeManifest(model, {
      inputSize: { width: w, height: h },
      preset: params.preset,
      steps: trainer.steps,
      lossCurve,
      seed: ctx.seed,
      dataFingerprint: edges.key,
      graphFingerprint: ctx.graphFingerprint,
      emaDecay: s.ema,
    });
    return { model: { kind: "edgrec-unet", manifest, model } satisfies ModelHandle };
  },
});
