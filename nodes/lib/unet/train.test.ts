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
import { forward, getFlatState } from "./model.ts";
import { PRESETS } from "./presets.ts";
import { learningRateAt, Trainer } from "./train.ts";

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
