/**
 * The node contract: the plugin API. A node is a plain module that default-exports the result
 * of `defineNode`. Two kinds exist:
 *
 * - `map` nodes transform one sample at a time (grayscale, edge, colour difference...). The
 *   engine composes them lazily into pipelines: nothing is computed until a task node, a
 *   preview or an export pulls a sample, and stochastic map nodes draw fresh seeded randomness
 *   for every epoch.
 * - `task` nodes run once per run (training, metrics, export). They receive per-sample inputs
 *   as `SampleStream`s and pull what they need in batches.
 */
import type { Logger } from "pino";
import type { z } from "zod";
import type { PortTypeId } from "./ports.ts";
import type { Rng } from "./rng.ts";

export interface PortSpec {
  type: PortTypeId;
  title?: string;
  description?: string;
  /** Optional inputs may stay unconnected; the node then receives `undefined`. */
  optional?: boolean;
}

export interface SampleInfo {
  /** Stable id, e.g. "test/broken_large/000". */
  id: string;
  split: "train" | "validation" | "test";
  /** 0 good, 1 defective, -1 unknown (production images). */
  label: 0 | 1 | -1;
  defect: string;
  /** Dataset category (folder name), used to lay out exported files. */
  category?: string;
  path?: string;
  maskPath?: string;
}

/** A lazy, per-sample sequence. `get` may be called in any order and more than once. */
export interface SampleStream<T = unknown> {
  readonly kind: "stream";
  readonly type: PortTypeId;
  readonly length: number;
  /** Content key of the producing node output; equal keys mean equal values. */
  readonly key: string;
  /** True when values depend on the epoch (fresh random draws each epoch). */
  readonly stochastic: boolean;
  info(index: number): SampleInfo;
  get(index: number, epoch?: number): Promise<T>;
}

export interface ProgressUpdate {
  step: number;
  total: number;
  message?: string;
  loss?: number;
  /** Extra numbers to show (learning rate, images per second...). */
  values?: Record<string, number>;
}

export type PreviewValue =
  | { kind: "png"; data: Uint8Array }
  | {
      kind: "image";
      image: { width: number; height: number; channels: number; data: Float32Array };
    }
  | { kind: "rgb8"; width: number; height: number; data: Uint8Array }
  /** A score map, drawn as a heat map on its own range. */
  | { kind: "map"; map: { width: number; height: number; data: Float64Array } };

interface BaseContext {
  runId: string;
  nodeId: string;
  /** The run's seed (graph seed unless overridden on the command line). */
  seed: number;
  signal: AbortSignal;
  log: Logger;
  /** Resolves a user path inside the configured roots; throws a clear error outside them. */
  resolvePath(kind: "data" | "model" | "out", path: string): string;
}

export interface TaskContext extends BaseContext {
  progress(update: ProgressUpdate): void;
  preview(port: string, value: PreviewValue, sample?: number, label?: string): void;
  /** Folder for this run's files (`--out`). */
  outDir: string;
  /**
   * A persistent folder private to this node and its content key (for checkpoints).
   * `ignoreParams` leaves parameters out of that key, so runs differing only in them share the
   * folder (a longer training budget resumes where a shorter one stopped).
   */
  workDir(options?: { ignoreParams?: string[] }): Promise<string>;
  /** Requested compute backend (auto, wasm, cpu, tensorflow, tensorflow-gpu). */
  backend: string;
  /** Content key of this node's output (fingerprint for manifests). */
  key: string;
  graphFingerprint: string;
  /** Puts a small value into the run report under "<node>.<name>" (e.g. skipped files). */
  record(name: string, value: unknown): void;
  /** A warning the user should see (CLI, editor), also logged. */
  warn(message: string): void;
  /** Data the caller handed to this node for this run (e.g. posted images), if any. */
  injected?: unknown;
}

export interface SampleContext extends BaseContext {
  index: number;
  epoch: number;
  info: SampleInfo;
  /** For source nodes (no per-sample inputs): the output port whose sample is wanted. */
  port?: string;
  /** Seeded per (run seed, node, epoch, sample): same inputs give the same draws. */
  rng: Rng;
}

type Values = Record<string, unknown>;

interface NodeCommon<P extends z.ZodType> {
  /** Stable type id, e.g. "edgrec.grayscale". Never change it once graphs use it. */
  type: string;
  /** Bump when outputs change for the same inputs, so caches are invalidated. */
  version: number;
  title: string;
  category: string;
  description: string;
  inputs: Record<string, PortSpec>;
  outputs: Record<string, PortSpec>;
  params: P;
  /** The node draws random numbers: its outputs depend on the run seed. */
  seeded?: boolean;
  /** Extra content for the cache key, e.g. a fingerprint of files named by a path param. */
  fingerprint?(
    params: z.infer<P>,
    ctx: { resolvePath: BaseContext["resolvePath"] },
  ): Promise<string>;
  /** Param names that hold filesystem paths, and which root they must lie in. */
  paths?: Record<string, "data" | "model" | "out">;
}

export interface MapNodeDefinition<P extends z.ZodType = z.ZodType> extends NodeCommon<P> {
  kind: "map";
  /** Values depend on the epoch (fresh random draws each epoch). Implies `seeded`. */
  stochastic?: boolean;
  /** Keep computed samples on disk across runs (expensive outputs such as reconstructions). */
  diskCache?: boolean;
  /**
   * Optional whole-run preparation (load a model, read a texture folder); its result is passed
   * to every `map` call as `prepared`.
   */
  prepare?(inputs: Values, params: z.infer<P>, ctx: TaskContext): Promise<unknown>;
  /** Per-sample inputs arrive as values; whole inputs arrive as they are. */
  map(
    inputs: Values,
    params: z.infer<P>,
    ctx: SampleContext,
    prepared: unknown,
  ): Promise<Values> | Values;
  /** Length and sample infos of the outputs when there are no per-sample inputs (sources). */
  source?(params: z.infer<P>, ctx: TaskContext, prepared: unknown): Promise<SourceShape>;
}

export interface SourceShape {
  /** One sample list per output port (ports may differ, e.g. train and test splits). */
  ports: Record<string, SampleInfo[]>;
}

export interface TaskNodeDefinition<P extends z.ZodType = z.ZodType> extends NodeCommon<P> {
  kind: "task";
  run(inputs: Values, params: z.infer<P>, ctx: TaskContext): Promise<Values>;
  /** Keep outputs on disk across runs: save them under `dir` and load them back. */
  persist?: {
    save(outputs: Values, dir: string): Promise<void>;
    load(dir: string): Promise<Values>;
  };
}

export type NodeDefinition<P extends z.ZodType = z.ZodType> =
  | MapNodeDefinition<P>
  | TaskNodeDefinition<P>;

/** Identity helper that gives node modules full type inference for their params. */
export function defineNode<P extends z.ZodType>(def: MapNodeDefinition<P>): MapNodeDefinition<P>;
export function defineNode<P extends z.ZodType>(def: TaskNodeDefinition<P>): TaskNodeDefinition<P>;
export function defineNode(def: NodeDefinition): NodeDefinition {
  return def;
}

export function isStream(v: unknown): v is SampleStream {
  return typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "stream";
}

/** Pulls every sample of a stream, `concurrency` at a time, in order. */
export async function collect<T>(
  stream: SampleStream<T>,
  options: { epoch?: number; signal?: AbortSignal; onItem?: (i: number) => void } = {},
): Promise<T[]> {
  const out = new Array<T>(stream.length);
  for (let i = 0; i < stream.length; i++) {
    options.signal?.throwIfAborted();
    out[i] = await stream.get(i, options.epoch ?? 0);
    options.onItem?.(i);
  }
  return out;
}
