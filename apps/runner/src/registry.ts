/**
 * The node registry: one explicit list of built-in nodes plus plugins loaded from folders.
 * A duplicate type id is refused with both sources named; a plugin that fails to load is
 * reported with its file and never takes the runner down.
 */
import { readdir, stat } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { EdgrecError } from "../../../nodes/sdk/errors.ts";
import type { NodeDefinition } from "../../../nodes/sdk/node.ts";
import { PORT_TYPES, type PortTypeId } from "../../../nodes/sdk/ports.ts";

export interface RegisteredNode {
  def: NodeDefinition;
  source: string;
}

export interface PluginProblem {
  file: string;
  message: string;
}

export class NodeRegistry {
  private readonly nodes = new Map<string, RegisteredNode>();

  register(def: NodeDefinition, source: string): void {
    checkDefinition(def, source);
    const existing = this.nodes.get(def.type);
    if (existing) {
      throw new EdgrecError("usage", {
        code: "E_DUPLICATE_NODE_TYPE",
        message: `node type "${def.type}" from ${source} is already registered by ${existing.source}`,
        hint: "give the plugin node a unique type id, e.g. prefixed with your organisation",
      });
    }
    this.nodes.set(def.type, { def, source });
  }

  get(type: string): RegisteredNode | undefined {
    return this.nodes.get(type);
  }

  types(): string[] {
    return [...this.nodes.keys()].sort();
  }

  all(): RegisteredNode[] {
    return this.types().map((t) => this.nodes.get(t)!);
  }
}

function checkDefinition(def: NodeDefinition, source: string): void {
  const problems: string[] = [];
  if (!def || typeof def !== "object") problems.push("is not an object");
  else {
    if (typeof def.type !== "string" || !/^[a-z0-9][a-z0-9._-]*$/i.test(def.type))
      problems.push("needs a string `type` id (letters, digits, . _ -)");
    if (!Number.isInteger(def.version)) problems.push("needs an integer `version`");
    if (def.kind !== "map" && def.kind !== "task") problems.push('`kind` must be "map" or "task"');
    if (!(def.params instanceof z.ZodType)) problems.push("`params` must be a zod schema");
    if (def.kind === "map" && typeof def.map !== "function") problems.push("map nodes need `map`");
    if (def.kind === "task" && typeof def.run !== "function")
      problems.push("task nodes need `run`");
    for (const [side, ports] of [
      ["input", def.inputs],
      ["output", def.outputs],
    ] as const) {
      for (const [name, spec] of Object.entries(ports ?? {})) {
        if (!(spec?.type in PORT_TYPES))
          problems.push(`${side} "${name}" has unknown port type ${JSON.stringify(spec?.type)}`);
      }
    }
  }
  if (problems.length > 0) {
    throw new EdgrecError("usage", {
      code: "E_BAD_NODE_DEFINITION",
      message: `node definition from ${source} ${problems.join("; ")}`,
      hint: "see docs/nodes.md for the node contract",
    });
  }
}

const PLUGIN_EXTENSIONS = new Set([".js", ".mjs", ".ts", ".mts"]);

/**
 * Loads every module in `dir` (not recursive). A module default-exports one node definition
 * or an array of them. Problems are returned, not thrown.
 */
export async function loadPlugins(registry: NodeRegistry, dir: string): Promise<PluginProblem[]> {
  const problems: PluginProblem[] = [];
  const root = resolve(dir);
  let entries: string[];
  try {
    if (!(await stat(root)).isDirectory()) throw new Error("not a folder");
    entries = (await readdir(root)).filter((f) => PLUGIN_EXTENSIONS.has(extname(f))).sort();
  } catch (err) {
    return [{ file: root, message: `cannot read plugin folder: ${(err as Error).message}` }];
  }
  for (const name of entries) {
    if (name.endsWith(".test.ts")) continue;
    const file = join(root, name);
    try {
      const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
      const defs = Array.isArray(mod.default) ? mod.default : [mod.default];
      if (defs.length === 0 || defs[0] === undefined) {
        throw new Error("the module has no default export (a node definition or an array)");
      }
      for (const def of defs) registry.register(def as NodeDefinition, `plugin ${file}`);
    } catch (err) {
      problems.push({ file, message: (err as Error).message });
    }
  }
  return problems;
}

/** JSON description of every node, derived from the zod schemas: what the editor renders. */
export interface CatalogueEntry {
  type: string;
  version: number;
  title: string;
  category: string;
  description: string;
  kind: "map" | "task";
  source: string;
  inputs: Record<
    string,
    { type: PortTypeId; title?: string; description?: string; optional?: boolean }
  >;
  outputs: Record<string, { type: PortTypeId; title?: string; description?: string }>;
  params: unknown;
  defaults: Record<string, unknown>;
  paths?: Record<string, string>;
}

export function buildCatalogue(registry: NodeRegistry): {
  nodes: CatalogueEntry[];
  portTypes: typeof PORT_TYPES;
} {
  const nodes = registry.all().map(({ def, source }) => {
    let params: unknown = {};
    try {
      params = z.toJSONSchema(def.params, { unrepresentable: "any", io: "input" });
    } catch {
      params = {};
    }
    const parsed = def.params.safeParse({});
    return {
      type: def.type,
      version: def.version,
      title: def.title,
      category: def.category,
      description: def.description,
      kind: def.kind,
      source: source.startsWith("plugin") ? "plugin" : "builtin",
      inputs: def.inputs,
      outputs: def.outputs,
      params,
      defaults: parsed.success ? (parsed.data as Record<string, unknown>) : {},
      ...(def.paths ? { paths: def.paths } : {}),
    };
  });
  return { nodes, portTypes: PORT_TYPES };
}
