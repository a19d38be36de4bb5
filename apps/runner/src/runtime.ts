/** Assembles a runner: registry (built-ins + plugins), path roots and the engine. */
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pino, { type Logger } from "pino";
import { BUILTIN_NODES } from "../../../nodes/index.ts";
import { Engine } from "./engine/engine.ts";
import { PathPolicy } from "./paths.ts";
import { loadPlugins, NodeRegistry, type PluginProblem } from "./registry.ts";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export interface RuntimeOptions {
  pluginDirs?: string[];
  dataRoots?: string[];
  modelRoots?: string[];
  outRoots?: string[];
  cacheDir?: string;
  memoryBytes?: number;
  log?: Logger;
}

export interface Runtime {
  registry: NodeRegistry;
  engine: Engine;
  paths: PathPolicy;
  pluginProblems: PluginProblem[];
  log: Logger;
}

export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const log = options.log ?? pino({ level: process.env.EDGREC_LOG ?? "warn" }, pino.destination(2));
  const registry = new NodeRegistry();
  for (const { def, file } of BUILTIN_NODES) registry.register(def, `built-in ${file}`);
  const pluginProblems: PluginProblem[] = [];
  for (const dir of options.pluginDirs ?? []) {
    const problems = await loadPlugins(registry, dir);
    for (const p of problems) log.error({ file: p.file }, `plugin failed to load: ${p.message}`);
    pluginProblems.push(...problems);
  }
  const cacheDir = resolve(options.cacheDir ?? join(PROJECT_ROOT, ".cache"));
  mkdirSync(cacheDir, { recursive: true });
  const paths = new PathPolicy({
    data: options.dataRoots ?? [process.cwd()],
    model: options.modelRoots ?? [join(cacheDir, "models"), process.cwd()],
    out: options.outRoots ?? [process.cwd()],
  });
  const engine = new Engine({
    registry,
    paths,
    cacheDir,
    memoryBytes: options.memoryBytes,
    log,
  });
  return { registry, engine, paths, pluginProblems, log };
}
