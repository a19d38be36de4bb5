/**
 * Optional native convolution kernels for the wasm backend (native/kernels.c, OpenBLAS sgemm).
 *
 * They replace the wasm backend's `Conv2D`, `FusedConv2D`, `Conv2DBackpropInput` and
 * `Conv2DBackpropFilter` at the kernel level, reading and writing the wasm heap in place, so
 * the model code is the same on every backend. Cases they do not cover (strides, dilations,
 * NCHW, activations other than ReLU) go to the kernels registered before them. Built by
 * `npm run build` where a C compiler and libopenblas-dev exist; `EDGREC_NATIVE=0` turns them
 * off, `EDGREC_NATIVE_THREADS=N` sets OpenBLAS's thread count.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";

type Info = tf.TensorInfo;
type F32 = Float32Array;

/** Sizes passed to native/kernels.c, in its argument order (see the comment on each js_ function). */
type ConvDims = [
  n: number,
  h: number,
  w: number,
  ci: number,
  kh: number,
  kw: number,
  co: number,
  pt: number,
  pl: number,
  oh: number,
  ow: number,
  relu: number,
];
type FilterGradDims = [
  n: number,
  h: number,
  w: number,
  ci: number,
  oh: number,
  ow: number,
  co: number,
  kh: number,
  kw: number,
  pt: number,
  pl: number,
];
type InputGradDims = [
  n: number,
  oh: number,
  ow: number,
  co: number,
  kh: number,
  kw: number,
  ci: number,
  pt: number,
  pl: number,
  h: number,
  w: number,
];

interface NativeModule {
  conv2d(x: F32, filter: F32, bias: F32 | null, out: F32, ...dims: ConvDims): void;
  backpropFilter(x: F32, dy: F32, dw: F32, ...dims: FilterGradDims): void;
  backpropInput(dy: F32, filter: F32, dx: F32, ...dims: InputGradDims): void;
  bnReluForward(
    y: F32,
    gamma: F32,
    beta: F32,
    out: F32,
    xhat: F32,
    mean: F32,
    variance: F32,
    invStd: F32,
    pixels: number,
    channels: number,
    eps: number,
  ): void;
  bnReluBackward(
    dy: F32,
    out: F32,
    xhat: F32,
    gamma: F32,
    invStd: F32,
    dy2: F32,
    dGamma: F32,
    dBeta: F32,
    dBias: F32,
    pixels: number,
    channels: number,
  ): void;
  maxPool2Grad(x: F32, y: F32, dy: F32, dx: F32, n: number, h: number, w: number, c: number): void;
  setThreads(n: number): void;
  info(): { threads: number; core: string; config: string };
}

interface WasmBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  typedArrayFromHeap(info: Info): F32;
}

type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
};

export const NATIVE_FILE = fileURLToPath(
  new URL("../../../dist/native/edgrec_kernels.node", import.meta.url),
);

let loaded: { mod?: NativeModule; why?: string } | undefined;
let registered = false;
let enabled = true;
let calls = 0;

/** Turns the installed native kernels off (calls go to the wasm kernels) or back on. */
export function setNativeKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** Convolutions the native kernels have computed in this process (for tests and benches). */
export function nativeKernelCalls(): number {
  return calls;
}

/** The native module, or why it is not available (never throws). */
export function loadNative(): { mod?: NativeModule; why?: string } {
  if (loaded) return loaded;
  if (process.env.EDGREC_NATIVE === "0") {
    loaded = { why: "native kernels turned off (EDGREC_NATIVE=0)" };
  } else if (!existsSync(NATIVE_FILE)) {
    loaded = {
      why:
        "native kernels not built (dist/native/edgrec_kernels.node is missing; with a C compiler " +
        "and OpenBLAS - Debian: apt-get install gcc libopenblas-dev - `npm run build` makes them)",
    };
  } else {
    try {
      const mod = createRequire(import.meta.url)(NATIVE_FILE) as NativeModule;
      loaded = { mod };
    } catch (e) {
      loaded = {
        why: `native kernels failed to load (${(e as Error).message.split("\n")[0]}); rebuild with npm run build`,
      };
    }
  }
  return loaded;
}

/** Threads OpenBLAS uses from now on (default: every core, or EDGREC_NATIVE_THREADS). */
export function setNativeThreads(n: number): void {
  loadNative().mod?.setThreads(Math.max(1, Math.floor(n)));
}

/** "OpenBLAS (core Haswell, 2 threads)" when the native kernels are active, else undefined. */
export function nativeKernelsLabel(): string | undefined {
  const mod = loadNative().mod;
  if (!registered || !mod || !enabled) return undefined;
  const i = mod.info();
  return `native OpenBLAS convolutions (core ${i.core}, ${i.threads} thread${i.threads === 1 ? "" : "s"})`;
}

/** Every core, or EDGREC_NATIVE_THREADS. */
export function defaultNativeThreads(): number {
  const env = Number(process.env.EDGREC_NATIVE_THREADS);
  return Number.isInteger(env) && env > 0 ? env : availableParallelism();
}

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: {
    strides: number | [number, number];
    pad: unknown;
    dimRoundingMode?: unknown;
    dataFormat?: unknown;
  },
  dilations: number | [number, number] = 1,
) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    dilations,
    attrs.pad as "same",
    attrs.dimRoundingMode as "floor" | undefined,
    false,
    tf.backend_util.convertConv2DDataFormat((attrs.dataFormat as "NHWC" | undefined) ?? "NHWC"),
  );
}

/** Stride 1, no dilation, NHWC, zero padding within the kernel: what conv.c computes. */
function covered(info: tf.backend_util.Conv2DInfo, dataFormat: unknown): boolean {
  const p = info.padInfo;
  return (
    dataFormat !== "NCHW" &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    p.top >= 0 &&
    p.left >= 0 &&
    p.top < info.filterHeight &&
    p.left < info.filterWidth &&
    p.bottom >= 0 &&
    p.right >= 0 &&
    p.bottom < info.filterHeight &&
    p.right < info.filterWidth
  );
}

function previous(name: string): tf.KernelConfig {
  const k = tf.getKernel(name, "wasm");
  if (!k) throw new Error(`wasm kernel ${name} is missing; register the wasm kernels first`);
  return k;
}

function replace(name: string, make: (prev: tf.KernelConfig) => (a: KernelArgs) => Info) {
  const prev = previous(name);
  tf.unregisterKernel(name, "wasm");
  tf.registerKernel({
    kernelName: name,
    backendName: "wasm",
    setupFunc: prev.setupFunc,
    kernelFunc: make(prev) as tf.KernelFunc,
  });
}

/**
 * Installs the native kernels on the wasm backend if they are built (idempotent). Returns
 * why not when they are unavailable. Call after the wasm kernels (and our wasm conv
 * gradients) are registered: uncovered cases fall through to those.
 */
export function registerNativeConvKernels(): string | undefined {
  const { mod, why } = loadNative();
  if (!mod) return why;
  if (registered) return undefined;
  mod.setThreads(defaultNativeThreads());
  const fallback = (prev: tf.KernelConfig, a: KernelArgs) =>
    prev.kernelFunc(a as Parameters<tf.KernelFunc>[0]) as Info;

  const forward = (prev: tf.KernelConfig, fused: boolean) => (a: KernelArgs) => {
    const attrs = a.attrs as unknown as tf.FusedConv2DAttrs;
    const { x, filter, bias, preluActivationWeights } = a.inputs as Record<
      string,
      Info | undefined
    >;
    if (!x || !filter || x.dtype !== "float32") return fallback(prev, a);
    const act = fused ? (attrs.activation ?? "linear") : "linear";
    if ((act !== "linear" && act !== "relu") || preluActivationWeights) return fallback(prev, a);
    const info = convInfo(x.shape, filter.shape, attrs, attrs.dilations);
    const biasFits = !bias || tf.util.sizeFromShape(bias.shape) === info.outChannels;
    if (!covered(info, attrs.dataFormat) || !biasFits || !enabled) return fallback(prev, a);
    calls++;
    const be = a.backend as WasmBackend;
    const out = be.makeOutput(
      [info.batchSize, info.outHeight, info.outWidth, info.outChannels],
      "float32",
    );
    // Views after the allocation: growing the heap detaches older ones.
    mod.conv2d(
      be.typedArrayFromHeap(x),
      be.typedArrayFromHeap(filter),
      fused && bias ? be.typedArrayFromHeap(bias) : null,
      be.typedArrayFromHeap(out),
      info.batchSize,
      info.inHeight,
      info.inWidth,
      info.inChannels,
      info.filterHeight,
      info.filterWidth,
      info.outChannels,
      info.padInfo.top,
      info.padInfo.left,
      info.outHeight,
      info.outWidth,
      act === "relu" ? 1 : 0,
    );
    return out;
  };
  replace("Conv2D", (prev) => forward(prev, false));
  replace("FusedConv2D", (prev) => forward(prev, true));

  replace("Conv2DBackpropInput", (prev) => (a) => {
    const attrs = a.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const { dy, filter } = a.inputs as unknown as { dy: Info; filter: Info };
    const info = convInfo(attrs.inputShape, filter.shape, attrs);
    if (!covered(info, attrs.dataFormat) || !enabled) return fallback(prev, a);
    calls++;
    const be = a.backend as WasmBackend;
    const dx = be.makeOutput(attrs.inputShape, "float32");
    mod.backpropInput(
      be.typedArrayFromHeap(dy),
      be.typedArrayFromHeap(filter),
      be.typedArrayFromHeap(dx),
      info.batchSize,
      info.outHeight,
      info.outWidth,
      info.outChannels,
      info.filterHeight,
      info.filterWidth,
      info.inChannels,
      info.padInfo.top,
      info.padInfo.left,
      info.inHeight,
      info.inWidth,
    );
    return dx;
  });

  replace("Conv2DBackpropFilter", (prev) => (a) => {
    const attrs = a.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const { x, dy } = a.inputs as unknown as { x: Info; dy: Info };
    const info = convInfo(x.shape, attrs.filterShape, attrs);
    if (!covered(info, attrs.dataFormat) || !enabled) return fallback(prev, a);
    calls++;
    const be = a.backend as WasmBackend;
    const dw = be.makeOutput(attrs.filterShape, "float32");
    mod.backpropFilter(
      be.typedArrayFromHeap(x),
      be.typedArrayFromHeap(dy),
      be.typedArrayFromHeap(dw),
      info.batchSize,
      info.inHeight,
      info.inWidth,
      info.inChannels,
      info.outHeight,
      info.outWidth,
      info.outChannels,
      info.filterHeight,
      info.filterWidth,
      info.padInfo.top,
      info.padInfo.left,
    );
    return dw;
  });
  replace("MaxPoolGrad", (prev) => (a) => {
    const attrs = a.attrs as unknown as tf.MaxPoolGradAttrs;
    const { dy, input, output } = a.inputs as unknown as Record<string, Info>;
    const size = [attrs.filterSize].flat();
    const strides = [attrs.strides].flat();
    const [n, h, w, c] = input.shape;
    const plain =
      enabled &&
      size.every((v) => v === 2) &&
      strides.every((v) => v === 2) &&
      (attrs.pad === "valid" || attrs.pad === 0) &&
      h % 2 === 0 &&
      w % 2 === 0;
    if (!plain) return fallback(prev, a);
    calls++;
    const be = a.backend as WasmBackend;
    const dx = be.makeOutput(input.shape, "float32");
    const v = (t: Info) => be.typedArrayFromHeap(t);
    mod.maxPool2Grad(v(input), v(output), v(dy), v(dx), n, h, w, c);
    return dx;
  });
  registerBatchNormKernels(mod);
  registered = true;
  return undefined;
}

/**
 * Train-mode BatchNorm + ReLU (forward: [out, x̂, mean, biased variance, 1/σ]; backward:
 * [dy₂, dγ, dβ, Σdy₂]) as kernels of our own. model.ts calls them where the active backend
 * has them and composes the same maths from tfjs ops elsewhere. The wasm backend's channel
 * reductions were ~30% of a training step once the convolutions went native.
 */
export const BN_RELU = "EdgrecBatchNormRelu";
export const BN_RELU_GRAD = "EdgrecBatchNormReluGrad";

function registerBatchNormKernels(mod: NativeModule): void {
  const active = () => enabled;
  const channelsOf = (t: Info) => t.shape[t.shape.length - 1];
  tf.registerKernel({
    kernelName: BN_RELU,
    backendName: "wasm",
    kernelFunc: ((a: KernelArgs) => {
      if (!active()) throw new Error(`${BN_RELU}: native kernels are turned off`);
      const { y, gamma, beta } = a.inputs as unknown as Record<string, Info>;
      const eps = (a.attrs as { epsilon: number }).epsilon;
      const be = a.backend as WasmBackend;
      const c = channelsOf(y);
      const outs = [
        be.makeOutput(y.shape, "float32"),
        be.makeOutput(y.shape, "float32"),
        ...[0, 1, 2].map(() => be.makeOutput([c], "float32")),
      ];
      const v = (t: Info) => be.typedArrayFromHeap(t);
      mod.bnReluForward(
        v(y),
        v(gamma),
        v(beta),
        v(outs[0]),
        v(outs[1]),
        v(outs[2]),
        v(outs[3]),
        v(outs[4]),
        tf.util.sizeFromShape(y.shape) / c,
        c,
        eps,
      );
      calls++;
      return outs;
    }) as unknown as tf.KernelFunc,
  });
  tf.registerKernel({
    kernelName: BN_RELU_GRAD,
    backendName: "wasm",
    kernelFunc: ((a: KernelArgs) => {
      if (!active()) throw new Error(`${BN_RELU_GRAD}: native kernels are turned off`);
      const { dy, out, xhat, gamma, invStd } = a.inputs as unknown as Record<string, Info>;
      const be = a.backend as WasmBackend;
      const c = channelsOf(dy);
      const outs = [
        be.makeOutput(dy.shape, "float32"),
        ...[0, 1, 2].map(() => be.makeOutput([c], "float32")),
      ];
      const v = (t: Info) => be.typedArrayFromHeap(t);
      mod.bnReluBackward(
        v(dy),
        v(out),
        v(xhat),
        v(gamma),
        v(invStd),
        v(outs[0]),
        v(outs[1]),
        v(outs[2]),
        v(outs[3]),
        tf.util.sizeFromShape(dy.shape) / c,
        c,
      );
      calls++;
      return outs;
    }) as unknown as tf.KernelFunc,
  });
}

/** Whether the active backend has our fused BatchNorm + ReLU kernels, turned on. */
export function hasBatchNormKernels(): boolean {
  return enabled && registered && tf.getKernel(BN_RELU, tf.getBackend()) !== undefined;
}
