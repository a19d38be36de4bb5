/**
 * Graph edits used by the store: all take an immer draft (or plain graph) and mutate it, so
 * each edit becomes one undoable step with patches. Pure, no React.
 */
import type { Graph, GraphEdge } from "../../../runner/src/graph/schema.ts";
import type { CatalogueEntry } from "./catalogue.ts";

export const CLIPBOARD_KIND = "edgrec-fragment";

/** Nodes, the edges among them and their positions: what copy puts on the clipboard. */
export interface Fragment {
  kind: typeof CLIPBOARD_KIND;
  nodes: Graph["nodes"];
  edges: GraphEdge[];
  layout: Graph["layout"];
}

/** Stable id of an edge, as React Flow needs one: "from.port->to.port". */
export function edgeId(e: GraphEdge): string {
  return `${e.from.node}.${e.from.port}->${e.to.node}.${e.to.port}`;
}

export function emptyGraph(name = "untitled"): Graph {
  return { format: "edgrec-graph", version: 2, name, seed: 0, nodes: [], edges: [], layout: {} };
}

/**
 * A graph-valid id derived from `base` (a node type's last segment) that is not in `taken`:
 * "edgrec.grayscale" -> "grayscale", then "grayscale_2", "grayscale_3"...
 */
export function uniqueId(base: string, taken: Set<string>): string {
  let stem = (base.split(".").pop() ?? "node").replace(/[^A-Za-z0-9_-]/g, "_");
  if (!/^[A-Za-z_]/.test(stem)) stem = `n_${stem}`;
  stem = stem.slice(0, 56);
  if (!taken.has(stem)) return stem;
  // A copy of "scale_2" becomes "scale_3", not "scale_2_2".
  stem = stem.replace(/_\d+$/, "") || stem;
  for (let i = 2; ; i++) {
    const id = `${stem}_${i}`;
    if (!taken.has(id)) return id;
  }
}

/** Card footprint used to keep new nodes from landing on top of others. */
const CARD = { w: 250, h: 140 };

/** `pos`, moved down in steps until no laid-out node's card overlaps it. */
export function freeSpot(layout: Graph["layout"], pos: { x: number; y: number }) {
  const p = { x: Math.round(pos.x), y: Math.round(pos.y) };
  const others = Object.values(layout);
  for (let i = 0; i < 50; i++) {
    const hit = others.some((o) => Math.abs(o.x - p.x) < CARD.w && Math.abs(o.y - p.y) < CARD.h);
    if (!hit) break;
    p.y += 60;
  }
  return p;
}

/**
 * Adds a node of `entry`'s type with its default params at `pos` (or the nearest free spot
 * below it); returns the new id.
 */
export function addNode(g: Graph, entry: CatalogueEntry, pos: { x: number; y: number }): string {
  const id = uniqueId(entry.type, new Set(g.nodes.map((n) => n.id)));
  g.nodes.push({ id, type: entry.type, params: structuredClone(entry.defaults) });
  g.layout[id] = freeSpot(g.layout, pos);
  return id;
}

/** Removes nodes (with their edges and positions) and edges by id. */
export function removeItems(g: Graph, nodeIds: string[], edgeIds: string[]): void {
  const nodes = new Set(nodeIds);
  const edges = new Set(edgeIds);
  g.nodes = g.nodes.filter((n) => !nodes.has(n.id));
  g.edges = g.edges.filter(
    (e) => !nodes.has(e.from.node) && !nodes.has(e.to.node) && !edges.has(edgeId(e)),
  );
  for (const id of nodes) delete g.layout[id];
}

/** Copies the given nodes and the edges running between them. */
export function copyFragment(g: Graph, nodeIds: string[]): Fragment {
  const ids = new Set(nodeIds);
  const layout: Graph["layout"] = {};
  for (const id of ids) if (g.layout[id]) layout[id] = { ...g.layout[id] };
  return {
    kind: CLIPBOARD_KIND,
    nodes: structuredClone(g.nodes.filter((n) => ids.has(n.id))),
    edges: structuredClone(g.edges.filter((e) => ids.has(e.from.node) && ids.has(e.to.node))),
    layout,
  };
}

/** Reads clipboard text as a fragment; null when it is something else. */
export function parseFragment(text: string | null): Fragment | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Partial<Fragment>;
    if (v?.kind !== CLIPBOARD_KIND || !Array.isArray(v.nodes) || !Array.isArray(v.edges)) {
      return null;
    }
    return { kind: CLIPBOARD_KIND, nodes: v.nodes, edges: v.edges, layout: v.layout ?? {} };
  } catch {
    return null;
  }
}

/**
 * Pastes a fragment, renaming ids that clash and shifting positions by `offset`; returns the
 * new node ids (to select them).
 */
export function pasteFragment(
  g: Graph,
  f: Fragment,
  offset: { x: number; y: number } = { x: 40, y: 40 },
): string[] {
  const taken = new Set(g.nodes.map((n) => n.id));
  const rename = new Map<string, string>();
  for (const n of f.nodes) {
    const id = taken.has(n.id) ? uniqueId(n.id, taken) : n.id;
    taken.add(id);
    rename.set(n.id, id);
  }
  f.nodes.forEach((n, i) => {
    const id = rename.get(n.id)!;
    g.nodes.push({ ...structuredClone(n), id });
    const p = f.layout[n.id] ?? { x: 40 * i, y: 40 * i };
    g.layout[id] = { x: p.x + offset.x, y: p.y + offset.y };
  });
  for (const e of f.edges) {
    const from = rename.get(e.from.node);
    const to = rename.get(e.to.node);
    if (!from || !to) continue;
    g.edges.push({ from: { node: from, port: e.from.port }, to: { node: to, port: e.to.port } });
  }
  return [...rename.values()];
}

/**
 * Positions for nodes that have none (hand-written graphs): columns by longest path from a
 * source, rows in graph order. Nodes that already have a position keep it.
 */
export function autoLayout(g: Graph): Graph["layout"] {
  const depth = new Map<string, number>(g.nodes.map((n) => [n.id, 0]));
  // Longest-path layering; bounded passes so a (refused but possible) cycle cannot hang.
  for (let pass = 0; pass < g.nodes.length; pass++) {
    let changed = false;
    for (const e of g.edges) {
      const d = (depth.get(e.from.node) ?? 0) + 1;
      if (depth.has(e.to.node) && d > (depth.get(e.to.node) ?? 0)) {
        depth.set(e.to.node, d);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const rows = new Map<number, number>();
  const out: Graph["layout"] = {};
  for (const n of g.nodes) {
    const col = depth.get(n.id) ?? 0;
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    out[n.id] = g.layout[n.id] ?? { x: col * 290, y: row * 220 };
  }
  return out;
}
