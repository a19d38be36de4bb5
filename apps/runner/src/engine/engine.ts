/**
 * The execution engine. It validates a graph, computes a content key for every node output
 * (type, version, parameters, input keys, seed where it matters, data fingerprints), then runs
 * task nodes in dependency order and builds lazy per-sample streams for map nodes. Results
 * are cached in memory (byte-bounded) and, for expensive nodes, on disk; the run report says
 * for every node whether it ran or came from cache, and why.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import {
  cancelledError,
  dataError,
  EdgrecError,
  toErrorInfo,
} from "../../../../nodes/sdk/errors.ts";
import {
  isStream,
  type MapNodeDefinition,
  type NodeDefinition,
  type PreviewValue,
  type SampleContext,
  type SampleInfo,
  type SampleStream,
  type TaskContext,
} from "../../../../nodes/sdk/node.ts";
import { PORT_TYPES } from "../../../../nodes/sdk/ports.ts";
import { createRng, mixSeed } from "../../../../nodes/sdk/rng.ts";
import { writeFileAtomic } from "../atomic.ts";
import type { Graph } from "../graph/schema.ts";
import { stableStringify } from "../graph/schema.ts";
import { graphInvalidError, validateGraph } from "../graph/validate.ts";
import type { PathPolicy } from "../paths.ts";
import type { NodeRegistry } from "../registry.ts";
import type { RunEvent, RunReport } from "./events.ts";
import { LruCache } from "./lru.ts";
import { decodeValue, encodeValue } from "./serialize.ts";

type Values = Record<string, unknown>;

export interface EngineOptions {
  registry: NodeRegistry;
  paths: PathPolicy;
  /** Folder for the on-disk cache (models, reconstructions, checkpoints). */
  cacheDir: string;
  /** Memory bound for cached whole outputs and per-sample values, in bytes. */
  memoryBytes?: number;
  log?: Logger;
}

export interface RunOptions {
  graph: Graph;
  /** Overrides the graph's seed. */
  seed?: number;
  /** Compute only what these nodes need (and the nodes themselves). Default: everything. */
  targets?: string[];
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  outDir: string;
  backend?: string;
  runId?: string;
  /** Samples previewed for map nodes that end the computed part of the graph. */
  previewSamples?: number;
  /**
   * Data handed to particular nodes for this run only, by node id: e.g. images posted to the
   * inspection endpoint, which an image-source node then reads instead of its folder.
   * Injected data takes part in the node's content key through `injectedKey`.
   */
  injected?: Record<string, { key: string; data: unknown }>;
}

export interface RunResult {
  report: RunReport;
  /** Output values per node id (streams stay lazy and can be pulled after the run). */
  values: Map<string, Values>;
}

interface LastRun {
  key: string;
  params: Record<string, unknown>;
  inputKeys: Record<string, string>;
}

const hash = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 32);

export class Engine {
  readonly registry: NodeRegistry;
  readonly paths: PathPolicy;
  readonly cacheDir: string;
  readonly log: Logger;
  /** Whole outputs of task nodes by content key. */
  readonly taskCache: LruCache<Values>;
  /** Per-sample outputs of map nodes by content key, epoch and index. */
  readonly sampleCache: LruCache<Values>;
  /** What each node last ran with, by graph name and node id: the source of "why" reasons. */
  private lastRuns = new Map<string, LastRun>();
  private lastRunsGraph: string | undefined;

  constructor(options: EngineOptions) {
    this.registry = options.registry;
    this.paths = options.paths;
    this.cacheDir = options.cacheDir;
    this.log = options.log ?? pino({ level: "silent" });
    const bytes = options.memoryBytes ?? 2 * 2 ** 30;
    this.taskCache = new LruCache(Math.floor(bytes / 4));
    this.sampleCache = new LruCache(Math.floor((bytes * 3) / 4));
  }

  async run(options: RunOptions): Promise<RunResult> {
    const runId = options.runId ?? randomUUID();
    const started = performance.now();
    const graph = options.graph;
    const seed = options.seed ?? graph.seed;
    const emit = (e: RunEvent) => {
      try {
        options.onEvent?.(e);
      } catch (err) {
        this.log.warn({ err, runId }, "event listener failed");
      }
    };
    const signal = options.signal ?? new AbortController().signal;
    const report: RunReport = {
      runId,
      ok: false,
      cancelled: false,
      ms: 0,
      seed,
      nodes: {},
      results: {},
    };
    const values = new Map<string, Values>();
    const finish = (): RunResult => {
      report.ms = Math.round(performance.now() - started);
      emit({ type: "run-finished", runId, report });
      return { report, values };
    };

    const validation = validateGraph(graph, this.registry, { paths: this.paths });
    if (!validation.ok || !validation.order) {
      report.error = toErrorInfo(graphInvalidError(validation, graph.name));
      return finish();
    }
    const nodesById = new Map(graph.nodes.map((n) => [n.id, n]));
    const needed = this.neededNodes(graph, options.targets);
    const order = validation.order.filter((id) => needed.has(id));
    const graphFingerprint = hash(stableStringify({ nodes: graph.nodes, edges: graph.edges }));
    emit({ type: "run-started", runId, nodes: order, seed });
    await this.loadLastRuns(graph.name);

    const keys = new Map<string, string>();
    const consumers = new Map<string, number>();
    for (const e of graph.edges) {
      if (needed.has(e.to.node)) consumers.set(e.from.node, (consumers.get(e.from.node) ?? 0) + 1);
    }
    const streamStats = new Map<string, { computed: number; cached: number }>();

    try {
      for (const nodeId of order) {
        if (signal.aborted) throw cancelledError();
        const node = nodesById.get(nodeId)!;
        const def = this.registry.get(node.type)!.def;
        const params = validation.params[nodeId];
        const log = this.log.child({ runId, nodeId });
        const inputs: Values = {};
        const inputKeys: Record<string, string> = {};
        for (const e of graph.edges) {
          if (e.to.node !== nodeId) continue;
          const upstream = values.get(e.from.node);
          inputs[e.to.port] = upstream?.[e.from.port];
          inputKeys[e.to.port] = `${keys.get(e.from.node)}:${e.from.port}`;
        }
        const resolvePath = (kind: "data" | "model" | "out", p: string) =>
          this.paths.resolve(kind, p, `node "${nodeId}" path`);
        const fingerprint = def.fingerprint ? await def.fingerprint(params, { resolvePath }) : "";
        const seeded = def.seeded || (def.kind === "map" && def.stochastic);
        const keyParts = {
          type: def.type,
          version: def.version,
          params,
          inputs: inputKeys,
          seed: seeded ? seed : undefined,
          fingerprint,
          injected: options.injected?.[nodeId]?.key,
        };
        const key = hash(stableStringify(keyParts));
        const keyIgnoring = (ignore: string[]) =>
          hash(
            stableStringify({
              ...keyParts,
              params: Object.fromEntries(
                Object.entries(params).filter(([k]) => !ignore.includes(k)),
              ),
            }),
          );
        keys.set(nodeId, key);
        const reason = this.reason(nodeId, { key, params, inputKeys }, graph);
        this.lastRuns.set(nodeId, { key, params, inputKeys });

        const stats = { computed: 0, cached: 0 };
        streamStats.set(nodeId, stats);
        const taskCtx = this.taskContext({
          runId,
          nodeId,
          seed,
          signal,
          log,
          resolvePath,
          outDir: options.outDir,
          backend: options.backend ?? "auto",
          key,
          graphFingerprint,
          emit,
          typeDir: def.type,
          injected: options.injected?.[nodeId]?.data,
          report,
          keyIgnoring,
        });

        if (def.kind === "map") {
          const t0 = performance.now();
          const outputs = await this.buildStreams(def, params, inputs, key, taskCtx, stats);
          values.set(nodeId, outputs);
          const ms = Math.round(performance.now() - t0);
          report.nodes[nodeId] = {
            status: "lazy",
            reason: "computed per sample on demand",
            ms,
            key,
          };
          emit({ type: "node-finished", runId, nodeId, ms, lazy: true });
          continue;
        }

        const cached = this.taskCache.get(key);
        if (cached) {
          values.set(nodeId, cached);
          report.nodes[nodeId] = { status: "cached", reason: reason.cached, from: "memory", key };
          emit({ type: "node-cached", runId, nodeId, reason: reason.cached, from: "memory" });
          this.collectResult(report, nodeId, def, cached, emit, runId);
          continue;
        }
        const persistDir = join(this.cacheDir, "tasks", safeName(def.type), key);
        const persist = def.persist ?? (plainOutputs(def) ? PLAIN_PERSIST : undefined);
        if (persist && existsSync(join(persistDir, ".complete"))) {
          try {
            const loaded = await persist.load(persistDir);
            this.taskCache.set(key, loaded);
            values.set(nodeId, loaded);
            report.nodes[nodeId] = { status: "cached", reason: reason.cached, from: "disk", key };
            emit({ type: "node-cached", runId, nodeId, reason: reason.cached, from: "disk" });
            this.collectResult(report, nodeId, def, loaded, emit, runId);
            continue;
          } catch (err) {
            log.warn({ err }, "disk cache entry unreadable; running the node again");
          }
        }

        emit({ type: "node-started", runId, nodeId, reason: reason.ran });
        const t0 = performance.now();
        let outputs: Values;
        try {
          outputs = await def.run(inputs, params, taskCtx);
        } catch (err) {
          const info = toErrorInfo(signal.aborted ? cancelledError() : err);
          report.nodes[nodeId] = {
            status: signal.aborted ? "cancelled" : "failed",
            reason: reason.ran,
            key,
            error: { ...info, nodeId },
          };
          emit({ type: "node-failed", runId, nodeId, error: { ...info, nodeId } });
          throw err;
        }
        this.checkOutputs(def, nodeId, outputs);
        const ms = Math.round(performance.now() - t0);
        this.taskCache.set(key, outputs);
        if (persist) {
          await rm(persistDir, { recursive: true, force: true });
          await mkdir(persistDir, { recursive: true });
          await persist.save(outputs, persistDir);
          await writeFileAtomic(join(persistDir, ".complete"), new Date().toISOString());
        }
        values.set(nodeId, outputs);
        report.nodes[nodeId] = { status: "ran", reason: reason.ran, ms, key };
        emit({ type: "node-finished", runId, nodeId, ms });
        this.collectResult(report, nodeId, def, outputs, emit, runId);
      }

      // Map nodes that end the computed part of the graph have nobody pulling them: preview
      // their first samples so "run up to this node" shows something.
      const previewCount = options.previewSamples ?? 4;
      for (const nodeId of order) {
        if (consumers.get(nodeId)) continue;
        const outputs = values.get(nodeId);
        if (!outputs) continue;
        for (const [port, v] of Object.entries(outputs)) {
          if (!isStream(v)) continue;
          const n = Math.min(previewCount, v.length);
          for (let i = 0; i < n; i++) {
            if (signal.aborted) throw cancelledError();
            const value = await v.get(i, 0);
            const preview = toPreview(value);
            if (preview) {
              emit({
                type: "preview",
                runId,
                nodeId,
                port,
                sample: i,
                label: v.info(i).id,
                value: preview,
              });
            }
          }
        }
      }
      report.ok = true;
    } catch (err) {
      const info = toErrorInfo(signal.aborted ? cancelledError() : err);
      report.cancelled = signal.aborted;
      report.error = info;
      for (const id of order) {
        if (!report.nodes[id]) {
          report.nodes[id] = { status: "skipped", reason: "not reached", key: keys.get(id) ?? "" };
        }
      }
    }
    await this.saveLastRuns(graph.name).catch((err) =>
      this.log.warn({ err }, "cannot save run state"),
    );
    for (const [id, stats] of streamStats) {
      if (report.nodes[id]?.status === "lazy") report.nodes[id].samples = stats;
    }
    return finish();
  }

  private lastRunsFile(graphName: string): string {
    return join(this.cacheDir, "runs", `${hash(graphName)}.json`);
  }

  /** Reasons survive restarts: the CLI runs each graph in a fresh process. */
  private async loadLastRuns(graphName: string): Promise<void> {
    if (this.lastRunsGraph === graphName) return;
    this.lastRunsGraph = graphName;
    this.lastRuns = new Map();
    try {
      const data = JSON.parse(await readFile(this.lastRunsFile(graphName), "utf8"));
      for (const [id, v] of Object.entries(data)) this.lastRuns.set(id, v as LastRun);
    } catch {
      // first run of this graph
    }
  }

  private async saveLastRuns(graphName: string): Promise<void> {
    await writeFileAtomic(
      this.lastRunsFile(graphName),
      JSON.stringify(Object.fromEntries(this.lastRuns)),
    );
  }

  /** Ancestors of the targets (and the targets); all nodes when there are none. */
  private neededNodes(graph: Graph, targets?: string[]): Set<string> {
    if (!targets || targets.length === 0) return new Set(graph.nodes.map((n) => n.id));
    const ids = new Set(graph.nodes.map((n) => n.id));
    for (const t of targets) {
      if (!ids.has(t)) {
        throw new EdgrecError("usage", {
          code: "E_UNKNOWN_TARGET",
          message: `cannot run up to node "${t}": no such node in the graph`,
          hint: `choose one of: ${[...ids].join(", ")}`,
        });
      }
    }
    const needed = new Set<string>();
    const stack = [...targets];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (needed.has(id)) continue;
      needed.add(id);
      for (const e of graph.edges) if (e.to.node === id) stack.push(e.from.node);
    }
    return needed;
  }

  private reason(nodeId: string, now: LastRun, graph: Graph): { ran: string; cached: string } {
    const last = this.lastRuns.get(nodeId);
    if (!last)
      return { ran: "no cached result", cached: "same inputs and parameters as a cached result" };
    if (last.key === now.key) {
      return { ran: "cached result was evicted", cached: "nothing it depends on changed" };
    }
    const changed = Object.keys({ ...last.params, ...now.params }).filter(
      (k) => stableStringify(last.params[k]) !== stableStringify(now.params[k]),
    );
    if (changed.length > 0) {
      const what = changed
        .map((k) => `${k} ${JSON.stringify(last.params[k])} -> ${JSON.stringify(now.params[k])}`)
        .join(", ");
      return {
        ran: `parameter changed: ${what}`,
        cached: `parameters match an earlier result (${what})`,
      };
    }
    const ports = Object.keys({ ...last.inputKeys, ...now.inputKeys }).filter(
      (p) => last.inputKeys[p] !== now.inputKeys[p],
    );
    if (ports.length > 0) {
      const from = ports.map((p) => {
        const e = graph.edges.find((x) => x.to.node === nodeId && x.to.port === p);
        return e ? `${p} (from "${e.from.node}")` : p;
      });
      return { ran: `input changed: ${from.join(", ")}`, cached: `inputs match an earlier result` };
    }
    return { ran: "seed or data changed", cached: "matches an earlier result" };
  }

  private taskContext(o: {
    runId: string;
    nodeId: string;
    seed: number;
    signal: AbortSignal;
    log: Logger;
    resolvePath: TaskContext["resolvePath"];
    outDir: string;
    backend: string;
    key: string;
    graphFingerprint: string;
    emit: (e: RunEvent) => void;
    typeDir: string;
    injected: unknown;
    report: RunReport;
    keyIgnoring: (ignore: string[]) => string;
  }): TaskContext {
    const { runId, nodeId, emit } = o;
    let firstStep: { step: number; t: number } | undefined;
    return {
      runId,
      nodeId,
      seed: o.seed,
      signal: o.signal,
      log: o.log,
      resolvePath: o.resolvePath,
      outDir: o.outDir,
      backend: o.backend,
      key: o.key,
      graphFingerprint: o.graphFingerprint,
      injected: o.injected,
      record: (name, value) => {
        o.report.results[`${nodeId}.${name}`] = value;
      },
      warn: (message) => {
        o.log.warn(message);
        emit({ type: "log", runId, nodeId, level: "warn", message });
      },
      workDir: async (options) => {
        const k = options?.ignoreParams?.length ? o.keyIgnoring(options.ignoreParams) : o.key;
        const dir = join(this.cacheDir, "work", safeName(o.typeDir), k);
        await mkdir(dir, { recursive: true });
        return dir;
      },
      progress: (u) => {
        const now = performance.now();
        if (!firstStep || u.step < firstStep.step) firstStep = { step: u.step, t: now };
        let etaMs: number | undefined;
        const done = u.step - firstStep.step;
        if (done > 0 && u.total > u.step) {
          etaMs = Math.round(((now - firstStep.t) / done) * (u.total - u.step));
        } else if (u.step >= u.total) etaMs = 0;
        emit({ type: "progress", runId, nodeId, ...u, etaMs });
      },
      preview: (port, value, sample = 0, label) => {
        emit({ type: "preview", runId, nodeId, port, sample, label, value });
      },
    };
  }

  private async buildStreams(
    def: MapNodeDefinition,
    params: Record<string, unknown>,
    inputs: Values,
    key: string,
    ctx: TaskContext,
    stats: { computed: number; cached: number },
  ): Promise<Values> {
    const perSample: [string, SampleStream][] = [];
    for (const [port, spec] of Object.entries(def.inputs)) {
      const v = inputs[port];
      if (PORT_TYPES[spec.type].perSample && v !== undefined) {
        if (!isStream(v)) throw new Error(`input "${port}" of "${ctx.nodeId}" is not a stream`);
        perSample.push([port, v]);
      }
    }
    const prepared = def.prepare ? await def.prepare(inputs, params, ctx) : undefined;
    let shapes: Record<string, SampleInfo[]>;
    let stochastic = Boolean(def.stochastic);
    if (perSample.length > 0) {
      const [firstPort, first] = perSample[0];
      for (const [port, s] of perSample) {
        if (s.length !== first.length) {
          throw dataError(
            "E_STREAM_LENGTH",
            `node "${ctx.nodeId}": input "${port}" has ${s.length} samples but "${firstPort}" has ${first.length}`,
            "connect inputs that come from the same split of the same dataset",
          );
        }
        stochastic ||= s.stochastic;
      }
      const infos = Array.from({ length: first.length }, (_, i) => first.info(i));
      shapes = Object.fromEntries(Object.keys(def.outputs).map((p) => [p, infos]));
    } else if (def.source) {
      shapes = (await def.source(params, ctx, prepared)).ports;
    } else {
      throw new Error(`map node "${def.type}" has no per-sample input and no source()`);
    }
    const perPort = perSample.length === 0;
    const diskDir = def.diskCache && !stochastic ? join(this.cacheDir, "samples", key) : undefined;
    const inflight = new Map<string, Promise<Values>>();

    const compute = async (port: string, index: number, epoch: number): Promise<Values> => {
      const e = stochastic ? epoch : 0;
      const cacheKey = `${key}|${perPort ? port : ""}|${e}|${index}`;
      const hit = this.sampleCache.get(cacheKey);
      if (hit) {
        stats.cached++;
        return hit;
      }
      const pending = inflight.get(cacheKey);
      if (pending) return pending;
      const job = (async () => {
        const diskFile = diskDir ? join(diskDir, `${perPort ? `${port}-` : ""}${index}.bin`) : "";
        if (diskFile && existsSync(diskFile)) {
          try {
            const v = decodeValue(await readFile(diskFile)) as Values;
            stats.cached++;
            this.sampleCache.set(cacheKey, v);
            return v;
          } catch {
            // unreadable cache file: recompute below and overwrite it
          }
        }
        ctx.signal.throwIfAborted();
        const sampleInputs: Values = { ...inputs };
        for (const [p, s] of perSample) sampleInputs[p] = await s.get(index, epoch);
        const info = shapes[port][index];
        const sctx: SampleContext = {
          runId: ctx.runId,
          nodeId: ctx.nodeId,
          seed: ctx.seed,
          signal: ctx.signal,
          log: ctx.log,
          resolvePath: ctx.resolvePath,
          index,
          epoch: e,
          info,
          port: perPort ? port : undefined,
          rng: createRng(mixSeed(ctx.seed, hashToInt(key), e, index)),
        };
        const out = await def.map(sampleInputs, params, sctx, prepared);
        stats.computed++;
        // Fresh random draws for later epochs are used once by a trainer: caching them would
        // only evict reusable values. Epoch 0 stays cached so previews show the same draw.
        if (!stochastic || e === 0) this.sampleCache.set(cacheKey, out);
        if (diskFile) await writeFileAtomic(diskFile, encodeValue(out));
        return out;
      })();
      inflight.set(cacheKey, job);
      try {
        return await job;
      } finally {
        inflight.delete(cacheKey);
      }
    };

    const outputs: Values = {};
    for (const [port, spec] of Object.entries(def.outputs)) {
      const infos = shapes[port] ?? [];
      const stream: SampleStream = {
        kind: "stream",
        type: spec.type,
        length: infos.length,
        key: `${key}:${port}`,
        stochastic,
        info: (i) => {
          const info = infos[i];
          if (!info) throw new RangeError(`sample ${i} out of range 0..${infos.length - 1}`);
          return info;
        },
        get: async (i, epoch = 0) => {
          if (!Number.isInteger(i) || i < 0 || i >= infos.length) {
            throw dataError(
              "E_SAMPLE_RANGE",
              `node "${ctx.nodeId}" output "${port}": sample ${i} does not exist (0..${infos.length - 1})`,
              "choose a sample index inside the split",
            );
          }
          const out = await compute(port, i, epoch);
          if (!(port in out)) {
            throw new Error(`node "${def.type}" map() returned no value for output "${port}"`);
          }
          return out[port];
        },
      };
      outputs[port] = stream;
    }
    return outputs;
  }

  private checkOutputs(def: NodeDefinition, nodeId: string, outputs: Values): void {
    for (const port of Object.keys(def.outputs)) {
      if (!(port in outputs)) {
        throw new Error(`node "${nodeId}" (${def.type}) finished without output "${port}"`);
      }
    }
  }

  private collectResult(
    report: RunReport,
    nodeId: string,
    def: NodeDefinition,
    outputs: Values,
    emit: (e: RunEvent) => void,
    runId: string,
  ): void {
    for (const [port, spec] of Object.entries(def.outputs)) {
      const v = outputs[port];
      if (
        spec.type === "Metrics" ||
        spec.type === "Report" ||
        spec.type === "Threshold" ||
        spec.type === "Number"
      ) {
        report.results[`${nodeId}.${port}`] = v;
        if (spec.type === "Metrics") emit({ type: "metrics", runId, nodeId, metrics: v });
      }
    }
  }
}

/** Whole outputs that are plain data can be kept on disk without help from the node. */
const PLAIN_TYPES = new Set(["Number", "Metrics", "Scores", "Threshold", "Report"]);

function plainOutputs(def: NodeDefinition): boolean {
  const outs = Object.values(def.outputs);
  return outs.length > 0 && outs.every((o) => PLAIN_TYPES.has(o.type));
}

const PLAIN_PERSIST = {
  async save(outputs: Values, dir: string) {
    await writeFileAtomic(join(dir, "outputs.bin"), encodeValue(outputs));
  },
  async load(dir: string) {
    return decodeValue(await readFile(join(dir, "outputs.bin"))) as Values;
  },
};

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, "_");
}

function hashToInt(key: string): number {
  return Number.parseInt(key.slice(0, 8), 16) >>> 0;
}

/** Turns a raster value into a preview, when it is one. */
export function toPreview(value: unknown): PreviewValue | undefined {
  if (!value || typeof value !== "object") return undefined;
  const v = value as { width?: number; height?: number; channels?: number; data?: unknown };
  if (typeof v.width !== "number" || typeof v.height !== "number") return undefined;
  if (v.data instanceof Float32Array && (v.channels === 1 || v.channels === 3)) {
    return {
      kind: "image",
      image: v as { width: number; height: number; channels: number; data: Float32Array },
    };
  }
  if (v.data instanceof Float64Array) {
    return { kind: "map", map: v as { width: number; height: number; data: Float64Array } };
  }
  return undefined;
}
