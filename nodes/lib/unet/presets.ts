/**
 * Training presets. Each says what it costs; docs/results.md has the measurements and commands.
 * The short CPU presets trade the reference's width and learning rate for steps: on bottle at
 * 128 px, width 8 with batch 4 and Adam 1e-3 beat width 16 / batch 8 / 1e-4 at every budget up
 * to 30 minutes (it fits about 15x more steps in the same time on the wasm backend). At that
 * learning rate the model's quality swings from one checkpoint to the next, so they also keep a
 * moving average of the weights (ema) and save that: a steadier model wherever a time budget
 * stops the run.
 */
export interface TrainPreset {
  name: string;
  imageSize: number;
  width: number;
  batchSize: number;
  /** Reference schedule: 800 epochs; shorter presets scale the milestones with it. */
  epochs: number;
  /** Adam learning rate before the step schedule (reference: 1e-4). */
  learningRate: number;
  /** 2 = data-parallel over two processes (both cores with a one-thread backend). */
  processes: 1 | 2;
  /**
   * Decay of the moving average of the weights that previews and the saved model use
   * (Trainer emaDecay), 0 = none: the last weights, as in the reference.
   */
  ema: number;
  /**
   * Measured seconds per training step on this project's 2-core machine, with the preset's
   * processes (demo: wasm kernels alone; cpu-fast, cpu: native kernels), or null.
   */
  secondsPerStep: number | null;
  note: string;
}

export const PRESETS: Record<"tiny" | "demo" | "cpu-fast" | "cpu" | "paper", TrainPreset> = {
  tiny: {
    name: "tiny",
    imageSize: 32,
    width: 4,
    batchSize: 2,
    epochs: 2,
    learningRate: 1e-4,
    processes: 1,
    ema: 0,
    secondsPerStep: null,
    note: "tests only; a few steps",
  },
  demo: {
    name: "demo",
    imageSize: 64,
    width: 8,
    batchSize: 8,
    epochs: 40,
    learningRate: 1e-3,
    processes: 1,
    ema: 0,
    secondsPerStep: 0.55,
    note: "the built-in demo data: under a minute with the native kernels, about 2.5 min without",
  },
  "cpu-fast": {
    name: "cpu-fast",
    imageSize: 128,
    width: 8,
    batchSize: 4,
    epochs: 300,
    learningRate: 1e-3,
    processes: 2,
    ema: 0.999,
    secondsPerStep: 0.12,
    note: "a 2-core CPU: bottle (209 images, 15,900 steps) in about 32 minutes with the native kernels",
  },
  cpu: {
    name: "cpu",
    imageSize: 128,
    width: 16,
    batchSize: 8,
    epochs: 100,
    learningRate: 1e-3,
    processes: 2,
    ema: 0.999,
    secondsPerStep: 0.34,
    note: "a wider model for a 2-core CPU: bottle (2,700 steps) in about 18 minutes with the native kernels",
  },
  paper: {
    name: "paper",
    imageSize: 256,
    width: 128,
    batchSize: 8,
    epochs: 800,
    learningRate: 1e-4,
    processes: 1,
    ema: 0,
    secondsPerStep: null,
    note: "reference setting (EDGREC.md §4-5); does not fit the wasm heap, needs tfjs-node",
  },
};

export type PresetName = keyof typeof PRESETS;

export function getPreset(name: string): TrainPreset {
  const p = (PRESETS as Record<string, TrainPreset>)[name];
  if (!p) {
    throw new Error(
      `unknown training preset '${name}'; choose one of ${Object.keys(PRESETS).join(", ")}`,
    );
  }
  return p;
}
