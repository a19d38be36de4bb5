import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "./backend.ts";
import {
  loadNative,
  nativeKernelCalls,
  nativeKernelsLabel,
  setNativeKernelsEnabled,
} from "./native.ts";
import { randn, relErr } from "./test-helpers.ts";

type Shape4 = [number, number, number, number];

type Pad = "same" | "valid" | [number, number][];

/** y, dx, dW (and dbias) of sum(act(conv(x, W) + b) * g) on the active backend. */
function convAll(xs: Shape4, ws: Shape4, pad: Pad, relu: boolean, seed: number): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(randn(xs, seed), xs);
    const w = tf.tensor4d(randn(ws, seed + 1), ws);
    const b = tf.tensor1d(randn([ws[3]], seed + 2));
    const conv = (xx: tf.Tensor, ww: tf.Tensor) =>
      tf.fused.conv2d({
        x: xx as tf.Tensor4D,
        filter: ww as tf.Tensor4D,
        bias: b,
        pad: pad as "same",
        strides: 1,
        activation: relu ? "relu" : "linear",
      });
    const y = conv(x, w);
    const g = tf.tensor4d(randn(y.shape, seed + 3), y.shape);
    const [dx, dw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 1, pad as "same"), g)),
    )([x, w]);
    return [y, dx, dw].map((t) => t.dataSync() as Float32Array);
  });
}

const cases: { x: Shape4; w: Shape4; pad: Pad; relu: boolean }[] = [
  { x: [2, 16, 16, 32], w: [3, 3, 32, 32], pad: "same", relu: true },
  { x: [3, 8, 6, 40], w: [3, 3, 40, 24], pad: "same", relu: false },
  { x: [2, 9, 7, 64], w: [3, 3, 64, 48], pad: "valid", relu: true },
  {
    x: [1, 12, 10, 32],
    w: [5, 3, 32, 40],
    pad: [
      [0, 0],
      [2, 1],
      [0, 2],
      [0, 0],
    ],
    relu: false,
  },
  { x: [2, 4, 4, 128], w: [1, 1, 128, 64], pad: "valid", relu: false },
  // the SSIM window's two passes: one channel in and out, taps applied directly
  {
    x: [3, 20, 17, 1],
    w: [11, 1, 1, 1],
    pad: [
      [0, 0],
      [5, 5],
      [0, 0],
      [0, 0],
    ],
    relu: false,
  },
  {
    x: [3, 20, 17, 1],
    w: [1, 11, 1, 1],
    pad: [
      [0, 0],
      [0, 0],
      [5, 5],
      [0, 0],
    ],
    relu: false,
  },
  // the U-Net's first layer
  { x: [2, 16, 16, 1], w: [3, 3, 1, 8], pad: "same", relu: true },
];

/** dx of sum(maxPool2x2(x) * g). */
function poolGrad(xs: Shape4, seed: number): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(randn(xs, seed), xs);
    const g = tf.tensor4d(randn([xs[0], xs[1] / 2, xs[2] / 2, xs[3]], seed + 1), [
      xs[0],
      xs[1] / 2,
      xs[2] / 2,
      xs[3],
    ]);
    const f = (xx: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(xx as tf.Tensor4D, 2, 2, "valid"), g));
    return tf.grad(f)(x).dataSync() as Float32Array;
  });
}

const native = loadNative();

describe("native OpenBLAS convolution kernels", { skip: native.why }, () => {
  test("forward, dx and dW match the pure-JS cpu backend (rel err < 1e-4)", async () => {
    await initBackend("cpu");
    const ref = cases.map((c, i) => convAll(c.x, c.w, c.pad, c.relu, 10 * i));
    await initBackend("wasm");
    assert.match(nativeKernelsLabel() ?? "", /OpenBLAS/);
    cases.forEach((c, i) => {
      const before = nativeKernelCalls();
      const got = convAll(c.x, c.w, c.pad, c.relu, 10 * i);
      // forward, the gradient's forward, dx and dW
      assert.equal(nativeKernelCalls() - before, 4, `x ${c.x} w ${c.w} ran on native kernels`);
      for (const [k, name] of ["y", "dx", "dW"].entries()) {
        const e = relErr(got[k], ref[i][k]);
        assert.ok(e < 1e-4, `${name} of x ${c.x} w ${c.w} pad ${JSON.stringify(c.pad)}: ${e}`);
      }
    });
  });

  test("2x2 max-pool gradient equals the cpu backend's", async () => {
    const shapes: Shape4[] = [
      [2, 8, 6, 16],
      [1, 4, 4, 3],
    ];
    await initBackend("cpu");
    const ref = shapes.map((s, i) => poolGrad(s, i));
    await initBackend("wasm");
    shapes.forEach((s, i) => {
      const before = nativeKernelCalls();
      const got = poolGrad(s, i);
      assert.equal(nativeKernelCalls() - before, 1);
      assert.deepEqual(got, ref[i], `max-pool gradient of ${s}`);
    });
  });

  test("turned off, the same calls run on the wasm kernels with the same results", async () => {
    await initBackend("wasm");
    const on = convAll(cases[0].x, cases[0].w, cases[0].pad, true, 3);
    setNativeKernelsEnabled(false);
    try {
      assert.equal(nativeKernelsLabel(), undefined);
      const before = nativeKernelCalls();
      const off = convAll(cases[0].x, cases[0].w, cases[0].pad, true, 3);
      assert.equal(nativeKernelCalls(), before);
      for (let k = 0; k < 3; k++) assert.ok(relErr(on[k], off[k]) < 1e-4);
    } finally {
      setNativeKernelsEnabled(true);
    }
  });
});

describe("native kernel loading", () => {
  test("says why when they are unavailable, naming the fix", () => {
    if (native.mod) assert.equal(native.why, undefined);
    else assert.match(native.why ?? "", /npm run build|EDGREC_NATIVE/);
  });
});

describe("native kernel build script", () => {
  const script = fileURLToPath(new URL("../../../scripts/build-native.mjs", import.meta.url));
  const out = join(mkdtempSync(join(tmpdir(), "edgrec-native-")), "k.node");
  const build = (env: Record<string, string>, ...args: string[]) =>
    spawnSync(process.execPath, [script, "--force", "--out", out, ...args], {
      encoding: "utf8",
      env: { ...process.env, ...env },
    });

  test("without a compiler it says why and how to get them, and exits 0", () => {
    const r = build({ CC: "/nonexistent/cc" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /native kernels skipped: no C compiler.*apt-get install gcc libopenblas-dev/,
    );
    assert.equal(existsSync(out), false);
  });

  test("--require turns the skip into a failure", () => {
    const r = build({ CC: "/nonexistent/cc" }, "--require");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no C compiler/);
  });
});
