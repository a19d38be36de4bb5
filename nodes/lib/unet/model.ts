/**
 * The EdgRec ReconstructiveSubNetwork (EDGREC.md §4) written with raw tfjs ops and tf.Variable:
 * a 5-level U-Net, conv3x3(bias)-BN-ReLU blocks, 2x2 max-pool, bilinear x2 upsampling with
 * align_corners=True, additive skips, a final 3x3 conv with 3 outputs and no activation.
 * Tensors are NHWC: input [N, H, W, k], output [N, H, W, 3] (RGB in our pipeline). k is 1 for
 * EdgRec (the edge image) and 1 or 3 for the DeAE baseline (the corrupted gray or RGB image);
 * it only changes the first convolution's weight shape.
 */
import * as tf from "@tensorflow/tfjs-core";
import { createRng } from "../../sdk/rng.ts";
import { BN_RELU, BN_RELU_GRAD, hasBatchNormKernels } from "./native.ts";

export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/** One conv (3x3, pad 1, bias) optionally followed by BatchNorm + ReLU. */
export interface LayerSpec {
  /** Our key, e.g. "block1.0". */
  key: string;
  /** PyTorch state-dict prefix of the conv (…weight/…bias). */
  torchConv: string;
  /** PyTorch state-dict prefix of the BN after it, or null for the final conv. */
  torchBn: string | null;
  cin: number;
  cout: number;
}

/** Channels of the network input: 1 (edge or gray image) or 3 (RGB image, DeAE baseline). */
export type InputChannels = 1 | 3;

/** Throws unless `k` is a supported input channel count (1 or 3). */
export function checkInputChannels(k: number): asserts k is InputChannels {
  if (k !== 1 && k !== 3) {
    throw new Error(
      `U-Net input channels must be 1 (edge or gray image) or 3 (RGB image), got ${k}`,
    );
  }
}

/**
 * The layer list for base width `c` and `inputChannels` input channels, in forward order (the
 * order of all flat weight files).
 */
export function layerSpecs(c: number, inputChannels: number = 1): LayerSpec[] {
  if (!Number.isInteger(c) || c < 1) {
    throw new Error(`U-Net width must be a positive integer, got ${c}; use e.g. 16, 32, 64 or 128`);
  }
  checkInputChannels(inputChannels);
  const specs: LayerSpec[] = [];
  const block = (group: string, name: string, cin: number, mid: number, cout: number) => {
    specs.push({
      key: `${name}.0`,
      torchConv: `${group}.${name}.0`,
      torchBn: `${group}.${name}.1`,
      cin,
      cout: mid,
    });
    specs.push({
      key: `${name}.3`,
      torchConv: `${group}.${name}.3`,
      torchBn: `${group}.${name}.4`,
      cin: mid,
      cout,
    });
  };
  const up = (name: string, ch: number) =>
    specs.push({
      key: `${name}.1`,
      torchConv: `decoder.${name}.1`,
      torchBn: `decoder.${name}.2`,
      cin: ch,
      cout: ch,
    });
  block("encoder", "block1", inputChannels, c, c);
  block("encoder", "block2", c, 2 * c, 2 * c);
  block("encoder", "block3", 2 * c, 4 * c, 4 * c);
  block("encoder", "block4", 4 * c, 8 * c, 8 * c);
  block("encoder", "block5", 8 * c, 8 * c, 8 * c);
  up("up1", 8 * c);
  block("decoder", "db1", 8 * c, 8 * c, 4 * c);
  up("up2", 4 * c);
  block("decoder", "db2", 4 * c, 4 * c, 2 * c);
  up("up3", 2 * c);
  block("decoder", "db3", 2 * c, 2 * c, c);
  up("up4", c);
  block("decoder", "db4", c, c, c);
  specs.push({ key: "fin_out.0", torchConv: "decoder.fin_out.0", torchBn: null, cin: c, cout: 3 });
  return specs;
}

/**
 * Trainable parameters (conv weights + biases, BN affine) for width `c` and `inputChannels`
 * input channels, without allocating.
 */
export function paramCount(c: number, inputChannels: number = 1): number {
  return layerSpecs(c, inputChannels).reduce(
    (n, s) => n + 9 * s.cin * s.cout + s.cout + (s.torchBn ? 2 * s.cout : 0),
    0,
  );
}

/** Floats in a flat weight file: parameters plus BN running mean and variance. */
export function stateFloatCount(c: number, inputChannels: number = 1): number {
  return layerSpecs(c, inputChannels).reduce(
    (n, s) => n + (s.torchBn ? 2 * s.cout : 0),
    paramCount(c, inputChannels),
  );
}

export interface Layer {
  spec: LayerSpec;
  /** [3, 3, cin, cout] (HWIO). */
  w: tf.Variable;
  b: tf.Variable;
  gamma?: tf.Variable;
  beta?: tf.Variable;
  runMean?: tf.Variable;
  runVar?: tf.Variable;
}

export interface UNet {
  width: number;
  /** Channels of the input images the network was built for. */
  inputChannels: InputChannels;
  layers: Layer[];
  /** Trainable variables in layer order (w, b, gamma, beta per layer). */
  trainable: tf.Variable[];
  /** Every state tensor in flat-file order (trainable + running stats per layer). */
  state: tf.Variable[];
}

/**
 * A freshly initialised network as in the reference `weights_init`: conv weight N(0, 0.02²),
 * conv bias U(±1/√fan_in) (PyTorch default), BN weight N(1, 0.02²), BN bias 0, running
 * mean 0 / var 1. Draws come from our seeded Rng in layer order. `inputChannels` (1 or 3) is
 * the channel count of the images the network will read.
 */
export function createUNet(width: number, seed = 0, inputChannels: number = 1): UNet {
  checkInputChannels(inputChannels);
  const rng = createRng(seed);
  const layers: Layer[] = layerSpecs(width, inputChannels).map((spec, i) => {
    const nw = 9 * spec.cin * spec.cout;
    const w = new Float32Array(nw);
    for (let k = 0; k < nw; k++) w[k] = 0.02 * rng.normal();
    const bound = 1 / Math.sqrt(9 * spec.cin);
    const b = new Float32Array(spec.cout).map(() => rng.uniform(-bound, bound));
    // tf.variable shares the initial tensor's data and keeps it alive: free the tensor itself.
    const v = (data: Float32Array, shape: number[], name: string, trainable = true) =>
      tf.tidy(() =>
        tf.variable(tf.tensor(data, shape), trainable, `unet${width}_${i}_${name}_${uid()}`),
      );
    const layer: Layer = {
      spec,
      w: v(w, [3, 3, spec.cin, spec.cout], "w"),
      b: v(b, [spec.cout], "b"),
    };
    if (spec.torchBn) {
      const g = new Float32Array(spec.cout).map(() => 1 + 0.02 * rng.normal());
      layer.gamma = v(g, [spec.cout], "gamma");
      layer.beta = v(new Float32Array(spec.cout), [spec.cout], "beta");
      layer.runMean = v(new Float32Array(spec.cout), [spec.cout], "rmean", false);
      layer.runVar = v(new Float32Array(spec.cout).fill(1), [spec.cout], "rvar", false);
    }
    return layer;
  });
  return assemble(width, inputChannels, layers);
}

/** The UNet of `layers`, with the trainable and state lists in flat-file order. */
function assemble(width: number, inputChannels: InputChannels, layers: Layer[]): UNet {
  const trainable: tf.Variable[] = [];
  const state: tf.Variable[] = [];
  for (const l of layers) {
    const own = [l.w, l.b, l.gamma, l.beta].filter((x): x is tf.Variable => x !== undefined);
    trainable.push(...own);
    state.push(...own);
    if (l.runMean && l.runVar) state.push(l.runMean, l.runVar);
  }
  return { width, inputChannels, layers, trainable, state };
}

/**
 * A second network of the same architecture whose every state variable (parameters and
 * running stats) starts equal to `model`'s and is not trainable: a shadow to average weights
 * into (see Trainer's emaDecay). `tag` goes into the variable names. Free it with disposeUNet.
 */
export function cloneUNet(model: UNet, tag: string): UNet {
  // tf.variable shares the source's data until either side is assigned a new value.
  const copy = (v: tf.Variable | undefined) =>
    v && tf.variable(v, false, `${v.name}_${tag}_${uid()}`);
  const layers: Layer[] = model.layers.map((l) => {
    const c: Layer = { spec: l.spec, w: copy(l.w) as tf.Variable, b: copy(l.b) as tf.Variable };
    if (l.gamma && l.beta && l.runMean && l.runVar) {
      c.gamma = copy(l.gamma);
      c.beta = copy(l.beta);
      c.runMean = copy(l.runMean);
      c.runVar = copy(l.runVar);
    }
    return c;
  });
  return assemble(model.width, model.inputChannels, layers);
}

let uidCounter = 0;
function uid(): number {
  uidCounter += 1;
  return uidCounter;
}

export function disposeUNet(model: UNet): void {
  for (const v of model.state) v.dispose();
}

/**
 * Pending BN running-stat updates collected in train mode (applied by the caller). The mean
 * and variance tensors are tf.keep'd so they survive tidy scopes; the caller disposes them.
 */
export type StatUpdates = { layer: Layer; mean: tf.Tensor1D; variance: tf.Tensor1D; n: number }[];

/**
 * Per-channel sum of an NHWC tensor as a [1, M]·[M, C] product. The wasm Sum over axes
 * [0, 1, 2] transposes the whole tensor first: on [8, 128, 128, 16] it took 23 ms against
 * 5.8 ms for the product. Not differentiated (used inside hand-written gradients only).
 */
function channelSum(t: tf.Tensor4D): tf.Tensor1D {
  const c = t.shape[3];
  const m = t.size / c;
  return tf.reshape(tf.matMul(tf.ones([1, m]), tf.reshape(t, [m, c])), [c]);
}

/** Train-mode BatchNorm + ReLU forward: [out, x̂, mean, biased variance, 1/σ]. */
function bnReluForward(y: tf.Tensor4D, g: tf.Tensor1D, be: tf.Tensor1D) {
  if (hasBatchNormKernels()) {
    const r = tf.engine().runKernel(
      BN_RELU,
      { y, gamma: g, beta: be },
      {
        epsilon: BN_EPS,
      },
    ) as tf.Tensor[];
    const [out, xhat, mean, variance, invStd] = r as [
      tf.Tensor4D,
      tf.Tensor4D,
      tf.Tensor1D,
      tf.Tensor1D,
      tf.Tensor1D,
    ];
    return { out, xhat, mean, variance, invStd };
  }
  const n = y.size / y.shape[3];
  // Two-pass mean: a float32 one-pass mean shifted the first layer's centring (bias ~0.3,
  // batch spread ~0.008) by ~2e-4 of a standard deviation on wasm; averaging the residuals
  // once more recovers the lost digits.
  const rough = tf.div(channelSum(y), n);
  const mean = tf.add(rough, tf.div(channelSum(tf.sub(y, rough) as tf.Tensor4D), n)) as tf.Tensor1D;
  const centred = tf.sub(y, mean) as tf.Tensor4D;
  // Biased variance for the normalisation (PyTorch). div/sqrt, not rsqrt: the wasm Rsqrt
  // kernel is only accurate to ~1e-6 relative, which tiny-batch BN amplifies.
  const variance = tf.div(channelSum(tf.square(centred)), n) as tf.Tensor1D;
  const invStd = tf.div(1, tf.sqrt(tf.add(variance, BN_EPS))) as tf.Tensor1D;
  const xhat = tf.mul(centred, invStd) as tf.Tensor4D;
  const out = tf.relu(tf.add(tf.mul(xhat, g), be)) as tf.Tensor4D;
  return { out, xhat, mean, variance, invStd };
}

/** Backward of `bnReluForward`: the gradient at the BatchNorm input, dγ, dβ and Σdy₂ (bias). */
function bnReluBackward(
  dy: tf.Tensor4D,
  out: tf.Tensor4D,
  xhat: tf.Tensor4D,
  g: tf.Tensor1D,
  invStd: tf.Tensor1D,
) {
  if (hasBatchNormKernels()) {
    const r = tf.engine().runKernel(BN_RELU_GRAD, { dy, out, xhat, gamma: g, invStd }, {});
    const [dy2, dGamma, dBeta, dBias] = r as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
    return { dy2, dGamma, dBeta, dBias };
  }
  const n = dy.size / dy.shape[3];
  const dz = tf.mul(dy, tf.step(out)) as tf.Tensor4D;
  const dBeta = channelSum(dz);
  const dGamma = channelSum(tf.mul(dz, xhat) as tf.Tensor4D);
  const inner = tf.sub(tf.sub(dz, tf.div(dBeta, n)), tf.mul(xhat, tf.div(dGamma, n)));
  const dy2 = tf.mul(inner, tf.mul(g, invStd)) as tf.Tensor4D;
  return { dy2, dGamma, dBeta, dBias: channelSum(dy2) };
}

/**
 * One train-mode layer, conv3x3(bias) → BatchNorm (batch statistics) → ReLU, as a single
 * tape node with a hand-written backward pass. Autodiff through the op graph kept ~5 full-size
 * tensors per layer alive until the end of the backward pass (tfjs frees neither saved
 * intermediates nor consumed gradients before then), which capped trainable widths under
 * wasm's 4 GiB heap; this node saves only x̂ and the output (its input is the previous
 * layer's output). Backward: dz = dy·[out > 0], dŷ = γ/σ·(dz − mean(dz) − x̂·mean(dz·x̂)),
 * then the conv gradients of dŷ. `needDx` false skips dx for the network input.
 */
export function convBnReluTrain(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  b: tf.Tensor1D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  onStats: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void,
  needDx = true,
): tf.Tensor4D {
  const op = tf.customGrad((...args: unknown[]) => {
    const [xx, ww, bb, g, be, save] = args as [
      tf.Tensor4D,
      tf.Tensor4D,
      tf.Tensor1D,
      tf.Tensor1D,
      tf.Tensor1D,
      tf.GradSaveFunc,
    ];
    const y = tf.fused.conv2d({ x: xx, filter: ww, bias: bb, strides: 1, pad: "same" });
    const { out, xhat, mean, variance, invStd } = bnReluForward(y, g, be);
    onStats(mean, variance);
    save([xx, ww, xhat, out, invStd, g]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) =>
        // tfjs calls this outside any tidy: without one every temporary lives to the end.
        tf.tidy(() => {
          const [sx, sw, sxhat, sout, sinv, sg] = saved as [
            tf.Tensor4D,
            tf.Tensor4D,
            tf.Tensor4D,
            tf.Tensor4D,
            tf.Tensor1D,
            tf.Tensor1D,
          ];
          const { dy2, dGamma, dBeta, dBias } = bnReluBackward(dy, sout, sxhat, sg, sinv);
          const conv = {
            strides: [1, 1],
            pad: "same",
            dataFormat: "NHWC",
            dimRoundingMode: undefined,
          };
          const dW = tf.engine().runKernel("Conv2DBackpropFilter", { x: sx, dy: dy2 }, {
            ...conv,
            filterShape: sw.shape,
          } as unknown as tf.NamedAttrMap) as tf.Tensor;
          const dx = needDx
            ? (tf.engine().runKernel("Conv2DBackpropInput", { dy: dy2, filter: sw }, {
                ...conv,
                inputShape: sx.shape,
              } as unknown as tf.NamedAttrMap) as tf.Tensor)
            : tf.zeros(sx.shape);
          return [dx, dW, dBias, dGamma, dBeta];
        }),
    };
  });
  return op(x, w, b, gamma, beta) as tf.Tensor4D;
}

/** `needDx` false: `x` is the network input, whose gradient nobody needs (train mode only). */
function convBnRelu(
  layer: Layer,
  x: tf.Tensor4D,
  train: boolean,
  stats: StatUpdates | undefined,
  needDx: boolean,
) {
  // One tidy per layer frees its intermediates now rather than at the end of the step.
  return tf.tidy(() => {
    const { w, b, gamma, beta, runMean, runVar } = layer;
    if (!gamma || !beta || !runMean || !runVar) {
      return tf.fused.conv2d({ x, filter: w as tf.Tensor4D, bias: b, strides: 1, pad: "same" });
    }
    if (train) {
      const n = x.shape[0] * x.shape[1] * x.shape[2];
      const onStats = (mean: tf.Tensor1D, variance: tf.Tensor1D) => {
        if (stats) stats.push({ layer, mean: tf.keep(mean), variance: tf.keep(variance), n });
      };
      const [g, be] = [gamma as tf.Tensor1D, beta as tf.Tensor1D];
      return convBnReluTrain(x, w as tf.Tensor4D, b as tf.Tensor1D, g, be, onStats, needDx);
    }
    // Eval: BatchNorm is a per-channel affine map of the conv output, folded into the filter
    // and bias so that conv, BN and ReLU are one fused kernel call.
    const scale = tf.div(gamma, tf.sqrt(tf.add(runVar, BN_EPS)));
    return tf.fused.conv2d({
      x,
      filter: tf.mul(w, scale) as tf.Tensor4D,
      bias: tf.add(tf.mul(tf.sub(b, runMean), scale), beta),
      strides: 1,
      pad: "same",
      activation: "relu",
    });
  });
}

/**
 * Applies collected running-stat updates the way PyTorch does:
 * running = (1 − m)·running + m·batch, with the UNBIASED batch variance (n/(n−1)).
 */
export function applyStatUpdates(stats: StatUpdates): void {
  tf.tidy(() => {
    for (const { layer, mean, variance, n } of stats) {
      if (!layer.runMean || !layer.runVar) continue;
      const m = BN_MOMENTUM;
      layer.runMean.assign(tf.add(tf.mul(layer.runMean, 1 - m), tf.mul(mean, m)));
      const unbiased = tf.mul(variance, n / Math.max(1, n - 1));
      layer.runVar.assign(tf.add(tf.mul(layer.runVar, 1 - m), tf.mul(unbiased, m)));
    }
  });
}

/** Input sizes must survive four 2x2 poolings and come back to the same size. */
export function checkInputSize(height: number, width: number): void {
  if (height % 16 !== 0 || width % 16 !== 0 || height < 16 || width < 16) {
    throw new Error(
      `U-Net input ${width}x${height}: width and height must be positive multiples of 16 ` +
        "(four 2x2 poolings then x2 upsamplings); resize the images, e.g. to 128x128 or 256x256",
    );
  }
}

/**
 * Forward pass. `x` is [N, H, W, model.inputChannels], H and W multiples of 16. In train mode
 * BN uses batch statistics and, when `stats` is given, records the running-stat updates to
 * apply later. Returns [N, H, W, 3]. Call inside tf.tidy.
 */
export function forward(model: UNet, x: tf.Tensor4D, train: boolean, stats?: StatUpdates) {
  checkInputSize(x.shape[1], x.shape[2]);
  if (x.shape[3] !== model.inputChannels) {
    throw new Error(
      `U-Net input has ${x.shape[3]} channel(s) but the network was built for ` +
        `${model.inputChannels}; feed images of the kind it was trained on or retrain`,
    );
  }
  const L = model.layers;
  let i = 0;
  // Only the first layer reads the network input (any channel count), so only it skips dx.
  const cbr = (t: tf.Tensor4D) => {
    const first = i === 0;
    return convBnRelu(L[i++], t, train, stats, !first);
  };
  const block = (t: tf.Tensor4D) => cbr(cbr(t));
  const pool = (t: tf.Tensor4D) => tf.maxPool(t, 2, 2, "valid");
  const up = (t: tf.Tensor4D) =>
    cbr(tf.image.resizeBilinear(t, [t.shape[1] * 2, t.shape[2] * 2], true) as tf.Tensor4D);
  const b1 = block(x);
  const b2 = block(pool(b1));
  const b3 = block(pool(b2));
  const b4 = block(pool(b3));
  const b5 = block(pool(b4));
  const d1 = block(tf.add(up(b5), b4));
  const d2 = block(tf.add(up(d1), b3));
  const d3 = block(tf.add(up(d2), b2));
  const d4 = block(tf.add(up(d3), b1));
  return cbr(d4);
}

export interface TorchTensor {
  shape: number[];
  values: ArrayLike<number>;
}

/**
 * Copies a PyTorch state dict (names as in model_unetskip.py, conv weights OIHW) into the
 * model, transposing conv weights to HWIO. Throws naming the first missing or mis-shaped entry.
 */
export function loadTorchStateDict(model: UNet, sd: Record<string, TorchTensor>): void {
  const get = (name: string, shape: number[]): ArrayLike<number> => {
    const t = sd[name];
    if (!t) throw new Error(`loadTorchStateDict: missing '${name}' (width ${model.width})`);
    const net = `width-${model.width}, ${model.inputChannels}-input-channel network`;
    if (
      t.shape.join("x") !== shape.join("x") ||
      t.values.length !== shape.reduce((a, b) => a * b, 1)
    ) {
      throw new Error(
        `loadTorchStateDict: '${name}' has shape [${t.shape}], expected [${shape}] for a ` +
          `${net}; load a state dict of the same width and input channels`,
      );
    }
    return t.values;
  };
  tf.tidy(() => {
    for (const l of model.layers) {
      const { cin, cout, torchConv, torchBn } = l.spec;
      const w = get(`${torchConv}.weight`, [cout, cin, 3, 3]);
      l.w.assign(tf.transpose(tf.tensor4d(Float32Array.from(w), [cout, cin, 3, 3]), [2, 3, 1, 0]));
      l.b.assign(tf.tensor1d(Float32Array.from(get(`${torchConv}.bias`, [cout]))));
      if (torchBn && l.gamma && l.beta && l.runMean && l.runVar) {
        const one = (s: string) => tf.tensor1d(Float32Array.from(get(`${torchBn}.${s}`, [cout])));
        l.gamma.assign(one("weight"));
        l.beta.assign(one("bias"));
        l.runMean.assign(one("running_mean"));
        l.runVar.assign(one("running_var"));
      }
    }
  });
}

/** All state (parameters + running stats) as one flat array in `model.state` order. */
export function getFlatState(model: UNet): Float32Array {
  const out = new Float32Array(stateFloatCount(model.width, model.inputChannels));
  let o = 0;
  for (const v of model.state) {
    const d = v.dataSync() as Float32Array;
    out.set(d, o);
    o += d.length;
  }
  return out;
}

/** Inverse of getFlatState; the length must match the width and input channels exactly. */
export function setFlatState(model: UNet, flat: Float32Array): void {
  const want = stateFloatCount(model.width, model.inputChannels);
  if (flat.length !== want) {
    throw new Error(
      `U-Net state for width ${model.width} needs ${want} floats ` +
        `(${model.inputChannels} input channel(s)), got ${flat.length}`,
    );
  }
  let o = 0;
  tf.tidy(() => {
    for (const v of model.state) {
      v.assign(tf.tensor(flat.subarray(o, o + v.size), v.shape));
      o += v.size;
    }
  });
}
