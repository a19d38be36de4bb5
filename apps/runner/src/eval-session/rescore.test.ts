import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { auProExact } from "../../../../nodes/lib/eval/aupro.ts";
import { loadGolden } from "../../../../nodes/lib/eval/golden-fixture.ts";
import { imageAuroc } from "../../../../nodes/lib/eval/image-metrics.ts";
import { pixelMetrics } from "../../../../nodes/lib/eval/pixel-metrics.ts";
import { createRng } from "../../../../nodes/sdk/rng.ts";
import { floatKeys, radixSortPairs } from "./radix.ts";
import { allocBuffers, rescore, topKMeanOf } from "./rescore.ts";
import { buildSplit, type SplitSample } from "./split.ts";

const near = (got: number | null, want: number | null, tol: number, what: string) => {
  assert.notEqual(got, null, `${what} is undefined`);
  assert.ok(Math.abs((got as number) - (want as number)) <= tol, `${what}: ${got} vs ${want}`);
};

/** Synthetic split: noise maps, defect blobs raising the colour map on half of the samples. */
function synthetic(count: number, size: number, seed: number): SplitSample[] {
  const rng = createRng(seed);
  const out: SplitSample[] = [];
  for (let k = 0; k < count; k++) {
    const label = (k % 2) as 0 | 1;
    const px = size * size;
    const color = new Float64Array(px);
    const structure = new Float64Array(px);
    const mask = new Float32Array(px);
    const cx = Math.floor(rng.next() * (size - 8)) + 4;
    const cy = Math.floor(rng.next() * (size - 8)) + 4;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = y * size + x;
        const inBlob = label === 1 && (x - cx) ** 2 + (y - cy) ** 2 < 9;
        if (inBlob) mask[i] = 1;
        color[i] = rng.next() * 0.3 + (inBlob ? 0.4 * rng.next() : 0);
        structure[i] = rng.next() * 0.5 + (inBlob ? 0.2 * rng.next() : 0);
      }
    }
    out.push({
      id: `s${k}`,
      label,
      defect: label ? "blob" : "good",
      color: { width: size, height: size, data: color },
      structure: { width: size, height: size, data: structure },
      mask: { width: size, height: size, data: mask },
    });
  }
  return out;
}

/** The combined maps as the float64 reference metrics see them (float32-rounded inputs). */
function referenceMaps(samples: SplitSample[], wc: number, ws: number) {
  return samples.map((s) => ({
    width: s.color.width,
    height: s.color.height,
    data: Float64Array.from(s.color.data, (c, i) =>
      Math.fround(wc * Math.fround(c) + ws * Math.fround(s.structure.data[i])),
    ),
  }));
}

describe("radix sort of float32 keys", () => {
  test("sorts mixed-sign floats, ±0 and infinities like a numeric sort, payload follows", () => {
    const rng = createRng(3);
    const vals = new Float32Array(5000);
    for (let i = 0; i < vals.length; i++) vals[i] = (rng.next() - 0.5) * 10 ** (rng.next() * 6);
    vals[0] = -0;
    vals[1] = 0;
    vals[2] = Number.POSITIVE_INFINITY;
    vals[3] = Number.NEGATIVE_INFINITY;
    const keys = floatKeys(new Uint32Array(Float32Array.from(vals).buffer));
    const payload = Uint32Array.from(vals.keys());
    radixSortPairs(keys, payload);
    const want = Array.from(vals).sort((a, b) => a - b);
    const got = Array.from(payload, (i) => vals[i]);
    assert.deepEqual(
      got.map((v) => v + 0),
      want.map((v) => v + 0),
    );
  });
});

describe("rescore", () => {
  const samples = synthetic(12, 24, 11);
  const split = buildSplit(samples);
  const buffers = allocBuffers(split.color.length);

  for (const [wc, ws] of [
    [1, 1],
    [3, 0.25],
    [0, 1],
  ]) {
    test(`matches the nodes' metric kernels at weights ${wc}/${ws}`, () => {
      const r = rescore(split, buffers, { wColor: wc, wStructure: ws, threshold: 0.5 });
      const maps = referenceMaps(samples, wc, ws);
      const masks = samples.map((s) => ({ ...s.mask!, channels: 1 }));
      const px = pixelMetrics(maps, masks);
      near(r.metrics.pixelAuroc.value, px.auroc.value, 1e-12, "pixel AUROC");
      near(r.metrics.pixelAp.value, px.ap.value, 1e-12, "pixel AP");
      near(r.metrics.pixelF1Max.value, px.f1Max.value, 1e-12, "pixel F1");
      near(r.metrics.auPro.value, auProExact(maps, masks).value, 1e-12, "AU-PRO");
      const scores = maps.map((m) => Math.max(...m.data));
      assert.deepEqual(r.scores, scores);
      near(
        r.metrics.imageAuroc.value,
        imageAuroc(
          samples.map((s) => s.label),
          scores,
        ).value,
        1e-15,
        "image AUROC",
      );
      // confusion counts by brute force
      let fp = 0;
      let tp = 0;
      maps.forEach((m, k) => {
        m.data.forEach((v, i) => {
          if (v > 0.5) samples[k].mask!.data[i] > 0.5 ? tp++ : fp++;
        });
      });
      assert.equal(r.confusion?.pixel.tp, tp);
      assert.equal(r.confusion?.pixel.fp, fp);
      const c = r.confusion!.image;
      assert.equal(c.tp + c.fp + c.tn + c.fn, samples.length);
      for (const curve of Object.values(r.curves)) {
        assert.ok(curve.x.length <= 200 && curve.x.length === curve.y.length);
      }
      assert.ok(r.curves.pixelRoc.x.length > 10, "pixel ROC has points");
    });
  }

  test("golden metrics fixture (colour = reference map, structure weight 0) within 1e-6", () => {
    const g = loadGolden<{
      width: number;
      height: number;
      score_maps: number[][];
      masks: number[][];
      labels: number[];
      image_auroc: number;
      pixel_auroc: number;
      pixel_ap: number;
      aupro_0_3_official_mvtec: number;
    }>("metrics");
    const zero = new Float64Array(g.width * g.height);
    const s = buildSplit(
      g.score_maps.map((d, k) => ({
        id: `g${k}`,
        label: g.labels[k] as 0 | 1,
        defect: "",
        color: { width: g.width, height: g.height, data: Float64Array.from(d) },
        structure: { width: g.width, height: g.height, data: zero },
        mask: { width: g.width, height: g.height, data: g.masks[k] },
      })),
    );
    const r = rescore(s, allocBuffers(s.color.length), { wColor: 1, wStructure: 0 });
    near(r.metrics.imageAuroc.value, g.image_auroc, 1e-6, "image AUROC");
    near(r.metrics.pixelAuroc.value, g.pixel_auroc, 1e-6, "pixel AUROC");
    near(r.metrics.pixelAp.value, g.pixel_ap, 1e-6, "pixel AP");
    near(r.metrics.auPro.value, g.aupro_0_3_official_mvtec, 1e-6, "AU-PRO");
    assert.equal(r.confusion, undefined);
  });

  test("bad weights and limits are refused with the input named", () => {
    assert.throws(() => rescore(split, buffers, { wColor: -1, wStructure: 1 }), /wColor/);
    assert.throws(
      () => rescore(split, buffers, { wColor: 1, wStructure: 1, fprLimit: 0 }),
      /fprLimit/,
    );
  });

  test("missing masks make the pixel metrics undefined with a reason", () => {
    const s = buildSplit(samples.map((x) => (x.label === 1 ? { ...x, mask: undefined } : x)));
    const r = rescore(s, allocBuffers(s.color.length), { wColor: 1, wStructure: 1 });
    assert.equal(r.metrics.pixelAuroc.value, null);
    assert.match(r.metrics.auPro.reason ?? "", /no ground-truth mask/);
    assert.notEqual(r.metrics.imageAuroc.value, null);
  });
});

describe("top-k image scores", () => {
  test("topKMeanOf equals the mean of the k largest after a full sort, ties included", () => {
    const rng = createRng(5);
    for (const [n, k] of [
      [1, 1],
      [10, 3],
      [1000, 100],
      [4096, 4096],
      [513, 1],
    ]) {
      // Coarse values so that ties straddle the k-th position.
      const v = Float32Array.from({ length: n }, () => Math.floor(rng.next() * 20) / 4);
      const sorted = Float64Array.from(v).sort();
      let want = 0;
      for (let i = n - k; i < n; i++) want += sorted[i];
      near(topKMeanOf(v, k), want / k, 1e-9, `n ${n} k ${k}`);
    }
  });

  test("rescore with topK scores each image by its top-k mean", () => {
    const samples = synthetic(6, 24, 9);
    const split = buildSplit(samples);
    const r = rescore(split, allocBuffers(split.color.length), {
      wColor: 1,
      wStructure: 0.5,
      topK: 10,
    });
    referenceMaps(samples, 1, 0.5).forEach((m, k) => {
      const top = Float64Array.from(m.data).sort().slice(-10);
      near(r.scores[k], top.reduce((a, b) => a + b, 0) / 10, 1e-6, `image ${k}`);
    });
    assert.throws(
      () => rescore(split, allocBuffers(split.color.length), { wColor: 1, wStructure: 1, topK: 0 }),
      /topK must be an integer/,
    );
  });
});
