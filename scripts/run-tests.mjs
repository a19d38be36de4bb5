#!/usr/bin/env node
// Finds the test files and hands them to Node's own test runner (Node 20 has no glob support
// in `node --test`). `--only DIR` limits the search; `--e2e` runs only the browser suites.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "../..");
const args = process.argv.slice(2);
const e2eOnly = args.includes("--e2e");
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
const skipDirs = new Set(["node_modules", "dist", ".cache", ".git", "data", "out", "test-results"]);

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (skipDirs.has(name) || name.startsWith("_")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.ts")) out.push(relative(root, p));
  }
  return out;
}

const dirs = only ? [only] : e2eOnly ? ["test/e2e"] : ["nodes", "apps", "test"];
let files = dirs
  .flatMap((d) => (statSync(join(root, d)).isFile() ? [d] : walk(join(root, d))))
  .sort();
if (!e2eOnly && !only) files = files.filter((f) => !f.startsWith("test/fixtures/"));
if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}
let env = process.env;
if (files.some((f) => f.startsWith("test/e2e/"))) {
  const build = spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
  env = { ...env, EDGREC_EDITOR_BUILT: "1" };
}
const r = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-timeout=900000", ...files],
  { cwd: root, stdio: "inherit", env },
);
process.exit(r.status ?? 1);
