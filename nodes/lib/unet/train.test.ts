import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { createRng } from "../../sdk/rng.ts";
import { initBackend } from "./backend.ts";
import { assertModelFits, loadModel, saveModel } from "./checkpoint.ts";
import { getFlatState } from "./model.ts";
import { PRESETS } from "./presets.ts";
import { learningRateAt, Trainer } from "./train.ts";

const S = 32;
const N = 2;

function batch(seed: number) {
  const rng = createRng(seed);
  const target = Float32Array.from({ length: N * S * S * 3 }, () => rng.next());
  const edge = Float32Array.from({ length: N * S * S }, () => rng.next() * 0.3);
  return { edge, target };
}

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

  test("presets cover tiny to paper", () => {
    assert.equal(PRESETS.paper.width, 128);
    assert.equal(PRESETS.paper.imageSize, 256);
    assert.equal(PRESETS.paper.learningRate, 1e-4);
    assert.equal(PRESETS["cpu-fast"].width, 8);
  });
});
