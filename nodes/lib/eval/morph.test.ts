import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { toGray } from "./color.ts";
import { loadGolden, loadPipeline, maxAbsDiff } from "./golden-fixture.ts";
import { dilate3, erode3, morphEdge } from "./morph.ts";

interface MorphGolden {
  height: number;
  width: number;
  input_f32: number[];
  dilation: number[];
  erosion: number[];
  gradient: number[];
}

describe("3x3 geodesic morphology", () => {
  const g = loadGolden<MorphGolden>("morph_edge_small");
  const img = {
    width: g.width,
    height: g.height,
    channels: 1 as const,
    data: Float32Array.from(g.input_f32),
  };

  test("dilation, erosion and gradient equal kornia's exactly on the 9x13 image", () => {
    assert.deepEqual(Array.from(dilate3(img).data), g.dilation);
    assert.deepEqual(Array.from(erode3(img).data), g.erosion);
    assert.deepEqual(Array.from(morphEdge(img).data), g.gradient);
  });

  for (const name of ["pipeline_64x64", "pipeline_45x62"] as const) {
    test(`${name}: edge of the gray original matches edge_a_f32 within 1e-6`, () => {
      const { g: p, orig } = loadPipeline(name);
      assert.ok(maxAbsDiff(morphEdge(toGray(orig)).data, p.edge_a_f32 as number[]) <= 1e-6);
    });
  }

  test("a 1x1 image has a zero edge; a single bright pixel spreads to its 8 neighbours", () => {
    assert.deepEqual(
      Array.from(morphEdge({ width: 1, height: 1, channels: 1, data: Float32Array.of(0.7) }).data),
      [0],
    );
    const dot = {
      width: 3,
      height: 3,
      channels: 1 as const,
      data: Float32Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0]),
    };
    assert.deepEqual(Array.from(dilate3(dot).data), [1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  test("rejects colour input and malformed images", () => {
    const rgb = { width: 2, height: 2, channels: 3 as const, data: new Float32Array(12) };
    assert.throws(() => morphEdge(rgb), /gray must have 1 channel, got 3/);
    const bad = { width: 2, height: 2, channels: 1 as const, data: new Float32Array(3) };
    assert.throws(() => morphEdge(bad), /has 3 values but 2x2x1 needs 4/);
  });
});
