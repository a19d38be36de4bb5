/**
 * Runs as the server sees them: a queue (one active run by default) that survives restarts
 * (`<cache>/queue.json`, written atomically), a bounded message log per run with a sequence
 * number per message (for replay after a reconnect), any number of watchers per run, and
 * preview frames encoded once per event and handed to watchers, which throttle or drop them.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { cancelledError, toErrorInfo } from "../../../../nodes/sdk/errors.ts";
import { writeFileAtomic } from "../atomic.ts";
import type { Engine } from "../engine/engine.ts";
import type { RunEvent, RunReport } from "../engine/events.ts";
import { type Graph, parseGraph } from "../graph/schema.ts";
import {
  encodePreviewFrame,
  type PreviewHeader,
  type ServerMessage,
  type WireError,
} from "../protocol/messages.ts";
import { previewValuePng } from "./preview.ts";

export type RunStatus = "queued" | "running" | "finished" | "failed" | "cancelled";
export type RunMessage = Extract<ServerMessage, { runId: string; seq: number }>;
type Values = Record<string, unknown>;
type PreviewEvent = Extract<RunEvent, { type: "preview" }>;

/** What a client asks to run (also what queue.json stores). */
export interface RunRequest {
  graph: Graph;
  targets?: string[];
  seed?: number;
  backend?: string;
}

/** Someone watching runs: a WebSocket connection, or a test. */
export interface Watcher {
  /** A run-scoped JSON message (live or replayed). */
  message(msg: RunMessage): void;
  /** An encoded preview frame of `nodeId`; the watcher may throttle or drop it. */
  preview(runId: string, nodeId: string, frame: Uint8Array): void;
}

export interface RunManagerOptions {
  engine: Engine;
  cacheDir: string;
  /** Folder handed to nodes as `outDir`. */
  outDir: string;
  /** Runs executing at once. Default 1. */
  concurrency?: number;
  log: Logger;
  /** Messages kept per run for replay. Default 5000. */
  maxLog?: number;
  /** Finished runs kept in memory (logs, reports). Default 100. */
  keepRuns?: number;
  /** Finished runs whose output values stay pullable for preview requests. Default 4. */
  keepValues?: number;
  /** Preview encodings in flight per run. Default 2. */
  maxEncoding?: number;
  /** Previews waiting for encoding per run before new ones are dropped. Default 32. */
  maxWaitingPreviews?: number;
}

interface QueueEntry extends RunRequest {
  id: string;
  submitted: string;
  attempts: number;
}

/** A run restarted this many times without finishing is dropped (it may crash the runner). */
const MAX_ATTEMPTS = 3;

export class Run {
  status: RunStatus = "queued";
  readonly log: RunMessage[] = [];
  /** Sequence number of the next message. */
  nextSeq = 0;
  readonly watchers = new Set<Watcher>();
  readonly controller = new AbortController();
  report?: RunReport;
  values?: Map<string, Values>;
  userCancelled = false;
  encoding = 0;
  droppedPreviews = 0;
  readonly waitingPreviews = new Map<string, PreviewEvent>();
  done?: Promise<void>;

  constructor(
    readonly id: string,
    readonly request: RunRequest,
    readonly entry: QueueEntry,
    readonly logger: Logger,
  ) {}

  get lastSeq(): number {
    return this.nextSeq - 1;
  }
}

export class RunManager {
  private readonly runs = new Map<string, Run>();
  private readonly queue: Run[] = [];
  private readonly active = new Set<Run>();
  /** Accepted and not yet finished, in submission order: exactly what queue.json holds. */
  private readonly pending = new Map<string, QueueEntry>();
  private readonly finishedOrder: string[] = [];
  private persistChain: Promise<void> = Promise.resolve();
  private stopping = false;
  readonly concurrency: number;
  private readonly maxLog: number;

  constructor(private readonly o: RunManagerOptions) {
    this.concurrency = Math.max(1, o.concurrency ?? 1);
    this.maxLog = o.maxLog ?? 5000;
  }

  get queueFile(): string {
    return join(this.o.cacheDir, "queue.json");
  }

  private reportFile(id: string): string {
    return join(this.o.cacheDir, "server-runs", `${id.replace(/[^A-Za-z0-9_-]/g, "_")}.json`);
  }

  /** Re-queues the runs a previous runner accepted but did not finish. */
  async restore(): Promise<number> {
    let entries: QueueEntry[];
    try {
      entries = JSON.parse(await readFile(this.queueFile, "utf8"));
      if (!Array.isArray(entries)) throw new Error("not an array");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
        this.o.log.warn({ err }, "queue.json unreadable; starting with an empty queue");
      }
      return 0;
    }
    let n = 0;
    for (const e of entries) {
      try {
        if (e.attempts >= MAX_ATTEMPTS) {
          this.o.log.warn({ runId: e.id }, "dropping queued run: it never finished in 3 tries");
          continue;
        }
        const graph = parseGraph(e.graph, `queued run ${e.id}`);
        const run = this.enqueue({ ...e, graph }, e.id, e);
        this.push(run, {
          type: "log",
          level: "info",
          message: "re-queued after a runner restart",
        });
        n++;
      } catch (err) {
        this.o.log.warn({ err, runId: e?.id }, "dropping unreadable queued run");
      }
    }
    this.persist();
    this.pump();
    return n;
  }

  get(id: string): Run | undefined {
    return this.runs.get(id);
  }

  /** Position in the queue (0 = running or next to start), -1 when not queued. */
  queuePosition(run: Run): number {
    if (run.status === "running") return 0;
    const i = this.queue.indexOf(run);
    return i < 0 ? -1 : i + this.active.size - this.concurrency + 1;
  }

  counts(): { active: number; queued: number } {
    return { active: this.active.size, queued: this.queue.length };
  }

  /** Accepts a run: queues it, persists the queue and starts it when a slot is free. */
  submit(request: RunRequest): Run {
    const id = randomUUID();
    const run = this.enqueue(request, id, {
      ...request,
      id,
      submitted: new Date().toISOString(),
      attempts: 0,
    });
    this.persist();
    this.pump();
    return run;
  }

  private enqueue(request: RunRequest, id: string, entry: QueueEntry): Run {
    const run = new Run(id, request, entry, this.o.log.child({ runId: id }));
    this.runs.set(id, run);
    this.pending.set(id, entry);
    this.queue.push(run);
    const position = this.queuePosition(run);
    if (position > 0) this.push(run, { type: "run-queued", queuePosition: position });
    run.logger.info({ position, graph: request.graph.name }, "run accepted");
    return run;
  }

  /** Cancels a queued or running run; false when it is not active any more. */
  cancel(id: string): boolean {
    const run = this.runs.get(id);
    if (!run) return false;
    if (run.status === "queued") {
      this.queue.splice(this.queue.indexOf(run), 1);
      run.status = "cancelled";
      run.userCancelled = true;
      this.pending.delete(id);
      this.persist();
      const error = { ...toErrorInfo(cancelledError()) };
      this.push(run, { type: "run-failed", error, report: null });
      this.retire(run);
      this.announcePositions();
      return true;
    }
    if (run.status === "running") {
      run.userCancelled = true;
      run.controller.abort();
      return true;
    }
    return false;
  }

  /**
   * Adds a watcher and replays every kept message with seq > since, synchronously, so no live
   * message can slip between the replay and the subscription.
   */
  subscribe(run: Run, watcher: Watcher, since: number): void {
    for (const m of run.log) if (m.seq > since) watcher.message(m);
    run.watchers.add(watcher);
  }

  unwatch(watcher: Watcher): void {
    for (const run of this.runs.values()) run.watchers.delete(watcher);
  }

  /** Appends a message to the run's log (bounded) and sends it to every watcher. */
  private push(run: Run, body: Record<string, unknown> & { type: RunMessage["type"] }): void {
    const msg = { ...body, runId: run.id, seq: run.nextSeq++ } as RunMessage;
    run.log.push(msg);
    // Oldest messages go first; a subscriber asking for them sees the gap in seq numbers.
    if (run.log.length > this.maxLog) run.log.splice(0, run.log.length - this.maxLog);
    for (const w of run.watchers) {
      try {
        w.message(msg);
      } catch (err) {
        run.logger.warn({ err }, "watcher failed");
      }
    }
  }

  private persist(): void {
    const snapshot = JSON.stringify([...this.pending.values()]);
    this.persistChain = this.persistChain
      .then(() => writeFileAtomic(this.queueFile, snapshot))
      .catch((err) => this.o.log.error({ err }, "cannot write queue.json"));
  }

  private announcePositions(): void {
    for (const run of this.queue) {
      const p = this.queuePosition(run);
      if (p > 0) this.push(run, { type: "run-queued", queuePosition: p });
    }
  }

  private pump(): void {
    if (this.stopping) return;
    let started = false;
    while (this.active.size < this.concurrency && this.queue.length > 0) {
      const run = this.queue.shift()!;
      this.active.add(run);
      run.done = this.execute(run);
      started = true;
    }
    if (started) this.announcePositions();
  }

  private async execute(run: Run): Promise<void> {
    run.status = "running";
    run.entry.attempts++;
    this.persist();
    const { graph, targets, seed, backend } = run.request;
    let finished = false;
    try {
      await mkdir(this.o.outDir, { recursive: true });
      const { report, values } = await this.o.engine.run({
        graph,
        targets,
        seed,
        backend: backend ?? "auto",
        signal: run.controller.signal,
        outDir: this.o.outDir,
        runId: run.id,
        onEvent: (e) => this.onEvent(run, e),
      });
      finished = true;
      run.values = values;
      run.report = report;
    } catch (err) {
      // engine.run throws only before the run starts (e.g. an unknown target).
      const error = toErrorInfo(err) as WireError;
      run.status = "failed";
      this.push(run, { type: "run-failed", error, report: null });
    } finally {
      this.active.delete(run);
      const interrupted =
        this.stopping && !run.userCancelled && (run.status as RunStatus) !== "finished";
      if (!interrupted) {
        this.pending.delete(run.id);
        this.persist();
      } else {
        run.logger.info("run interrupted by shutdown; it stays in queue.json");
      }
      if (finished && run.report) await this.saveReport(run);
      this.retire(run);
      this.pump();
    }
  }

  private async saveReport(run: Run): Promise<void> {
    try {
      await writeFileAtomic(
        this.reportFile(run.id),
        JSON.stringify({ id: run.id, status: run.status, report: run.report }),
      );
    } catch (err) {
      run.logger.warn({ err }, "cannot save run report");
    }
  }

  /** Report of a run, from memory or from an earlier runner's files. */
  async report(
    id: string,
  ): Promise<{ id: string; status: RunStatus; report?: RunReport } | undefined> {
    const run = this.runs.get(id);
    if (run) return { id, status: run.status, report: run.report };
    try {
      return JSON.parse(await readFile(this.reportFile(id), "utf8"));
    } catch {
      return undefined;
    }
  }

  /** Keeps memory bounded: old finished runs lose their values, then their logs. */
  private retire(run: Run): void {
    this.finishedOrder.push(run.id);
    const keepValues = this.o.keepValues ?? 4;
    const keepRuns = this.o.keepRuns ?? 100;
    const n = this.finishedOrder.length;
    if (n > keepValues) {
      const old = this.runs.get(this.finishedOrder[n - keepValues - 1]);
      if (old) old.values = undefined;
    }
    while (this.finishedOrder.length > keepRuns) {
      const id = this.finishedOrder.shift()!;
      this.runs.delete(id);
    }
  }

  private onEvent(run: Run, e: RunEvent): void {
    switch (e.type) {
      case "preview":
        this.preview(run, e);
        return;
      case "run-finished": {
        const r = e.report;
        run.report = r;
        if (r.ok) {
          run.status = "finished";
          this.push(run, { type: "run-finished", report: r });
        } else {
          run.status = r.cancelled ? "cancelled" : "failed";
          const error = (r.error ?? {
            category: "runtime",
            code: "E_INTERNAL",
            message: "run failed",
          }) as WireError;
          this.push(run, { type: "run-failed", error, report: r });
        }
        run.logger.info({ status: run.status, ms: r.ms }, "run ended");
        return;
      }
      default: {
        const { runId: _ignored, ...body } = e;
        this.push(run, body as Parameters<RunManager["push"]>[1]);
      }
    }
  }

  /**
   * Encodes a preview once and offers it to the watchers. Nobody watching = no work. Previews
   * wait in a small per-run map keyed by node/port/sample (a newer value of the same key
   * replaces the waiting one) and are encoded `maxEncoding` at a time; when the map is full
   * new previews are dropped, so previews never pile up behind a run.
   */
  private preview(run: Run, e: PreviewEvent): void {
    if (run.watchers.size === 0) return;
    const key = `${e.nodeId}\0${e.port}\0${e.sample}`;
    if (
      !run.waitingPreviews.has(key) &&
      run.waitingPreviews.size >= (this.o.maxWaitingPreviews ?? 32)
    ) {
      run.droppedPreviews++;
      return;
    }
    run.waitingPreviews.set(key, e);
    this.encodeNext(run);
  }

  private encodeNext(run: Run): void {
    while (run.encoding < (this.o.maxEncoding ?? 2) && run.waitingPreviews.size > 0) {
      const [key, e] = run.waitingPreviews.entries().next().value as [string, PreviewEvent];
      run.waitingPreviews.delete(key);
      run.encoding++;
      previewValuePng(e.value)
        .then(({ png, width, height }) => {
          const header: PreviewHeader = {
            type: "preview",
            runId: run.id,
            seq: run.lastSeq,
            nodeId: e.nodeId,
            port: e.port,
            sample: e.sample,
            ...(e.label !== undefined ? { label: e.label } : {}),
            width,
            height,
            mime: "image/png",
          };
          const frame = encodePreviewFrame(header, png);
          for (const w of run.watchers) w.preview(run.id, e.nodeId, frame);
        })
        .catch((err) => run.logger.warn({ err, nodeId: e.nodeId }, "preview encoding failed"))
        .finally(() => {
          run.encoding--;
          this.encodeNext(run);
        });
    }
  }

  /**
   * Stops: no new runs start, active runs are cancelled (they stay in queue.json and run again
   * after a restart), and the last queue write is awaited.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    const active = [...this.active];
    for (const run of active) run.controller.abort();
    await Promise.allSettled(active.map((r) => r.done));
    this.persist();
    await this.persistChain;
  }
}
