/**
 * Messages of the evaluation workspace (see docs/protocol.md, "Evaluation sessions"). Kept
 * beside messages.ts, whose unions include them; like it, free of Node.js imports.
 *
 * Binary frames of the workspace use the preview layout (4-byte little-endian header length,
 * UTF-8 JSON header, body) with an `EvalFrameHeader` whose `type` says what the body holds.
 */
import { z } from "zod";

const id = z.string().min(1).max(64);
const replyTo = z.string().optional();
const weight = z.number().min(0).max(1000);

// ---- client -> server --------------------------------------------------------------------

export const zEvalOpenMessage = z.object({
  type: z.literal("eval-open"),
  id,
  runId: id,
  /** Weighted-sum node to rebalance; default: the one feeding a metrics node. */
  sumNode: z.string().min(1).max(64).optional(),
});

export const zEvalRescoreMessage = z.object({
  type: z.literal("eval-rescore"),
  id,
  sessionId: id,
  wColor: weight,
  wStructure: weight,
  /** Decision threshold (image score > t, pixel > t); omitted = no confusion counts. */
  threshold: z.number().finite().optional(),
  fprLimit: z.number().gt(0).max(1).optional(),
});

export const zEvalSampleMessage = z.object({
  type: z.literal("eval-sample"),
  id,
  sessionId: id,
  sample: z.number().int().min(0),
});

export const zEvalThumbsMessage = z.object({ type: z.literal("eval-thumbs"), id, sessionId: id });

export const zEvalCloseMessage = z.object({ type: z.literal("eval-close"), id, sessionId: id });

export const evalClientMessages = [
  zEvalOpenMessage,
  zEvalRescoreMessage,
  zEvalSampleMessage,
  zEvalThumbsMessage,
  zEvalCloseMessage,
] as const;

// ---- server -> client --------------------------------------------------------------------

const metric = z.object({
  value: z.number().nullable(),
  reason: z.string().optional(),
  threshold: z.number().nullable().optional(),
  fprLimit: z.number().optional(),
});
const curve = z.object({ x: z.array(z.number()), y: z.array(z.number()) });
const confusion = z.object({ tp: z.number(), fp: z.number(), tn: z.number(), fn: z.number() });
const portRef = z.object({ nodeId: z.string(), port: z.string() });

export const zEvalMetrics = z.object({
  imageAuroc: metric,
  imageAp: metric,
  imageF1Max: metric,
  pixelAuroc: metric,
  pixelAp: metric,
  pixelF1Max: metric,
  auPro: metric,
});
export type EvalMetrics = z.infer<typeof zEvalMetrics>;

export const zEvalCurves = z.object({
  imageRoc: curve,
  imagePr: curve,
  pixelRoc: curve,
  pixelPr: curve,
  pro: curve,
});
export type EvalCurves = z.infer<typeof zEvalCurves>;

export const zEvalOpened = z.object({
  type: z.literal("eval-opened"),
  replyTo,
  sessionId: z.string(),
  runId: z.string(),
  sumNode: z.string(),
  sumNodes: z.array(z.string()),
  color: portRef,
  structure: portRef,
  /** Weights and filter sizes the run used. */
  weights: z.object({ color: z.number(), structure: z.number() }),
  filterSizes: z.object({ color: z.number().optional(), structure: z.number().optional() }),
  threshold: z.object({ value: z.number(), source: z.string() }).optional(),
  width: z.number().int(),
  height: z.number().int(),
  samples: z.array(
    z.object({
      id: z.string(),
      label: z.union([z.literal(0), z.literal(1), z.literal(-1)]),
      defect: z.string(),
    }),
  ),
  stages: z.array(
    portRef.extend({
      key: z.enum(["input", "edge", "reconstruction", "color", "structure", "mask"]),
      label: z.string(),
    }),
  ),
  regions: z.number().int(),
  masksMissing: z.number().int(),
  /** Min/max of the colour and structure maps over the split (their shared colour scales). */
  ranges: z.object({
    color: z.object({ min: z.number(), max: z.number() }),
    structure: z.object({ min: z.number(), max: z.number() }),
  }),
  memory: z.object({ mapsBytes: z.number(), workBytes: z.number(), thumbBytes: z.number() }),
  openMs: z.number(),
});
export type EvalOpened = z.infer<typeof zEvalOpened>;

export const zEvalScores = z.object({
  type: z.literal("eval-scores"),
  replyTo,
  sessionId: z.string(),
  wColor: z.number(),
  wStructure: z.number(),
  scores: z.array(z.number()),
  range: z.object({ min: z.number(), max: z.number() }),
  metrics: zEvalMetrics,
  confusion: z.object({ threshold: z.number(), image: confusion, pixel: confusion }).optional(),
  curves: zEvalCurves,
  timings: z.record(z.string(), z.number()),
});
export type EvalScores = z.infer<typeof zEvalScores>;

export const zEvalClosed = z.object({
  type: z.literal("eval-closed"),
  replyTo,
  sessionId: z.string(),
});

export const evalServerMessages = [zEvalOpened, zEvalScores, zEvalClosed] as const;

// ---- binary frames -----------------------------------------------------------------------

/**
 * `eval-maps`: body = colour map (width·height float32 LE), structure map (same), mask
 * (width·height uint8, 1 = defect pixel under mask > 0.5).
 * `eval-thumbs`: body = for all `count` samples: RGB thumbnails (side²·3 uint8 each), then
 * colour thumbnails (side² float32 each), then structure thumbnails (same); float planes start
 * at a 4-byte-aligned offset (padding after the RGB block).
 */
export const zEvalFrameHeader = z.object({
  type: z.enum(["eval-maps", "eval-thumbs"]),
  replyTo,
  sessionId: z.string(),
  sample: z.number().int().optional(),
  count: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  mime: z.literal("application/x-edgrec-f32"),
});
export type EvalFrameHeader = z.infer<typeof zEvalFrameHeader>;

/** Float planes start at this multiple of bytes inside a frame body. */
export const EVAL_ALIGN = 4;

/** Packs an eval frame header and body (preview frame layout). */
export function encodeEvalFrame(header: EvalFrameHeader, body: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(4 + head.length + body.length);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  out.set(body, 4 + head.length);
  return out;
}

/**
 * Reads the JSON header of any binary frame (preview or eval) and returns it with the body.
 * The body is a copy starting at offset 0 of its own buffer, so float32 views are aligned.
 */
export function splitFrame(frame: Uint8Array): { header: { type?: unknown }; body: Uint8Array } {
  if (frame.length < 4) throw new Error("binary frame shorter than its length prefix");
  const len = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0, true);
  if (4 + len > frame.length) throw new Error("binary frame header runs past the frame");
  const header = JSON.parse(new TextDecoder().decode(frame.subarray(4, 4 + len)));
  return { header, body: frame.slice(4 + len) };
}
