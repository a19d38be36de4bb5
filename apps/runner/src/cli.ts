/**
 * The `edgrec` command line: run, validate, nodes, serve. Human progress on a terminal,
 * JSON lines with --json. Exit codes: 0 success, 2 usage, 3 invalid graph, 4 bad data,
 * 5 runtime failure, 130 cancelled.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { EdgrecError, type ErrorCategory, toErrorInfo } from "../../../nodes/sdk/errors.ts";
import type { RunEvent } from "./engine/events.ts";
import { type Graph, parseGraph } from "./graph/schema.ts";
import { graphInvalidError, validateGraph } from "./graph/validate.ts";
import { buildCatalogue } from "./registry.ts";
import { createRuntime, PROJECT_ROOT } from "./runtime.ts";

export const EXIT = { ok: 0, usage: 2, graph: 3, data: 4, runtime: 5, cancelled: 130 } as const;

const USAGE = `usage:
  edgrec run GRAPH [--data DIR] [--set NODE.PARAM=VALUE ...] [--out DIR] [--backend NAME]
                   [--seed N] [--target NODE ...] [--plugins DIR ...] [--json]
  edgrec validate GRAPH [--data DIR] [--plugins DIR ...] [--json]
  edgrec nodes [--plugins DIR ...] [--json]
  edgrec serve [--host H] [--port P] [--token T] [--data DIR] [--demo] [--concurrency N]
               [--plugins DIR ...]

backends: auto (default: fastest that loads), wasm, cpu, tensorflow, tensorflow-gpu`;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stderr.isTTY),
};

function usage(message: string): EdgrecError {
  return new EdgrecError("usage", { code: "E_USAGE", message, hint: USAGE });
}

function categoryExit(c: ErrorCategory): number {
  return EXIT[c === "usage" ? "usage" : c];
}

/** Reads `edgrec.config.json` in the working folder when present (plugins, roots). */
function readConfig(): { plugins?: string[]; data?: string[] } {
  const file = resolve("edgrec.config.json");
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw usage(`edgrec.config.json is not valid JSON: ${(err as Error).message}`);
  }
}

/** Parses "node.param.sub=value"; the value is JSON when it parses, else a string. */
export function parseSet(spec: string): { node: string; path: string[]; value: unknown } {
  const eq = spec.indexOf("=");
  const lhs = eq > 0 ? spec.slice(0, eq) : "";
  const parts = lhs.split(".");
  if (eq <= 0 || parts.length < 2 || parts.some((p) => p === "")) {
    throw usage(`--set "${spec}" is not of the form NODE.PARAM=VALUE`);
  }
  const raw = spec.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // a bare word stays a string
  }
  return { node: parts[0], path: parts.slice(1), value };
}

export function applySets(graph: Graph, sets: string[]): void {
  for (const spec of sets) {
    const { node, path, value } = parseSet(spec);
    const n = graph.nodes.find((x) => x.id === node);
    if (!n) {
      throw usage(
        `--set ${spec}: no node "${node}" (nodes: ${graph.nodes.map((x) => x.id).join(", ")})`,
      );
    }
    let target = n.params as Record<string, unknown>;
    for (const key of path.slice(0, -1)) {
      if (typeof target[key] !== "object" || target[key] === null) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    target[path[path.length - 1]] = value;
  }
}

function loadGraphFile(file: string): Graph {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new EdgrecError("usage", {
      code: "E_GRAPH_FILE",
      message: `cannot read graph file ${file}: ${(err as Error).message}`,
      hint: "check the path; saved graphs live in graphs/",
    });
  }
  return parseGraph(text, file);
}

/**
 * Creates the out folder and proves it is writable before any node runs, so a long training
 * run cannot end by failing to save its model. Exit code 4 (bad data) with the folder named.
 */
export async function preflightOutDir(outDir: string): Promise<void> {
  const probe = resolve(outDir, `.edgrec-write-test-${process.pid}`);
  try {
    await mkdir(outDir, { recursive: true });
    await writeFile(probe, "ok");
    await rm(probe, { force: true });
  } catch (err) {
    throw new EdgrecError("data", {
      code: "E_OUT_UNWRITABLE",
      message: `output folder ${outDir} is not writable: ${(err as Error).message}`,
      hint: "choose another folder with --out, or fix its permissions; nothing was run",
      path: outDir,
    });
  }
}

/** Points every dataset source of the graph at `dir` (the --data option). */
export function applyData(graph: Graph, dir: string, sourceTypes: Set<string>): void {
  for (const n of graph.nodes) if (sourceTypes.has(n.type)) n.params.path = dir;
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === "help" || command === "--help" || command === "-h") {
      io.out(`${USAGE}\n`);
      return command ? EXIT.ok : EXIT.usage;
    }
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        data: { type: "string" },
        set: { type: "string", multiple: true },
        out: { type: "string" },
        backend: { type: "string" },
        seed: { type: "string" },
        target: { type: "string", multiple: true },
        plugins: { type: "string", multiple: true },
        json: { type: "boolean" },
        host: { type: "string" },
        port: { type: "string" },
        token: { type: "string" },
        demo: { type: "boolean" },
        cache: { type: "string" },
        concurrency: { type: "string" },
      },
    });
    const config = readConfig();
    const pluginDirs = [...(config.plugins ?? []), ...(values.plugins ?? [])];
    const data = values.data ? resolve(values.data) : undefined;
    const outDir = resolve(values.out ?? "out");
    const dataRoots = [
      process.cwd(),
      PROJECT_ROOT,
      ...(config.data ?? []),
      ...(data ? [data] : []),
    ];

    if (command === "serve") {
      const { serveCommand } = await import("./server/serve.ts");
      let concurrency: number | undefined;
      if (values.concurrency !== undefined) {
        concurrency = Number(values.concurrency);
        if (!Number.isInteger(concurrency) || concurrency < 1) {
          throw usage(`--concurrency must be a whole number >= 1, got ${values.concurrency}`);
        }
      }
      return await serveCommand({ ...values, concurrency, pluginDirs, dataRoots }, io);
    }

    const rt = await createRuntime({
      pluginDirs,
      dataRoots,
      outRoots: [process.cwd(), outDir],
      modelRoots: [
        process.cwd(),
        outDir,
        resolve(values.cache ?? `${PROJECT_ROOT}/.cache`, "models"),
      ],
      cacheDir: values.cache,
    });
    for (const p of rt.pluginProblems) io.err(`plugin ${p.file} failed to load: ${p.message}\n`);

    if (command === "nodes") {
      const cat = buildCatalogue(rt.registry);
      if (values.json) io.out(`${JSON.stringify(cat, null, 2)}\n`);
      else {
        for (const n of cat.nodes) {
          const ins = Object.entries(n.inputs)
            .map(([k, v]) => `${k}:${v.type}`)
            .join(", ");
          const outs = Object.entries(n.outputs)
            .map(([k, v]) => `${k}:${v.type}`)
            .join(", ");
          io.out(
            `${n.type.padEnd(28)} ${n.category.padEnd(11)} (${ins}) -> (${outs})  ${n.title}\n`,
          );
        }
      }
      return EXIT.ok;
    }

    if (command !== "run" && command !== "validate") throw usage(`unknown command "${command}"`);
    if (positionals.length !== 1) throw usage(`${command} takes exactly one GRAPH file`);
    const file = resolve(positionals[0]);
    const graph = loadGraphFile(file);
    const sourceTypes = new Set(
      rt.registry
        .all()
        .filter(({ def }) => def.paths?.path === "data" && def.category === "Data")
        .map(({ def }) => def.type),
    );
    if (data) applyData(graph, data, sourceTypes);
    applySets(graph, values.set ?? []);

    if (command === "validate") {
      const result = validateGraph(graph, rt.registry, { paths: rt.paths });
      if (values.json) io.out(`${JSON.stringify({ ok: result.ok, issues: result.issues })}\n`);
      else if (result.ok) io.out(`${file}: valid (${graph.nodes.length} nodes)\n`);
      else io.err(`${graphInvalidError(result, file).message}\n`);
      return result.ok ? EXIT.ok : EXIT.graph;
    }

    let seed: number | undefined;
    if (values.seed !== undefined) {
      seed = Number(values.seed);
      if (!Number.isInteger(seed) || seed < 0)
        throw usage(`--seed must be a whole number >= 0, got ${values.seed}`);
    }
    await preflightOutDir(outDir);
    const ac = new AbortController();
    const onSigint = () => ac.abort();
    process.once("SIGINT", onSigint);
    process.once("SIGTERM", onSigint);
    const printer = values.json ? jsonPrinter(io) : humanPrinter(io);
    try {
      const { report } = await rt.engine.run({
        graph,
        seed,
        outDir,
        backend: values.backend ?? "auto",
        targets: values.target,
        signal: ac.signal,
        onEvent: printer,
      });
      if (report.ok) return EXIT.ok;
      if (report.cancelled) return EXIT.cancelled;
      return categoryExit(report.error?.category ?? "runtime");
    } finally {
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigint);
    }
  } catch (err) {
    const info = toErrorInfo(err);
    if (argv.includes("--json")) io.out(`${JSON.stringify({ type: "error", error: info })}\n`);
    io.err(
      `edgrec: ${info.message}${info.hint && info.category !== "usage" ? `\n  hint: ${info.hint}` : ""}\n`,
    );
    if (info.category === "usage" && info.code === "E_USAGE") io.err(`${USAGE}\n`);
    return categoryExit(info.category);
  }
}

function jsonPrinter(io: Io): (e: RunEvent) => void {
  return (e) => {
    if (e.type === "preview") {
      const { value, ...rest } = e;
      io.out(`${JSON.stringify({ ...rest, value: { kind: value.kind } })}\n`);
      return;
    }
    io.out(`${JSON.stringify(e)}\n`);
  };
}

function fmtMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return s < 120 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function humanPrinter(io: Io): (e: RunEvent) => void {
  let lastBar = 0;
  return (e) => {
    switch (e.type) {
      case "node-started":
        io.err(`▶ ${e.nodeId}: running (${e.reason})\n`);
        break;
      case "node-cached":
        io.err(`● ${e.nodeId}: from ${e.from} cache (${e.reason})\n`);
        break;
      case "node-finished":
        if (!e.lazy) io.err(`${io.isTTY ? "\r\x1b[K" : ""}✔ ${e.nodeId}: done in ${fmtMs(e.ms)}\n`);
        break;
      case "node-failed":
        io.err(
          `✖ ${e.nodeId}: ${e.error.message}${e.error.hint ? `\n  hint: ${e.error.hint}` : ""}\n`,
        );
        break;
      case "progress": {
        const now = Date.now();
        if (!io.isTTY && now - lastBar < 2000 && e.step < e.total) break;
        lastBar = now;
        const frac = e.total > 0 ? e.step / e.total : 0;
        const bar = "█".repeat(Math.round(frac * 24)).padEnd(24, "·");
        const loss = e.loss !== undefined ? ` loss ${e.loss.toFixed(4)}` : "";
        const eta = e.etaMs !== undefined ? ` eta ${fmtMs(e.etaMs)}` : "";
        const msg = e.message ? ` ${e.message}` : "";
        const line = `  ${e.nodeId} ${bar} ${e.step}/${e.total}${loss}${eta}${msg}`;
        io.err(io.isTTY ? `\r\x1b[K${line}` : `${line}\n`);
        break;
      }
      case "log":
        io.err(`${e.level === "warn" ? "! " : ""}${e.nodeId ? `${e.nodeId}: ` : ""}${e.message}\n`);
        break;
      case "metrics":
        io.out(`${e.nodeId}: ${formatMetrics(e.metrics)}\n`);
        break;
      case "run-finished": {
        const r = e.report;
        const counts: Record<string, number> = {};
        for (const n of Object.values(r.nodes)) counts[n.status] = (counts[n.status] ?? 0) + 1;
        const summary = Object.entries(counts)
          .map(([k, v]) => `${v} ${k}`)
          .join(", ");
        if (r.ok) io.err(`run ${r.runId} finished in ${fmtMs(r.ms)} (${summary})\n`);
        else {
          io.err(
            `run ${r.runId} ${r.cancelled ? "cancelled" : "failed"} after ${fmtMs(r.ms)}: ${r.error?.message ?? ""}\n`,
          );
          if (r.error?.hint && !r.cancelled) io.err(`  hint: ${r.error.hint}\n`);
        }
        for (const [k, v] of Object.entries(r.results)) {
          if (typeof v === "number") io.out(`${k} = ${v}\n`);
        }
        break;
      }
      default:
        break;
    }
  };
}

function formatMetrics(m: unknown): string {
  if (!m || typeof m !== "object") return String(m);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
    if (typeof v === "number") parts.push(`${k} ${v.toFixed(4)}`);
    else if (v && typeof v === "object" && "value" in v) {
      const mv = v as { value: number | null; reason?: string };
      parts.push(`${k} ${mv.value === null ? `undefined (${mv.reason})` : mv.value.toFixed(4)}`);
    }
  }
  return parts.join(", ");
}
