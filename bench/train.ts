/**
 * U-Net training/inference speed on the wasm backend (with the native kernels where they are
 * built, see nodes/lib/unet/native.ts) vs the reference PyTorch figures, plus the per-shape
 * convolution micro-benchmark (wasm routes vs native) and a per-kernel profile.
 *   npm run bench -- train [--widths 16,32,64,128] [--sizes 128,256] [--limit 60] [--no-micro]
 * Each (width, size) runs in its own child process so peak RSS is per combination, then once
 * more trained on both cores (train.processes = 2) where half a batch fits the wasm heap, and
 * for widths up to 32 at 128 px once more with the wasm kernels alone (EDGREC_NATIVE=0).
 */
import { spawn, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { anomalyScoreMap, imageScore } from "../nodes/lib/eval/score.ts";
import { initBackend, naiveWasmBackpropInput } from "../nodes/lib/unet/backend.ts";
import { assertWasmHeapFits } from "../nodes/lib/unet/memory.ts";
import { nativeKernelsLabel, setNativeKernelsEnabled } from "../nodes/lib/unet/native.ts";
import { GradientPartner, splitBatch } from "../nodes/lib/unet/parallel.ts";
import { Trainer } from "../nodes/lib/unet/train.ts";
import { createRng } from "../nodes/sdk/rng.ts";
import { machineLine, printTable } from "./_table.ts";

const REF_STEP_S: Record<string, number> = { "128@128": 12.5, "128@256": 45.3 };
const REF_FWD_MS: Record<string, number> = {
  "16@128": 18.0,
  "16@256": 30.3,
  "32@128": 39.1,
  "32@256": 97.0,
  "64@128": 87.5,
  "64@256": 337.6,
  "128@128": 325.9,
  "128@256": 1220.3,
};
const REF_FULL_MS: Record<string, number> = {
  "16@128": 22.2,
  "16@256": 43.0,
  "32@128": 43.7,
  "32@256": 110.9,
  "64@128": 92.6,
  "64@256": 351.9,
  "128@128": 330.9,
  "128@256": 1235.1,
};
const BATCH = 8;
/**
 * Runs `npm run bench -- train ARGS` in a child process and returns the JSON after the first
 * stdout line starting with `tag`, or why there is none (the child's last words).
 */
function benchChild<T>(
  here: string,
  args: string[],
  tag: string,
  env: NodeJS.ProcessEnv = process.env,
): { result: T } | { died: string } {
  const out = spawnSync(
    process.execPath,
    ["--import", "tsx", join(here, "index.ts"), "train", ...args],
    { encoding: "utf8", maxBuffer: 1 << 24, env },
  );
  const line = out.stdout.split("\n").find((l) => l.startsWith(`${tag} `));
  return line
    ? { result: JSON.parse(line.slice(tag.length + 1)) as T }
    : { died: out.stderr.slice(-120) };
}

/**
 * Seconds per batch-8 step trained on both cores (a child process plus its partner, each on 4
 * images), or why it was not measured: each process needs only half the activations, so this
 * also runs widths whose batch of 8 does not fit one wasm heap.
 */
function twoProcessStep(here: string, width: number, size: number, limit: number) {
  try {
    // The product's own pre-flight (unet-train refuses the same shapes).
    assertWasmHeapFits(
      { width, batchSize: BATCH / 2, imageSize: size },
      nativeKernelsLabel() !== undefined,
      "2 proc",
    );
  } catch {
    return { stepS: null, note: "2 proc: half a batch exceeds the wasm heap" };
  }
  const args = ["--child-two", String(width), String(size), "--limit", String(limit)];
  const r = benchChild<{ stepS: number | null; note: string }>(here, args, "RESULT2");
  if ("died" in r) return { stepS: null, note: `2 proc child died: ${r.died.slice(-100)}` };
  return { stepS: r.result.stepS, note: r.result.note ? `2 proc: ${r.result.note}` : "" };
}

function arg(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
}

function randomBatch(n: number, size: number, seed: number) {
  const rng = createRng(seed);
  return {
    edge: Float32Array.from({ length: n * size * size }, () => rng.next() * 0.3),
    target: Float32Array.from({ length: n * size * size * 3 }, () => rng.next()),
  };
}

interface ChildResult {
  width: number;
  size: number;
  firstStepS: number;
  stepS: number | null;
  fwdMs: number | null;
  /** Forward plus the EdgRec score map (colour + MSGMS + mean filters) and image score. */
  fullMs: number | null;
  rssMiB: number;
  note: string;
  profile?: { kernel: string; ms: number }[];
}

/** Measures one (width, size) combination in this process. */
async function child(width: number, size: number, limitS: number, profile: boolean) {
  await initBackend("wasm");
  const res: ChildResult = {
    width,
    size,
    firstStepS: 0,
    stepS: null,
    fwdMs: null,
    fullMs: null,
    rssMiB: 0,
    note: "",
  };
  try {
    const t = new Trainer({
      width,
      imageWidth: size,
      imageHeight: size,
      epochs: 800,
      stepsPerEpoch: 27,
      seed: 1,
    });
    const b = randomBatch(BATCH, size, 2);
    let t0 = performance.now();
    t.step(b);
    res.firstStepS = (performance.now() - t0) / 1000;
    if (res.firstStepS > limitS) {
      res.note = `warm-up step ${res.firstStepS.toFixed(0)} s > ${limitS} s: timed steps skipped`;
    } else {
      const reps = 2;
      t0 = performance.now();
      for (let i = 0; i < reps; i++) t.step(b);
      res.stepS = (performance.now() - t0) / 1000 / reps;
    }
    const one = randomBatch(1, size, 3).edge;
    t.predict(one);
    const reps = res.firstStepS > limitS ? 1 : 3;
    t0 = performance.now();
    for (let i = 0; i < reps; i++) t.predict(one);
    res.fwdMs = (performance.now() - t0) / reps;
    const orig = {
      width: size,
      height: size,
      channels: 3 as const,
      data: randomBatch(1, size, 4).target,
    };
    t0 = performance.now();
    for (let i = 0; i < reps; i++) {
      const rec = { width: size, height: size, channels: 3 as const, data: t.predict(one) };
      imageScore(anomalyScoreMap(orig, rec));
    }
    res.fullMs = (performance.now() - t0) / reps;
    if (profile) {
      const info = await tf.profile(() => {
        t.step(b);
      });
      const by = new Map<string, number>();
      for (const k of info.kernels) {
        by.set(k.name, (by.get(k.name) ?? 0) + (k.kernelTimeMs as number));
      }
      res.profile = [...by.entries()]
        .map(([kernel, ms]) => ({ kernel, ms }))
        .sort((a, b2) => b2.ms - a.ms)
        .slice(0, 12);
    }
    t.dispose();
  } catch (e) {
    res.note = `failed: ${(e as Error).message.split("\n")[0].slice(0, 80)}`;
  }
  res.rssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`RESULT ${JSON.stringify(res)}\n`);
}

/**
 * One (width, size) combination trained the product's way on both cores: this process and a
 * GradientPartner each compute half of the batch of 8 (weights sent, gradients averaged).
 * Prints the wall seconds per step, transfer included.
 */
async function childTwo(width: number, size: number, limitS: number) {
  await initBackend("wasm");
  const t = new Trainer({
    width,
    imageWidth: size,
    imageHeight: size,
    epochs: 800,
    stepsPerEpoch: 27,
    seed: 1,
  });
  const partner = await GradientPartner.start(t, "wasm");
  const [mine, theirs] = splitBatch(randomBatch(BATCH, size, 2), BATCH);
  const step = async () => {
    const { result } = await partner.submit(t, theirs, theirs.count);
    await t.stepShared(mine, result);
  };
  let stepS: number | null = null;
  let note = "";
  try {
    let t0 = performance.now();
    await step();
    const first = (performance.now() - t0) / 1000;
    const reps = first > limitS ? 1 : 2;
    t0 = performance.now();
    for (let i = 0; i < reps; i++) await step();
    stepS = (performance.now() - t0) / 1000 / reps;
    if (reps === 1) note = "1 timed step";
  } catch (e) {
    note = `failed: ${(e as Error).message.split("\n")[0].slice(0, 80)}`;
  } finally {
    partner.close();
    t.dispose();
  }
  process.stdout.write(`RESULT2 ${JSON.stringify({ stepS, note })}\n`);
}

function time(f: () => tf.Tensor, reps = 3): number {
  tf.tidy(() => void f().dataSync());
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) tf.tidy(() => void f().dataSync());
  return (performance.now() - t0) / reps;
}

/** Conv gradient routes: ours (forward convs) vs the wasm kernel / a matmul im2col route. */
async function micro(): Promise<void> {
  await initBackend("wasm");
  const rows: Record<string, string | number>[] = [];
  for (const [n, h, ci, co] of [
    [8, 128, 16, 16],
    [8, 64, 32, 64],
    [8, 32, 128, 128],
    [8, 16, 256, 256],
  ]) {
    tf.tidy(() => {
      const x = tf.randomNormal([n, h, h, ci]) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, ci, co]) as tf.Tensor4D;
      const dy = tf.randomNormal([n, h, h, co]) as tf.Tensor4D;
      const attrsIn = { strides: 1, pad: "same", dataFormat: "NHWC", inputShape: [n, h, h, ci] };
      const attrsW = { strides: 1, pad: "same", dataFormat: "NHWC", filterShape: [3, 3, ci, co] };
      const kernel = (name: string, inputs: object, attrs: object) => () =>
        tf.engine().runKernel(name, inputs as never, attrs as never) as tf.Tensor;
      const native = nativeKernelsLabel()
        ? [
            time(() => tf.conv2d(x, w, 1, "same")),
            time(kernel("Conv2DBackpropInput", { dy, filter: w }, attrsIn)),
            time(kernel("Conv2DBackpropFilter", { x, dy }, attrsW)),
          ]
        : undefined;
      setNativeKernelsEnabled(false);
      const fwd = time(() => tf.conv2d(x, w, 1, "same"));
      const dxOurs = time(() => tf.conv2dTranspose(dy, w, [n, h, h, ci], 1, "same"));
      const dxNaive = time(() => naiveWasmBackpropInput(dy, w, [n, h, h, ci]), 1);
      const attrs = { strides: 1, pad: "same", dataFormat: "NHWC", filterShape: [3, 3, ci, co] };
      const dwOurs = time(
        () => tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, attrs as never) as tf.Tensor,
      );
      // No wasm kernel exists; the plain-tfjs alternative is im2col by 9 shifted slices + matMul.
      const dwIm2col = time(() => {
        const xp = tf.pad(x, [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ]);
        const d2 = tf.reshape(dy, [n * h * h, co]);
        const parts: tf.Tensor[] = [];
        for (let a = 0; a < 3; a++) {
          for (let c = 0; c < 3; c++) {
            const s = tf.reshape(tf.slice(xp, [0, a, c, 0], [n, h, h, ci]), [n * h * h, ci]);
            parts.push(tf.matMul(s, d2, true, false));
          }
        }
        return tf.stack(parts);
      }, 1);
      setNativeKernelsEnabled(true);
      rows.push({
        shape: `${n}x${h}x${h} ${ci}->${co}`,
        "native fwd/dx/dW ms": native ? native.map((v) => v.toFixed(1)).join(" / ") : "not built",
        "native speedup fwd/dx/dW": native
          ? [fwd / native[0], dxOurs / native[1], dwOurs / native[2]]
              .map((v) => v.toFixed(1))
              .join(" / ")
          : "-",
        "fwd ms": fwd,
        "dx ours ms": dxOurs,
        "dx wasm kernel ms": dxNaive,
        "dx speedup": dxNaive / dxOurs,
        "dW ours ms": dwOurs,
        "dW im2col+matMul ms": dwIm2col,
        "dW speedup": dwIm2col / dwOurs,
      });
    });
  }
  printTable(
    `Conv2D and its gradients: wasm (1 thread; forward-conv routes vs the naive ones) and ${nativeKernelsLabel() ?? "native kernels (not built)"}`,
    rows,
  );
}

/** Wall ms per step of `count` processes stepping concurrently, each on `n` images. */
async function workerSteps(
  width: number,
  size: number,
  n: number,
  count: number,
  reps = 2,
): Promise<number> {
  const script = fileURLToPath(new URL("./_train_worker.ts", import.meta.url));
  const kids = Array.from({ length: count }, () =>
    spawn(process.execPath, [
      "--import",
      "tsx",
      script,
      String(width),
      String(size),
      String(n),
      String(reps),
    ]),
  );
  const waitFor = (k: (typeof kids)[number], tag: string) =>
    new Promise<string>((resolve, reject) => {
      let buf = "";
      const on = (d: Buffer) => {
        buf += d.toString();
        const line = buf.split("\n").find((l) => l.startsWith(tag));
        if (line) {
          k.stdout.off("data", on);
          resolve(line);
        }
      };
      k.stdout.on("data", on);
      k.once("exit", (code) => reject(new Error(`probe child exited ${code}`)));
    });
  await Promise.all(kids.map((k) => waitFor(k, "READY")));
  const t0 = performance.now();
  const done = kids.map((k) => waitFor(k, "MS"));
  for (const k of kids) k.stdin.write("go\n");
  await Promise.all(done);
  return (performance.now() - t0) / reps;
}

/**
 * Data-parallel probe: one worker on 8 images vs two workers on 4 each, concurrently. Only the
 * compute is timed (gradient transfer + averaging would add a few ms for these widths).
 */
async function threadsProbe(widths: number[]): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  for (const width of widths) {
    const one = await workerSteps(width, 128, BATCH, 1);
    const two = await workerSteps(width, 128, BATCH / 2, 2);
    rows.push({
      width,
      size: 128,
      "1 thread b8 s": one / 1000,
      "2 threads b4+b4 s": two / 1000,
      gain: one / two,
    });
  }
  printTable("Data-parallel probe: 2 processes, each its own wasm backend (compute only)", rows);
}

export default async function run(args: string[]): Promise<void> {
  const limit = Number(arg(args, "--limit", "60"));
  if (args[0] === "--threads-probe") {
    process.stdout.write(`${machineLine()}\n`);
    await threadsProbe(arg(args, "--widths", "16,32").split(",").map(Number));
    return;
  }
  if (args[0] === "--child-two") {
    await childTwo(Number(args[1]), Number(args[2]), limit);
    return;
  }
  if (args[0] === "--child") {
    await child(Number(args[1]), Number(args[2]), limit, args.includes("--profile"));
    return;
  }
  process.stdout.write(`${machineLine()}\n`);
  await initBackend("wasm");
  if (!args.includes("--no-micro")) await micro();
  const widths = arg(args, "--widths", "16,32,64,128").split(",").map(Number);
  const sizes = arg(args, "--sizes", "128,256").split(",").map(Number);
  const here = dirname(fileURLToPath(import.meta.url));
  const rows: Record<string, string | number>[] = [];
  const profiles: { label: string; profile: { kernel: string; ms: number }[] }[] = [];
  for (const size of sizes) {
    for (const width of widths) {
      const profile = size === 128 && (width === 16 || width === 32);
      const args = ["--child", String(width), String(size), "--limit", String(limit)];
      const child = benchChild<ChildResult>(
        here,
        [...args, ...(profile ? ["--profile"] : [])],
        "RESULT",
      );
      if ("died" in child) {
        rows.push({ width, size, "s/step": "-", note: `child died: ${child.died}` });
        continue;
      }
      const r = child.result;
      const key = `${width}@${size}`;
      let wasmOnly: number | string = "-";
      if (size === 128 && width <= 32) {
        const w = benchChild<ChildResult>(here, ["--child", String(width), "128"], "RESULT", {
          ...process.env,
          EDGREC_NATIVE: "0",
        });
        wasmOnly = "died" in w ? "died" : (w.result.stepS ?? "-");
      }
      const two = twoProcessStep(here, width, size, limit);
      const step = two.stepS ?? r.stepS ?? r.firstStepS;
      rows.push({
        width,
        size,
        "s/step 1 proc": r.stepS ?? `>${r.firstStepS.toFixed(0)}`,
        "s/step 2 proc": two.stepS ?? "-",
        "s/step 1 proc wasm only": wasmOnly,
        "img/s": BATCH / (two.stepS ?? r.stepS ?? Number.NaN),
        "ref s/step": REF_STEP_S[key] ?? "-",
        "x ref step": REF_STEP_S[key] && step ? step / REF_STEP_S[key] : "-",
        "fwd ms/img": r.fwdMs ?? "-",
        "ref fwd ms": REF_FWD_MS[key] ?? "-",
        "x ref fwd": r.fwdMs && REF_FWD_MS[key] ? r.fwdMs / REF_FWD_MS[key] : "-",
        "fwd+score ms": r.fullMs ?? "-",
        "ref fwd+score": REF_FULL_MS[key] ?? "-",
        "peak RSS MiB": Math.round(r.rssMiB),
        note: [r.note, two.note].filter(Boolean).join("; "),
      });
      if (r.profile)
        profiles.push({ label: `width ${width}, ${size}x${size}, batch 8`, profile: r.profile });
      process.stderr.write(`done ${key}\n`);
    }
  }
  printTable(
    `U-Net training step (batch 8; 1 process, and 2 processes as train.processes = 2 runs it) and inference (batch 1), wasm backend with ${nativeKernelsLabel() ?? "no native kernels (not built)"}`,
    rows,
  );
  for (const p of profiles) {
    const total = p.profile.reduce((s, k) => s + k.ms, 0);
    printTable(
      `Top kernels in one training step (tf.profile), ${p.label}`,
      p.profile.map((k) => ({
        kernel: k.kernel,
        ms: k.ms,
        share: `${((100 * k.ms) / total).toFixed(1)}%`,
      })),
    );
  }
}
