/**
 * The node catalogue as the editor sees it: the runner's JSON description of every node
 * (built-in and plugin). Parsed with zod so a malformed catalogue fails loudly at start-up
 * instead of as blank node cards later.
 */
import { z } from "zod";
import { PORT_TYPES, type PortTypeId } from "../../../../nodes/sdk/ports.ts";

const zPortType = z.custom<PortTypeId>(
  (v) => typeof v === "string" && Object.hasOwn(PORT_TYPES, v),
  "a port type id known to nodes/sdk/ports.ts",
);

const zPort = z.object({
  type: zPortType,
  title: z.string().optional(),
  description: z.string().optional(),
  optional: z.boolean().optional(),
});

export const zCatalogueEntry = z.object({
  type: z.string(),
  version: z.number(),
  title: z.string(),
  category: z.string(),
  description: z.string(),
  kind: z.enum(["map", "task"]),
  source: z.string(),
  inputs: z.record(z.string(), zPort),
  outputs: z.record(z.string(), zPort),
  params: z.unknown(),
  defaults: z.record(z.string(), z.unknown()),
  paths: z.record(z.string(), z.string()).optional(),
});

export const zCatalogue = z.object({ nodes: z.array(zCatalogueEntry) });

export type CatalogueEntry = z.infer<typeof zCatalogueEntry>;
export type PortSpec = z.infer<typeof zPort>;

/** Catalogue indexed by node type, plus palette groups. */
export interface Catalogue {
  entries: CatalogueEntry[];
  byType: Map<string, CatalogueEntry>;
}

/** Parses the runner's catalogue JSON; throws naming the first bad field. */
export function parseCatalogue(raw: unknown): Catalogue {
  const parsed = zCatalogue.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(
      `catalogue from the runner is malformed at ${i?.path.join(".") || "(root)"}: ${i?.message}; ` +
        "check the runner and editor come from the same version",
    );
  }
  const entries = parsed.data.nodes;
  return { entries, byType: new Map(entries.map((e) => [e.type, e])) };
}

/**
 * Palette groups: entries whose title, type, category or description contains every word of
 * `query` (case-insensitive), grouped by category; categories and entries sorted by title.
 */
export function paletteGroups(
  entries: CatalogueEntry[],
  query: string,
): { category: string; entries: CatalogueEntry[] }[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const groups = new Map<string, CatalogueEntry[]>();
  for (const e of entries) {
    const hay = `${e.title} ${e.type} ${e.category} ${e.description}`.toLowerCase();
    if (!words.every((w) => hay.includes(w))) continue;
    const list = groups.get(e.category) ?? [];
    list.push(e);
    groups.set(e.category, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([category, list]) => ({
      category,
      entries: list.sort((a, b) => a.title.localeCompare(b.title)),
    }));
}
