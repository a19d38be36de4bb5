// Builds the optional native convolution kernels (native/kernels.c -> dist/native/edgrec_kernels.node)
// with the host's C compiler against OpenBLAS. Optional by design: without a compiler or
// libopenblas-dev it prints why and exits 0, and training runs on the wasm kernels alone.
// Usage: node scripts/build-native.mjs [--require] [--force] [--out FILE]
//   --require: fail instead of skipping; --force: rebuild even when up to date
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "native/kernels.c");
const argv = process.argv.slice(2);
const out = argv.includes("--out")
  ? resolve(argv[argv.indexOf("--out") + 1])
  : join(root, "dist/native/edgrec_kernels.node");
const outDir = dirname(out);
const required = argv.includes("--require");
const shown = out.startsWith(root) ? out.slice(root.length + 1) : out;

function skip(why) {
  const hint =
    "training uses the WebAssembly kernels only; for the faster native convolutions install a C " +
    "compiler and OpenBLAS (Debian: apt-get install gcc libopenblas-dev) and run npm run build";
  if (required) {
    process.stderr.write(`native kernels: ${why}\n`);
    process.exit(1);
  }
  process.stdout.write(`native kernels skipped: ${why}; ${hint}\n`);
  process.exit(0);
}

if (process.platform === "win32") skip("building on Windows is not supported");
if (
  !argv.includes("--force") &&
  existsSync(out) &&
  statSync(out).mtimeMs > statSync(source).mtimeMs
) {
  process.stdout.write(`${shown} is up to date\n`);
  process.exit(0);
}

const cc = process.env.CC || "cc";
if (spawnSync(cc, ["--version"], { stdio: "ignore" }).status !== 0) {
  skip(`no C compiler ('${cc}')`);
}

// OpenBLAS flags: pkg-config where it knows the library, else the usual Debian layout.
let blas = spawnSync("pkg-config", ["--cflags", "--libs", "openblas"], { encoding: "utf8" });
let blasFlags = blas.status === 0 ? blas.stdout.trim().split(/\s+/) : [];
if (blasFlags.length === 0) {
  const inc = "/usr/include/x86_64-linux-gnu/openblas-pthread";
  blasFlags = existsSync(inc) ? [`-I${inc}`, "-lopenblas"] : ["-lopenblas"];
}

const require = createRequire(import.meta.url);
let napiInclude;
try {
  napiInclude = require("node-api-headers").include_dir;
} catch {
  napiInclude = join(dirname(process.execPath), "../include/node");
}

mkdirSync(outDir, { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
const args = [
  "-O3",
  "-fPIC",
  "-shared",
  "-std=c11",
  "-Wall",
  `-I${napiInclude}`,
  source,
  "-o",
  tmp,
  ...blasFlags,
  "-lm",
];
blas = spawnSync(cc, args, { encoding: "utf8" });
if (blas.status !== 0) {
  const first = (blas.stderr || "").split("\n").find((l) => l.includes("error")) ?? blas.stderr;
  skip(`compiling native/kernels.c failed (${first.trim().slice(0, 300)})`);
}
renameSync(tmp, out);
process.stdout.write(`${shown} built (OpenBLAS)\n`);
