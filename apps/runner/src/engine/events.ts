/** The one event stream of a run, consumed by the CLI, the WebSocket server and the tests. */
import type { ErrorCategory, ErrorInfo } from "../../../../nodes/sdk/errors.ts";
import type { PreviewValue } from "../../../../nodes/sdk/node.ts";

export type NodeStatus = "ran" | "cached" | "lazy" | "failed" | "skipped" | "cancelled";

export interface NodeReport {
  status: NodeStatus;
  reason: string;
  ms?: number;
  from?: "memory" | "disk";
  samples?: { computed: number; cached: number };
  key: string;
  error?: ErrorInfo & { category: ErrorCategory };
}

export interface RunReport {
  runId: string;
  ok: boolean;
  cancelled: boolean;
  ms: number;
  seed: number;
  nodes: Record<string, NodeReport>;
  /** Small whole outputs worth showing (metrics, scores summary, reports), per node id. */
  results: Record<string, unknown>;
  error?: ErrorInfo & { category: ErrorCategory };
}

export type RunEvent =
  | { type: "run-started"; runId: string; nodes: string[]; seed: number }
  | { type: "node-started"; runId: string; nodeId: string; reason: string }
  | { type: "node-cached"; runId: string; nodeId: string; reason: string; from: "memory" | "disk" }
  | { type: "node-finished"; runId: string; nodeId: string; ms: number; lazy?: boolean }
  | {
      type: "node-failed";
      runId: string;
      nodeId: string;
      error: ErrorInfo & { category: ErrorCategory };
    }
  | {
      type: "progress";
      runId: string;
      nodeId: string;
      step: number;
      total: number;
      etaMs?: number;
      loss?: number;
      message?: string;
      values?: Record<string, number>;
    }
  | {
      type: "preview";
      runId: string;
      nodeId: string;
      port: string;
      sample: number;
      label?: string;
      value: PreviewValue;
    }
  | { type: "metrics"; runId: string; nodeId: string; metrics: unknown }
  | { type: "log"; runId: string; nodeId?: string; level: "info" | "warn"; message: string }
  | { type: "run-finished"; runId: string; report: RunReport };
