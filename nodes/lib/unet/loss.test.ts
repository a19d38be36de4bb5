import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "./backend.ts";
import { reconstructionLoss, ssimMap, ssimRange } from "./loss.ts";

interface Pipeline {
  height: number;
  width: number;
  image_a_rgb_u8: number[];
  image_b_rgb_u8: number[];
  loss_l2: number;
  loss_ssim: number;
  loss_total: number;
  ssim_one_minus_map_chw: number[];
}

const load = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../../../test/fixtures/golden/${name}`, import.meta.url), "utf8"),
  ) as Pipeline;

function toTensor(u8: number[], h: number, w: number): tf.Tensor4D {
  return tf.tensor4d(
    Float32Array.from(u8, (v) => v / 255),
    [1, h, w, 3],
  );
}

describe("L2 + SSIM loss", () => {
  for (const backend of ["wasm", "cpu"] as const) {
    for (const name of ["pipeline_64x64.json", "pipeline_45x62.json"]) {
      test(`${name} losses within 1e-5 and 1 − SSIM map within 5e-4 (${backend})`, async () => {
        await initBackend(backend);
        const g = load(name);
        const { height: h, width: w } = g;
        tf.tidy(() => {
          const rec = toTensor(g.image_b_rgb_u8, h, w);
          const orig = toTensor(g.image_a_rgb_u8, h, w);
          const parts = reconstructionLoss(rec, orig);
          const near = (a: number, b: number, what: string) =>
            assert.ok(Math.abs(a - b) < 1e-5, `${what}: ${a} vs ${b}`);
          near(parts.l2.dataSync()[0], g.loss_l2, "l2");
          near(parts.ssim.dataSync()[0], g.loss_ssim, "ssim");
          near(parts.total.dataSync()[0], g.loss_total, "total");
          // Our channels are R,G,B; the reference map is B,G,R (channel k ↔ 2 − k).
          const map = ssimMap(rec, orig).dataSync();
          let worst = 0;
          for (let c = 0; c < 3; c++) {
            for (let i = 0; i < h * w; i++) {
              const ref = g.ssim_one_minus_map_chw[(2 - c) * h * w + i];
              worst = Math.max(worst, Math.abs(1 - map[c * h * w + i] - ref));
            }
          }
          assert.ok(worst < 5e-4, `map max abs diff ${worst}`);
        });
      });
    }
  }

  test("dynamic range follows the prediction, not the target", async () => {
    await initBackend("wasm");
    tf.tidy(() => {
      assert.equal(ssimRange(tf.tensor([0, 1])), 1);
      assert.equal(ssimRange(tf.tensor([-0.6, 1])), 2);
      assert.equal(ssimRange(tf.tensor([0, 200])), 255);
    });
  });

  test("gradient matches a finite difference", async () => {
    await initBackend("wasm");
    tf.tidy(() => {
      const t = tf.tensor4d(
        Float32Array.from({ length: 2 * 12 * 10 * 3 }, (_, i) => (Math.sin(i) + 1) / 2),
        [2, 12, 10, 3],
      );
      const p0 = Float32Array.from({ length: t.size }, (_, i) => (Math.cos(i * 0.7) + 1) / 2);
      const f = (p: tf.Tensor) => reconstructionLoss(p as tf.Tensor4D, t, 1).total;
      const grad = tf.grad(f)(tf.tensor4d(p0, t.shape)).dataSync();
      for (const idx of [0, 17, 100, 359, 700]) {
        const eps = 1e-2;
        const plus = Float32Array.from(p0);
        const minus = Float32Array.from(p0);
        plus[idx] += eps;
        minus[idx] -= eps;
        const fd =
          (f(tf.tensor4d(plus, t.shape)).dataSync()[0] -
            f(tf.tensor4d(minus, t.shape)).dataSync()[0]) /
          (2 * eps);
        assert.ok(
          Math.abs(fd - grad[idx]) < 2e-4 + 0.02 * Math.abs(fd),
          `idx ${idx}: ${grad[idx]} vs fd ${fd}`,
        );
      }
    });
  });
});
