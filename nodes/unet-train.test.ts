import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { ensureBackend, type ModelHandle } from "./lib/model/handle.ts";
import { loadModel } from "./lib/unet/checkpoint.ts";
import { disposeUNet, getFlatState } from "./lib/unet/model.ts";
import { PRESETS } from "./lib/unet/presets.ts";
import { Trainer } from "./lib/unet/train.ts";
import { createImage, type FloatImage } from "./sdk/image.ts";
import type { SampleStream } from "./sdk/node.ts";
import unetTrain, { resolveTrainSettings, trainParams } from "./unet-train.ts";

const S = 32;
const SEED = 13;
const dirs: string[] = [];
before(() => ensureBackend("wasm"));
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** One fixed sample (the same every epoch), so a hand-driven Trainer sees the node's batches. */
function stream(channels: 1 | 3, fill: (i: number) => number): SampleStream<FloatImage> {
  const img = createImage(S, S, channels);
  for (let i = 0; i < img.data.length; i++) img.data[i] = fill(i);
  return {
    kind: "stream",
    type: channels === 1 ? "Edge" : "Image",
    length: 1,
    key: `fixed-${channels}`,
    stochastic: false,
    info: () => ({ id: "train/good/000", split: "train", label: 0, defect: "good" }),
    get: async () => img,
  };
}
const edge = stream(1, (i) => ((i * 7) % 13) / 40);
const target = stream(3, (i) => ((i * 5) % 11) / 11);

const silent = { info() {}, warn() {}, debug() {}, error() {}, child: () => silent };

/** Runs the node as the engine does, with `work` as its checkpoint folder. */
async function train(
  params: Record<string, unknown>,
  work: string,
  opts: { abortAtStep?: number; warnings?: string[] } = {},
) {
  const controller = new AbortController();
  const ctx = {
    runId: "r",
    nodeId: "train",
    seed: SEED,
    signal: controller.signal,
    log: silent,
    resolvePath: (_k: string, p: string) => p,
    progress: (u: { step: number }) => {
      if (u.step === opts.abortAtStep) controller.abort();
    },
    preview() {},
    outDir: work,
    workDir: async () => work,
    backend: "wasm",
    key: "k",
    graphFingerprint: "g",
    record() {},
    warn: (m: string) => opts.warnings?.push(m),
  };
  const out = await unetTrain.run(
    { edge, target },
    trainParams.parse({ preset: "tiny", batchSize: 1, ...params }),
    ctx as never,
  );
  return (out as { model: ModelHandle }).model;
}

/** The node's run by hand: tiny preset, one image per step, `steps` steps. */
function byHand(steps: number, emaDecay: number) {
  const t = new Trainer({
    width: PRESETS.tiny.width,
    imageWidth: S,
    imageHeight: S,
    epochs: steps,
    stepsPerEpoch: 1,
    seed: SEED,
    lr: PRESETS.tiny.learningRate,
    emaDecay,
  });
  return (async () => {
    const b = { edge: (await edge.get(0)).data, target: (await target.get(0)).data };
    for (let s = 0; s < steps; s++) t.step(b);
    const r = {
      raw: getFlatState(t.model),
      ema: emaDecay > 0 ? t.emaFlatState() : undefined,
    };
    t.dispose();
    return r;
  })();
}

describe("U-Net train node: weight average (ema)", () => {
  test("ema param: -1 = the preset's, 0 = off, else the decay; out-of-range values are refused", () => {
    assert.equal(trainParams.parse({}).ema, -1);
    const ema = (p: Record<string, unknown>) => resolveTrainSettings(trainParams.parse(p)).ema;
    assert.equal(ema({ preset: "cpu-fast" }), 0.999);
    assert.equal(ema({ preset: "cpu" }), 0.999);
    for (const p of ["tiny", "demo", "paper"]) assert.equal(ema({ preset: p }), 0, p);
    assert.equal(ema({ preset: "cpu-fast", ema: 0 }), 0, "0 turns the preset's average off");
    assert.equal(ema({ preset: "tiny", ema: 0.99 }), 0.99);
    assert.throws(() => trainParams.parse({ ema: -0.5 }), /ema must be -1 \(the preset's\), 0/);
    assert.throws(() => trainParams.parse({ ema: 1 }));
    assert.throws(() => trainParams.parse({ ema: -2 }));
  });

  test("ema on: the output and saved model are the average of the run; off: the last weights", async () => {
    const steps = 5;
    const hand = await byHand(steps, 0.5);
    const tensors = tf.memory().numTensors;

    const on = await train({ epochs: steps, ema: 0.5 }, await tempDir("unet-train-ema-"));
    assert.equal(on.manifest.emaDecay, 0.5);
    assert.equal(on.manifest.steps, steps);
    assert.deepEqual(getFlatState(on.model), hand.ema, "the node hands out the EMA network");
    const saved = await tempDir("unet-train-saved-");
    await unetTrain.persist?.save({ model: on }, saved);
    const manifest = JSON.parse(await readFile(join(saved, "manifest.json"), "utf8"));
    assert.equal(manifest.emaDecay, 0.5);
    const loaded = await loadModel(saved);
    assert.deepEqual(getFlatState(loaded.model), hand.ema, "weights.bin holds the average");
    disposeUNet(loaded.model);
    disposeUNet(on.model);
    // the trainer's Adam moments and raw network were freed: only the handed-out model lived
    assert.equal(tf.memory().numTensors, tensors, "no tensors left behind");

    const off = await train({ epochs: steps, ema: 0 }, await tempDir("unet-train-noema-"));
    assert.equal(off.manifest.emaDecay, 0);
    assert.deepEqual(getFlatState(off.model), hand.raw, "without ema: the last weights");
    disposeUNet(off.model);
  });

  test("a run stopped mid-way with ema on resumes to exactly the uninterrupted result", async () => {
    const steps = 7;
    const straight = await train(
      { epochs: steps, ema: 0.6, checkpointEvery: 2 },
      await tempDir("unet-train-straight-"),
    );
    const work = await tempDir("unet-train-resume-");
    await assert.rejects(
      train({ epochs: steps, ema: 0.6, checkpointEvery: 2 }, work, { abortAtStep: 3 }),
      (err: Error) => err.name === "AbortError" || /abort/i.test(err.message),
    );
    const warnings: string[] = [];
    const resumed = await train({ epochs: steps, ema: 0.6, checkpointEvery: 2 }, work, {
      warnings,
    });
    assert.ok(
      warnings.some((w) => /resuming from checkpoint at step 3 of 7/.test(w)),
      `no resume warning: ${warnings}`,
    );
    assert.deepEqual(resumed.manifest.lossCurve, straight.manifest.lossCurve);
    assert.deepEqual(getFlatState(resumed.model), getFlatState(straight.model));
    disposeUNet(resumed.model);
    disposeUNet(straight.model);
  });
});

describe("preset values and the node version", () => {
  test("a change to what a preset trains comes with a new unet-train version", () => {
    // Cache keys hash the params as written ("preset": "cpu-fast"), not the preset's values:
    // without a version bump a changed preset would silently reuse models of the old one.
    const trained = Object.fromEntries(
      Object.entries(PRESETS).map(([k, p]) => [
        k,
        { ...p, note: undefined, secondsPerStep: undefined },
      ]),
    );
    const hash = createHash("sha256").update(JSON.stringify(trained)).digest("hex").slice(0, 16);
    assert.deepEqual(
      { version: unetTrain.version, hash },
      { version: 4, hash: "c82d7570a7c6bfc1" },
      "presets changed: bump unet-train's version, then update both values here",
    );
  });
});
