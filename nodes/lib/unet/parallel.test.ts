import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { createRng } from "../../sdk/rng.ts";
import { initBackend } from "./backend.ts";
import { getFlatState } from "./model.ts";
import { GradientPartner, splitBatch } from "./parallel.ts";
import { Trainer } from "./train.ts";

const SIZE = 32;
const N = 4;

function batch(seed: number, inputChannels = 1) {
  const rng = createRng(seed);
  return {
    edge: Float32Array.from({ length: N * SIZE * SIZE * inputChannels }, () => rng.next() * 0.3),
    target: Float32Array.from({ length: N * SIZE * SIZE * 3 }, () => rng.next()),
  };
}

const trainer = (inputChannels: 1 | 3 = 1) =>
  new Trainer({
    width: 2,
    inputChannels,
    imageWidth: SIZE,
    imageHeight: SIZE,
    epochs: 4,
    stepsPerEpoch: 2,
    seed: 5,
  });

describe("two-process data-parallel training", () => {
  let partner: GradientPartner | undefined;
  after(() => partner?.close());

  test("a step through the partner process equals the same step computed in one process", async () => {
    await initBackend("wasm");
    const viaProcess = trainer();
    const inProcess = trainer();
    const replica = trainer();
    partner = await GradientPartner.start(viaProcess, "wasm");
    for (let s = 0; s < 3; s++) {
      const [a, b] = splitBatch(batch(s), N);
      const { result } = await partner.submit(viaProcess, b, b.count);
      const r1 = await viaProcess.stepShared(a, result);

      const { setFlatState } = await import("./model.ts");
      setFlatState(replica.model, getFlatState(inProcess.model));
      const g = replica.computeGradients(b);
      const r2 = await inProcess.stepShared(a, Promise.resolve({ ...g, count: b.count }));

      assert.equal(r1.loss, r2.loss, `step ${s} loss`);
      assert.deepEqual(
        getFlatState(viaProcess.model),
        getFlatState(inProcess.model),
        `step ${s} weights`,
      );
      assert.ok(Number.isFinite(r1.loss));
    }
  });

  test("the partner builds a 3-channel replica for RGB inputs", async () => {
    await initBackend("wasm");
    const viaProcess = trainer(3);
    const inProcess = trainer(3);
    const replica = trainer(3);
    const p = await GradientPartner.start(viaProcess, "wasm");
    try {
      const [a, b] = splitBatch(batch(3, 3), N);
      assert.equal(b.edge.length, (N / 2) * SIZE * SIZE * 3);
      const { result } = await p.submit(viaProcess, b, b.count);
      const r1 = await viaProcess.stepShared(a, result);
      const g = replica.computeGradients(b);
      const r2 = await inProcess.stepShared(a, Promise.resolve({ ...g, count: b.count }));
      assert.equal(r1.loss, r2.loss);
      assert.deepEqual(getFlatState(viaProcess.model), getFlatState(inProcess.model));
    } finally {
      p.close();
      for (const t of [viaProcess, inProcess, replica]) t.dispose();
    }
  });

  test("a failing partner rejects the step with a clear message", async () => {
    const t = trainer();
    const p = await GradientPartner.start(t, "wasm");
    p.close();
    const [a, b] = splitBatch(batch(9), N);
    await assert.rejects(async () => {
      const { result } = await p.submit(t, b, b.count);
      await t.stepShared(a, result);
    }, /training partner|channel closed|ERR_IPC/i);
  });
});
