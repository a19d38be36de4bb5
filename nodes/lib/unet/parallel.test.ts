import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { createRng } from "../../sdk/rng.ts";
import { initBackend } from "./backend.ts";
import { getFlatState } from "./model.ts";
import { GradientPartner, splitBatch } from "./parallel.ts";
import { Trainer } from "./train.ts";

const SIZE = 32;
const N = 4;

function batch(seed: number) {
  const rng = createRng(seed);
  return {
    edge: Float32Array.from({ length: N * SIZE * SIZE }, () => rng.next() * 0.3),
    target: Float32Array.from({ length: N * SIZE * SIZE * 3 }, () => rng.next()),
  };
}

const trainer = () =>
  new Trainer({
    width: 2,
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
