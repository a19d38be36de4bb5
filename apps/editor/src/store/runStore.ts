/**
 * What the runner tells the editor about the graph: validation issues and the state of each
 * node during and after a run (progress, ETA, loss curve, time, error, preview). Separate from
 * the graph document: none of this is undoable or saved. `reduceServerMessage` is pure.
 */
import type { ServerMessage } from "../../../runner/src/protocol/messages.ts";

export type NodeStatus =
  | "idle"
  | "queued"
  | "running"
  | "cached"
  | "done"
  | "failed"
  | "skipped"
  | "cancelled";

export interface NodePreview {
  url: string;
  port: string;
  sample: number;
  label?: string;
  width: number;
  height: number;
}

export interface NodeRunState {
  status: NodeStatus;
  step?: number;
  total?: number;
  etaMs?: number;
  message?: string;
  /** Loss values in arrival order (training nodes), capped for the sparkline. */
  losses: number[];
  ms?: number;
  reason?: string;
  error?: string;
  preview?: NodePreview;
}

export type ValidationIssue = Extract<ServerMessage, { type: "validation" }>["issues"][number];

export interface RunState {
  runId: string | null;
  active: boolean;
  /** Last applied sequence number of the current run (replays below it are ignored). */
  lastSeq: number;
  nodes: Record<string, NodeRunState>;
  issues: ValidationIssue[];
  /** Outcome line of the last run, e.g. "Finished in 1.2 s". */
  summary: string | null;
  failed: boolean;
}

export const MAX_LOSSES = 400;

export function initialRunState(): RunState {
  return {
    runId: null,
    active: false,
    lastSeq: -1,
    nodes: {},
    issues: [],
    summary: null,
    failed: false,
  };
}

const blank = (): NodeRunState => ({ status: "idle", losses: [] });

function patchNode(s: RunState, id: string, patch: Partial<NodeRunState>): RunState {
  const prev = s.nodes[id] ?? blank();
  return { ...s, nodes: { ...s.nodes, [id]: { ...prev, ...patch } } };
}

/** Formats milliseconds for badges: "840 ms", "12.3 s", "4 min 05 s". */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const sec = Math.round((ms % 60_000) / 1000);
  return `${m} min ${String(sec).padStart(2, "0")} s`;
}

/**
 * Applies one server message. Run-scoped messages of another run, or already applied ones
 * (a subscribe replay), are ignored.
 */
export function reduceServerMessage(s: RunState, m: ServerMessage): RunState {
  if (m.type === "validation") return { ...s, issues: m.issues };
  if (m.type === "run-accepted") {
    const nodes: Record<string, NodeRunState> = {};
    // Keep previews from the last run visible until new ones arrive.
    for (const [id, n] of Object.entries(s.nodes)) nodes[id] = { ...blank(), preview: n.preview };
    return {
      ...s,
      runId: m.runId,
      active: true,
      lastSeq: -1,
      nodes,
      summary: m.queuePosition > 0 ? `Queued behind ${m.queuePosition} run(s)` : "Starting…",
      failed: false,
    };
  }
  if (!("runId" in m) || !("seq" in m)) return s;
  if (m.runId !== s.runId || m.seq <= s.lastSeq) return s;
  s = { ...s, lastSeq: m.seq };
  switch (m.type) {
    case "run-queued":
      return { ...s, summary: `Queued behind ${m.queuePosition} run(s)` };
    case "run-started": {
      let next: RunState = { ...s, summary: "Running…" };
      for (const id of m.nodes) next = patchNode(next, id, { status: "queued" });
      return next;
    }
    case "node-started":
      return patchNode(s, m.nodeId, { status: "running", reason: m.reason, losses: [] });
    case "node-cached":
      return patchNode(s, m.nodeId, { status: "cached", reason: `${m.reason} (${m.from})` });
    case "node-finished":
      return patchNode(s, m.nodeId, { status: "done", ms: m.ms, etaMs: undefined });
    case "node-failed":
      return patchNode(s, m.nodeId, { status: "failed", error: m.error.message });
    case "progress": {
      const prev = s.nodes[m.nodeId] ?? blank();
      const losses =
        m.loss === undefined ? prev.losses : [...prev.losses, m.loss].slice(-MAX_LOSSES);
      return patchNode(s, m.nodeId, {
        status: prev.status === "queued" || prev.status === "idle" ? "running" : prev.status,
        step: m.step,
        total: m.total,
        etaMs: m.etaMs,
        message: m.message,
        losses,
      });
    }
    case "run-finished":
    case "run-failed": {
      const nodes: Record<string, NodeRunState> = {};
      for (const [id, n] of Object.entries(s.nodes)) {
        const stuck = n.status === "queued" || n.status === "running";
        nodes[id] = stuck ? { ...n, status: m.type === "run-failed" ? "cancelled" : "idle" } : n;
      }
      const report = m.report as { ms?: number } | undefined;
      const took = typeof report?.ms === "number" ? ` in ${formatMs(report.ms)}` : "";
      const summary =
        m.type === "run-finished"
          ? `Finished${took}`
          : m.error.category === "cancelled"
            ? "Cancelled"
            : `Failed: ${m.error.message}`;
      return { ...s, nodes, active: false, summary, failed: m.type === "run-failed" };
    }
    default:
      return s;
  }
}

/** Holds the run state and notifies React; previews own object URLs that are revoked here. */
export class RunStore {
  private state = initialRunState();
  private readonly listeners = new Set<() => void>();

  getState = (): RunState => this.state;

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  private set(next: RunState): void {
    if (next === this.state) return;
    this.state = next;
    for (const fn of this.listeners) fn();
  }

  apply(m: ServerMessage): void {
    this.set(reduceServerMessage(this.state, m));
  }

  /** Shows a preview on its node; sample 0 wins over later samples of the same port. */
  setPreview(nodeId: string, p: NodePreview, runId: string): void {
    if (runId !== this.state.runId) {
      URL.revokeObjectURL(p.url);
      return;
    }
    const old = this.state.nodes[nodeId]?.preview;
    if (old) URL.revokeObjectURL(old.url);
    this.set(patchNode(this.state, nodeId, { preview: p }));
  }

  /** Local failure (e.g. the run request was refused): end the run with this message. */
  fail(message: string): void {
    this.set({ ...this.state, active: false, failed: true, summary: message });
  }

  clear(): void {
    for (const n of Object.values(this.state.nodes)) {
      if (n.preview) URL.revokeObjectURL(n.preview.url);
    }
    this.set({ ...initialRunState(), issues: this.state.issues });
  }
}
