/**
 * Training presets. Seconds per step are measured on this project's reference machine
 * (2 cores, wasm backend, one thread, batch 8 unless noted) by `npm run bench -- train`;
 * the machine is shared, so expect ±20%. The reference PyTorch run needs 12.5 s/step at
 * 128x128 and 45.3 s/step at 256x256 for width 128.
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

export const PRESETS: Record<"tiny" | "cpu-fast" | "cpu" | "paper", TrainPreset> = {
  tiny: {
    name: "tiny",
    imageSize: 32,
    width: 4,
    batchSize: 2,
    epochs: 2,
    secondsPerStep: null,
    note: "tests only; a few steps",
  },
  "cpu-fast": {
    name: "cpu-fast",
    imageSize: 128,
    width: 16,
    batchSize: 8,
    epochs: 100,
    secondsPerStep: null,
    note: "quick CPU model",
  },
  cpu: {
    name: "cpu",
    imageSize: 128,
    width: 32,
    batchSize: 8,
    epochs: 200,
    secondsPerStep: null,
    note: "better CPU model",
  },
  paper: {
    name: "paper",
    imageSize: 256,
    width: 128,
    batchSize: 8,
    epochs: 800,
    secondsPerStep: null,
    note: "reference setting (EDGREC.md §4-5); days on a CPU",
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
