import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { createRng } from "../../sdk/rng.ts";
import { initBackend } from "./backend.ts";
import {
  assertModelChannels,
  assertModelFits,
  loadModel,
  readManifest,
  saveModel,
} from "./checkpoint.ts";
import { disposeUNet, forward, getFlatState, stateFloatCount } from "./model.ts";
import { PRESETS } from "./presets.ts";
import { emaDecayAt, learningRateAt, Trainer, type TrainerSnapshot } from "./train.ts";

const S = 32;
const N = 2;

function batch(seed: number, inputChannels = 1) {
  const rng = createRng(seed);
  const target = Float32Array.from({ length: N * S * S * 3 }, () => rng.next());
  const edge = Float32Array.from({ length: N * S * S * inputChannels }, () => rng.next() * 0.3);
  return { edge, target };
}

const info = (steps: number) => ({
  inputSize: { width: S, height: S },
  preset: "tiny",
  steps,
  lossCurve: [1, 0.5],
  seed: 5,
  dataFingerprint: "d1",
  graphFingerprint: "g1",
});

const opts = { width: 3, imageWidth: S, imageHeight: S, epochs: 10, stepsPerEpoch: 2, seed: 5 };

describe("Trainer", () => {
  test("MultiStepLR milestones at 0.8 and 0.9 of the epochs", () => {
    assert.equal(learningRateAt(639, 800), 1e-4);
    assert.ok(Math.abs(learningRateAt(640, 800) - 2e-5) < 1e-12);
    assert.ok(Math.abs(learningRateAt(720, 800) - 4e-6) < 1e-12);
    // 7 * 0.8 = 5.6: torch never reaches a fractional milestone.
    assert.equal(learningRateAt(6, 7), 1e-4);
  });

  test("loss decreases, memory stays flat, resume reproduces losses exactly", async () => {
    await initBackend("wasm");
    const a = new Trainer(opts);
    const first = a.step(batch(0));
    assert.ok(Number.isFinite(first.loss) && first.loss > 0);
    assert.ok(Math.abs(first.loss - first.l2 - first.ssim) < 1e-6);
    const tensors = tf.memory().numTensors;
    const losses: number[] = [first.loss];
    let snap: ReturnType<Trainer["stateSnapshot"]> | undefined;
    for (let s = 1; s < 8; s++) {
      if (s === 4) snap = a.stateSnapshot();
      losses.push(a.step(batch(s % 2)).loss);
      assert.equal(tf.memory().numTensors, tensors, `tensor count changed at step ${s}`);
    }
    assert.ok(losses[7] < losses[1], `loss did not decrease: ${losses}`);

    const b = new Trainer({ ...opts, seed: 99 });
    b.restore(snap!);
    assert.equal(b.steps, 4);
    for (let s = 4; s < 8; s++) assert.equal(b.step(batch(s % 2)).loss, losses[s], `step ${s}`);
    assert.deepEqual(getFlatState(b.model), getFlatState(a.model));
    a.dispose();
    b.dispose();
  });

  test("predict gives N·H·W·3 values and rejects a wrong length", async () => {
    await initBackend("wasm");
    const t = new Trainer(opts);
    assert.equal(t.predict(batch(1).edge).length, N * S * S * 3);
    assert.throws(() => t.predict(new Float32Array(10)), /multiple of 1024/);
    t.dispose();
  });

  test("save/load round trip; truncated or foreign files give clear errors", async () => {
    await initBackend("wasm");
    const dir = await mkdtemp(join(tmpdir(), "unet-ckpt-"));
    try {
      const t = new Trainer(opts);
      t.step(batch(0));
      const info = {
        inputSize: { width: S, height: S },
        preset: "tiny",
        steps: t.steps,
        lossCurve: [1, 0.5],
        seed: 5,
        dataFingerprint: "d1",
        graphFingerprint: "g1",
      };
      await saveModel(dir, t.model, getFlatState(t.model), info);
      const { manifest, model } = await loadModel(dir);
      assert.equal(manifest.width, 3);
      assert.equal(manifest.channelOrder, "RGB");
      assert.deepEqual(getFlatState(model), getFlatState(t.model));
      assertModelFits(manifest, { width: S, height: S });
      assert.throws(() => assertModelFits(manifest, { width: 64, height: S }), /trained on 32x32/);

      const mpath = join(dir, "manifest.json");
      const m = JSON.parse(await readFile(mpath, "utf8"));
      await writeFile(mpath, JSON.stringify({ ...m, width: 4 }));
      await assert.rejects(loadModel(dir), /inconsistent/);
      await writeFile(mpath, JSON.stringify({ ...m, architecture: "other-net" }));
      await assert.rejects(loadModel(dir), /not an edgrec-unet manifest/);
      await writeFile(mpath, JSON.stringify(m));
      await truncate(join(dir, "weights.bin"), 100);
      await assert.rejects(loadModel(dir), /truncated/);
      t.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a 3-channel (RGB input) trainer steps, predicts N·H·W·3, saves and loads as 3 channels", async () => {
    await initBackend("wasm");
    const t = new Trainer({ ...opts, inputChannels: 3 });
    assert.equal(t.model.inputChannels, 3);
    assert.deepEqual(t.model.layers[0].w.shape, [3, 3, 3, 3]);
    const rgb = batch(0, 3);
    const before = t.predict(rgb.edge);
    assert.equal(before.length, N * S * S * 3);
    const r = t.step(rgb);
    assert.ok(Number.isFinite(r.loss) && r.loss > 0);
    assert.equal(t.steps, 1);
    const after = t.predict(rgb.edge);
    assert.equal(after.length, N * S * S * 3);
    assert.notDeepEqual(after, before, "the step changed the weights");
    // a 1-channel batch is refused with the expected shape named
    assert.throws(() => t.predict(batch(1).edge), /multiple of 3072 \(N x 32 x 32 x 3, NHWC\)/);
    assert.throws(() => t.step(batch(1)), /edge has 2048 floats, expected a multiple of 3072/);

    const snap = t.stateSnapshot();
    assert.equal(snap.inputChannels, 3);
    const gray = new Trainer(opts);
    assert.throws(() => gray.restore(snap), /snapshot has 3 input channel\(s\), trainer has 1/);
    gray.dispose();

    const dir = await mkdtemp(join(tmpdir(), "unet-rgb-"));
    try {
      await saveModel(dir, t.model, getFlatState(t.model), info(t.steps));
      const { manifest, model } = await loadModel(dir);
      assert.equal(manifest.channelsIn, 3);
      assert.equal(model.inputChannels, 3);
      assert.deepEqual(getFlatState(model), getFlatState(t.model));
      const loaded = tf.tidy(() => {
        const x = tf.tensor4d(rgb.edge, [N, S, S, 3]);
        return forward(model, x, false).dataSync();
      });
      assert.deepEqual(loaded, after);
      assertModelChannels(manifest, { channels: 3 });
      assert.throws(
        () => assertModelChannels(manifest, { channels: 1 }),
        /trained on 3-channel \(RGB\) images but got a 1-channel \(edge or gray\) image/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
      t.dispose();
    }
  });

  test("manifest input channels: absent loads as 1, other counts are refused", async () => {
    await initBackend("wasm");
    const dir = await mkdtemp(join(tmpdir(), "unet-old-"));
    try {
      const t = new Trainer(opts);
      await saveModel(dir, t.model, getFlatState(t.model), info(0));
      const mpath = join(dir, "manifest.json");
      const m = JSON.parse(await readFile(mpath, "utf8"));
      assert.equal(m.channelsIn, 1);
      // a manifest written without the field (hand-made or by another tool) means 1 channel
      const { channelsIn: _dropped, ...old } = m;
      await writeFile(mpath, JSON.stringify(old));
      const { manifest, model } = await loadModel(dir);
      assert.equal(manifest.channelsIn, 1);
      assert.equal(manifest.emaDecay, 0, "a manifest without emaDecay holds the last weights");
      assert.equal(model.inputChannels, 1);
      assert.deepEqual(getFlatState(model), getFlatState(t.model));
      assert.throws(
        () => assertModelChannels(manifest, { channels: 3 }),
        /trained on 1-channel \(edge or gray\) images but got a 3-channel \(RGB\) image/,
      );
      // 3 channels claimed for 1-channel weights: the float count gives it away
      await writeFile(mpath, JSON.stringify({ ...m, channelsIn: 3 }));
      await assert.rejects(
        readManifest(dir),
        /says width 3 but weightFloats \d+ \(a width-3 network with 3 input channel\(s\) has \d+\)/,
      );
      await writeFile(mpath, JSON.stringify({ ...m, channelsIn: 2 }));
      await assert.rejects(loadModel(dir), /not an edgrec-unet manifest: channelsIn/);
      t.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("presets cover tiny to paper", () => {
    assert.equal(PRESETS.paper.width, 128);
    assert.equal(PRESETS.paper.imageSize, 256);
    assert.equal(PRESETS.paper.learningRate, 1e-4);
    assert.equal(PRESETS["cpu-fast"].width, 8);
  });
});

/** Max of |a − b| / max(1, |b|) over two equally long arrays. */
function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  }
  return worst;
}

describe("Trainer weight average (emaDecay)", () => {
  test("warm-up: min(emaDecay, (1 + t) / (10 + t))", () => {
    assert.equal(emaDecayAt(1, 0.999), 2 / 11);
    assert.equal(emaDecayAt(3, 0.3), 0.3);
    assert.equal(emaDecayAt(2, 0.3), 3 / 12);
    assert.equal(emaDecayAt(100000, 0.999), 0.999);
  });

  test("off (0 or absent): no average, training bit-identical, asking for it fails clearly", async () => {
    await initBackend("wasm");
    for (const bad of [1, -0.1, Number.NaN, 1.5]) {
      assert.throws(
        () => new Trainer({ ...opts, emaDecay: bad }),
        /emaDecay must be in \[0, 1\) \(0 = no weight average/,
      );
    }
    const before = tf.memory().numTensors;
    const a = new Trainer(opts);
    const plain = tf.memory().numTensors - before;
    const b = new Trainer({ ...opts, emaDecay: 0 });
    assert.equal(tf.memory().numTensors - before, 2 * plain, "emaDecay 0 allocates nothing more");
    const c = new Trainer({ ...opts, emaDecay: 0.9 });
    const shadow = tf.memory().numTensors - before - 3 * plain;
    assert.equal(shadow, a.model.state.length, "one shadow per state tensor");
    assert.equal(a.hasEma, false);
    assert.equal(b.hasEma, false);
    assert.equal(c.hasEma, true);
    for (let s = 0; s < 3; s++) {
      const ra = a.step(batch(s));
      assert.deepEqual(b.step(batch(s)), ra, `step ${s}`);
      // the average never feeds back into training
      assert.deepEqual(c.step(batch(s)), ra, `step ${s} with EMA`);
    }
    assert.deepEqual(getFlatState(b.model), getFlatState(a.model));
    assert.deepEqual(getFlatState(c.model), getFlatState(a.model));
    const snap = b.stateSnapshot();
    assert.equal("ema" in snap, false, "no ema field when off");
    assert.throws(
      () => b.emaFlatState(),
      /keeps no weight average; construct it with emaDecay > 0/,
    );
    assert.throws(() => b.predict(batch(0).edge, false, { ema: true }), /keeps no weight average/);
    // without EMA, finish() hands out the trained network itself
    const state = getFlatState(b.model);
    const model = b.finish();
    assert.equal(model, b.model);
    assert.deepEqual(getFlatState(model), state);
    assert.throws(() => b.step(batch(0)), /Trainer.step: the trainer was finished/);
    disposeUNet(model);
    b.dispose(); // a no-op after finish
    a.dispose();
    c.dispose();
    assert.equal(tf.memory().numTensors, before, "everything freed");
  });

  test("after k steps (plain and shared) the average equals the recurrence on the raw states", async () => {
    await initBackend("wasm");
    const decay = 0.3; // reached at t = 3: exercises both sides of the warm-up
    const t = new Trainer({ ...opts, emaDecay: decay });
    const partner = new Trainer({ ...opts, seed: 11 });
    const expected = Float64Array.from(getFlatState(t.model));
    assert.deepEqual(t.emaFlatState(), getFlatState(t.model), "starts as the initial network");
    for (let k = 1; k <= 6; k++) {
      if (k % 3 === 0) {
        const g = partner.computeGradients(batch(20 + k));
        await t.stepShared(batch(k), Promise.resolve({ ...g, count: N }));
      } else t.step(batch(k));
      assert.equal(t.steps, k);
      const raw = getFlatState(t.model);
      const d = Math.min(decay, (1 + k) / (10 + k));
      for (let j = 0; j < raw.length; j++) expected[j] = d * expected[j] + (1 - d) * raw[j];
      const ema = t.emaFlatState();
      assert.equal(ema.length, stateFloatCount(opts.width));
      const diff = maxRelDiff(ema, expected);
      assert.ok(diff <= 1e-6, `step ${k}: EMA off the recurrence by ${diff}`);
    }
    // the average really differs from the last weights, BN running stats included
    const raw = getFlatState(t.model);
    assert.ok(maxRelDiff(t.emaFlatState(), raw) > 1e-4);
    const l0 = t.model.layers[0];
    const runMeanAt = t.model.state.indexOf(l0.runMean!);
    let offset = 0;
    for (let i = 0; i < runMeanAt; i++) offset += t.model.state[i].size;
    const n = l0.spec.cout;
    assert.notDeepEqual(
      t.emaFlatState().subarray(offset, offset + n),
      raw.subarray(offset, offset + n),
      "running means are averaged too",
    );
    t.dispose();
    partner.dispose();
  });

  test("tensor count stays flat over steps, EMA predictions and snapshots", async () => {
    await initBackend("wasm");
    const t = new Trainer({ ...opts, emaDecay: 0.99 });
    t.step(batch(0));
    const tensors = tf.memory().numTensors;
    const partner = new Trainer({ ...opts, seed: 3 });
    const withPartner = tf.memory().numTensors;
    for (let s = 1; s < 7; s++) {
      if (s % 2 === 0) {
        const g = partner.computeGradients(batch(s + 1));
        await t.stepShared(batch(s), Promise.resolve({ ...g, count: N }));
      } else t.step(batch(s));
      t.predict(batch(s).edge, false, { ema: true });
      t.stateSnapshot();
      t.emaFlatState();
      assert.equal(tf.memory().numTensors, withPartner, `tensor count changed at step ${s}`);
    }
    partner.dispose();
    assert.equal(tf.memory().numTensors, tensors);
    t.dispose();
  });

  test("snapshot/restore mid-run with EMA continues bit-identically", async () => {
    await initBackend("wasm");
    const o = { ...opts, emaDecay: 0.99 };
    const a = new Trainer(o);
    const losses: number[] = [];
    let snap: TrainerSnapshot | undefined;
    for (let s = 0; s < 8; s++) {
      if (s === 4) snap = a.stateSnapshot();
      losses.push(a.step(batch(s % 3)).loss);
    }
    assert.equal(snap!.ema?.length, stateFloatCount(opts.width));

    const b = new Trainer({ ...o, seed: 99 });
    b.restore(snap!);
    assert.equal(b.steps, 4);
    assert.deepEqual(b.emaFlatState(), snap!.ema);
    for (let s = 4; s < 8; s++) assert.equal(b.step(batch(s % 3)).loss, losses[s], `step ${s}`);
    assert.deepEqual(getFlatState(b.model), getFlatState(a.model));
    assert.deepEqual(b.emaFlatState(), a.emaFlatState(), "EMA bit-identical after resume");
    assert.deepEqual(b.stateSnapshot(), a.stateSnapshot());

    // a snapshot without EMA (EMA off, or an old checkpoint): the average restarts from it
    const { ema: _drop, ...old } = snap!;
    const c = new Trainer(o);
    c.restore(old);
    assert.deepEqual(c.emaFlatState(), old.state);
    // an EMA snapshot into a trainer without EMA: the average is ignored, training goes on
    const d = new Trainer(opts);
    d.restore(snap!);
    for (let s = 4; s < 8; s++) assert.equal(d.step(batch(s % 3)).loss, losses[s], `step ${s}`);
    assert.deepEqual(getFlatState(d.model), getFlatState(a.model));
    // a mis-sized average is refused before anything is restored
    assert.throws(
      () => c.restore({ ...snap!, ema: new Float32Array(3) }),
      /Trainer.restore: ema has 3 floats, expected \d+/,
    );
    assert.equal(c.steps, 4);
    for (const t of [a, b, c, d]) t.dispose();
  });

  test("predict with ema runs the average; finish() hands it out and the saved model holds it", async () => {
    await initBackend("wasm");
    const before = tf.memory().numTensors;
    const t = new Trainer({ ...opts, emaDecay: 0.5 });
    for (let s = 0; s < 4; s++) t.step(batch(s % 2));
    const x = batch(5).edge;
    const viaEma = t.predict(x, false, { ema: true });
    assert.equal(viaEma.length, N * S * S * 3);
    assert.notDeepEqual(
      viaEma,
      t.predict(x),
      "the average predicts differently from the last weights",
    );
    const ema = t.emaFlatState();
    const model = t.finish();
    assert.notEqual(model, t.model);
    assert.deepEqual(getFlatState(model), ema);
    assert.throws(() => t.predict(x), /Trainer.predict: the trainer was finished/);
    assert.throws(() => t.stateSnapshot(), /the trainer was finished/);
    const dir = await mkdtemp(join(tmpdir(), "unet-ema-"));
    try {
      await saveModel(dir, model, getFlatState(model), { ...info(t.steps), emaDecay: 0.5 });
      const loaded = await loadModel(dir);
      assert.equal(loaded.manifest.emaDecay, 0.5);
      assert.deepEqual(getFlatState(loaded.model), ema);
      const out = tf.tidy(() =>
        forward(loaded.model, tf.tensor4d(x, [N, S, S, 1]), false).dataSync(),
      );
      assert.deepEqual(out, viaEma, "the saved model predicts exactly as predict({ ema: true })");
      disposeUNet(loaded.model);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    disposeUNet(model);
    t.dispose();
    assert.equal(
      tf.memory().numTensors,
      before,
      "finish() freed the optimiser state and raw network",
    );
  });
});
