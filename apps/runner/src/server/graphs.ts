/** Graph checks shared by the WebSocket handlers and the HTTP API. */
import { EdgrecError } from "../../../../nodes/sdk/errors.ts";
import { type Graph, parseGraph } from "../graph/schema.ts";
import { graphInvalidError, type ValidationResult, validateGraph } from "../graph/validate.ts";
import type { ServerContext } from "./context.ts";

/** Parses (migrating older formats) and validates; format errors throw, issues are returned. */
export function checkGraph(
  ctx: ServerContext,
  input: unknown,
): { graph: Graph; result: ValidationResult } {
  const graph = parseGraph(input, "graph");
  const result = validateGraph(graph, ctx.runtime.registry, { paths: ctx.runtime.paths });
  return { graph, result };
}

/** A graph that may run: valid, with every target naming a node. Throws a structured error. */
export function runnableGraph(ctx: ServerContext, input: unknown, targets?: string[]): Graph {
  const { graph, result } = checkGraph(ctx, input);
  if (!result.ok) throw graphInvalidError(result, `graph "${graph.name}"`);
  const ids = new Set(graph.nodes.map((n) => n.id));
  for (const t of targets ?? []) {
    if (!ids.has(t)) {
      throw new EdgrecError("usage", {
        code: "E_UNKNOWN_TARGET",
        message: `cannot run up to node "${t}": no such node in the graph`,
        hint: `choose one of: ${[...ids].join(", ")}`,
        nodeId: t,
      });
    }
  }
  return graph;
}
