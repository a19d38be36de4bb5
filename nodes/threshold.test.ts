import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { calibrateThreshold, f1Threshold } from "./threshold.ts";

describe("threshold", () => {
  test("calibration keeps the false-positive rate at or below the target", () => {
    const normal = Array.from({ length: 100 }, (_, i) => i / 100);
    for (const fpr of [0, 0.01, 0.05, 0.2]) {
      const t = calibrateThreshold(normal, fpr);
      const fp = normal.filter((s) => s > t).length / normal.length;
      assert.ok(fp <= fpr + 1e-12, `fpr ${fpr}: got ${fp}`);
      assert.ok(fp > fpr - 0.011, `fpr ${fpr}: threshold too strict (${fp})`);
    }
  });

  test("F1 threshold separates separable scores", () => {
    const scores = [0.1, 0.2, 0.3, 0.7, 0.8];
    const labels = [0, 0, 0, 1, 1];
    const t = f1Threshold(scores, labels);
    assert.ok(t > 0.3 && t < 0.7);
  });
});
