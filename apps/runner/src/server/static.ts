/** Serves the editor bundle (dist/editor) or, when it is missing, a page saying how to build it. */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { extname, join, relative, resolve, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>EdgRec Studio</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 4em auto">
<h1>EdgRec Studio runner</h1>
<p>The runner is up, but the editor has not been built yet.</p>
<p>Run <code>npm run build</code> in the project folder, then reload this page.</p>
<p>The HTTP API (<code>/api/health</code>, <code>/api/catalogue</code>, ...) and the
WebSocket endpoint <code>/ws</code> work already; see <code>docs/protocol.md</code>.</p>
</body></html>
`;

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** Answers GET for `pathname` from `root`; unknown paths without an extension get index.html. */
export async function serveStatic(
  root: string,
  pathname: string,
  res: ServerResponse,
  headers: Record<string, string> = {},
): Promise<void> {
  const index = join(root, "index.html");
  if (!(await isFile(index))) {
    res.writeHead(200, { "content-type": TYPES[".html"], ...headers });
    res.end(NOT_BUILT);
    return;
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    res.writeHead(400).end("bad path");
    return;
  }
  let file = resolve(root, `.${decoded}`);
  const rel = relative(resolve(root), file);
  if (rel.startsWith(`..${sep}`) || rel === ".." || decoded.includes("\0")) {
    res.writeHead(404).end("not found");
    return;
  }
  if (!(await isFile(file))) {
    if (extname(decoded) !== "") {
      res.writeHead(404, { "content-type": TYPES[".txt"] }).end("not found");
      return;
    }
    file = index; // client-side routes
  }
  res.writeHead(200, {
    "content-type": TYPES[extname(file)] ?? "application/octet-stream",
    "cache-control": file === index ? "no-cache" : "public, max-age=300",
    ...headers,
  });
  createReadStream(file).pipe(res);
}
