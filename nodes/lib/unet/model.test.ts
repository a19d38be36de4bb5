import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "./backend.ts";
import {
  applyStatUpdates,
  checkInputChannels,
  convBnReluTrain,
  createUNet,
  disposeUNet,
  forward,
  getFlatState,
  layerSpecs,
  loadTorchStateDict,
  paramCount,
  type StatUpdates,
  setFlatState,
  stateFloatCount,
  type TorchTensor,
} from "./model.ts";
import { loadNative, nativeKernelCalls, setNativeKernelsEnabled } from "./native.ts";

const golden = JSON.parse(
  readFileSync(new URL("../../../test/fixtures/golden/unet_tiny.json", import.meta.url), "utf8"),
) as {
  input: number[];
  input_nchw: number[];
  output_eval: number[];
  output_train_mode: number[];
  state_dict: Record<string, TorchTensor>;
  param_count: Record<string, number>;
};

/** NCHW flat → NHWC tensor. */
function nchwToNhwc(v: number[], [n, c, h, w]: number[]): tf.Tensor4D {
  return tf.transpose(tf.tensor4d(Float32Array.from(v), [n, c, h, w]), [0, 2, 3, 1]);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe("U-Net model", () => {
  test("parameter counts match the reference without allocating", () => {
    assert.equal(paramCount(2), 17427);
    assert.equal(paramCount(64), 17270787);
    assert.equal(paramCount(128), 69046275);
    assert.equal(paramCount(2), golden.param_count.base_width_2);
  });

  test("input channels change only the first convolution; 1 is the default", () => {
    for (const c of [2, 64, 128]) {
      assert.equal(paramCount(c, 1), paramCount(c));
      assert.equal(stateFloatCount(c, 1), stateFloatCount(c));
      // block1.0 grows from 3x3x1xc to 3x3x3xc weights
      assert.equal(paramCount(c, 3) - paramCount(c, 1), 18 * c);
      assert.equal(stateFloatCount(c, 3) - stateFloatCount(c, 1), 18 * c);
      const [one, three] = [layerSpecs(c, 1), layerSpecs(c, 3)];
      assert.deepEqual(three.slice(1), one.slice(1));
      assert.deepEqual([one[0].cin, three[0].cin], [1, 3]);
    }
    assert.throws(() => layerSpecs(4, 2), /input channels must be 1 .* or 3 .*, got 2/);
    assert.throws(() => createUNet(4, 0, 4), /got 4/);
    assert.doesNotThrow(() => checkInputChannels(3));
  });

  test("a 3-channel network reads [N, H, W, 3], gives [N, H, W, 3] and refuses 1 channel", async () => {
    await initBackend("wasm");
    const model = createUNet(2, 3, 3);
    assert.equal(model.inputChannels, 3);
    assert.deepEqual(model.layers[0].w.shape, [3, 3, 3, 2]);
    assert.equal(getFlatState(model).length, stateFloatCount(2, 3));
    tf.tidy(() => {
      const x = tf.randomUniform([2, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor4D;
      for (const train of [false, true]) {
        assert.deepEqual(forward(model, x, train).shape, [2, 32, 32, 3]);
      }
      const gray = tf.zeros([1, 32, 32, 1]) as tf.Tensor4D;
      assert.throws(
        () => forward(model, gray, false),
        /input has 1 channel\(s\) but the network was built for 3/,
      );
    });
    // a 1-channel state does not fit a 3-channel network
    const one = createUNet(2, 3, 1);
    assert.throws(() => setFlatState(model, getFlatState(one)), /3 input channel/);
    disposeUNet(one);
    disposeUNet(model);
  });

  /*
   * The fixture's state_dict holds the BN running stats AFTER the train-mode forward's momentum
   * update (its num_batches_tracked is 1), while output_eval was computed with the stats from
   * BEFORE it (the README says the opposite). We recover the pre-update stats by inverting
   * PyTorch's update with our own train-mode batch statistics; the eval output then matches to
   * ~3e-8, and re-applying our update must give back the stored stats, which checks the
   * unbiased-variance momentum rule too.
   *
   * Train mode matches within 1e-5 on both backends (measured: cpu 3.4e-6, wasm 6.5e-6). The
   * first layer's batch spread is ~0.008 under a bias of ~0.3, so a float32 one-pass mean (the
   * wasm kernel) used to shift the centring enough for a 5e-5 error; the model now refines the
   * mean with a second pass over the residuals.
   */
  for (const [backend, trainTol, native] of [
    ["cpu", 1e-5, false],
    ["wasm", 1e-5, false],
    ["wasm", 1e-5, true],
  ] as const) {
    const label =
      backend === "wasm" ? (native ? "wasm + native kernels" : "wasm kernels only") : backend;
    test(`golden unet_tiny: eval within 1e-5, train within ${trainTol} (${label})`, {
      skip: native && loadNative().why,
    }, async (t) => {
      await initBackend(backend);
      setNativeKernelsEnabled(native);
      t.after(() => setNativeKernelsEnabled(true));
      const calls = nativeKernelCalls();
      const model = createUNet(2, 1);
      const count = model.trainable.reduce((n, v) => n + v.size, 0);
      assert.equal(count, 17427);
      loadTorchStateDict(model, golden.state_dict);
      const stored = getFlatState(model);
      const x = nchwToNhwc(golden.input, golden.input_nchw);
      const [n, , h, w] = golden.input_nchw;
      const run = (train: boolean) =>
        tf.tidy(() => tf.transpose(forward(model, x, train), [0, 3, 1, 2]).dataSync());

      const trainOut = run(true);
      assert.equal(trainOut.length, n * 3 * h * w);
      const dTrain = maxAbsDiff(trainOut, golden.output_train_mode);
      assert.ok(dTrain < trainTol, `train-mode max abs diff ${dTrain}`);

      const stats: StatUpdates = [];
      tf.tidy(() => {
        forward(model, x, true, stats);
        for (const u of stats) {
          const k = u.n / (u.n - 1);
          u.layer.runMean?.assign(tf.div(tf.sub(u.layer.runMean, tf.mul(u.mean, 0.1)), 0.9));
          u.layer.runVar?.assign(tf.div(tf.sub(u.layer.runVar, tf.mul(u.variance, 0.1 * k)), 0.9));
        }
        const dEval = maxAbsDiff(run(false), golden.output_eval);
        assert.ok(dEval < 1e-5, `eval max abs diff ${dEval}`);
        applyStatUpdates(stats);
      });
      const dStats = maxAbsDiff(getFlatState(model), stored);
      assert.ok(dStats < 1e-5, `running stats after our update differ by ${dStats}`);
      x.dispose();
      disposeUNet(model);
      if (backend === "wasm") assert.equal(nativeKernelCalls() > calls, native);
    });
  }

  for (const native of [false, true]) {
    test(`hand-written conv+BN+ReLU backward equals autodiff of the plain formula (${native ? "native" : "wasm"} kernels)`, async (t) => {
      await initBackend("wasm");
      setNativeKernelsEnabled(native);
      t.after(() => setNativeKernelsEnabled(true));
      tf.tidy(() => {
        const seq = (k: number, f: (i: number) => number) =>
          Float32Array.from({ length: k }, (_, i) => f(i));
        const x = tf.tensor4d(
          seq(2 * 5 * 6 * 3, (i) => Math.sin(i * 1.3)),
          [2, 5, 6, 3],
        );
        const w = tf.tensor4d(
          seq(9 * 3 * 4, (i) => Math.cos(i * 0.37) * 0.3),
          [3, 3, 3, 4],
        );
        const b = tf.tensor1d([0.05, -0.1, 0.2, 0]);
        const g = tf.tensor1d([1.1, 0.9, -0.5, 1.3]);
        const be = tf.tensor1d([0.1, -0.2, 0.3, 0]);
        const wts = tf.tensor4d(
          seq(2 * 5 * 6 * 4, (i) => Math.cos(i * 0.7)),
          [2, 5, 6, 4],
        );
        const t4 = (t: tf.Tensor) => t as tf.Tensor4D;
        const t1 = (t: tf.Tensor) => t as tf.Tensor1D;
        const custom = (...a: tf.Tensor[]) =>
          tf.sum(
            tf.mul(
              convBnReluTrain(t4(a[0]), t4(a[1]), t1(a[2]), t1(a[3]), t1(a[4]), () => {}),
              wts,
            ),
          );
        const plain = (...a: tf.Tensor[]) => {
          const y = tf.add(tf.conv2d(t4(a[0]), t4(a[1]), 1, "same"), a[2]);
          const mean = tf.mean(y, [0, 1, 2]);
          const c = tf.sub(y, mean);
          const v = tf.mean(tf.square(c), [0, 1, 2]);
          const out = tf.relu(tf.add(tf.mul(tf.div(c, tf.sqrt(tf.add(v, 1e-5))), a[3]), a[4]));
          return tf.sum(tf.mul(out, wts));
        };
        const got = tf.grads(custom)([x, w, b, g, be]);
        const want = tf.grads(plain)([x, w, b, g, be]);
        for (let i = 0; i < 5; i++) {
          const d = maxAbsDiff(got[i].dataSync(), want[i].dataSync());
          assert.ok(d < 1e-4, `input ${i}: ${d}`);
        }
      });
    });
  }

  test("flat state round-trips and rejects a wrong length", async () => {
    await initBackend("wasm");
    const a = createUNet(3, 7);
    const b = createUNet(3, 8);
    const flat = getFlatState(a);
    assert.equal(flat.length, stateFloatCount(3));
    setFlatState(b, flat);
    assert.deepEqual(getFlatState(b), flat);
    assert.throws(() => setFlatState(b, flat.subarray(1)), /width 3 needs/);
    assert.throws(() => loadTorchStateDict(b, golden.state_dict), /expected/);
    disposeUNet(a);
    disposeUNet(b);
  });
});
