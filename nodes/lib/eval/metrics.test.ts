import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { auProExact, auProThresholds, proCurveExact } from "./aupro.ts";
import { labelComponents8 } from "./components.ts";
import { loadGolden } from "./golden-fixture.ts";
import { imageAp, imageAuroc, imageF1Max } from "./image-metrics.ts";
import { REFERENCE_MASK_RULES } from "./metric-value.ts";
import { pixelAp, pixelAuroc, pixelMetrics } from "./pixel-metrics.ts";

interface MetricsGolden {
  height: number;
  width: number;
  score_maps: number[][];
  masks: number[][];
  labels: number[];
  image_scores: number[];
  image_auroc: number;
  image_ap: number;
  pixel_auroc: number;
  pixel_ap: number;
  aupro_0_3_official_mvtec: number;
  aupro_1_0_official_mvtec: number;
  aupro_0_3_edgrec_5000_thresholds: number;
  n_gt_regions: number;
  official_curve_fpr_le_0_3: { fpr: number[]; pro: number[] };
}

const g = loadGolden<MetricsGolden>("metrics");
const maps = g.score_maps.map((d) => ({
  width: g.width,
  height: g.height,
  data: Float64Array.from(d),
}));
const masks = g.masks.map((d) => ({
  width: g.width,
  height: g.height,
  channels: 1,
  data: Float32Array.from(d),
}));
const near = (got: number | null, want: number, tol: number) => {
  assert.notEqual(got, null);
  assert.ok(Math.abs((got as number) - want) <= tol, `got ${got}, want ${want} (tol ${tol})`);
};

describe("image metrics (sklearn)", () => {
  test("image AUROC and AP match roc_auc_score / average_precision_score within 1e-12", () => {
    near(imageAuroc(g.labels, g.image_scores).value, g.image_auroc, 1e-12);
    near(imageAp(g.labels, g.image_scores).value, g.image_ap, 1e-12);
  });

  test("ties count half in AUROC and group together in AP", () => {
    near(imageAuroc([0, 1, 0, 1], [0.5, 0.5, 0.1, 0.9]).value, 0.875, 1e-15);
    // one group of 2 at the top holding 1 positive + 1 negative: P = 0.5 at R = 1
    near(imageAp([1, 0], [0.3, 0.3]).value, 0.5, 1e-15);
  });

  test("F1-max reports the best threshold", () => {
    const f1 = imageF1Max([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
    near(f1.value, 0.8, 1e-15);
    assert.equal(f1.threshold, 0.35);
  });

  test("one class only gives null with a reason, never 0.5", () => {
    const r = imageAuroc([1, 1], [0.2, 0.4]);
    assert.equal(r.value, null);
    assert.match(r.reason ?? "", /only positives/);
    assert.equal(imageAp([0, 0], [0.1, 0.2]).value, null);
    assert.equal(imageAuroc([], []).value, null);
  });

  test("bad labels and length mismatches throw clear errors", () => {
    assert.throws(() => imageAuroc([0, 1], [0.2]), /labels has 2 entries but scores has 1/);
    assert.throws(() => imageAuroc([0, 2], [0.1, 0.2]), /labels\[1\] is 2; expected 0/);
    assert.throws(() => imageAuroc([0, 1], [0.1, Number.NaN]), /scores\[1\] is NaN/);
  });
});

describe("pixel metrics", () => {
  test("pixel AUROC and AP match sklearn within 1e-12 (binary masks: every rule agrees)", () => {
    const ref = pixelMetrics(maps, masks, { rule: REFERENCE_MASK_RULES.pixelAuroc });
    near(ref.auroc.value, g.pixel_auroc, 1e-12);
    near(ref.ap.value, g.pixel_ap, 1e-12);
    near(pixelAuroc(maps, masks).value, g.pixel_auroc, 1e-12);
    near(pixelAp(maps, masks).value, g.pixel_ap, 1e-12);
  });

  test("the mask rule decides fractional pixels and is recorded", () => {
    const m = [{ width: 3, height: 1, data: Float64Array.of(0.9, 0.2, 0.1) }];
    const k = [{ width: 3, height: 1, data: Float64Array.of(0.6, 0, 1) }];
    const ref = pixelAuroc(m, k, { rule: { kind: "uint8-cast" } });
    assert.equal(ref.maskRule, "mask == 1 (uint8 cast)");
    near(ref.value, 0, 1e-15); // only the 0.1-score pixel is positive
    const ours = pixelAuroc(m, k);
    assert.equal(ours.maskRule, "mask > 0.5");
    near(ours.value, 0.5, 1e-15); // positives 0.9 and 0.1 against negative 0.2
  });

  test("no defect pixel gives null AUROC/AP", () => {
    const r = pixelMetrics([maps[0]], [{ width: 32, height: 32, data: new Float64Array(1024) }]);
    assert.equal(r.auroc.value, null);
    assert.equal(r.ap.value, null);
    assert.match(r.auroc.reason ?? "", /only negatives/);
  });

  test("masks of the wrong size or count, and 0..255 masks, throw clear errors", () => {
    const small = { width: 16, height: 32, data: new Float64Array(512) };
    assert.throws(
      () => pixelAuroc([maps[0]], [small]),
      /maps\[0\] is 32x32 but masks\[0\] is 16x32/,
    );
    assert.throws(() => pixelAuroc(maps, masks.slice(1)), /20 score map\(s\) but 19 mask\(s\)/);
    const u8 = { width: 32, height: 32, data: new Float64Array(1024).fill(255) };
    assert.throws(() => pixelAuroc([maps[0]], [u8]), /outside \[0,1\]; divide 8-bit masks by 255/);
    const rgb = { width: 32, height: 32, channels: 3, data: new Float32Array(3072) };
    assert.throws(() => pixelAuroc([maps[0]], [rgb]), /expected a 1-channel mask/);
  });
});

describe("connected components", () => {
  test("8-connectivity joins diagonal neighbours; golden masks have 22 regions", () => {
    const diag = labelComponents8(Uint8Array.of(1, 0, 0, 1), 2, 2);
    assert.equal(diag.count, 1);
    assert.deepEqual(Array.from(diag.sizes), [2, 2]);
    let total = 0;
    for (const m of g.masks) total += labelComponents8(Uint8Array.from(m), g.width, g.height).count;
    assert.equal(total, g.n_gt_regions);
  });
});

describe("AU-PRO", () => {
  const rule = REFERENCE_MASK_RULES.auPro;

  test("exact AU-PRO at 0.3 and 1.0 matches the official MVTec code within 1e-6", () => {
    const a3 = auProExact(maps, masks, { rule });
    near(a3.value, g.aupro_0_3_official_mvtec, 1e-6);
    assert.equal(a3.regions, g.n_gt_regions);
    assert.equal(a3.maskRule, "mask > 0");
    near(auProExact(maps, masks, { rule, fprLimit: 1 }).value, g.aupro_1_0_official_mvtec, 1e-6);
  });

  test("the exact curve up to FPR 0.3 equals official_curve_fpr_le_0_3 point for point", () => {
    const c = proCurveExact(maps, masks, { rule });
    const want = g.official_curve_fpr_le_0_3;
    const n = want.fpr.length;
    assert.ok(c.fpr[n - 1] <= 0.3 && c.fpr[n] > 0.3);
    for (let i = 0; i < n; i++) {
      assert.ok(Math.abs(c.fpr[i] - want.fpr[i]) <= 1e-6, `fpr[${i}]`);
      assert.ok(Math.abs(c.pro[i] - want.pro[i]) <= 1e-6, `pro[${i}]`);
    }
  });

  test("the authors' 5000-threshold AU-PRO matches within 1e-9", () => {
    near(auProThresholds(maps, masks, { rule }).value, g.aupro_0_3_edgrec_5000_thresholds, 1e-9);
  });

  test("a perfect detector scores 1 and masks without regions give null", () => {
    const mask = { width: 4, height: 1, data: Float64Array.of(0, 1, 1, 0) };
    const map = { width: 4, height: 1, data: Float64Array.of(0.1, 0.9, 0.8, 0.2) };
    near(auProExact([map], [mask]).value, 1, 1e-12);
    const none = auProExact([map], [{ width: 4, height: 1, data: new Float64Array(4) }]);
    assert.equal(none.value, null);
    assert.match(none.reason ?? "", /no defect region/);
    const all = auProThresholds(
      [map],
      [{ width: 4, height: 1, data: new Float64Array(4).fill(1) }],
    );
    assert.match(all.reason ?? "", /no OK pixels/);
  });

  test("bad limits and mask sizes throw clear errors", () => {
    assert.throws(() => auProExact(maps, masks, { fprLimit: 0 }), /fprLimit must be in \(0, 1\]/);
    assert.throws(
      () => auProThresholds(maps, masks, { thresholds: 0 }),
      /thresholds must be a positive integer/,
    );
    const wrong = { width: 8, height: 8, data: new Float64Array(64) };
    assert.throws(() => auProExact([maps[0]], [wrong]), /resize the mask/);
  });
});

describe("shared sort", () => {
  test("pixelMetrics and auProExact give the same values with a presorted input", async () => {
    const { sortPixelScores } = await import("./aupro.ts");
    const presorted = sortPixelScores(maps);
    const rule = REFERENCE_MASK_RULES.auPro;
    assert.equal(
      auProExact(maps, masks, { rule, presorted }).value,
      auProExact(maps, masks, { rule }).value,
    );
    assert.equal(
      pixelMetrics(maps, masks, { presorted }).auroc.value,
      pixelMetrics(maps, masks).auroc.value,
    );
    assert.throws(
      () => pixelMetrics(maps.slice(1), masks.slice(1), { presorted }),
      /presorted holds 20480 scores/,
    );
  });
});
