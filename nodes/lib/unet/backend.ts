/**
 * TensorFlow.js backend selection plus fast convolution gradients for the wasm backend.
 *
 * The wasm backend ships no `Conv2DBackpropFilter` kernel and a `Conv2DBackpropInput` that is
 * about 9x slower than its XNNPACK forward convolution. Both gradients are forward
 * convolutions in disguise, so we register kernels (at the kernel level, so that every route
 * to them - `tf.conv2d`, `tf.fused.conv2d`, `tf.grad` - benefits) built from the backend's own
 * Pad / Transpose / Reverse / Conv2D kernels.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { registerGradients } from "./gradients.ts";
import { nativeKernelsLabel, registerNativeConvKernels } from "./native.ts";

registerGradients();

export type BackendRequest = "auto" | "wasm" | "cpu" | "tensorflow" | "tensorflow-gpu";
export interface BackendChoice {
  /** The tfjs backend now active (`tf.getBackend()`). */
  name: string;
  /** Why this backend was chosen (and why the preferred ones were not). */
  reason: string;
}

type Log = (msg: string) => void;
type Info = tf.TensorInfo;
type Pads = [number, number][];

const NATIVE_HINT =
  "both are optional dependencies whose install downloads libtensorflow, so npm skips them " +
  "when the download fails; on a host that can reach storage.googleapis.com run " +
  "`npm install @tensorflow/tfjs-node-gpu` (CUDA) or `npm install @tensorflow/tfjs-node` (CPU), " +
  "or use the wasm backend";

let wasmPathsSet = false;
let kernelsRegistered = false;

/** Points the wasm backend at the .wasm binaries inside node_modules (Node has no URL base). */
function configureWasmPaths(): void {
  if (wasmPathsSet) return;
  const require = createRequire(import.meta.url);
  const file = require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm");
  setWasmPaths(`${dirname(file)}/`);
  wasmPathsSet = true;
}

async function tryNative(pkg: string, backend: string): Promise<string | undefined> {
  try {
    // A computed specifier keeps TypeScript and bundlers from requiring the optional package.
    const spec = pkg;
    await import(spec);
    if (!(await tf.setBackend(backend))) return `${pkg} loaded but backend '${backend}' failed`;
    await tf.ready();
    return undefined;
  } catch (e) {
    return `${pkg} is not available (${(e as Error).message.split("\n")[0]})`;
  }
}

async function tryWasm(say?: Log): Promise<string | undefined> {
  try {
    configureWasmPaths();
    registerWasmConvGradients();
    const noNative = registerNativeConvKernels();
    if (noNative) say?.(noNative);
    if (!(await tf.setBackend("wasm"))) return "wasm backend failed to initialise";
    await tf.ready();
    return undefined;
  } catch (e) {
    return `wasm backend failed: ${(e as Error).message}`;
  }
}

/**
 * Activates a tfjs backend. `auto` tries tensorflow-gpu, tensorflow (native bindings, not
 * installed by default), then wasm (always shipped), then the pure-JS cpu backend.
 * An explicit request that cannot be met throws with the reason and an install hint.
 */
export async function initBackend(
  name: BackendRequest = "auto",
  log?: Log,
): Promise<BackendChoice> {
  const say = (m: string) => log?.(m);
  if (name === "tensorflow" || name === "tensorflow-gpu") {
    const pkg = name === "tensorflow" ? "@tensorflow/tfjs-node" : "@tensorflow/tfjs-node-gpu";
    const why = await tryNative(pkg, "tensorflow");
    if (why) throw new Error(`backend '${name}' requested but ${why}; ${NATIVE_HINT}`);
    return { name: tf.getBackend(), reason: `requested; ${pkg} loaded` };
  }
  if (name === "wasm") {
    const why = await tryWasm(say);
    if (why) throw new Error(`backend 'wasm' requested but ${why}; reinstall node_modules`);
    return { name: "wasm", reason: `requested${wasmKernels()}` };
  }
  if (name === "cpu") {
    await tf.setBackend("cpu");
    return { name: "cpu", reason: "requested (pure JS, slow)" };
  }
  if (name !== "auto") {
    throw new Error(
      `initBackend: unknown backend '${String(name)}'; expected auto, wasm, cpu, tensorflow or tensorflow-gpu`,
    );
  }
  const misses: string[] = [];
  for (const [pkg, backend] of [
    ["@tensorflow/tfjs-node-gpu", "tensorflow"],
    ["@tensorflow/tfjs-node", "tensorflow"],
  ] as const) {
    const why = await tryNative(pkg, backend);
    if (!why) return { name: tf.getBackend(), reason: `auto: ${pkg} loaded` };
    misses.push(why);
    say(why);
  }
  const wasmWhy = await tryWasm(say);
  if (!wasmWhy) {
    return {
      name: "wasm",
      reason: `auto: ${misses.join("; ")}; using wasm (XNNPACK, SIMD)${wasmKernels()}`,
    };
  }
  misses.push(wasmWhy);
  say(wasmWhy);
  await tf.setBackend("cpu");
  return { name: "cpu", reason: `auto: ${misses.join("; ")}; falling back to pure-JS cpu` };
}

/** ", with native OpenBLAS convolutions (…)" when they are installed on the wasm backend. */
function wasmKernels(): string {
  const label = nativeKernelsLabel();
  return label ? `, with ${label}` : "";
}

// ---------------------------------------------------------------------------------------
// Convolution gradients as forward convolutions (wasm only).

interface KernelCtx {
  backend: tf.KernelBackend & { disposeData(id: object): boolean };
}

function run(ctx: KernelCtx, kernel: string, inputs: Record<string, Info>, attrs: object): Info {
  const k = tf.getKernel(kernel, "wasm");
  if (!k) throw new Error(`wasm kernel ${kernel} is missing`);
  return k.kernelFunc({ inputs, backend: ctx.backend, attrs: attrs as tf.NamedAttrMap }) as Info;
}

function free(ctx: KernelCtx, ...infos: Info[]): void {
  for (const t of infos) ctx.backend.disposeData(t.dataId);
}

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: tf.Conv2DBackpropFilterAttrs | tf.Conv2DBackpropInputAttrs,
) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
}

/**
 * dW[kh,kw,ci,co] = sum_{n,h,w} xpad[n, s*h+kh, s*w+kw, ci] * dy[n,h,w,co]. Seen as a conv whose
 * "batch" is ci, "channels" is n and whose filter is dy (dilated by the stride): one XNNPACK
 * call instead of a missing kernel.
 */
function backpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}): Info {
  const ctx = { backend: args.backend } as KernelCtx;
  const { x, dy } = args.inputs as unknown as { x: Info; dy: Info };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (attrs.dataFormat === "NCHW") throw new Error("Conv2DBackpropFilter (wasm): NCHW unsupported");
  const info = convInfo(x.shape, attrs.filterShape, attrs);
  const { padInfo, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const [, h, w, ci] = x.shape;
  // Pad so that every tap reads inside the buffer; extra rows at the end are never reached.
  const needH = (info.outHeight - 1) * sh + fh;
  const needW = (info.outWidth - 1) * sw + fw;
  const pads: Pads = [
    [0, 0],
    [padInfo.top, Math.max(0, needH - h - padInfo.top)],
    [padInfo.left, Math.max(0, needW - w - padInfo.left)],
    [0, 0],
  ];
  const xp = run(ctx, "PadV2", { x }, { paddings: pads, constantValue: 0 });
  const xt = run(ctx, "Transpose", { x: xp }, { perm: [3, 1, 2, 0] });
  free(ctx, xp);
  const dyt = run(ctx, "Transpose", { x: dy }, { perm: [1, 2, 0, 3] });
  const conv = run(
    ctx,
    "Conv2D",
    { x: xt, filter: dyt },
    { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [sh, sw] },
  );
  free(ctx, xt, dyt);
  // conv is [ci, oh, ow, co] with oh >= fh; only the first fh x fw taps are filter taps.
  let taps = conv;
  if (conv.shape[1] !== fh || conv.shape[2] !== fw) {
    taps = run(ctx, "Slice", { x: conv }, { begin: [0, 0, 0, 0], size: [ci, fh, fw, -1] });
    free(ctx, conv);
  }
  const out = run(ctx, "Transpose", { x: taps }, { perm: [1, 2, 0, 3] });
  free(ctx, taps);
  return out;
}

/**
 * For stride 1, dx = conv(dy, W flipped in space with in/out channels swapped), padded by
 * (k-1-pad). Other strides keep the backend's original kernel.
 */
function makeBackpropInput(original: tf.KernelConfig) {
  return (args: {
    inputs: tf.NamedTensorInfoMap;
    backend: tf.KernelBackend;
    attrs?: tf.NamedAttrMap;
  }) => {
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const { dy, filter } = args.inputs as unknown as { dy: Info; filter: Info };
    const info = convInfo(attrs.inputShape, filter.shape, attrs);
    const { padInfo, filterHeight: fh, filterWidth: fw } = info;
    const pads: Pads = [
      [0, 0],
      [fh - 1 - padInfo.top, fh - 1 - padInfo.bottom],
      [fw - 1 - padInfo.left, fw - 1 - padInfo.right],
      [0, 0],
    ];
    const simple =
      info.strideHeight === 1 &&
      info.strideWidth === 1 &&
      attrs.dataFormat !== "NCHW" &&
      pads.every(([a, b]) => a >= 0 && b >= 0);
    if (!simple) return original.kernelFunc(args as Parameters<tf.KernelFunc>[0]);
    const ctx = { backend: args.backend } as KernelCtx;
    const flipped = run(ctx, "Reverse", { x: filter }, { dims: [0, 1] });
    const swapped = run(ctx, "Transpose", { x: flipped }, { perm: [0, 1, 3, 2] });
    free(ctx, flipped);
    const out = run(
      ctx,
      "Conv2D",
      { x: dy, filter: swapped },
      { strides: [1, 1], pad: pads, dataFormat: "NHWC", dilations: [1, 1] },
    );
    free(ctx, swapped);
    return out;
  };
}

/**
 * Registers `Conv2DBackpropFilter` and replaces `Conv2DBackpropInput` for the wasm backend
 * (idempotent). Called by `initBackend`; exported for tests and benchmarks.
 */
export function registerWasmConvGradients(): void {
  if (kernelsRegistered) return;
  const original = tf.getKernel("Conv2DBackpropInput", "wasm");
  if (!original) throw new Error("wasm backend kernels are not loaded");
  tf.unregisterKernel("Conv2DBackpropInput", "wasm");
  tf.registerKernel({
    kernelName: "Conv2DBackpropInput",
    backendName: "wasm",
    setupFunc: original.setupFunc,
    kernelFunc: makeBackpropInput(original) as tf.KernelFunc,
  });
  if (!tf.getKernel("Conv2DBackpropFilter", "wasm")) {
    tf.registerKernel({
      kernelName: "Conv2DBackpropFilter",
      backendName: "wasm",
      kernelFunc: backpropFilter as tf.KernelFunc,
    });
  }
  originalBackpropInput = original;
  kernelsRegistered = true;
}

let originalBackpropInput: tf.KernelConfig | undefined;

/**
 * The wasm backend's own (slow) Conv2DBackpropInput, kept for the benchmark's comparison.
 * Runs it directly on tensors on the active wasm backend.
 */
export function naiveWasmBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
): tf.Tensor4D {
  if (!originalBackpropInput) throw new Error("call registerWasmConvGradients first");
  const backend = tf.backend();
  const out = originalBackpropInput.kernelFunc({
    inputs: { dy, filter },
    backend,
    attrs: { strides: [1, 1], pad: "same", dataFormat: "NHWC", inputShape } as never,
  }) as Info;
  return tf.engine().makeTensorFromDataId(out.dataId, out.shape, out.dtype) as tf.Tensor4D;
}
