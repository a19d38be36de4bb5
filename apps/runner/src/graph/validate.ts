/**
 * Graph validation: reports every problem at once, each with a stable code, the node and
 * port or parameter concerned, the bad value, what was expected and what to do.
 */
import { existsSync } from "node:fs";
import { EdgrecError } from "../../../../nodes/sdk/errors.ts";
import { canConnect, PORT_TYPES } from "../../../../nodes/sdk/ports.ts";
import type { PathPolicy } from "../paths.ts";
import type { NodeRegistry } from "../registry.ts";
import type { Graph } from "./schema.ts";

export type ValidationCode =
  | "E_DUPLICATE_NODE_ID"
  | "E_UNKNOWN_NODE_TYPE"
  | "E_UNKNOWN_NODE"
  | "E_UNKNOWN_PORT"
  | "E_DUPLICATE_INPUT"
  | "E_MISSING_INPUT"
  | "E_PORT_TYPE_MISMATCH"
  | "E_CYCLE"
  | "E_PARAM_INVALID"
  | "E_PATH_NOT_FOUND"
  | "E_PATH_OUTSIDE_ROOT";

export interface ValidationIssue {
  code: ValidationCode;
  message: string;
  nodeId?: string;
  port?: string;
  param?: string;
  value?: unknown;
  expected?: string;
  hint: string;
}

export interface ValidationResult {
  ok: boolean;
  issues: ValidationIssue[];
  /** Node ids in an order where every node comes after its inputs (absent on cycles). */
  order?: string[];
  /** Parameters after defaults were applied, per node id (only for valid nodes). */
  params: Record<string, Record<string, unknown>>;
}

export interface ValidateOptions {
  /** When given, path parameters are resolved and checked for existence. */
  paths?: PathPolicy;
}

export function validateGraph(
  graph: Graph,
  registry: NodeRegistry,
  options: ValidateOptions = {},
): ValidationResult {
  const issues: ValidationIssue[] = [];
  const params: Record<string, Record<string, unknown>> = {};
  const ids = new Set<string>();

  for (const node of graph.nodes) {
    if (ids.has(node.id)) {
      issues.push({
        code: "E_DUPLICATE_NODE_ID",
        message: `node id "${node.id}" is used more than once`,
        nodeId: node.id,
        value: node.id,
        expected: "unique node ids",
        hint: "rename one of the nodes",
      });
    }
    ids.add(node.id);
    const reg = registry.get(node.type);
    if (!reg) {
      issues.push({
        code: "E_UNKNOWN_NODE_TYPE",
        message: `node "${node.id}" has unknown type "${node.type}"`,
        nodeId: node.id,
        value: node.type,
        expected: "a type listed by `edgrec nodes`",
        hint: "install the plugin that provides it (--plugins DIR) or replace the node",
      });
      continue;
    }
    const parsed = reg.def.params.safeParse(node.params);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const param = issue.path.join(".");
        const value = issue.path.reduce<unknown>(
          (v, k) =>
            v && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined,
          node.params,
        );
        issues.push({
          code: "E_PARAM_INVALID",
          message: `node "${node.id}" parameter "${param}": ${issue.message} (got ${JSON.stringify(value)})`,
          nodeId: node.id,
          param,
          value,
          expected: issue.message,
          hint: "change the value in the parameter panel or with --set NODE.PARAM=VALUE",
        });
      }
    } else {
      params[node.id] = parsed.data as Record<string, unknown>;
      if (options.paths && reg.def.paths) {
        for (const [param, kind] of Object.entries(reg.def.paths)) {
          const value = params[node.id][param];
          // "@name" values are reserved names a node resolves itself (e.g. "@demo").
          if (typeof value !== "string" || value === "" || value.startsWith("@")) continue;
          try {
            const resolved = options.paths.resolve(kind, value, `node "${node.id}" ${param}`);
            if (kind !== "out" && !existsSync(resolved)) {
              issues.push({
                code: "E_PATH_NOT_FOUND",
                message: `node "${node.id}" parameter "${param}": ${resolved} does not exist`,
                nodeId: node.id,
                param,
                value,
                expected: "an existing file or folder",
                hint: "check the path, or pass the dataset folder with --data",
              });
            }
          } catch (err) {
            issues.push({
              code: "E_PATH_OUTSIDE_ROOT",
              message: (err as Error).message,
              nodeId: node.id,
              param,
              value,
              expected: "a path inside the configured roots",
              hint: (err as EdgrecError).hint ?? "use a path inside the data folders",
            });
          }
        }
      }
    }
  }

  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const incoming = new Map<string, Set<string>>();
  const bound = new Set<string>();
  for (const edge of graph.edges) {
    const from = byId.get(edge.from.node);
    const to = byId.get(edge.to.node);
    let ok = true;
    for (const [end, node] of [
      [edge.from, from],
      [edge.to, to],
    ] as const) {
      if (!node) {
        ok = false;
        issues.push({
          code: "E_UNKNOWN_NODE",
          message: `an edge refers to node "${end.node}", which is not in the graph`,
          nodeId: end.node,
          port: end.port,
          value: end.node,
          expected: "an existing node id",
          hint: "delete the edge or add the node",
        });
      }
    }
    if (!ok || !from || !to) continue;
    const fromDef = registry.get(from.type)?.def;
    const toDef = registry.get(to.type)?.def;
    if (!fromDef || !toDef) continue;
    const outSpec = fromDef.outputs[edge.from.port];
    const inSpec = toDef.inputs[edge.to.port];
    if (!outSpec) {
      issues.push(unknownPort(from.id, edge.from.port, "output", Object.keys(fromDef.outputs)));
    }
    if (!inSpec) {
      issues.push(unknownPort(to.id, edge.to.port, "input", Object.keys(toDef.inputs)));
    }
    if (!outSpec || !inSpec) continue;
    const key = `${to.id}.${edge.to.port}`;
    if (bound.has(key)) {
      issues.push({
        code: "E_DUPLICATE_INPUT",
        message: `input "${edge.to.port}" of node "${to.id}" has more than one incoming edge`,
        nodeId: to.id,
        port: edge.to.port,
        expected: "at most one edge per input",
        hint: "delete all but one of the edges into this input",
      });
    }
    bound.add(key);
    if (!canConnect(outSpec.type, inSpec.type)) {
      issues.push({
        code: "E_PORT_TYPE_MISMATCH",
        message:
          `"${from.id}.${edge.from.port}" gives ${PORT_TYPES[outSpec.type].title} but ` +
          `"${to.id}.${edge.to.port}" expects ${PORT_TYPES[inSpec.type].title}`,
        nodeId: to.id,
        port: edge.to.port,
        value: outSpec.type,
        expected: inSpec.type,
        hint: "connect an output of the expected type, or insert a converting node",
      });
    }
    if (!incoming.has(to.id)) incoming.set(to.id, new Set());
    incoming.get(to.id)!.add(from.id);
  }

  for (const node of graph.nodes) {
    const def = registry.get(node.type)?.def;
    if (!def) continue;
    for (const [port, spec] of Object.entries(def.inputs)) {
      if (!spec.optional && !bound.has(`${node.id}.${port}`)) {
        issues.push({
          code: "E_MISSING_INPUT",
          message: `required input "${port}" (${PORT_TYPES[spec.type].title}) of node "${node.id}" is not connected`,
          nodeId: node.id,
          port,
          expected: spec.type,
          hint: `connect an output of type ${spec.type} to it`,
        });
      }
    }
  }

  const order = topologicalOrder(
    graph.nodes.map((n) => n.id),
    incoming,
  );
  if (!order.ok) {
    issues.push({
      code: "E_CYCLE",
      message: `the graph has a cycle through ${order.cycle.map((c) => `"${c}"`).join(" -> ")}`,
      nodeId: order.cycle[0],
      value: order.cycle,
      expected: "a graph without cycles",
      hint: "remove one of the edges of the cycle",
    });
  }
  return { ok: issues.length === 0, issues, order: order.ok ? order.order : undefined, params };
}

function unknownPort(nodeId: string, port: string, side: string, known: string[]): ValidationIssue {
  return {
    code: "E_UNKNOWN_PORT",
    message: `node "${nodeId}" has no ${side} "${port}" (it has: ${known.join(", ") || "none"})`,
    nodeId,
    port,
    value: port,
    expected: known.join(" | "),
    hint: "reconnect the edge to an existing port",
  };
}

/** Kahn's algorithm; on failure returns one cycle found by walking the remaining nodes. */
export function topologicalOrder(
  ids: string[],
  incoming: Map<string, Set<string>>,
): { ok: true; order: string[] } | { ok: false; cycle: string[] } {
  const indeg = new Map(ids.map((id) => [id, incoming.get(id)?.size ?? 0]));
  const outgoing = new Map<string, string[]>();
  for (const [to, froms] of incoming) {
    for (const f of froms) {
      if (!outgoing.has(f)) outgoing.set(f, []);
      outgoing.get(f)!.push(to);
    }
  }
  const queue = ids.filter((id) => indeg.get(id) === 0);
  const order: string[] = [];
  while (queue.length > 0) {
    const id = queue.shift()!;
    order.push(id);
    for (const next of outgoing.get(id) ?? []) {
      const d = indeg.get(next)! - 1;
      indeg.set(next, d);
      if (d === 0) queue.push(next);
    }
  }
  if (order.length === ids.length) return { ok: true, order };
  const remaining = new Set(ids.filter((id) => !order.includes(id)));
  let cur = [...remaining][0];
  const seen: string[] = [];
  while (!seen.includes(cur)) {
    seen.push(cur);
    cur = [...(incoming.get(cur) ?? [])].find((f) => remaining.has(f)) ?? cur;
  }
  return { ok: false, cycle: [...seen.slice(seen.indexOf(cur)).reverse(), cur] };
}

export function graphInvalidError(result: ValidationResult, source = "graph"): EdgrecError {
  return new EdgrecError("graph", {
    code: "E_GRAPH_INVALID",
    message:
      `${source} has ${result.issues.length} problem(s):\n` +
      result.issues.map((i) => `  [${i.code}] ${i.message}`).join("\n"),
    hint: "fix the problems listed (each names its node and port or parameter)",
    details: result.issues,
  });
}
