// Builds the browser editor into dist/editor/ (index.html, app.js, app.css) and bundles the
// runner CLI into dist/runner/edgrec.mjs with npm packages left external.
// Usage: node scripts/build.mjs [--dev]   (--dev: no minification, inline source maps)
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dev = process.argv.includes("--dev");
const editorOut = resolve(root, "dist/editor");
const runnerOut = resolve(root, "dist/runner");

/**
 * Runner sources find project files through `import.meta.url`; once bundled that URL is the
 * bundle's. Rewrite it per source file to the file's original location relative to the
 * bundle, so the bundle works wherever the checkout lives (as long as it sits in dist/runner).
 */
const keepSourceUrls = {
  name: "keep-source-urls",
  setup(build) {
    build.onLoad({ filter: /\.(ts|mts)$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      const rel = relative(runnerOut, args.path).split("\\").join("/");
      const replaced = text.replaceAll(
        "import.meta.url",
        `new URL(${JSON.stringify(rel)}, import.meta.url).href`,
      );
      return { contents: replaced, loader: "ts" };
    });
  },
};

await mkdir(editorOut, { recursive: true });
await mkdir(runnerOut, { recursive: true });

const editor = esbuild.build({
  entryPoints: { app: resolve(root, "apps/editor/src/main.tsx") },
  outdir: editorOut,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["chrome120", "firefox120", "safari17"],
  jsx: "automatic",
  minify: !dev,
  sourcemap: dev ? "inline" : "linked",
  define: { "process.env.NODE_ENV": JSON.stringify(dev ? "development" : "production") },
  logLevel: "warning",
  metafile: true,
});

const runner = esbuild.build({
  stdin: {
    contents: [
      'import { register } from "tsx/esm/api";',
      "// Plugins may be TypeScript: load them the same way bin/edgrec.js does.",
      "register();",
      'import { main } from "./apps/runner/src/cli.ts";',
      "process.exitCode = await main(process.argv.slice(2));",
    ].join("\n"),
    resolveDir: root,
    sourcefile: "edgrec-entry.ts",
    loader: "ts",
  },
  outfile: resolve(runnerOut, "edgrec.mjs"),
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  banner: { js: "#!/usr/bin/env node" },
  plugins: [keepSourceUrls],
  logLevel: "warning",
  metafile: true,
});

const [e, r] = await Promise.all([editor, runner]);
await copyFile(resolve(root, "apps/editor/index.html"), resolve(editorOut, "index.html"));

const size = (meta) =>
  Object.entries(meta.outputs)
    .filter(([f]) => !f.endsWith(".map"))
    .map(([f, o]) => `${relative(root, f)} ${(o.bytes / 1024).toFixed(0)} KiB`);
process.stdout.write(`${[...size(e.metafile), ...size(r.metafile)].join("\n")}\n`);
