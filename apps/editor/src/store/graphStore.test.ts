import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { serializeGraph } from "../../../runner/src/graph/schema.ts";
import type { CatalogueEntry } from "../logic/catalogue.ts";
import {
  addNode,
  copyFragment,
  emptyGraph,
  parseFragment,
  pasteFragment,
  removeItems,
} from "../logic/graphOps.ts";
import { GraphStore } from "./graphStore.ts";

const scale: CatalogueEntry = {
  type: "test.scale",
  version: 1,
  title: "Scale",
  category: "Image",
  description: "",
  kind: "map",
  source: "plugin",
  inputs: { image: { type: "Gray" } },
  outputs: { image: { type: "Gray" } },
  params: {},
  defaults: { factor: 2 },
};

describe("GraphStore history", () => {
  test("edits undo and redo through immer patches back to identical text", () => {
    const store = new GraphStore(emptyGraph("g"));
    const t0 = serializeGraph(store.getState().graph);
    const a = store.edit("add", (g) => addNode(g, scale, { x: 10, y: 20 }));
    const b = store.edit("add", (g) => addNode(g, scale, { x: 200, y: 20 }));
    assert.deepEqual([a, b], ["scale", "scale_2"]);
    store.edit("connect", (g) => {
      g.edges.push({ from: { node: a, port: "image" }, to: { node: b, port: "image" } });
    });
    store.edit("param", (g) => {
      g.nodes[1].params.factor = 3.5;
    });
    const t4 = serializeGraph(store.getState().graph);
    assert.equal(store.history().undo.length, 4);
    store.undo();
    assert.equal(store.getState().graph.nodes[1].params.factor, 2);
    store.undo();
    assert.equal(store.getState().graph.edges.length, 0);
    store.undo();
    store.undo();
    assert.equal(serializeGraph(store.getState().graph), t0);
    assert.equal(store.getState().canUndo, false);
    assert.equal(store.undo(), null);
    for (let i = 0; i < 4; i++) store.redo();
    assert.equal(serializeGraph(store.getState().graph), t4);
    assert.equal(store.getState().canRedo, false);
  });

  test("a new edit clears redo; a no-op edit records nothing", () => {
    const store = new GraphStore(emptyGraph());
    store.edit("add", (g) => addNode(g, scale, { x: 0, y: 0 }));
    store.undo();
    store.edit("add", (g) => addNode(g, scale, { x: 5, y: 5 }));
    assert.equal(store.getState().canRedo, false);
    const rev = store.getState().revision;
    store.edit("nothing", () => {});
    assert.equal(store.getState().revision, rev);
    assert.equal(store.history().undo.length, 1);
  });

  test("coalesced edits (a slider drag) undo as one step", () => {
    const store = new GraphStore(emptyGraph());
    const id = store.edit("add", (g) => addNode(g, scale, { x: 0, y: 0 }));
    for (const v of [2.1, 2.2, 2.3, 2.4]) {
      store.edit(
        "factor",
        (g) => {
          g.nodes[0].params.factor = v;
        },
        `${id}.factor`,
      );
    }
    assert.equal(store.history().undo.length, 2);
    store.undo();
    assert.equal(store.getState().graph.nodes[0].params.factor, 2);
    store.redo();
    assert.equal(store.getState().graph.nodes[0].params.factor, 2.4);
  });

  test("undo of an add drops the vanished node from the selection", () => {
    const store = new GraphStore(emptyGraph());
    const id = store.edit("add", (g) => addNode(g, scale, { x: 0, y: 0 }));
    store.select([id], []);
    store.undo();
    assert.deepEqual(store.getState().selectedNodes, []);
  });
});

describe("copy, paste and delete", () => {
  test("a copied pair pastes with fresh ids, its inner edge and shifted positions", () => {
    const g = emptyGraph();
    const a = addNode(g, scale, { x: 0, y: 0 });
    const b = addNode(g, scale, { x: 300, y: 0 });
    const c = addNode(g, scale, { x: 600, y: 0 });
    g.edges.push({ from: { node: a, port: "image" }, to: { node: b, port: "image" } });
    g.edges.push({ from: { node: b, port: "image" }, to: { node: c, port: "image" } });
    const frag = parseFragment(JSON.stringify(copyFragment(g, [a, b])));
    assert.ok(frag);
    assert.equal(frag.edges.length, 1, "only the edge inside the selection is copied");
    const ids = pasteFragment(g, frag);
    assert.deepEqual(ids, ["scale_4", "scale_5"]);
    assert.deepEqual(g.edges[2], {
      from: { node: "scale_4", port: "image" },
      to: { node: "scale_5", port: "image" },
    });
    assert.deepEqual(g.layout.scale_5, { x: 340, y: 40 });
    removeItems(g, [b], []);
    assert.equal(g.nodes.length, 4);
    assert.equal(g.edges.length, 1, "edges touching the deleted node go with it");
    assert.equal(g.layout[b], undefined);
    // A node added on top of another is moved down to a free spot.
    const d = addNode(g, scale, { x: 10, y: 10 });
    assert.deepEqual(g.layout[d], { x: 10, y: 190 });
    assert.equal(parseFragment("not json"), null);
    assert.equal(parseFragment('{"kind":"other"}'), null);
  });
});
