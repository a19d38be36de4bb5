/**
 * The runner server: static editor files, the HTTP API and one WebSocket endpoint (/ws), with
 * the access checks of security.ts in front of all three.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import type { Duplex } from "node:stream";
import pino, { type Logger } from "pino";
import { WebSocketServer } from "ws";
import { MAX_MESSAGE_BYTES } from "../protocol/messages.ts";
import { createRuntime, PROJECT_ROOT, type Runtime } from "../runtime.ts";
import { Connection } from "./connection.ts";
import { DEFAULT_LIMITS, type ServerContext, type ServerLimits } from "./context.ts";
import { handleApi, sendJson } from "./http.ts";
import { GraphLibrary } from "./library.ts";
import { SharedScales } from "./preview.ts";
import { RunManager } from "./runs.ts";
import {
  authorized,
  generateToken,
  hostAllowed,
  isLoopback,
  originAllowed,
  TOKEN_COOKIE,
} from "./security.ts";
import { serveStatic } from "./static.ts";

export interface ServerOptions {
  /** Interface to listen on. Default 127.0.0.1; anything else requires a token. */
  host?: string;
  /** Port; 0 picks a free one. Default 4477. */
  port?: number;
  /** Access token. Generated when the host is not loopback and none is given. */
  token?: string;
  /** Cache folder (engine cache, queue.json, user graph library). Default `<project>/.cache`. */
  cacheDir?: string;
  pluginDirs?: string[];
  dataRoots?: string[];
  modelRoots?: string[];
  /** Folder handed to nodes as `outDir`. Default `<cwd>/out`. */
  outDir?: string;
  /** Runs executing at once. Default 1. */
  concurrency?: number;
  /** Read-only built-in graphs. Default `<project>/graphs`. */
  builtinGraphsDir?: string;
  /** User graph library. Default `<cache>/library`. */
  libraryDir?: string;
  /** Editor bundle. Default `<project>/dist/editor`. */
  editorDir?: string;
  /** Node types that receive images posted to /api/inspect. Default ["edgrec.images"]. */
  inspectSourceTypes?: string[];
  /** Generate the demo category (data/demo) before serving, if it is not there yet. */
  demo?: boolean;
  limits?: Partial<ServerLimits>;
  /** Heartbeat ping interval; clients missing one pong are dropped. Default 30 s. */
  heartbeatMs?: number;
  log?: Logger;
  /** Use this runtime instead of building one (tests, benchmarks). */
  runtime?: Runtime;
}

export interface RunnerServer {
  /** Base URL, e.g. http://127.0.0.1:4477 */
  url: string;
  host: string;
  port: number;
  /** The token clients must send, when one is required. */
  token?: string;
  context: ServerContext;
  /** Cancels active runs (they stay queued on disk), closes clients and the listener. */
  close(): Promise<void>;
}

function runnerVersion(): string {
  try {
    return JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")).version;
  } catch {
    return "unknown";
  }
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Starts the server; resolves once it listens and queued runs from a previous start resumed. */
export async function startServer(options: ServerOptions = {}): Promise<RunnerServer> {
  const host = options.host ?? "127.0.0.1";
  const log =
    options.log ??
    pino({ level: process.env.EDGREC_LOG ?? "info", base: { svc: "runner" } }, pino.destination(2));
  const token = options.token ?? (isLoopback(host) ? undefined : generateToken());
  const cacheDir = resolve(options.cacheDir ?? join(PROJECT_ROOT, ".cache"));
  const outDir = resolve(options.outDir ?? "out");
  const runtime =
    options.runtime ??
    (await createRuntime({
      pluginDirs: options.pluginDirs,
      dataRoots: options.dataRoots,
      // Same as the CLI: models trained into the out folder load by "out/model".
      modelRoots: options.modelRoots ?? [process.cwd(), outDir, join(cacheDir, "models")],
      outRoots: [outDir],
      cacheDir,
      log: log.child({ part: "engine" }),
    }));
  const runs = new RunManager({
    engine: runtime.engine,
    cacheDir,
    outDir,
    concurrency: options.concurrency,
    log: log.child({ part: "runs" }),
  });
  const ctx: ServerContext = {
    runtime,
    runs,
    library: new GraphLibrary(
      resolve(options.builtinGraphsDir ?? join(PROJECT_ROOT, "graphs")),
      resolve(options.libraryDir ?? join(cacheDir, "library")),
    ),
    scales: new SharedScales(),
    log,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    inspectSourceTypes: options.inspectSourceTypes ?? ["edgrec.images"],
    outDir,
    runnerVersion: runnerVersion(),
  };
  if (options.demo) {
    // The default graph reads "@demo"; generating it up front keeps the first run snappy.
    const { ensureDemoData } = await import("../../../../nodes/lib/data/demo.ts");
    const dir = await ensureDemoData(join(PROJECT_ROOT, "data", "demo"));
    log.info({ dir }, "demo data ready");
  }
  const editorDir = resolve(options.editorDir ?? join(PROJECT_ROOT, "dist", "editor"));

  const check = (req: IncomingMessage, url: URL): { status: number; code: string } | undefined => {
    if (!originAllowed(req)) return { status: 403, code: "E_BAD_ORIGIN" };
    if (!token && !hostAllowed(req)) return { status: 403, code: "E_BAD_HOST" };
    if (!authorized(req, url, token)) return { status: 401, code: "E_UNAUTHORIZED" };
    return undefined;
  };

  const http: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://runner");
    const refused = check(req, url);
    if (refused) {
      log.warn(
        { url: url.pathname, code: refused.code, origin: req.headers.origin },
        "HTTP refused",
      );
      sendJson(res, refused.status, {
        error: {
          category: "protocol",
          code: refused.code,
          message:
            refused.code === "E_UNAUTHORIZED"
              ? "this runner needs an access token"
              : "requests from other sites are refused",
          hint:
            refused.code === "E_UNAUTHORIZED"
              ? "send Authorization: Bearer TOKEN or ?token=TOKEN (printed when the runner starts)"
              : "open the editor from the runner's own address (localhost or 127.0.0.1)",
        },
      });
      return;
    }
    handleApi(ctx, req, res, url)
      .then(async (handled) => {
        if (handled) return;
        if (req.method !== "GET" && req.method !== "HEAD") {
          res.writeHead(405).end();
          return;
        }
        // A valid ?token= on a page load becomes a cookie, so the editor's later requests
        // and its WebSocket carry it without putting it in every URL.
        const headers: Record<string, string> =
          token && url.searchParams.get("token")
            ? {
                "set-cookie": `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
              }
            : {};
        await serveStatic(editorDir, url.pathname, res, headers);
      })
      .catch((err) => {
        log.error({ err }, "request failed");
        if (!res.headersSent) res.writeHead(500).end();
      });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  let connections = 0;
  const alive = new WeakMap<object, boolean>();
  http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://runner");
    if (url.pathname !== "/ws") return refuseUpgrade(socket, 404, "Not Found");
    const refused = check(req, url);
    if (refused) {
      log.warn({ code: refused.code, origin: req.headers.origin }, "WebSocket upgrade refused");
      return refuseUpgrade(
        socket,
        refused.status,
        refused.status === 401 ? "Unauthorized" : "Forbidden",
      );
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const clog = log.child({ conn: ++connections });
      clog.info({ address: req.socket.remoteAddress }, "client connected");
      alive.set(ws, true);
      ws.on("pong", () => alive.set(ws, true));
      new Connection(ws, ctx, clog);
    });
  });
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.get(ws)) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, options.heartbeatMs ?? 30_000);
  heartbeat.unref();

  await new Promise<void>((ok, fail) => {
    http.once("error", fail);
    http.listen(options.port ?? 4477, host, () => {
      http.off("error", fail);
      ok();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}`;
  const resumed = await runs.restore();
  log.info({ url, resumed, tokenRequired: Boolean(token) }, "runner listening");

  let closing: Promise<void> | undefined;
  return {
    url,
    host,
    port,
    token,
    context: ctx,
    close() {
      closing ??= (async () => {
        clearInterval(heartbeat);
        await runs.stop();
        for (const ws of wss.clients) ws.close(1001, "runner stopping");
        await new Promise<void>((ok) => wss.close(() => ok()));
        http.closeAllConnections();
        await new Promise<void>((ok) => http.close(() => ok()));
        for (const ws of wss.clients) ws.terminate();
        log.info("runner stopped");
      })();
      return closing;
    },
  };
}
