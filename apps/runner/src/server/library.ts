/**
 * The server's graph library: read-only built-in graphs (default `<project>/graphs`) plus a
 * user folder (default `<cache>/library`). Names are validated and resolved inside their
 * folder, saves are atomic, and a built-in graph is never overwritten.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { EdgrecError } from "../../../../nodes/sdk/errors.ts";
import { writeFileAtomic } from "../atomic.ts";
import { type Graph, parseGraph, serializeGraph } from "../graph/schema.ts";

/** Library names: letters, digits, space, `_ . -`, not starting with a dot or space. */
export const GRAPH_NAME = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$/;

export interface LibraryEntry {
  name: string;
  builtin: boolean;
  /** ISO time of the file's last modification. */
  modified: string;
}

function badName(name: string): EdgrecError {
  return new EdgrecError("usage", {
    code: "E_GRAPH_NAME",
    message: `graph name ${JSON.stringify(name)} is not allowed`,
    hint: "use 1-100 letters, digits, spaces, _ . or -, starting with a letter or digit",
  });
}

export class GraphLibrary {
  constructor(
    readonly builtinDir: string,
    readonly userDir: string,
  ) {}

  /** The file of `name` inside `dir`; refuses names that could leave the folder. */
  private fileIn(dir: string, name: string): string {
    if (typeof name !== "string" || !GRAPH_NAME.test(name) || name.includes("..")) {
      throw badName(String(name));
    }
    const file = resolve(dir, `${name}.json`);
    const rel = relative(resolve(dir), file);
    if (rel.startsWith("..") || rel.includes(sep)) throw badName(name);
    return file;
  }

  private async exists(file: string): Promise<boolean> {
    try {
      return (await stat(file)).isFile();
    } catch {
      return false;
    }
  }

  private async entries(dir: string, builtin: boolean): Promise<LibraryEntry[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    const out: LibraryEntry[] = [];
    for (const f of names) {
      if (!f.endsWith(".json")) continue;
      const name = f.slice(0, -5);
      if (!GRAPH_NAME.test(name)) continue;
      try {
        const s = await stat(join(dir, f));
        if (s.isFile()) out.push({ name, builtin, modified: s.mtime.toISOString() });
      } catch {
        // removed while listing
      }
    }
    return out;
  }

  /** Built-ins first, then user graphs, each sorted by name. */
  async list(): Promise<LibraryEntry[]> {
    const sort = (a: LibraryEntry, b: LibraryEntry) => a.name.localeCompare(b.name);
    const builtins = (await this.entries(this.builtinDir, true)).sort(sort);
    const taken = new Set(builtins.map((b) => b.name));
    const user = (await this.entries(this.userDir, false)).filter((u) => !taken.has(u.name));
    return [...builtins, ...user.sort(sort)];
  }

  /** Path and kind of a stored graph, or undefined. */
  async locate(name: string): Promise<{ file: string; builtin: boolean } | undefined> {
    const builtin = this.fileIn(this.builtinDir, name);
    if (await this.exists(builtin)) return { file: builtin, builtin: true };
    const user = this.fileIn(this.userDir, name);
    if (await this.exists(user)) return { file: user, builtin: false };
    return undefined;
  }

  async load(name: string): Promise<{ graph: Graph; builtin: boolean; file: string }> {
    const found = await this.locate(name);
    if (!found) {
      throw new EdgrecError("usage", {
        code: "E_GRAPH_NOT_FOUND",
        message: `no graph named "${name}" in the library`,
        hint: "list the saved graphs (list-graphs or GET /api/graphs) and use one of those names",
      });
    }
    const graph = parseGraph(await readFile(found.file, "utf8"), `graph "${name}"`);
    return { graph, ...found };
  }

  /** Saves atomically into the user folder; refuses built-in names. Returns the file written. */
  async save(name: string, input: unknown): Promise<string> {
    const builtin = this.fileIn(this.builtinDir, name);
    if (await this.exists(builtin)) {
      throw new EdgrecError("usage", {
        code: "E_GRAPH_BUILTIN",
        message: `"${name}" is a built-in graph and cannot be overwritten`,
        hint: "save your version under another name",
      });
    }
    const graph = parseGraph(input, `graph "${name}"`);
    const file = this.fileIn(this.userDir, name);
    await writeFileAtomic(file, serializeGraph(graph));
    return file;
  }
}
