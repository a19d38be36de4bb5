import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { SampleInfo, SampleStream } from "../../../../nodes/sdk/node.ts";
import { createRng } from "../../../../nodes/sdk/rng.ts";
import { parseGraph } from "../graph/schema.ts";
import { PROJECT_ROOT } from "../runtime.ts";
import { EvalSession } from "./session.ts";
import { findWiring } from "./wiring.ts";

const graph = parseGraph(readFileSync(join(PROJECT_ROOT, "graphs/edgrec.json"), "utf8"));
const portType = (type: string, side: "in" | "out", port: string) =>
  type === "edgrec.morph-edge" && side === "out" && port === "edge" ? "Edge" : undefined;

/** A per-sample stream over fixed values that counts every pull. */
function countingStream<T>(type: string, values: T[], infos: SampleInfo[], counter: { n: number }) {
  return {
    kind: "stream",
    type,
    length: values.length,
    key: `k-${type}`,
    stochastic: false,
    info: (i: number) => infos[i],
    async get(i: number) {
      counter.n++;
      return values[i];
    },
  } as unknown as SampleStream;
}

function runValues(count: number, size: number, counter: { n: number }) {
  const rng = createRng(5);
  const infos: SampleInfo[] = [];
  const color = [];
  const structure = [];
  const masks = [];
  const images = [];
  for (let k = 0; k < count; k++) {
    const label = (k % 3 === 0 ? 1 : 0) as 0 | 1;
    infos.push({
      id: `test/${label ? "crack" : "good"}/${k}`,
      split: "test",
      label,
      defect: label ? "crack" : "good",
    });
    const px = size * size;
    const mask = new Float32Array(px);
    if (label) for (let i = 0; i < 20; i++) mask[size * 4 + 4 + i] = 1;
    color.push({
      width: size,
      height: size,
      data: Float64Array.from({ length: px }, (_, i) => rng.next() + mask[i]),
    });
    structure.push({
      width: size,
      height: size,
      data: Float64Array.from({ length: px }, () => rng.next()),
    });
    masks.push({ width: size, height: size, channels: 1, data: mask });
    images.push({
      width: size,
      height: size,
      channels: 3,
      data: new Float32Array(px * 3).fill(0.5),
    });
  }
  return new Map<string, Record<string, unknown>>([
    ["test_color", { map: countingStream("ScoreMap", color, infos, counter) }],
    ["test_structure", { map: countingStream("ScoreMap", structure, infos, counter) }],
    [
      "data",
      {
        mask: countingStream("Mask", masks, infos, counter),
        test: countingStream("Image", images, infos, counter),
      },
    ],
    ["threshold", { threshold: { value: 1.5, source: "calibrated" } }],
  ]);
}

describe("evaluation session", () => {
  test("finds the default graph's wiring: test_sum, its maps, masks, threshold and stages", () => {
    const w = findWiring(graph, portType);
    assert.equal(w.sumNode, "test_sum");
    assert.deepEqual(w.color, { nodeId: "test_color", port: "map" });
    assert.deepEqual(w.structure, { nodeId: "test_structure", port: "map" });
    assert.deepEqual(w.mask, { nodeId: "data", port: "mask" });
    assert.deepEqual(w.threshold, { nodeId: "threshold", port: "threshold" });
    assert.deepEqual(
      w.stages.map((s) => `${s.key}=${s.nodeId}.${s.port}`),
      [
        "input=data.test",
        "edge=test_edge.edge",
        "reconstruction=test_infer.reconstruction",
        "color=test_color.map",
        "structure=test_structure.map",
        "mask=data.mask",
      ],
    );
    assert.deepEqual(w.sumNodes.sort(), ["test_sum", "val_sum"]);
    assert.equal(w.scoreTopK, 1, "the default graph scores by the map maximum");
    assert.throws(() => findWiring(graph, portType, "metrics"), /not a weighted-sum node/);
  });

  test("follows the image-score node's top-k mean", () => {
    const g = structuredClone(graph);
    Object.assign(g.nodes.find((n) => n.id === "test_score")!.params, {
      method: "top-k-mean",
      k: 7,
    });
    assert.equal(findWiring(g, portType).scoreTopK, 7);
  });

  test("after opening, rescoring and sample maps never pull from the run's streams", async () => {
    const counter = { n: 0 };
    const values = runValues(9, 16, counter);
    const s = await EvalSession.open({
      id: "s1",
      runId: "r1",
      graph,
      values,
      portType,
      thumbSide: 8,
    });
    const pulledAtOpen = counter.n;
    assert.equal(pulledAtOpen, 9 * 4, "one pull per sample of colour, structure, mask, image");
    assert.deepEqual(s.graphThreshold, { value: 1.5, source: "calibrated" });
    const a = s.rescore({ wColor: 1, wStructure: 1, threshold: 1.5 });
    const b = s.rescore({ wColor: 5, wStructure: 0.1, threshold: 1.5 });
    s.sampleMaps(3);
    assert.equal(counter.n, pulledAtOpen, "rescoring recomputed nothing upstream of the sum");
    assert.notDeepEqual(a.scores, b.scores);
    // colour-heavy weighting separates the colour-marked defects perfectly
    assert.equal(b.metrics.imageAuroc.value, 1);
    assert.ok((b.metrics.pixelAuroc.value ?? 0) > (a.metrics.pixelAuroc.value ?? 1));
    assert.equal(s.thumbs.rgb[0], 128);
    const mem = s.memory();
    assert.equal(mem.mapsBytes, 9 * 256 * 12 + 4 * (s.split.regions + 1));
  });

  test("sample maps are the float32 maps and the binarised mask; bad indices are refused", async () => {
    const counter = { n: 0 };
    const s = await EvalSession.open({
      id: "s2",
      runId: "r2",
      graph,
      values: runValues(3, 16, counter),
      portType,
    });
    const m = s.sampleMaps(0);
    assert.equal(m.color.length, 256);
    assert.equal(
      m.mask.reduce((x, y) => x + y, 0),
      20,
    );
    assert.throws(() => s.sampleMaps(3), /outside the split/);
  });

  test("a run without the maps is refused with the missing output named", async () => {
    const values = runValues(2, 8, { n: 0 });
    values.delete("test_structure");
    await assert.rejects(
      EvalSession.open({ id: "s3", runId: "r3", graph, values, portType }),
      /output "map" of node "test_structure"/,
    );
  });
});
