/**
 * The one explicit registry of built-in nodes. Adding a node = adding its file under nodes/
 * and one line here; the catalogue, validation and the editor pick it up from there.
 */
import type { NodeDefinition } from "./sdk/node.ts";

export const BUILTIN_NODES: { def: NodeDefinition; file: string }[] = [];
