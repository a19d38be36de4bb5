import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "./backend.ts";
import {
  assertTrainingFits,
  assertWasmHeapFits,
  BASELINE_BYTES,
  estimateTrainingBytes,
  formatBytes,
} from "./memory.ts";
import { setNativeKernelsEnabled } from "./native.ts";
import { Trainer } from "./train.ts";

/** Peak tensor bytes of one real training step (after a warm-up step), via tf.profile. */
async function measuredPeak(width: number, batchSize: number, size: number): Promise<number> {
  const t = new Trainer({
    width,
    imageWidth: size,
    imageHeight: size,
    epochs: 10,
    stepsPerEpoch: 10,
    seed: 3,
  });
  try {
    const edge = new Float32Array(batchSize * size * size).map((_, i) => (i % 7) / 7);
    const target = new Float32Array(batchSize * size * size * 3).map((_, i) => (i % 5) / 5);
    t.step({ edge, target });
    // peakBytes is absolute (it starts from the bytes already held: weights, Adam moments)
    const p = await tf.profile(() => {
      t.step({ edge, target });
    });
    return p.peakBytes;
  } finally {
    t.dispose();
  }
}

describe("training memory estimate", () => {
  test("grows with width, batch and size, and refuses bad shapes", () => {
    const base = estimateTrainingBytes({ width: 16, batchSize: 8, imageSize: 128 }).bytes;
    assert.ok(estimateTrainingBytes({ width: 32, batchSize: 8, imageSize: 128 }).bytes > base);
    assert.ok(estimateTrainingBytes({ width: 16, batchSize: 16, imageSize: 128 }).bytes > base);
    assert.ok(estimateTrainingBytes({ width: 16, batchSize: 8, imageSize: 256 }).bytes > base);
    assert.throws(() => estimateTrainingBytes({ width: 0, batchSize: 8, imageSize: 128 }), /width/);
    assert.throws(
      () => estimateTrainingBytes({ width: 16, batchSize: 8, imageSize: 100 }),
      /multiple of 16/,
    );
  });

  test("3 input channels add the larger input and first convolution, nothing else", () => {
    const shape = { width: 16, batchSize: 8, imageSize: 128 };
    const one = estimateTrainingBytes(shape);
    assert.deepEqual(estimateTrainingBytes({ ...shape, inputChannels: 1 }), one);
    const three = estimateTrainingBytes({ ...shape, inputChannels: 3 });
    assert.equal(three.activationBytes - one.activationBytes, 4 * 8 * 128 * 128 * 2);
    // parameters, gradients, Adam m and v of the 18·16 extra first-layer weights
    assert.equal(three.stateBytes - one.stateBytes, 4 * 5 * 18 * 16);
    assert.equal(three.lossBytes, one.lossBytes);
    assert.throws(() => estimateTrainingBytes({ ...shape, inputChannels: 2 }), /got 2/);
    assert.throws(
      () => assertTrainingFits({ ...shape, width: 128, inputChannels: 3 }, 2 ** 30, "node x"),
      /node x: width 128, batch 8 at 128x128 \(3-channel input\) needs about/,
    );
  });

  test("the paper preset is predicted to need many GiB (it is meant for a GPU)", () => {
    const paper = estimateTrainingBytes({ width: 128, batchSize: 8, imageSize: 256 });
    assert.ok(paper.bytes > 8 * 2 ** 30, formatBytes(paper.bytes));
  });

  test("assertTrainingFits names the estimate, the limit and what to change", () => {
    assert.throws(
      () => assertTrainingFits({ width: 128, batchSize: 8, imageSize: 256 }, 2 ** 30, "node x"),
      (err: Error) =>
        /node x: width 128, batch 8 at 256x256 needs about [\d.]+ GiB/.test(err.message) &&
        /only 1\.0 GiB is available/.test(err.message) &&
        /smaller preset/.test(err.message),
    );
    const ok = assertTrainingFits({ width: 4, batchSize: 2, imageSize: 32 }, 2 ** 30);
    assert.ok(ok.bytes < 2 ** 30);
  });

  // The estimate models the wasm kernels' heap use; the native kernels keep their patch
  // buffers outside the heap and need fewer temporaries, so there it must be an upper bound.
  test("calibration: wasm kernels within -10%..+30% of the tf.profile peak of real steps, native below the estimate", async () => {
    await initBackend("wasm");
    const rows: string[] = [];
    for (const native of [false, true]) {
      setNativeKernelsEnabled(native);
      try {
        for (const [width, batchSize, imageSize] of [
          [4, 2, 32],
          [8, 4, 64],
        ] as const) {
          const measured = await measuredPeak(width, batchSize, imageSize);
          const est = estimateTrainingBytes({ width, batchSize, imageSize });
          const predicted = est.bytes - BASELINE_BYTES;
          const ratio = predicted / measured;
          rows.push(
            `${native ? "native" : "wasm"} kernels, width ${width} batch ${batchSize} ${imageSize}px: measured ${formatBytes(measured)}, estimated ${formatBytes(predicted)} (x${ratio.toFixed(2)})`,
          );
          if (native) assert.ok(ratio > 0.9 && ratio < 2, rows.at(-1));
          else assert.ok(ratio > 0.9 && ratio < 1.3, rows.at(-1));
        }
      } finally {
        setNativeKernelsEnabled(true);
      }
    }
    process.stderr.write(`${rows.join("\n")}\n`);
  });
});

describe("wasm heap pre-flight", () => {
  const fits = (width: number, imageSize: number, batchSize: number, native: boolean) => {
    try {
      assertWasmHeapFits({ width, imageSize, batchSize }, native, "test");
      return true;
    } catch (err) {
      assert.match((err as Error).message, /WebAssembly backend's 4\.0 GiB heap/);
      return false;
    }
  };
  test("agrees with what trained and what aborted on this machine (npm run bench -- train)", () => {
    // native kernels: trained
    assert.equal(fits(32, 256, 8, true), true, "width 32, 256 px, batch 8 trains (4.0 GiB RSS)");
    assert.equal(fits(128, 128, 4, true), true, "width 128, 128 px, 4 per process trains");
    assert.equal(fits(16, 128, 8, true), true);
    // native kernels: aborted with "memory access out of bounds"
    assert.equal(fits(128, 128, 8, true), false, "width 128, 128 px, batch 8 aborts");
    assert.equal(fits(64, 256, 8, true), false, "width 64, 256 px, batch 8 aborts");
    assert.equal(fits(128, 256, 8, true), false, "the paper preset cannot fit");
    // wasm kernels alone keep pad/transpose copies: no slack
    assert.equal(fits(32, 256, 8, false), false);
    assert.equal(fits(16, 128, 8, false), true);
  });
});
