/**
 * The WebSocket protocol between runner and clients (editor, automation). Every message in
 * either direction is a member of one zod discriminated union; this file is imported by both
 * the runner and the editor bundle, so it must stay free of Node.js imports.
 *
 * Text frames carry JSON messages. Previews travel as binary frames: a 4-byte little-endian
 * header length, a UTF-8 JSON header (`PreviewHeader`), then PNG bytes.
 */
import { z } from "zod";
import { evalClientMessages, evalServerMessages } from "./eval-messages.ts";

export const PROTOCOL_VERSION = 1;
export const SUPPORTED_PROTOCOLS = [1] as const;
/** Largest text message the runner accepts (a big graph is well below this). */
export const MAX_MESSAGE_BYTES = 4 * 2 ** 20;

const id = z.string().min(1).max(64);
const nodeId = z.string().min(1).max(64);
const anyGraph = z.unknown();

// ---- client -> server --------------------------------------------------------------------

export const zHelloMessage = z.object({
  type: z.literal("hello"),
  id,
  protocols: z.array(z.number().int()).min(1).max(16),
  client: z.string().max(100).optional(),
});

export const zGetCatalogueMessage = z.object({ type: z.literal("get-catalogue"), id });

export const zValidateMessage = z.object({ type: z.literal("validate"), id, graph: anyGraph });

export const zRunMessage = z.object({
  type: z.literal("run"),
  id,
  graph: anyGraph,
  /** Compute only what these nodes need; omitted = the whole graph. */
  targets: z.array(nodeId).max(100).optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
  backend: z.enum(["auto", "wasm", "cpu", "tensorflow", "tensorflow-gpu"]).optional(),
});

export const zCancelMessage = z.object({ type: z.literal("cancel"), id, runId: id });

export const zSubscribeMessage = z.object({
  type: z.literal("subscribe"),
  id,
  runId: id,
  /** Replay every message of the run with a sequence number greater than this. */
  since: z.number().int().min(-1).default(-1),
});

export const zPreviewRequestMessage = z.object({
  type: z.literal("preview"),
  id,
  runId: id,
  nodeId,
  port: z.string().min(1).max(64),
  sample: z.number().int().min(0),
  /** "shared" uses one colour scale for the whole split; "per-image" rescales each map. */
  scale: z.enum(["shared", "per-image"]).optional(),
});

export const zSaveGraphMessage = z.object({
  type: z.literal("save-graph"),
  id,
  name: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/, "letters, digits, space, _ . - only"),
  graph: anyGraph,
});

export const zListGraphsMessage = z.object({ type: z.literal("list-graphs"), id });

export const zLoadGraphMessage = z.object({
  type: z.literal("load-graph"),
  id,
  name: z.string().min(1).max(100),
});

export const zClientMessage = z.discriminatedUnion("type", [
  zHelloMessage,
  zGetCatalogueMessage,
  zValidateMessage,
  zRunMessage,
  zCancelMessage,
  zSubscribeMessage,
  zPreviewRequestMessage,
  zSaveGraphMessage,
  zListGraphsMessage,
  zLoadGraphMessage,
  ...evalClientMessages,
]);
export type ClientMessage = z.infer<typeof zClientMessage>;

// ---- server -> client --------------------------------------------------------------------

export const zWireError = z.object({
  category: z.enum(["usage", "graph", "data", "runtime", "cancelled", "protocol"]),
  code: z.string(),
  message: z.string(),
  hint: z.string().optional(),
  nodeId: z.string().optional(),
  port: z.string().optional(),
  param: z.string().optional(),
  path: z.string().optional(),
  details: z.unknown().optional(),
});
export type WireError = z.infer<typeof zWireError>;

const replyTo = z.string().optional();
/** Run-scoped messages carry the run id and a per-run sequence number (for replay). */
const runScoped = { runId: z.string(), seq: z.number().int() };

export const zServerMessage = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("hello"),
    replyTo,
    protocol: z.number().int(),
    server: z.string(),
    runnerVersion: z.string(),
    backends: z.array(z.string()),
  }),
  z.object({ type: z.literal("catalogue"), replyTo, catalogue: z.unknown() }),
  z.object({
    type: z.literal("validation"),
    replyTo,
    ok: z.boolean(),
    issues: z.array(
      z.object({
        code: z.string(),
        message: z.string(),
        nodeId: z.string().optional(),
        port: z.string().optional(),
        param: z.string().optional(),
        value: z.unknown().optional(),
        expected: z.string().optional(),
        hint: z.string(),
      }),
    ),
  }),
  z.object({
    type: z.literal("run-accepted"),
    replyTo,
    runId: z.string(),
    /** 0 = starts now; n = n runs ahead of it in the queue. */
    queuePosition: z.number().int(),
  }),
  z.object({ type: z.literal("run-queued"), ...runScoped, queuePosition: z.number().int() }),
  z.object({
    type: z.literal("run-started"),
    ...runScoped,
    nodes: z.array(z.string()),
    seed: z.number(),
  }),
  z.object({
    type: z.literal("node-started"),
    ...runScoped,
    nodeId: z.string(),
    reason: z.string(),
  }),
  z.object({
    type: z.literal("node-cached"),
    ...runScoped,
    nodeId: z.string(),
    reason: z.string(),
    from: z.enum(["memory", "disk"]),
  }),
  z.object({
    type: z.literal("node-finished"),
    ...runScoped,
    nodeId: z.string(),
    ms: z.number(),
    lazy: z.boolean().optional(),
  }),
  z.object({ type: z.literal("node-failed"), ...runScoped, nodeId: z.string(), error: zWireError }),
  z.object({
    type: z.literal("progress"),
    ...runScoped,
    nodeId: z.string(),
    step: z.number(),
    total: z.number(),
    etaMs: z.number().optional(),
    loss: z.number().optional(),
    message: z.string().optional(),
    values: z.record(z.string(), z.number()).optional(),
  }),
  z.object({ type: z.literal("metrics"), ...runScoped, nodeId: z.string(), metrics: z.unknown() }),
  z.object({
    type: z.literal("log"),
    ...runScoped,
    nodeId: z.string().optional(),
    level: z.enum(["info", "warn"]),
    message: z.string(),
  }),
  z.object({ type: z.literal("run-finished"), ...runScoped, report: z.unknown() }),
  z.object({ type: z.literal("run-failed"), ...runScoped, error: zWireError, report: z.unknown() }),
  z.object({
    type: z.literal("subscribed"),
    replyTo,
    runId: z.string(),
    lastSeq: z.number().int(),
  }),
  z.object({ type: z.literal("graph-saved"), replyTo, name: z.string() }),
  z.object({
    type: z.literal("graph-list"),
    replyTo,
    graphs: z.array(z.object({ name: z.string(), builtin: z.boolean(), modified: z.string() })),
  }),
  z.object({ type: z.literal("graph"), replyTo, name: z.string(), graph: z.unknown() }),
  z.object({ type: z.literal("error"), replyTo, error: zWireError }),
  ...evalServerMessages,
]);
export type ServerMessage = z.infer<typeof zServerMessage>;

/** Header of a binary preview frame. */
export const zPreviewHeader = z.object({
  type: z.literal("preview"),
  runId: z.string(),
  seq: z.number().int(),
  nodeId: z.string(),
  port: z.string(),
  sample: z.number().int(),
  label: z.string().optional(),
  /** Set when the frame answers a preview request. */
  replyTo: z.string().optional(),
  width: z.number().int(),
  height: z.number().int(),
  mime: z.literal("image/png"),
});
export type PreviewHeader = z.infer<typeof zPreviewHeader>;

/** Packs a preview header and PNG bytes into one binary frame. */
export function encodePreviewFrame(header: PreviewHeader, png: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(4 + head.length + png.length);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  out.set(png, 4 + head.length);
  return out;
}

export function decodePreviewFrame(frame: Uint8Array): { header: PreviewHeader; png: Uint8Array } {
  if (frame.length < 4) throw new Error("preview frame shorter than its length prefix");
  const len = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0, true);
  if (4 + len > frame.length) throw new Error("preview frame header runs past the frame");
  const header = zPreviewHeader.parse(
    JSON.parse(new TextDecoder().decode(frame.subarray(4, 4 + len))),
  );
  return { header, png: frame.subarray(4 + len) };
}
