import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "./backend.ts";
import { nativeKernelCalls, setNativeKernelsEnabled } from "./native.ts";
import { randn, relErr } from "./test-helpers.ts";

type Shape4 = [number, number, number, number];

/** dx, dW of sum(conv(x, W) * g) on the active backend, g a fixed random cotangent. */
function convGrads(xs: Shape4, ws: Shape4, seed: number, fused: boolean): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(randn(xs, seed), xs);
    const w = tf.tensor4d(randn(ws, seed + 1), ws);
    const b = tf.tensor1d(randn([ws[3]], seed + 2));
    const g = tf.tensor4d(randn([xs[0], xs[1], xs[2], ws[3]], seed + 3), [
      xs[0],
      xs[1],
      xs[2],
      ws[3],
    ]);
    const f = (xx: tf.Tensor, ww: tf.Tensor) => {
      const y = fused
        ? tf.fused.conv2d({
            x: xx as tf.Tensor4D,
            filter: ww as tf.Tensor4D,
            bias: b,
            pad: "same",
            strides: 1,
          })
        : tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 1, "same");
      return tf.sum(tf.mul(y, g));
    };
    return tf
      .grads(f)([x, w])
      .map((t) => t.dataSync() as Float32Array);
  });
}

const cases: { x: Shape4; w: Shape4; fused: boolean }[] = [
  { x: [2, 7, 9, 1], w: [3, 3, 1, 4], fused: false },
  { x: [3, 8, 6, 5], w: [3, 3, 5, 3], fused: true },
  { x: [2, 16, 16, 8], w: [3, 3, 8, 16], fused: false },
  { x: [4, 11, 11, 16], w: [3, 3, 16, 8], fused: true },
  { x: [2, 5, 4, 3], w: [5, 5, 3, 2], fused: false },
];

describe("wasm conv gradients as forward convolutions", () => {
  test("dx and dW match the pure-JS cpu backend (rel err < 1e-4)", async (t) => {
    await initBackend("cpu");
    const ref = cases.map((c, i) => convGrads(c.x, c.w, 10 * i, c.fused));
    const choice = await initBackend("wasm");
    assert.equal(choice.name, "wasm");
    assert.equal(tf.getBackend(), "wasm");
    // The native kernels (native.test.ts) would take these calls: test the wasm route itself.
    setNativeKernelsEnabled(false);
    t.after(() => setNativeKernelsEnabled(true));
    const calls = nativeKernelCalls();
    cases.forEach((c, i) => {
      const got = convGrads(c.x, c.w, 10 * i, c.fused);
      const label = `x ${c.x} w ${c.w}`;
      assert.ok(relErr(got[0], ref[i][0]) < 1e-4, `dx ${label}: ${relErr(got[0], ref[i][0])}`);
      assert.ok(relErr(got[1], ref[i][1]) < 1e-4, `dW ${label}: ${relErr(got[1], ref[i][1])}`);
    });
    assert.equal(nativeKernelCalls(), calls);
  });

  test("an explicit native backend request fails with the install hint", async () => {
    await assert.rejects(initBackend("tensorflow-gpu"), /npm install @tensorflow\/tfjs-node-gpu/);
  });

  test("auto falls back to wasm and says why", async () => {
    const c = await initBackend("auto");
    assert.equal(c.name, "wasm");
    assert.match(c.reason, /tfjs-node/);
  });
});
