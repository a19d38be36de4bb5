/**
 * WebSocket client for the runner protocol. Text frames are parsed with the shared zod union
 * (`zServerMessage`); binary frames are preview images. Requests carry an id and resolve with
 * the first message whose `replyTo` matches, or reject with the runner's error message.
 */
import { type EvalFrameHeader, splitFrame } from "../../../runner/src/protocol/eval-messages.ts";
import {
  type ClientMessage,
  decodePreviewFrame,
  PROTOCOL_VERSION,
  type PreviewHeader,
  type ServerMessage,
  zServerMessage,
} from "../../../runner/src/protocol/messages.ts";

export type PreviewListener = (header: PreviewHeader, png: Uint8Array) => void;
export type MessageListener = (m: ServerMessage) => void;

/** A binary evaluation frame: its header and its body (own buffer, offset 0). */
export interface EvalFrame {
  header: EvalFrameHeader;
  body: Uint8Array;
}

type Pending<T> = { resolve: (value: T) => void; reject: (e: Error) => void };

/** Distributive Omit so each union member keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

export class RunnerClient {
  private ws: WebSocket | null = null;
  private seq = 0;
  private readonly pending = new Map<string, Pending<ServerMessage>>();
  private readonly pendingFrames = new Map<string, Pending<EvalFrame>>();
  private readonly messageListeners = new Set<MessageListener>();
  private readonly previewListeners = new Set<PreviewListener>();
  private readonly closeListeners = new Set<(reason: string) => void>();

  /** Opens the socket and says hello; resolves with the server's hello. */
  async connect(url: string): Promise<Extract<ServerMessage, { type: "hello" }>> {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () =>
        reject(new Error(`cannot reach the runner at ${url}; is edgrec serve running?`));
    });
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = (ev) => {
      const reason = ev.reason || `connection closed (code ${ev.code})`;
      for (const p of this.pending.values()) p.reject(new Error(reason));
      this.pending.clear();
      for (const p of this.pendingFrames.values()) p.reject(new Error(reason));
      this.pendingFrames.clear();
      for (const fn of this.closeListeners) fn(reason);
    };
    const hello = await this.request({
      type: "hello",
      protocols: [PROTOCOL_VERSION],
      client: "edgrec-editor",
    });
    if (hello.type !== "hello") throw new Error(`runner answered hello with ${hello.type}`);
    return hello;
  }

  onMessage(fn: MessageListener): () => void {
    this.messageListeners.add(fn);
    return () => this.messageListeners.delete(fn);
  }

  onPreview(fn: PreviewListener): () => void {
    this.previewListeners.add(fn);
    return () => this.previewListeners.delete(fn);
  }

  onClose(fn: (reason: string) => void): () => void {
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }

  /** Sends without waiting for an answer; returns the message id. */
  send(msg: WithoutId<ClientMessage>): string {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      throw new Error("not connected to the runner; reload the page once edgrec serve runs");
    }
    const id = `e${++this.seq}`;
    this.ws.send(JSON.stringify({ ...msg, id }));
    return id;
  }

  /** Sends and waits for the reply; an `error` reply rejects with the runner's message. */
  request(msg: WithoutId<ClientMessage>, timeoutMs = 30_000): Promise<ServerMessage> {
    return this.awaitReply(this.pending, msg, timeoutMs);
  }

  /**
   * Sends a request answered by a binary eval frame (eval-sample, eval-thumbs); an `error`
   * reply rejects with the runner's message.
   */
  requestFrame(msg: WithoutId<ClientMessage>, timeoutMs = 60_000): Promise<EvalFrame> {
    return this.awaitReply(this.pendingFrames, msg, timeoutMs);
  }

  private awaitReply<T>(
    pending: Map<string, Pending<T>>,
    msg: WithoutId<ClientMessage>,
    timeoutMs: number,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      let id: string;
      try {
        id = this.send(msg);
      } catch (err) {
        reject(err as Error);
        return;
      }
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the runner did not answer "${msg.type}" within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  close(): void {
    this.ws?.close();
  }

  private receive(data: unknown): void {
    if (data instanceof ArrayBuffer) {
      try {
        const raw = splitFrame(new Uint8Array(data));
        if (raw.header.type === "eval-maps" || raw.header.type === "eval-thumbs") {
          const header = raw.header as EvalFrameHeader;
          const p = header.replyTo ? this.pendingFrames.get(header.replyTo) : undefined;
          if (p && header.replyTo) {
            this.pendingFrames.delete(header.replyTo);
            p.resolve({ header, body: raw.body });
          }
          return;
        }
        const { header, png } = decodePreviewFrame(new Uint8Array(data));
        for (const fn of this.previewListeners) fn(header, png);
      } catch (err) {
        console.warn("ignored a malformed preview frame:", (err as Error).message);
      }
      return;
    }
    let parsed: ServerMessage;
    try {
      parsed = zServerMessage.parse(JSON.parse(String(data)));
    } catch (err) {
      console.warn("ignored a malformed runner message:", (err as Error).message);
      return;
    }
    const replyTo = "replyTo" in parsed ? parsed.replyTo : undefined;
    if (replyTo !== undefined) {
      const f = this.pendingFrames.get(replyTo);
      if (f && parsed.type === "error") {
        this.pendingFrames.delete(replyTo);
        const e = parsed.error;
        f.reject(new Error(e.hint ? `${e.message} (${e.hint})` : e.message));
      }
      const p = this.pending.get(replyTo);
      if (p) {
        this.pending.delete(replyTo);
        if (parsed.type === "error") {
          const e = parsed.error;
          p.reject(new Error(e.hint ? `${e.message} (${e.hint})` : e.message));
        } else p.resolve(parsed);
      }
    }
    for (const fn of this.messageListeners) fn(parsed);
  }
}
