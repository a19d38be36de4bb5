/**
 * Bilinear resize with OpenCV's INTER_LINEAR pixel-centre convention (src = (dst + 0.5)·scale
 * − 0.5, edges clamped), in float arithmetic. Used to bring textures to the working size, as
 * the reference resizes DTD images with cv2.resize. Hand-written because it must run
 * synchronously on FloatImage inside the per-sample pipeline (sharp is async and 8/16-bit).
 * Not bit-exact to OpenCV's 8-bit fixed-point path; no antialiasing when shrinking, like OpenCV.
 */
import type { FloatImage } from "../../sdk/image.ts";

function axisTable(dst: number, src: number): { i0: Int32Array; i1: Int32Array; t: Float32Array } {
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const t = new Float32Array(dst);
  const scale = src / dst;
  for (let d = 0; d < dst; d++) {
    let s = (d + 0.5) * scale - 0.5;
    if (s < 0) s = 0;
    let k = Math.floor(s);
    if (k >= src - 1) {
      k = src - 1;
      s = k;
    }
    i0[d] = k;
    i1[d] = Math.min(k + 1, src - 1);
    t[d] = s - k;
  }
  return { i0, i1, t };
}

/** Resizes an HWC FloatImage to width×height (bilinear). Returns the input when sizes match. */
export function resizeBilinear(img: FloatImage, width: number, height: number): FloatImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(
      `resizeBilinear: target size must be positive integers, got ${width}x${height}`,
    );
  }
  if (img.width === width && img.height === height) return img;
  const cn = img.channels;
  const xs = axisTable(width, img.width);
  const ys = axisTable(height, img.height);
  const s = img.data;
  const out = new Float32Array(width * height * cn);
  const stride = img.width * cn;
  for (let y = 0; y < height; y++) {
    const r0 = ys.i0[y] * stride;
    const r1 = ys.i1[y] * stride;
    const ty = ys.t[y];
    for (let x = 0; x < width; x++) {
      const c0 = xs.i0[x] * cn;
      const c1 = xs.i1[x] * cn;
      const tx = xs.t[x];
      for (let k = 0; k < cn; k++) {
        const top = s[r0 + c0 + k] + tx * (s[r0 + c1 + k] - s[r0 + c0 + k]);
        const bot = s[r1 + c0 + k] + tx * (s[r1 + c1 + k] - s[r1 + c0 + k]);
        out[(y * width + x) * cn + k] = top + ty * (bot - top);
      }
    }
  }
  return { width, height, channels: cn, data: out };
}
