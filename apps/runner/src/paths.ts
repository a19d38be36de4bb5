/**
 * Where a graph may read and write. Every path in a graph or a request is resolved inside
 * configured roots: relative paths against the first root of their kind, absolute paths only
 * when they fall inside a root, and symbolic links are followed before the check so a link
 * cannot point outside.
 */
import { existsSync, realpathSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { EdgrecError } from "../../../nodes/sdk/errors.ts";

export type RootKind = "data" | "model" | "out";

export interface PathRoots {
  data: string[];
  model: string[];
  out: string[];
}

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/** Resolves the deepest existing ancestor through realpath, keeping the rest as written. */
function realish(p: string): string {
  let head = p;
  const tail: string[] = [];
  while (!existsSync(head)) {
    const parent = resolve(head, "..");
    if (parent === head) return p;
    tail.unshift(head.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
    head = parent;
  }
  return resolve(realpathSync(head), ...tail);
}

export class PathPolicy {
  readonly roots: PathRoots;

  constructor(roots: PathRoots) {
    this.roots = {
      data: roots.data.map((r) => realish(resolve(r))),
      model: roots.model.map((r) => realish(resolve(r))),
      out: roots.out.map((r) => realish(resolve(r))),
    };
  }

  resolve(kind: RootKind, p: string, what = "path"): string {
    const roots = kind === "data" ? [...this.roots.data, ...this.roots.model] : this.roots[kind];
    if (roots.length === 0) {
      throw new EdgrecError("usage", {
        code: "E_NO_ROOT",
        message: `${what} "${p}": no ${kind} folder is configured`,
        hint: `start the runner with a ${kind} root (--${kind === "data" ? "data" : kind})`,
      });
    }
    if (typeof p !== "string" || p.length === 0 || p.includes("\0")) {
      throw new EdgrecError("data", {
        code: "E_PATH_INVALID",
        message: `${what} must be a non-empty path, got ${JSON.stringify(p)}`,
        hint: "give a folder or file path",
      });
    }
    const candidate = isAbsolute(p) ? resolve(p) : resolve(roots[0], p);
    const real = realish(candidate);
    if (!roots.some((r) => inside(r, real))) {
      throw new EdgrecError("data", {
        code: "E_PATH_OUTSIDE_ROOT",
        message: `${what} "${p}" resolves to ${real}, outside the allowed ${kind} folders (${roots.join(", ")})`,
        hint: `use a path inside one of those folders, or add a root with --${kind === "data" ? "data" : kind}`,
        path: p,
      });
    }
    return real;
  }
}
