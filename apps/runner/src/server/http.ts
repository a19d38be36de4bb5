/**
 * The HTTP API: health, catalogue, validation, graph library, run reports and the
 * inspection endpoint. JSON in and out; errors are `{ error: { code, message, hint } }` with
 * a 4xx/5xx status, never a stack trace.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ErrorCategory } from "../../../../nodes/sdk/errors.ts";
import { EdgrecError } from "../../../../nodes/sdk/errors.ts";
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from "../protocol/messages.ts";
import { buildCatalogue } from "../registry.ts";
import type { ServerContext } from "./context.ts";
import { wireError } from "./errors.ts";
import { checkGraph } from "./graphs.ts";
import { type InspectImage, inspect } from "./inspect.ts";

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  });
  res.end(text);
}

const STATUS: Record<ErrorCategory | "protocol", number> = {
  usage: 400,
  graph: 422,
  data: 422,
  runtime: 500,
  cancelled: 409,
  protocol: 400,
};

function httpError(status: number, code: string, message: string, hint?: string) {
  return Object.assign(new EdgrecError("usage", { code, message, hint }), { status });
}

/** Reads the whole body, refusing more than `limit` bytes (413). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) {
    throw httpError(
      413,
      "E_TOO_LARGE",
      `request body of ${declared} bytes is over the ${limit}-byte limit`,
      "send fewer or smaller images per request",
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      throw httpError(
        413,
        "E_TOO_LARGE",
        `request body is over the ${limit}-byte limit`,
        "send fewer or smaller images per request",
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw httpError(
      400,
      "E_BAD_JSON",
      `body is not valid JSON: ${(err as Error).message}`,
      "send application/json",
    );
  }
}

const IMAGE_NAME = /^[^\0/\\]{1,200}$/;

/** Images of an inspection request: a raw image body, or JSON `{ images: [{ name, base64 }] }`. */
function inspectImages(req: IncomingMessage, body: Buffer): InspectImage[] {
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  if (type.startsWith("image/") || type === "application/octet-stream") {
    const name = String(req.headers["x-image-name"] ?? "image");
    return [{ name: IMAGE_NAME.test(name) ? name : "image", bytes: body }];
  }
  if (type === "application/json") {
    const json = parseJson(body) as { images?: unknown };
    if (!json || !Array.isArray(json.images)) {
      throw httpError(
        400,
        "E_BAD_BATCH",
        'JSON body needs "images": [{ "name", "base64" }]',
        "see docs/protocol.md, inspection endpoint",
      );
    }
    return json.images.map((img, i) => {
      const { name, base64 } = (img ?? {}) as { name?: unknown; base64?: unknown };
      if (typeof base64 !== "string" || base64.length === 0) {
        throw httpError(
          400,
          "E_BAD_BATCH",
          `images[${i}] has no "base64" string`,
          "encode each image file as base64",
        );
      }
      const n = typeof name === "string" && IMAGE_NAME.test(name) ? name : `image-${i}`;
      return { name: n, bytes: Buffer.from(base64, "base64") };
    });
  }
  throw httpError(
    415,
    "E_MEDIA_TYPE",
    `content type "${type || "(none)"}" is not accepted`,
    "post image/png, image/jpeg, ... or application/json",
  );
}

interface RouteArgs {
  ctx: ServerContext;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The first capture group of the route, URL-decoded. */
  param: string;
}

const ROUTES: { method: string; re: RegExp; handle: (a: RouteArgs) => Promise<void> }[] = [
  {
    method: "GET",
    re: /^\/api\/health$/,
    handle: async ({ ctx, res }) =>
      sendJson(res, 200, {
        ok: true,
        runnerVersion: ctx.runnerVersion,
        protocol: PROTOCOL_VERSION,
        runs: ctx.runs.counts(),
      }),
  },
  {
    method: "GET",
    re: /^\/api\/catalogue$/,
    handle: async ({ ctx, res }) => sendJson(res, 200, buildCatalogue(ctx.runtime.registry)),
  },
  {
    method: "POST",
    re: /^\/api\/validate$/,
    handle: async ({ ctx, req, res }) => {
      const { result } = checkGraph(ctx, parseJson(await readBody(req, MAX_MESSAGE_BYTES)));
      sendJson(res, 200, { ok: result.ok, issues: result.issues });
    },
  },
  {
    method: "GET",
    re: /^\/api\/graphs$/,
    handle: async ({ ctx, res }) => sendJson(res, 200, { graphs: await ctx.library.list() }),
  },
  {
    method: "GET",
    re: /^\/api\/graphs\/([^/]+)$/,
    handle: async ({ ctx, res, param }) => {
      const { graph, builtin } = await ctx.library.load(param);
      sendJson(res, 200, { name: param, builtin, graph });
    },
  },
  {
    method: "GET",
    re: /^\/api\/runs\/([^/]+)$/,
    handle: async ({ ctx, res, param }) => {
      const found = await ctx.runs.report(param);
      if (!found) {
        throw httpError(
          404,
          "E_UNKNOWN_RUN",
          `no run with id ${param}`,
          "use the id from run-accepted",
        );
      }
      const run = ctx.runs.get(param);
      const live = run ? { queuePosition: ctx.runs.queuePosition(run), lastSeq: run.lastSeq } : {};
      sendJson(res, 200, { ...found, ...live });
    },
  },
  {
    method: "POST",
    re: /^\/api\/inspect\/([^/]+)$/,
    handle: async ({ ctx, req, res, url, param }) => {
      const images = inspectImages(req, await readBody(req, ctx.limits.maxInspectBytes));
      const t = url.searchParams.get("threshold");
      const threshold = t === null ? undefined : Number(t);
      if (threshold !== undefined && !Number.isFinite(threshold)) {
        throw httpError(
          400,
          "E_BAD_THRESHOLD",
          `threshold "${t}" is not a number`,
          "pass ?threshold=0.5",
        );
      }
      const result = await inspect(ctx, param, images, {
        map: url.searchParams.get("map") === "png",
        threshold,
        node: url.searchParams.get("node") ?? undefined,
      });
      sendJson(res, 200, result);
    },
  },
];

/** Handles /api/*; false when the path is not an API route. */
export async function handleApi(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  const path = url.pathname;
  if (!path.startsWith("/api/")) return false;
  const method = req.method ?? "GET";
  try {
    const hit = ROUTES.find((r) => r.method === method && r.re.test(path));
    if (!hit) {
      throw httpError(404, "E_NOT_FOUND", `no API route ${method} ${path}`, "see docs/protocol.md");
    }
    const param = decodeURIComponent(hit.re.exec(path)?.[1] ?? "");
    await hit.handle({ ctx, req, res, url, param });
  } catch (err) {
    const error = wireError(err);
    const status = (err as { status?: number }).status ?? STATUS[error.category] ?? 500;
    if (status >= 500) ctx.log.error({ err, path }, "API request failed");
    if (!res.headersSent) sendJson(res, status, { error });
    else res.end();
  }
  return true;
}
