/** A real server on 127.0.0.1:0 and a real `ws` client that records everything it receives. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import WebSocket from "ws";
import {
  decodePreviewFrame,
  type PreviewHeader,
  type ServerMessage,
  zServerMessage,
} from "../../apps/runner/src/protocol/messages.ts";
import { PROJECT_ROOT } from "../../apps/runner/src/runtime.ts";
import {
  type RunnerServer,
  type ServerOptions,
  startServer,
} from "../../apps/runner/src/server/server.ts";

export const PLUGINS = [
  join(PROJECT_ROOT, "test/fixtures/plugins/good"),
  join(PROJECT_ROOT, "test/server/fixtures/plugins"),
];

export function tempDir(prefix = "edgrec-server-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Starts a quiet server with the test plugins on an ephemeral port. */
export async function testServer(options: ServerOptions = {}): Promise<RunnerServer> {
  const dir = options.cacheDir ?? tempDir();
  return startServer({
    port: 0,
    cacheDir: dir,
    outDir: join(dir, "out"),
    pluginDirs: PLUGINS,
    dataRoots: [join(dir, "data")],
    builtinGraphsDir: join(dir, "builtin-graphs"),
    editorDir: join(dir, "no-editor"),
    inspectSourceTypes: ["test.images"],
    log: pino({ level: process.env.EDGREC_TEST_LOG ?? "silent" }),
    ...options,
  });
}

export type Frame = { header: PreviewHeader; png: Uint8Array; at: number };

export class Client {
  readonly messages: (ServerMessage & { at: number })[] = [];
  readonly frames: Frame[] = [];
  /** Anything that did not parse as a server message: must stay empty. */
  readonly invalid: unknown[] = [];
  private waiters: (() => void)[] = [];
  private n = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data, isBinary) => {
      const at = performance.now();
      if (isBinary) {
        const buf = data as Buffer;
        this.frames.push({ ...decodePreviewFrame(new Uint8Array(buf)), at });
      } else {
        const parsed = zServerMessage.safeParse(JSON.parse(data.toString()));
        if (parsed.success) this.messages.push({ ...parsed.data, at });
        else this.invalid.push(data.toString());
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Connects; `hello` sends the hello handshake first (default true). */
  static async connect(
    url: string,
    options: { hello?: boolean; headers?: Record<string, string>; query?: string } = {},
  ): Promise<Client> {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}/ws${options.query ?? ""}`, {
      headers: options.headers,
    });
    await new Promise<void>((ok, fail) => {
      ws.once("open", () => ok());
      ws.once("error", fail);
    });
    const c = new Client(ws);
    if (options.hello ?? true) await c.request({ type: "hello", protocols: [1], client: "test" });
    return c;
  }

  nextId(): string {
    return `r${++this.n}`;
  }

  send(msg: Record<string, unknown>): string {
    const id = (msg.id as string | undefined) ?? this.nextId();
    this.ws.send(JSON.stringify({ ...msg, id }));
    return id;
  }

  /** Waits until `pred` holds for some received message (checking what came already). */
  async waitFor<T extends ServerMessage>(
    pred: (m: ServerMessage) => boolean,
    timeoutMs = 15000,
    what = "message",
  ): Promise<T & { at: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.messages.find(pred);
      if (hit) return hit as unknown as T & { at: number };
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out waiting for ${what}; got: ${this.messages.map((m) => m.type).join(", ")}`,
        );
      }
      await new Promise<void>((ok) => {
        const t = setTimeout(ok, left);
        this.waiters.push(() => {
          clearTimeout(t);
          ok();
        });
      });
    }
  }

  async waitForFrame(pred: (f: Frame) => boolean, timeoutMs = 15000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.frames.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error("timed out waiting for a preview frame");
      await new Promise<void>((ok) => {
        const t = setTimeout(ok, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          ok();
        });
      });
    }
  }

  /** Sends and waits for the reply (any message with replyTo = id). */
  async request<T extends ServerMessage = ServerMessage>(
    msg: Record<string, unknown>,
    timeoutMs = 15000,
  ): Promise<T & { at: number }> {
    const id = this.send(msg);
    return this.waitFor<T>(
      (m) => "replyTo" in m && m.replyTo === id,
      timeoutMs,
      `reply to ${String(msg.type)}`,
    );
  }

  /** Run-scoped messages of one run, in arrival order. */
  runMessages(runId: string): (ServerMessage & { runId: string; seq: number })[] {
    return this.messages.filter(
      (m) => "seq" in m && "runId" in m && m.runId === runId,
    ) as (ServerMessage & { runId: string; seq: number })[];
  }

  async waitForRunEnd(runId: string, timeoutMs = 30000) {
    return this.waitFor(
      (m) => (m.type === "run-finished" || m.type === "run-failed") && m.runId === runId,
      timeoutMs,
      `end of run ${runId}`,
    );
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((ok) => {
      this.ws.once("close", () => ok());
      this.ws.close();
    });
  }
}

/** Graph JSON as tests edit it (the server parses and validates it). */
export interface GraphJson {
  name: string;
  nodes: { id: string; type: string; params: Record<string, unknown> }[];
  edges: { from: { node: string; port: string }; to: { node: string; port: string } }[];
  layout?: unknown;
  [key: string]: unknown;
}

/** The simple test graph (ramp -> scale -> jitter -> total, ramp -> plain) with changes. */
export async function simpleGraph(patch: (g: GraphJson) => void = () => {}): Promise<GraphJson> {
  const { readFile } = await import("node:fs/promises");
  const g = JSON.parse(
    await readFile(join(PROJECT_ROOT, "test/fixtures/graphs/simple.json"), "utf8"),
  ) as GraphJson;
  patch(g);
  return g;
}

/** A graph with a slow task (total with delayMs per sample) so runs last a while. */
export function slowGraph(delayMs: number, name = "slow"): Promise<GraphJson> {
  return simpleGraph((g) => {
    g.name = name;
    g.nodes = g.nodes.filter((n) => n.id !== "plain");
    g.edges = g.edges.filter((e) => e.to.node !== "plain");
    const total = g.nodes.find((n) => n.id === "total")!;
    total.params = { epochs: 1, delayMs };
  });
}
