/** `edgrec serve`: starts the runner server and resolves with an exit code when it stops. */
import { EdgrecError } from "../../../../nodes/sdk/errors.ts";
import { startServer } from "./server.ts";

export interface ServeOptions {
  host?: string;
  port?: string;
  token?: string;
  demo?: boolean;
  cache?: string;
  pluginDirs: string[];
  dataRoots: string[];
  /** Runs at once (--concurrency, or EDGREC_CONCURRENCY); default 1. */
  concurrency?: number;
}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** Starts the server and waits for SIGINT/SIGTERM (or `stop`, for embedding). Exit code 0. */
export async function serveCommand(
  options: ServeOptions,
  io: Io,
  stop?: AbortSignal,
): Promise<number> {
  const port = options.port === undefined ? 4477 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new EdgrecError("usage", {
      code: "E_USAGE",
      message: `--port must be a whole number 0-65535, got ${options.port}`,
      hint: "e.g. --port 4477 (0 picks a free port)",
    });
  }
  const concurrency = options.concurrency ?? Number(process.env.EDGREC_CONCURRENCY ?? 1);
  const server = await startServer({
    host: options.host,
    port,
    token: options.token,
    demo: options.demo,
    cacheDir: options.cache,
    pluginDirs: options.pluginDirs,
    dataRoots: options.dataRoots,
    concurrency: Number.isInteger(concurrency) && concurrency > 0 ? concurrency : 1,
  });
  const link = server.token ? `${server.url}/?token=${server.token}` : `${server.url}/`;
  io.out(`EdgRec Studio runner listening on ${link}\n`);
  if (server.token && !options.token) {
    io.out(`access token (generated): ${server.token}\n`);
  }
  await new Promise<void>((done) => {
    const finish = () => {
      process.off("SIGINT", finish);
      process.off("SIGTERM", finish);
      done();
    };
    process.once("SIGINT", finish);
    process.once("SIGTERM", finish);
    stop?.addEventListener("abort", finish, { once: true });
  });
  io.err("stopping the runner...\n");
  await server.close();
  return 0;
}
