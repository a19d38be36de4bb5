/**
 * Training presets. Seconds per step were measured by `npm run bench -- train` on a 2-core
 * AMD EPYC shared with other jobs (load average 2-9 during the runs, so the spread is up to 2x):
 * wasm backend, one thread, batch 8.
 *   width 16, 128 px: 4.2-5.0 s quiet, 10.9 s under load; inference 180 ms/image
 *   width 32, 128 px: 13.0 s quiet, 18.1 s under load; inference 390 ms/image
 *   width 16, 256 px: 25.9 s under load
 *   width 64, 128 px: ~69 s (one step, under load)
 *   width >= 32 at 256 px and width 128 at 128 px exceed the wasm backend's 4 GiB heap at
 *   batch 8, so the paper preset needs a native backend (tfjs-node) - the reference PyTorch run
 *   takes 12.5 s/step (128 px) and 45.3 s/step (256 px) at width 128.
 */
export interface TrainPreset {
  name: string;
  imageSize: number;
  width: number;
  batchSize: number;
  /** Reference schedule: 800 epochs; shorter presets scale the milestones with it. */
  epochs: number;
  /** Measured seconds per training step (wasm, 1 thread), or null when not measured. */
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
    secondsPerStep: 0.9,
    note: "tests only; a few steps",
  },
  demo: {
    name: "demo",
    imageSize: 64,
    width: 8,
    batchSize: 8,
    epochs: 40,
    secondsPerStep: 0.55,
    note: "the built-in demo data in a few minutes (0.55 s/step measured on an idle machine)",
  },
  "cpu-fast": {
    name: "cpu-fast",
    imageSize: 128,
    width: 16,
    batchSize: 8,
    epochs: 100,
    secondsPerStep: 5,
    note: "quick CPU model",
  },
  cpu: {
    name: "cpu",
    imageSize: 128,
    width: 32,
    batchSize: 8,
    epochs: 200,
    secondsPerStep: 13,
    note: "better CPU model",
  },
  paper: {
    name: "paper",
    imageSize: 256,
    width: 128,
    batchSize: 8,
    epochs: 800,
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
