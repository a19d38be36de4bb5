/**
 * Training loss of EDGREC.md §5: MSE + (1 − mean SSIM), differentiable with tfjs ops.
 * SSIM uses an 11x11 Gaussian window (σ = 1.5, sum 1) per channel with zero padding 5; we
 * apply it as two 1-D passes (exact for an outer-product window, 22 instead of 121 taps) and
 * as ordinary single-channel convs because the wasm backend has no depthwise-conv gradient.
 */
import * as tf from "@tensorflow/tfjs-core";

export const SSIM_WINDOW = 11;
export const SSIM_SIGMA = 1.5;

/** Normalised 1-D Gaussian window (float32), as the reference builds it. */
export function gaussianWindow(size = SSIM_WINDOW, sigma = SSIM_SIGMA): Float32Array {
  const g = new Float32Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const d = i - Math.floor(size / 2);
    g[i] = Math.exp(-(d * d) / (2 * sigma * sigma));
    sum += g[i];
  }
  for (let i = 0; i < size; i++) g[i] /= sum;
  return g;
}

/**
 * Dynamic range L decided from the PREDICTION (reference rule): max_val 255 if max > 128 else 1,
 * min_val −1 if min < −0.5 else 0. Reads two scalars back (not differentiated).
 */
export function ssimRange(pred: tf.Tensor): number {
  const [mx, mn] = tf
    .tidy(() => [tf.max(pred), tf.min(pred)])
    .map((t) => {
      const v = t.dataSync()[0];
      t.dispose();
      return v;
    });
  return (mx > 128 ? 255 : 1) - (mn < -0.5 ? -1 : 0);
}

/** Zero-padded Gaussian filtering of [B, H, W, 1] maps, separable. */
function gaussianFilter(x: tf.Tensor4D): tf.Tensor4D {
  const g = gaussianWindow();
  const r = Math.floor(SSIM_WINDOW / 2);
  const kv = tf.tensor4d(g, [SSIM_WINDOW, 1, 1, 1]);
  const kh = tf.tensor4d(g, [1, SSIM_WINDOW, 1, 1]);
  const v = tf.conv2d(x, kv, 1, [
    [0, 0],
    [r, r],
    [0, 0],
    [0, 0],
  ]);
  return tf.conv2d(v, kh, 1, [
    [0, 0],
    [0, 0],
    [r, r],
    [0, 0],
  ]);
}

/**
 * SSIM map of NHWC images [N, H, W, C] → [N, C, H, W] (channel-major, like the reference
 * CHW maps). `range` is L (default: decided from `pred`). Call inside tf.tidy.
 */
export function ssimMap(pred: tf.Tensor4D, target: tf.Tensor4D, range?: number): tf.Tensor4D {
  if (pred.shape.join() !== target.shape.join()) {
    throw new Error(
      `ssimMap: prediction [${pred.shape}] and target [${target.shape}] differ; both must be [N, H, W, C]`,
    );
  }
  const [n, h, w, c] = pred.shape;
  const L = range ?? ssimRange(pred);
  const c1 = (0.01 * L) ** 2;
  const c2 = (0.03 * L) ** 2;
  const planes = (t: tf.Tensor) =>
    tf.reshape(tf.transpose(t, [0, 3, 1, 2]), [n * c, h, w, 1]) as tf.Tensor4D;
  const x = planes(pred);
  const y = planes(target);
  // Five separate filterings: stacking them into one batch cost a Concat and a SplitV forward
  // and again backward, and the wasm SplitV alone took as long as the filtering.
  const maps = [x, y, tf.mul(x, x), tf.mul(y, y), tf.mul(x, y)] as tf.Tensor4D[];
  const [mu1, mu2, exx, eyy, exy] = maps.map((t) => gaussianFilter(t));
  const mu1mu2 = tf.mul(mu1, mu2);
  const mu1sq = tf.square(mu1);
  const mu2sq = tf.square(mu2);
  const s1 = tf.sub(exx, mu1sq);
  const s2 = tf.sub(eyy, mu2sq);
  const s12 = tf.sub(exy, mu1mu2);
  const num = tf.mul(tf.add(tf.mul(mu1mu2, 2), c1), tf.add(tf.mul(s12, 2), c2));
  const den = tf.mul(tf.add(tf.add(mu1sq, mu2sq), c1), tf.add(tf.add(s1, s2), c2));
  return tf.reshape(tf.div(num, den), [n, c, h, w]) as tf.Tensor4D;
}

export interface LossParts {
  /** l2 + ssim, the value minimised. */
  total: tf.Scalar;
  /** Mean squared error over all N·H·W·C elements. */
  l2: tf.Scalar;
  /** 1 − mean SSIM. */
  ssim: tf.Scalar;
}

/** EdgRec training loss (λ = 1) of a prediction against its target, both [N, H, W, 3]. */
export function reconstructionLoss(
  pred: tf.Tensor4D,
  target: tf.Tensor4D,
  range?: number,
): LossParts {
  const l2 = tf.mean(tf.squaredDifference(pred, target)) as tf.Scalar;
  const ssim = tf.sub(1, tf.mean(ssimMap(pred, target, range))) as tf.Scalar;
  return { total: tf.add(l2, ssim) as tf.Scalar, l2, ssim };
}
