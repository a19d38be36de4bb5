/**
 * The editor's connection rule: which drag from an output handle to an input handle becomes
 * an edge, and why a refused one was refused (shown on screen). Types follow `canConnect`
 * from the SDK so the editor and the runner's validator agree.
 */

import { canConnect, PORT_TYPES } from "../../../../nodes/sdk/ports.ts";
import type { Graph, GraphEdge } from "../../../runner/src/graph/schema.ts";
import type { Catalogue } from "./catalogue.ts";

export interface ConnectionRequest {
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

export type ConnectionVerdict =
  | { ok: true; edge: GraphEdge; replaces?: GraphEdge }
  | { ok: false; reason: string };

/** True when `to` can already reach `from` along edges (so from -> to would close a loop). */
function reaches(graph: Graph, start: string, goal: string): boolean {
  const next = new Map<string, string[]>();
  for (const e of graph.edges) {
    const list = next.get(e.from.node) ?? [];
    list.push(e.to.node);
    next.set(e.from.node, list);
  }
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n === goal) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...(next.get(n) ?? []));
  }
  return false;
}

/**
 * Checks an output -> input connection. An input takes one edge, so connecting to an occupied
 * input replaces its edge (returned as `replaces`).
 */
export function checkConnection(
  graph: Graph,
  catalogue: Catalogue,
  c: ConnectionRequest,
): ConnectionVerdict {
  const from = graph.nodes.find((n) => n.id === c.source);
  const to = graph.nodes.find((n) => n.id === c.target);
  if (!from || !to) return { ok: false, reason: "Both ends must be nodes of this graph" };
  if (from.id === to.id) return { ok: false, reason: "A node cannot feed itself" };
  const fromEntry = catalogue.byType.get(from.type);
  const toEntry = catalogue.byType.get(to.type);
  if (!fromEntry) return { ok: false, reason: `Unknown node type ${from.type} (missing plugin?)` };
  if (!toEntry) return { ok: false, reason: `Unknown node type ${to.type} (missing plugin?)` };
  const out = fromEntry.outputs[c.sourceHandle];
  const inp = toEntry.inputs[c.targetHandle];
  if (!out) return { ok: false, reason: `${fromEntry.title} has no output "${c.sourceHandle}"` };
  if (!inp) return { ok: false, reason: `${toEntry.title} has no input "${c.targetHandle}"` };
  if (!canConnect(out.type, inp.type)) {
    return {
      ok: false,
      reason: `${PORT_TYPES[out.type].title} cannot feed ${PORT_TYPES[inp.type].title} input "${inp.title ?? c.targetHandle}" of ${toEntry.title}`,
    };
  }
  const edge: GraphEdge = {
    from: { node: from.id, port: c.sourceHandle },
    to: { node: to.id, port: c.targetHandle },
  };
  const existing = graph.edges.find((e) => e.to.node === to.id && e.to.port === c.targetHandle);
  if (existing && existing.from.node === from.id && existing.from.port === c.sourceHandle) {
    return { ok: false, reason: "These ports are already connected" };
  }
  if (reaches(graph, to.id, from.id)) {
    return {
      ok: false,
      reason: `That would make a loop: ${fromEntry.title} already depends on ${toEntry.title}`,
    };
  }
  return existing ? { ok: true, edge, replaces: existing } : { ok: true, edge };
}
