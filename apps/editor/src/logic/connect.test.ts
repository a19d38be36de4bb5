import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PortTypeId } from "../../../../nodes/sdk/ports.ts";
import type { Graph } from "../../../runner/src/graph/schema.ts";
import { type CatalogueEntry, parseCatalogue } from "./catalogue.ts";
import { checkConnection } from "./connect.ts";

function entry(
  type: string,
  title: string,
  inputs: Record<string, PortTypeId>,
  outputs: Record<string, PortTypeId>,
): CatalogueEntry {
  const ports = (r: Record<string, PortTypeId>) =>
    Object.fromEntries(Object.entries(r).map(([k, t]) => [k, { type: t }]));
  return {
    type,
    version: 1,
    title,
    category: "Test",
    description: "",
    kind: "map",
    source: "builtin",
    inputs: ports(inputs),
    outputs: ports(outputs),
    params: {},
    defaults: {},
  };
}

const catalogue = parseCatalogue({
  nodes: [
    entry("t.gray", "Grayscale", { image: "Image" }, { gray: "Gray" }),
    entry("t.edge", "Edge", { gray: "Gray" }, { edge: "Edge" }),
    entry("t.unet", "Reconstruct", { edge: "Edge" }, { image: "Image" }),
    entry("t.score", "Score", { image: "Image" }, { map: "ScoreMap" }),
  ],
});

const graph: Graph = {
  format: "edgrec-graph",
  version: 2,
  name: "t",
  seed: 0,
  nodes: [
    { id: "gray", type: "t.gray", params: {} },
    { id: "edge", type: "t.edge", params: {} },
    { id: "unet", type: "t.unet", params: {} },
    { id: "score", type: "t.score", params: {} },
    { id: "edge2", type: "t.edge", params: {} },
  ],
  edges: [
    { from: { node: "gray", port: "gray" }, to: { node: "edge", port: "gray" } },
    { from: { node: "edge", port: "edge" }, to: { node: "unet", port: "edge" } },
    { from: { node: "unet", port: "image" }, to: { node: "score", port: "image" } },
  ],
  layout: {},
};

const req = (source: string, sourceHandle: string, target: string, targetHandle: string) => ({
  source,
  sourceHandle,
  target,
  targetHandle,
});

describe("checkConnection", () => {
  test("a score map cannot feed the U-Net's edge input, with the reason in words", () => {
    const v = checkConnection(graph, catalogue, req("score", "map", "unet", "edge"));
    assert.equal(v.ok, false);
    assert.equal(!v.ok && v.reason, 'Score map cannot feed Edge image input "edge" of Reconstruct');
  });

  test("an edge may feed a gray input (widening), but a gray image may not feed an edge input", () => {
    const ok = checkConnection(graph, catalogue, req("edge2", "edge", "edge", "gray"));
    // edge2 -> edge replaces gray -> edge on the occupied input
    assert.equal(ok.ok, true);
    assert.deepEqual(ok.ok && ok.replaces?.from, { node: "gray", port: "gray" });
    const no = checkConnection(graph, catalogue, req("gray", "gray", "unet", "edge"));
    assert.equal(no.ok, false);
    assert.match(!no.ok ? no.reason : "", /^Gray image cannot feed Edge image input/);
  });

  test("loops, self edges, duplicates and unknown ports are refused", () => {
    const loop = checkConnection(graph, catalogue, req("edge", "edge", "edge2", "gray"));
    assert.equal(loop.ok, true, "edge -> edge2 is not a loop");
    const g2: Graph = {
      ...graph,
      edges: [
        ...graph.edges,
        { from: { node: "unet", port: "image" }, to: { node: "edge2", port: "gray" } },
      ],
    };
    const cyc = checkConnection(g2, catalogue, req("edge2", "edge", "unet", "edge"));
    assert.equal(cyc.ok, false);
    assert.match(!cyc.ok ? cyc.reason : "", /loop/);
    const self = checkConnection(graph, catalogue, req("edge", "edge", "edge", "gray"));
    assert.deepEqual(self, { ok: false, reason: "A node cannot feed itself" });
    const dup = checkConnection(graph, catalogue, req("gray", "gray", "edge", "gray"));
    assert.deepEqual(dup, { ok: false, reason: "These ports are already connected" });
    const bad = checkConnection(graph, catalogue, req("gray", "nope", "edge", "gray"));
    assert.equal(bad.ok, false);
  });

  test("a fresh compatible connection is accepted without replacing anything", () => {
    const v = checkConnection(graph, catalogue, req("gray", "gray", "edge2", "gray"));
    assert.deepEqual(v, {
      ok: true,
      edge: { from: { node: "gray", port: "gray" }, to: { node: "edge2", port: "gray" } },
    });
  });
});
