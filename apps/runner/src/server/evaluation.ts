/**
 * Evaluation sessions as the server keeps them: opened on a finished run whose values are
 * still held, reused when the same run and weighted sum are opened again, and bounded (the
 * oldest session is dropped past `MAX_SESSIONS`, since each holds the split's maps).
 */
import { randomUUID } from "node:crypto";
import { EdgrecError } from "../../../../nodes/sdk/errors.ts";
import { EvalSession } from "../eval-session/session.ts";
import type { EvalFrameHeader, EvalOpened, EvalScores } from "../protocol/eval-messages.ts";
import { EVAL_ALIGN, encodeEvalFrame } from "../protocol/eval-messages.ts";
import type { ClientMessage } from "../protocol/messages.ts";
import type { ServerContext } from "./context.ts";

/** Sessions kept at once (two runs side by side plus one spare). */
export const MAX_SESSIONS = 3;

type EvalMessage<T extends string> = Extract<ClientMessage, { type: T }>;

export class EvalSessions {
  private readonly sessions = new Map<string, EvalSession>();
  private readonly opening = new Map<string, Promise<EvalSession>>();

  constructor(private readonly ctx: ServerContext) {}

  get(id: string): EvalSession {
    const s = this.sessions.get(id);
    if (!s) {
      throw new EdgrecError("usage", {
        code: "E_EVAL_SESSION",
        message: `no evaluation session ${id}`,
        hint: `sessions are dropped after the ${MAX_SESSIONS} most recent; open the run again`,
      });
    }
    return s;
  }

  /** Opens (or reuses) the session of a run's weighted sum. */
  async open(runId: string, sumNode?: string): Promise<EvalSession> {
    const run = this.ctx.runs.get(runId);
    if (!run) {
      throw new EdgrecError("usage", {
        code: "E_UNKNOWN_RUN",
        message: `no run with id ${runId}`,
        hint: "open the workspace on a run of this runner",
      });
    }
    const reuse = [...this.sessions.values()].find(
      (s) => s.runId === runId && (!sumNode || s.wiring.sumNode === sumNode),
    );
    if (reuse) return reuse;
    const key = `${runId}\0${sumNode ?? ""}`;
    const pending = this.opening.get(key);
    if (pending) return pending;
    if (!run.values) {
      throw new EdgrecError("usage", {
        code: "E_PREVIEW_UNAVAILABLE",
        message:
          run.status === "queued" || run.status === "running"
            ? `run ${runId} is ${run.status}; open the workspace once it has finished`
            : `outputs of run ${runId} are no longer kept in memory`,
        hint: "the runner keeps the outputs of the 4 most recent runs; run the graph again",
      });
    }
    const registry = this.ctx.runtime.registry;
    const job = EvalSession.open({
      id: randomUUID(),
      runId,
      graph: run.request.graph,
      values: run.values,
      sumNode,
      portType: (type, side, port) => {
        const def = registry.get(type)?.def;
        return (side === "in" ? def?.inputs[port] : def?.outputs[port])?.type;
      },
    });
    this.opening.set(key, job);
    try {
      const s = await job;
      this.sessions.set(s.id, s);
      while (this.sessions.size > MAX_SESSIONS) {
        const oldest = this.sessions.keys().next().value as string;
        this.sessions.delete(oldest);
      }
      this.ctx.log.info(
        { runId, session: s.id, ms: Math.round(s.openMs), ...s.memory() },
        "evaluation session opened",
      );
      return s;
    } finally {
      this.opening.delete(key);
    }
  }

  close(id: string): void {
    this.sessions.delete(id);
  }
}

const byContext = new WeakMap<ServerContext, EvalSessions>();

/** The sessions of a server (created on first use). */
export function evalSessions(ctx: ServerContext): EvalSessions {
  let s = byContext.get(ctx);
  if (!s) {
    s = new EvalSessions(ctx);
    byContext.set(ctx, s);
  }
  return s;
}

/** Parameters of a graph node after applying its schema defaults. */
function nodeParams(ctx: ServerContext, s: EvalSession, nodeId: string): Record<string, unknown> {
  const run = ctx.runs.get(s.runId);
  const node = run?.request.graph.nodes.find((n) => n.id === nodeId);
  if (!node) return {};
  const def = ctx.runtime.registry.get(node.type)?.def;
  const parsed = def?.params.safeParse(node.params);
  return parsed?.success ? (parsed.data as Record<string, unknown>) : node.params;
}

function range(a: Float32Array): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return Number.isFinite(min) ? { min, max } : { min: 0, max: 0 };
}

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

/** The `eval-opened` answer for a session. */
export function openedMessage(
  ctx: ServerContext,
  s: EvalSession,
  replyTo: string,
): Omit<EvalOpened, never> {
  const sum = nodeParams(ctx, s, s.wiring.sumNode);
  const split = s.split;
  return {
    type: "eval-opened",
    replyTo,
    sessionId: s.id,
    runId: s.runId,
    sumNode: s.wiring.sumNode,
    sumNodes: s.wiring.sumNodes,
    color: s.wiring.color,
    structure: s.wiring.structure,
    weights: { color: num(sum.colorWeight) ?? 1, structure: num(sum.structureWeight) ?? 1 },
    filterSizes: {
      color: num(nodeParams(ctx, s, s.wiring.color.nodeId).filterSize),
      structure: num(nodeParams(ctx, s, s.wiring.structure.nodeId).filterSize),
    },
    ...(s.graphThreshold ? { threshold: s.graphThreshold } : {}),
    width: split.width,
    height: split.height,
    samples: split.ids.map((id, i) => ({ id, label: split.labels[i], defect: split.defects[i] })),
    stages: s.wiring.stages,
    regions: split.regions,
    masksMissing: split.masksMissing,
    ranges: { color: range(split.color), structure: range(split.structure) },
    memory: s.memory(),
    openMs: s.openMs,
  };
}

/** The `eval-scores` answer to a rescore request. */
export function scoresMessage(
  s: EvalSession,
  msg: EvalMessage<"eval-rescore">,
): Omit<EvalScores, never> {
  const r = s.rescore({
    wColor: msg.wColor,
    wStructure: msg.wStructure,
    threshold: msg.threshold,
    fprLimit: msg.fprLimit,
  });
  return {
    type: "eval-scores",
    replyTo: msg.id,
    sessionId: s.id,
    wColor: msg.wColor,
    wStructure: msg.wStructure,
    scores: r.scores,
    range: r.range,
    metrics: r.metrics,
    ...(r.confusion ? { confusion: r.confusion } : {}),
    curves: r.curves,
    timings: r.timings,
  };
}

function bytesOf(a: Float32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Binary frame with one sample's float32 maps and mask. */
export function sampleFrame(s: EvalSession, msg: EvalMessage<"eval-sample">): Uint8Array {
  const m = s.sampleMaps(msg.sample);
  const px = s.split.width * s.split.height;
  const body = new Uint8Array(px * 9);
  body.set(bytesOf(m.color), 0);
  body.set(bytesOf(m.structure), px * 4);
  body.set(m.mask, px * 8);
  const header: EvalFrameHeader = {
    type: "eval-maps",
    replyTo: msg.id,
    sessionId: s.id,
    sample: msg.sample,
    count: 1,
    width: s.split.width,
    height: s.split.height,
    mime: "application/x-edgrec-f32",
  };
  return encodeEvalFrame(header, body);
}

/** Binary frame with every sample's thumbnails (RGB, colour, structure). */
export function thumbsFrame(s: EvalSession, msg: EvalMessage<"eval-thumbs">): Uint8Array {
  const t = s.thumbs;
  const rgbBytes = t.rgb.byteLength;
  const pad = (EVAL_ALIGN - (rgbBytes % EVAL_ALIGN)) % EVAL_ALIGN;
  const body = new Uint8Array(rgbBytes + pad + t.color.byteLength + t.structure.byteLength);
  body.set(t.rgb, 0);
  body.set(bytesOf(t.color), rgbBytes + pad);
  body.set(bytesOf(t.structure), rgbBytes + pad + t.color.byteLength);
  const header: EvalFrameHeader = {
    type: "eval-thumbs",
    replyTo: msg.id,
    sessionId: s.id,
    count: s.split.count,
    width: t.side,
    height: t.side,
    mime: "application/x-edgrec-f32",
  };
  return encodeEvalFrame(header, body);
}
