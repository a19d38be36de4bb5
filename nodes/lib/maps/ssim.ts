/**
 * Per-pixel 1 − SSIM and squared-error maps for the paper's evaluation-function ablations
 * (L2 only, SSIM only). Same window as the training loss: 11x11 Gaussian, σ = 1.5, zero
 * padding, C1 = 0.01², C2 = 0.03² for images in [0, 1]; the map is the channel mean.
 */
import type { FloatImage, ScoreMap } from "../../sdk/image.ts";
import { assertSameSize } from "../../sdk/image.ts";

function gaussian1d(size: number, sigma: number): Float64Array {
  const w = new Float64Array(size);
  const c = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    w[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
    sum += w[i];
  }
  for (let i = 0; i < size; i++) w[i] /= sum;
  return w;
}

/** Separable Gaussian filter with zero padding on one float64 plane. */
function blur(src: Float64Array, w: number, h: number, k: Float64Array): Float64Array {
  const r = (k.length - 1) / 2;
  const tmp = new Float64Array(w * h);
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) {
        const xx = x + i;
        if (xx >= 0 && xx < w) s += k[i + r] * src[y * w + xx];
      }
      tmp[y * w + x] = s;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) {
        const yy = y + i;
        if (yy >= 0 && yy < h) s += k[i + r] * tmp[yy * w + x];
      }
      out[y * w + x] = s;
    }
  }
  return out;
}

function plane(img: FloatImage, c: number): Float64Array {
  const n = img.width * img.height;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = img.data[i * img.channels + c];
  return out;
}

/** Mean over channels of 1 − SSIM, per pixel. */
export function ssimDissimilarityMap(
  a: FloatImage,
  b: FloatImage,
  opts: { window?: number; sigma?: number } = {},
): ScoreMap {
  assertSameSize("ssim map", a, b);
  const { width: w, height: h } = a;
  const k = gaussian1d(opts.window ?? 11, opts.sigma ?? 1.5);
  const C1 = 0.01 ** 2;
  const C2 = 0.03 ** 2;
  const out = new Float64Array(w * h);
  const channels = Math.min(a.channels, b.channels);
  for (let c = 0; c < channels; c++) {
    const x = plane(a, c);
    const y = plane(b, c);
    const mx = blur(x, w, h, k);
    const my = blur(y, w, h, k);
    const xx = blur(
      x.map((v) => v * v),
      w,
      h,
      k,
    );
    const yy = blur(
      y.map((v) => v * v),
      w,
      h,
      k,
    );
    const xy = blur(
      x.map((v, i) => v * y[i]),
      w,
      h,
      k,
    );
    for (let i = 0; i < w * h; i++) {
      const sx = xx[i] - mx[i] * mx[i];
      const sy = yy[i] - my[i] * my[i];
      const sxy = xy[i] - mx[i] * my[i];
      const ssim =
        ((2 * mx[i] * my[i] + C1) * (2 * sxy + C2)) /
        ((mx[i] * mx[i] + my[i] * my[i] + C1) * (sx + sy + C2));
      out[i] += (1 - ssim) / channels;
    }
  }
  return { width: w, height: h, data: out };
}

/** Mean over channels of the squared difference, per pixel. */
export function squaredErrorMap(a: FloatImage, b: FloatImage): ScoreMap {
  assertSameSize("L2 map", a, b);
  const n = a.width * a.height;
  const out = new Float64Array(n);
  const ch = Math.min(a.channels, b.channels);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < ch; c++) {
      const d = a.data[i * a.channels + c] - b.data[i * b.channels + c];
      s += d * d;
    }
    out[i] = s / ch;
  }
  return { width: a.width, height: a.height, data: out };
}
