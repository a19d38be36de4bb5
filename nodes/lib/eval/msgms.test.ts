import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { colorDiff } from "./colordiff.ts";
import { loadPipeline, maxAbsDiff } from "./golden-fixture.ts";
import { gmsPyramid, msgmsMap, structureMap } from "./msgms.ts";
import { anomalyScoreMap, imageScore } from "./score.ts";

const TOL = 1e-5;

for (const name of ["pipeline_64x64", "pipeline_45x62"] as const) {
  describe(`MSGMS on ${name}`, () => {
    const { g, orig, rec } = loadPipeline(name);
    const want = (field: string) => g[field] as number[];

    test("per-scale GMS (channel mean, upsampled) within 1e-5", () => {
      const [s0, s1] = gmsPyramid(rec, orig, { scales: 2 });
      assert.ok(maxAbsDiff(s0.data, want("gms_scale0_chmean")) <= TOL);
      assert.ok(maxAbsDiff(s1.data, want("gms_scale1_up_chmean")) <= TOL);
    });

    test("msgms_map, structure_map and msgms3_structure_map within 1e-5", () => {
      assert.ok(maxAbsDiff(msgmsMap(rec, orig).data, want("msgms_map")) <= TOL);
      assert.ok(maxAbsDiff(structureMap(rec, orig).data, want("structure_map")) <= TOL);
      const s3 = structureMap(rec, orig, { scales: 3 }).data;
      assert.ok(maxAbsDiff(s3, want("msgms3_structure_map")) <= TOL);
    });

    test("score maps and image scores (2 and 3 scales) within 1e-5", () => {
      const score2 = anomalyScoreMap(orig, rec);
      const score3 = anomalyScoreMap(orig, rec, { structure: { scales: 3 } });
      assert.ok(maxAbsDiff(score2.data, want("score_map")) <= TOL);
      assert.ok(maxAbsDiff(score3.data, want("score_map_msgms3")) <= TOL);
      assert.ok(Math.abs(imageScore(score2) - (g.image_score as number)) <= TOL);
      assert.ok(Math.abs(imageScore(score3) - (g.image_score_msgms3 as number)) <= TOL);
    });

    test("the score map is exactly colour map + structure map", () => {
      const sum = anomalyScoreMap(orig, rec).data;
      const c = colorDiff(orig, rec, "reference").data;
      const s = structureMap(rec, orig).data;
      for (let i = 0; i < sum.length; i++) assert.equal(sum[i], c[i] + s[i]);
    });
  });
}

describe("MSGMS input checks", () => {
  const img = (w: number, h: number, channels: 1 | 3 = 3) => ({
    width: w,
    height: h,
    channels,
    data: new Float32Array(w * h * channels),
  });

  test("identical images give a map of ~0 (only the 1e-12 stabiliser remains)", () => {
    const a = loadPipeline("pipeline_45x62").orig;
    assert.ok(msgmsMap(a, a).data.every((v) => v >= 0 && v < 1e-9));
  });

  test("mismatched sizes/channels, too many scales and bad options throw clear errors", () => {
    assert.throws(() => msgmsMap(img(8, 8), img(8, 9)), /rec is 8x8 but orig is 8x9/);
    assert.throws(() => msgmsMap(img(8, 8), img(8, 8, 1)), /rec has 3 channel\(s\) but orig has 1/);
    assert.throws(() => msgmsMap(img(3, 3), img(3, 3), { scales: 3 }), /cannot be pooled 2 time/);
    assert.throws(() => msgmsMap(img(8, 8), img(8, 8), { c: 0 }), /c must be a positive/);
    assert.throws(
      () => structureMap(img(8, 8), img(8, 8), { filterSize: 20 }),
      /filterSize must be an odd/,
    );
    assert.throws(
      () => imageScore({ width: 0, height: 0, data: new Float64Array(0) }),
      /map is empty/,
    );
  });
});
