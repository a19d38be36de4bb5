/** Shared by the reliability tests: the real `edgrec` binary as a child process, file hashes. */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { PROJECT_ROOT } from "../../apps/runner/src/runtime.ts";

export const BIN = join(PROJECT_ROOT, "bin/edgrec.js");
export const GRAPHS = join(PROJECT_ROOT, "graphs");
export const DEMO = join(PROJECT_ROOT, "data/demo/demo_disc");

export function tempDir(prefix = "edgrec-rel-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  ms: number;
}

/** Runs `edgrec ARGS` to completion (async, so several can run side by side). */
export function edgrec(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? tempDir(),
    env: { ...process.env, ...options.env },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    err += d;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  return new Promise((ok) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      ok({ code, signal, out, err, ms: performance.now() - t0 });
    });
  });
}

/** JSON lines printed by `--json`, skipping anything that is not JSON. */
export function jsonLines(out: string): Record<string, unknown>[] {
  return out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
}

/** Starts `edgrec ARGS` and keeps the handle (for killing it mid-run). */
export function startEdgrec(args: string[], cwd: string): ChildProcess & { lines: string[] } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd }) as ChildProcess & {
    lines: string[];
  };
  child.lines = [];
  let buf = "";
  child.stdout?.on("data", (d) => {
    buf += d;
    const parts = buf.split("\n");
    buf = parts.pop() ?? "";
    child.lines.push(...parts);
  });
  child.stderr?.on("data", () => {});
  return child;
}

/** sha256 of every file under `dir`, by relative path: "untouched" means equal maps. */
export function treeHash(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

/** --set arguments for a small, fast run of graphs/edgrec.json. */
export function tinySets(extra: Record<string, unknown> = {}): string[] {
  const sets: Record<string, unknown> = {
    "data.size": 32,
    "data.maxTrain": 8,
    "data.maxTest": 12,
    "train.preset": "tiny",
    "train.epochs": 1,
    ...extra,
  };
  return Object.entries(sets).flatMap(([k, v]) => ["--set", `${k}=${JSON.stringify(v)}`]);
}
