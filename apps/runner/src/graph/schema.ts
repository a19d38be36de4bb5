/**
 * Graph files: JSON with a format version, nodes, edges and a separate layout section (so a
 * moved node does not show up as a semantic change). Loading goes through zod and through
 * explicit migrations from every older version; saving writes stable key order.
 */
import { z } from "zod";
import { EdgrecError } from "../../../../nodes/sdk/errors.ts";

export const GRAPH_FORMAT = "edgrec-graph";
export const GRAPH_VERSION = 2;
/** Refuse absurd graphs before doing any per-node work. */
export const MAX_GRAPH_NODES = 2000;
export const MAX_GRAPH_EDGES = 10000;
/** Graph text longer than this is refused before JSON.parse (the largest real graph is ~1 MB). */
export const MAX_GRAPH_CHARS = 16 * 2 ** 20;

const idSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(
    /^[A-Za-z_][A-Za-z0-9_-]*$/,
    "ids start with a letter or _ and use letters, digits, _ or -",
  );

export const endpointSchema = z.object({ node: idSchema, port: z.string().min(1).max(64) });

export const graphNodeSchema = z.object({
  id: idSchema,
  type: z.string().min(1).max(128),
  title: z.string().max(200).optional(),
  params: z.record(z.string(), z.unknown()).default({}),
});

export const graphEdgeSchema = z.object({ from: endpointSchema, to: endpointSchema });

export const graphSchema = z.object({
  format: z.literal(GRAPH_FORMAT),
  version: z.literal(GRAPH_VERSION),
  name: z.string().max(200).default("untitled"),
  description: z.string().max(10000).optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(0),
  nodes: z.array(graphNodeSchema).max(MAX_GRAPH_NODES),
  edges: z.array(graphEdgeSchema).max(MAX_GRAPH_EDGES),
  layout: z.record(z.string(), z.object({ x: z.number(), y: z.number() })).default({}),
});

export type Graph = z.infer<typeof graphSchema>;
export type GraphNode = z.infer<typeof graphNodeSchema>;
export type GraphEdge = z.infer<typeof graphEdgeSchema>;

/**
 * Version 1 (the first draft format) kept positions inside each node and wrote edges as
 * strings "from.port -> to.port". Each migration takes exactly one version to the next.
 */
const MIGRATIONS: Record<number, (g: Record<string, unknown>) => Record<string, unknown>> = {
  1: (g) => {
    const nodes = Array.isArray(g.nodes) ? (g.nodes as Record<string, unknown>[]) : [];
    const layout: Record<string, { x: number; y: number }> = {};
    const migratedNodes = nodes.map((n) => {
      const { position, ...rest } = n as { position?: { x: number; y: number } };
      if (position && typeof n.id === "string") layout[n.id] = position;
      return rest;
    });
    const edges = (Array.isArray(g.edges) ? g.edges : []).map((e) => {
      if (typeof e !== "string") return e;
      const m = /^\s*([^.\s]+)\.(\S+)\s*->\s*([^.\s]+)\.(\S+)\s*$/.exec(e);
      if (!m) {
        throw graphFormatError(`edge "${e}" is not of the form "node.port -> node.port"`);
      }
      return { from: { node: m[1], port: m[2] }, to: { node: m[3], port: m[4] } };
    });
    return { ...g, version: 2, nodes: migratedNodes, edges, layout };
  },
};

function graphFormatError(message: string, details?: unknown): EdgrecError {
  return new EdgrecError("graph", {
    code: "E_GRAPH_FORMAT",
    message: `graph file: ${message}`,
    hint: "fix the graph file by hand or re-save it from the editor",
    details,
  });
}

/** Parses graph JSON text (or an already parsed object), migrating older versions. */
export function parseGraph(input: string | unknown, source = "graph"): Graph {
  let raw: unknown = input;
  if (typeof input === "string") {
    if (input.length > MAX_GRAPH_CHARS) {
      throw new EdgrecError("graph", {
        code: "E_GRAPH_TOO_LARGE",
        message: `${source} is ${input.length} characters long; at most ${MAX_GRAPH_CHARS} are allowed`,
        hint: "check this is a graph file saved by EdgRec Studio",
      });
    }
    try {
      raw = JSON.parse(input);
    } catch (err) {
      throw new EdgrecError("graph", {
        code: "E_GRAPH_NOT_JSON",
        message: `${source} is not valid JSON: ${(err as Error).message}`,
        hint: "check the file is a graph saved by EdgRec Studio (JSON)",
      });
    }
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw graphFormatError(`${source} must be a JSON object with format "${GRAPH_FORMAT}"`);
  }
  let g = raw as Record<string, unknown>;
  if (g.format !== GRAPH_FORMAT) {
    throw graphFormatError(
      `${source} has format ${JSON.stringify(g.format)}, expected "${GRAPH_FORMAT}"`,
    );
  }
  if (typeof g.version !== "number" || !Number.isInteger(g.version)) {
    throw graphFormatError(`${source} has no integer "version"`);
  }
  // Count before zod walks every element: an absurd graph is refused in O(1), not O(n).
  for (const [key, max] of [
    ["nodes", MAX_GRAPH_NODES],
    ["edges", MAX_GRAPH_EDGES],
  ] as const) {
    const list = g[key];
    if (Array.isArray(list) && list.length > max) {
      throw new EdgrecError("graph", {
        code: "E_GRAPH_TOO_LARGE",
        message: `${source} has ${list.length} ${key}; at most ${max} are allowed`,
        hint: "split the pipeline into several graphs, or check the file was not generated wrongly",
      });
    }
  }
  let version: number = g.version;
  if (version > GRAPH_VERSION) {
    throw new EdgrecError("graph", {
      code: "E_GRAPH_VERSION",
      message: `${source} is format version ${version}; this runner reads up to ${GRAPH_VERSION}`,
      hint: "upgrade EdgRec Studio to open graphs saved by a newer version",
    });
  }
  while (version < GRAPH_VERSION) {
    const migrate = MIGRATIONS[version];
    if (!migrate) throw graphFormatError(`no migration from version ${version}`);
    g = migrate(g);
    version = g.version as number;
  }
  const parsed = graphSchema.safeParse(g);
  if (!parsed.success) {
    const first = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    throw graphFormatError(
      `${source} does not match the graph schema: ${first}`,
      parsed.error.issues,
    );
  }
  return parsed.data;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort())
      out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** Canonical JSON: fixed top-level order, sorted keys inside params and layout, 2-space indent. */
export function serializeGraph(g: Graph): string {
  const ordered = {
    format: GRAPH_FORMAT,
    version: GRAPH_VERSION,
    name: g.name,
    ...(g.description !== undefined ? { description: g.description } : {}),
    seed: g.seed,
    nodes: g.nodes.map((n) => ({
      id: n.id,
      type: n.type,
      ...(n.title !== undefined ? { title: n.title } : {}),
      params: sortKeys(n.params),
    })),
    edges: g.edges.map((e) => ({
      from: { node: e.from.node, port: e.from.port },
      to: { node: e.to.node, port: e.to.port },
    })),
    layout: sortKeys(g.layout),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** Stable JSON of any value (sorted keys), used for content keys. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}
