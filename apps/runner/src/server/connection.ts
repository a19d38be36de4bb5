/**
 * One WebSocket client: parses and rate-limits its messages, answers requests, and receives
 * run messages and preview frames as a run watcher. Sending never waits: previews are
 * throttled per node and dropped while the client's socket buffer is full, and a client whose
 * buffer keeps growing is disconnected (it can reconnect and replay with `subscribe`/`since`).
 */
import type { Logger } from "pino";
import WebSocket from "ws";
import { EdgrecError } from "../../../../nodes/sdk/errors.ts";
import { isStream } from "../../../../nodes/sdk/node.ts";
import {
  type ClientMessage,
  encodePreviewFrame,
  type ServerMessage,
  SUPPORTED_PROTOCOLS,
  zClientMessage,
} from "../protocol/messages.ts";
import { buildCatalogue } from "../registry.ts";
import type { ServerContext } from "./context.ts";
import { protocolError, wireError } from "./errors.ts";
import {
  evalSessions,
  openedMessage,
  sampleFrame,
  scoresMessage,
  thumbsFrame,
} from "./evaluation.ts";
import { checkGraph, runnableGraph } from "./graphs.ts";
import { isPreviewable, previewPng } from "./preview.ts";
import { TokenBucket } from "./rate-limit.ts";
import type { RunMessage, Watcher } from "./runs.ts";

const KNOWN_TYPES = new Set<string>(zClientMessage.options.map((o) => o.shape.type.value));

interface Throttle {
  bucket: TokenBucket;
  pending?: Uint8Array;
  timer?: NodeJS.Timeout;
}

export class Connection implements Watcher {
  private readonly bucket: TokenBucket;
  private readonly throttles = new Map<string, Throttle>();
  private protocol: number | undefined;
  private lastLimitedReply = 0;
  /** Counters for logs and tests. */
  readonly stats = { previewsSent: 0, previewsDropped: 0, messagesSent: 0, limited: 0 };

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: ServerContext,
    readonly log: Logger,
  ) {
    this.bucket = new TokenBucket(ctx.limits.messageBurst, ctx.limits.messagesPerSecond);
    ws.on("message", (data, isBinary) => this.receive(data, isBinary));
    ws.on("close", (code) => this.closed(code));
    ws.on("error", (err) => log.warn({ err }, "socket error"));
  }

  // ---- sending ---------------------------------------------------------------------------

  /** False when the socket is gone or was just dropped for being too slow. */
  private writable(): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    if (this.ws.bufferedAmount > this.ctx.limits.maxBufferBytes) {
      this.log.warn({ buffered: this.ws.bufferedAmount }, "client too slow; disconnecting it");
      this.ws.terminate();
      return false;
    }
    return true;
  }

  send(msg: ServerMessage): void {
    if (!this.writable()) return;
    this.ws.send(JSON.stringify(msg));
    this.stats.messagesSent++;
  }

  private sendError(replyTo: string | undefined, error: ReturnType<typeof wireError>): void {
    this.send({ type: "error", ...(replyTo ? { replyTo } : {}), error });
  }

  message(msg: RunMessage): void {
    this.send(msg);
  }

  /** Live preview: at most `previewBurst` at once and `previewsPerSecond` per node; the latest
   * frame over the limit waits for the next token, older ones are replaced (dropped). */
  preview(runId: string, nodeId: string, frame: Uint8Array): void {
    const key = `${runId}\0${nodeId}`;
    let t = this.throttles.get(key);
    if (!t) {
      t = {
        bucket: new TokenBucket(this.ctx.limits.previewBurst, this.ctx.limits.previewsPerSecond),
      };
      this.throttles.set(key, t);
    }
    if (!t.timer && t.bucket.take()) {
      this.sendFrame(frame);
      return;
    }
    if (t.pending) this.stats.previewsDropped++;
    t.pending = frame;
    if (!t.timer) {
      const throttle = t;
      throttle.timer = setTimeout(() => {
        throttle.timer = undefined;
        const f = throttle.pending;
        throttle.pending = undefined;
        if (f && throttle.bucket.take()) this.sendFrame(f);
        else if (f) this.stats.previewsDropped++;
      }, t.bucket.waitMs());
    }
  }

  private sendFrame(frame: Uint8Array, requested = false): void {
    if (!this.writable()) return;
    if (!requested && this.ws.bufferedAmount > this.ctx.limits.previewBufferBytes) {
      this.stats.previewsDropped++;
      return;
    }
    this.ws.send(frame, { binary: true });
    this.stats.previewsSent++;
  }

  private closed(code: number): void {
    this.ctx.runs.unwatch(this);
    for (const t of this.throttles.values()) if (t.timer) clearTimeout(t.timer);
    this.throttles.clear();
    this.log.info({ code, ...this.stats }, "client disconnected");
  }

  // ---- receiving -------------------------------------------------------------------------

  private receive(data: WebSocket.RawData, isBinary: boolean): void {
    if (!this.bucket.take()) {
      this.stats.limited++;
      const now = performance.now();
      // One answer per 100 ms at most: answering every message of a flood would amplify it.
      if (now - this.lastLimitedReply > 100) {
        this.lastLimitedReply = now;
        this.sendError(
          undefined,
          protocolError(
            "E_RATE_LIMITED",
            `too many messages: at most ${this.ctx.limits.messagesPerSecond} per second`,
            "slow down; messages over the limit were ignored",
          ),
        );
      }
      return;
    }
    if (isBinary) {
      this.sendError(
        undefined,
        protocolError("E_BINARY_MESSAGE", "the runner accepts only text (JSON) messages"),
      );
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString());
    } catch (err) {
      this.sendError(
        undefined,
        protocolError(
          "E_BAD_JSON",
          `message is not valid JSON: ${(err as Error).message}`,
          "send one JSON object per text frame",
        ),
      );
      return;
    }
    const rawId =
      raw && typeof raw === "object" && typeof (raw as { id?: unknown }).id === "string"
        ? ((raw as { id: string }).id as string).slice(0, 64)
        : undefined;
    const type = raw && typeof raw === "object" ? (raw as { type?: unknown }).type : undefined;
    if (typeof type !== "string" || !KNOWN_TYPES.has(type)) {
      this.sendError(
        rawId,
        protocolError(
          "E_UNKNOWN_TYPE",
          `unknown message type ${JSON.stringify(type)}`,
          `use one of: ${[...KNOWN_TYPES].join(", ")}`,
        ),
      );
      return;
    }
    const parsed = zClientMessage.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({
        path: i.path.join("."),
        message: i.message,
      }));
      this.sendError(
        rawId,
        protocolError(
          "E_BAD_MESSAGE",
          `"${type}" message has wrong fields: ${issues
            .slice(0, 3)
            .map((i) => `${i.path || "(root)"}: ${i.message}`)
            .join("; ")}`,
          "see docs/protocol.md for the fields of each message",
          issues,
        ),
      );
      return;
    }
    const msg = parsed.data;
    if (msg.type !== "hello" && this.protocol === undefined) {
      this.sendError(
        msg.id,
        protocolError(
          "E_HELLO_REQUIRED",
          `"${msg.type}" before "hello"`,
          'start with {"type":"hello","id":"1","protocols":[1]}',
        ),
      );
      return;
    }
    this.handle(msg).catch((err) => {
      this.log.debug({ err, type: msg.type }, "request failed");
      this.sendError(msg.id, wireError(err));
    });
  }

  private async handle(msg: ClientMessage): Promise<void> {
    const { ctx } = this;
    switch (msg.type) {
      case "hello": {
        const common = msg.protocols.filter((p) =>
          (SUPPORTED_PROTOCOLS as readonly number[]).includes(p),
        );
        if (common.length === 0) {
          this.sendError(
            msg.id,
            protocolError(
              "E_PROTOCOL_VERSION",
              `no common protocol version: client speaks ${msg.protocols.join(", ")}, runner speaks ${SUPPORTED_PROTOCOLS.join(", ")}`,
              "update the editor or the runner so both speak one version",
            ),
          );
          this.ws.close(1002, "no common protocol version");
          return;
        }
        this.protocol = Math.max(...common);
        this.log.info({ protocol: this.protocol, client: msg.client }, "hello");
        this.send({
          type: "hello",
          replyTo: msg.id,
          protocol: this.protocol,
          server: "edgrec-runner",
          runnerVersion: ctx.runnerVersion,
          backends: ["auto", "wasm", "cpu", "tensorflow", "tensorflow-gpu"],
        });
        return;
      }
      case "get-catalogue":
        this.send({
          type: "catalogue",
          replyTo: msg.id,
          catalogue: buildCatalogue(ctx.runtime.registry),
        });
        return;
      case "validate": {
        const { result } = checkGraph(ctx, msg.graph);
        this.send({ type: "validation", replyTo: msg.id, ok: result.ok, issues: result.issues });
        return;
      }
      case "run": {
        const graph = runnableGraph(ctx, msg.graph, msg.targets);
        const run = ctx.runs.submit({
          graph,
          targets: msg.targets,
          seed: msg.seed,
          backend: msg.backend,
        });
        this.send({
          type: "run-accepted",
          replyTo: msg.id,
          runId: run.id,
          queuePosition: ctx.runs.queuePosition(run),
        });
        ctx.runs.subscribe(run, this, -1);
        return;
      }
      case "cancel": {
        const run = ctx.runs.get(msg.runId);
        if (!run) throw unknownRun(msg.runId);
        if (!ctx.runs.cancel(msg.runId)) {
          throw new EdgrecError("usage", {
            code: "E_RUN_NOT_ACTIVE",
            message: `run ${msg.runId} already ended (${run.status})`,
            hint: "only queued or running runs can be cancelled",
          });
        }
        return;
      }
      case "subscribe": {
        const run = ctx.runs.get(msg.runId);
        if (!run) throw unknownRun(msg.runId);
        this.send({ type: "subscribed", replyTo: msg.id, runId: run.id, lastSeq: run.lastSeq });
        ctx.runs.subscribe(run, this, msg.since);
        return;
      }
      case "preview":
        await this.answerPreview(msg);
        return;
      case "save-graph":
        await ctx.library.save(msg.name, msg.graph);
        this.log.info({ name: msg.name }, "graph saved");
        this.send({ type: "graph-saved", replyTo: msg.id, name: msg.name });
        return;
      case "list-graphs":
        this.send({ type: "graph-list", replyTo: msg.id, graphs: await ctx.library.list() });
        return;
      case "load-graph": {
        const { graph } = await ctx.library.load(msg.name);
        this.send({ type: "graph", replyTo: msg.id, name: msg.name, graph });
        return;
      }
      case "eval-open": {
        const s = await evalSessions(ctx).open(msg.runId, msg.sumNode);
        this.send(openedMessage(ctx, s, msg.id));
        return;
      }
      case "eval-rescore":
        this.send(scoresMessage(evalSessions(ctx).get(msg.sessionId), msg));
        return;
      case "eval-sample":
        this.sendFrame(sampleFrame(evalSessions(ctx).get(msg.sessionId), msg), true);
        return;
      case "eval-thumbs":
        this.sendFrame(thumbsFrame(evalSessions(ctx).get(msg.sessionId), msg), true);
        return;
      case "eval-close":
        evalSessions(ctx).close(msg.sessionId);
        this.send({ type: "eval-closed", replyTo: msg.id, sessionId: msg.sessionId });
        return;
    }
  }

  private async answerPreview(msg: Extract<ClientMessage, { type: "preview" }>): Promise<void> {
    const run = this.ctx.runs.get(msg.runId);
    if (!run) throw unknownRun(msg.runId);
    if (!run.values) {
      throw new EdgrecError("usage", {
        code: "E_PREVIEW_UNAVAILABLE",
        message:
          run.status === "queued" || run.status === "running"
            ? `run ${msg.runId} is ${run.status}; its outputs can be previewed once it ends`
            : `outputs of run ${msg.runId} are no longer kept in memory`,
        hint: "preview a recent run, or run the graph again",
      });
    }
    const outputs = run.values.get(msg.nodeId);
    if (!outputs || !(msg.port in outputs)) {
      throw new EdgrecError("usage", {
        code: "E_PREVIEW_NO_OUTPUT",
        message: `run ${msg.runId} has no output "${msg.port}" of node "${msg.nodeId}"`,
        hint: outputs
          ? `outputs of "${msg.nodeId}": ${Object.keys(outputs).join(", ")}`
          : "the node was not computed in this run (outside its targets, or it failed)",
        nodeId: msg.nodeId,
        port: msg.port,
      });
    }
    const v = outputs[msg.port];
    let value: unknown = v;
    let label: string | undefined;
    let range: { min: number; max: number } | undefined;
    if (isStream(v)) {
      value = await v.get(msg.sample, 0);
      label = v.info(msg.sample).id;
      if ((msg.scale ?? "shared") === "shared" && v.type === "ScoreMap") {
        range = await this.ctx.scales.rangeOf(v);
      }
    }
    if (!isPreviewable(value)) {
      throw new EdgrecError("usage", {
        code: "E_NOT_PREVIEWABLE",
        message: `output "${msg.port}" of node "${msg.nodeId}" is not an image or a score map`,
        hint: "ask for a preview of an Image, Gray, Edge, Mask or ScoreMap output",
        nodeId: msg.nodeId,
        port: msg.port,
      });
    }
    const { png, width, height } = await previewPng(value, range);
    const frame = encodePreviewFrame(
      {
        type: "preview",
        runId: run.id,
        seq: run.lastSeq,
        nodeId: msg.nodeId,
        port: msg.port,
        sample: msg.sample,
        ...(label !== undefined ? { label } : {}),
        replyTo: msg.id,
        width,
        height,
        mime: "image/png",
      },
      png,
    );
    this.sendFrame(frame, true);
  }
}

function unknownRun(runId: string): EdgrecError {
  return new EdgrecError("usage", {
    code: "E_UNKNOWN_RUN",
    message: `no run with id ${runId}`,
    hint: "the id comes from run-accepted; runs are forgotten after the 100 most recent",
  });
}
