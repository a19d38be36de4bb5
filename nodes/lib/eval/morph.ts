/**
 * 3×3 flat morphology with kornia's "geodesic" border: pixels outside the image are ignored,
 * so a border pixel only looks at its in-image neighbours (EDGREC.md §3).
 */
import { createImage, type FloatImage } from "../../sdk/image.ts";
import { assertRaster } from "./validate.ts";

type Pick = (a: number, b: number) => number;

// A 3×3 square max/min is separable: a row pass then a column pass over the row results;
// clipping both passes at the border gives exactly the geodesic (in-image) neighbourhood.
function filter3(fn: string, img: FloatImage, pick: Pick): FloatImage {
  assertRaster(fn, "gray", img, img.channels);
  if (img.channels !== 1) {
    throw new Error(
      `${fn}: gray must have 1 channel, got ${img.channels}; convert with toGray first`,
    );
  }
  const { width: w, height: h, data } = img;
  const rows = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    for (let x = 0; x < w; x++) {
      let v = data[o + x];
      if (x > 0) v = pick(v, data[o + x - 1]);
      if (x < w - 1) v = pick(v, data[o + x + 1]);
      rows[o + x] = v;
    }
  }
  const out = createImage(w, h, 1);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    for (let x = 0; x < w; x++) {
      let v = rows[o + x];
      if (y > 0) v = pick(v, rows[o - w + x]);
      if (y < h - 1) v = pick(v, rows[o + w + x]);
      out.data[o + x] = v;
    }
  }
  return out;
}

/** 3×3 grayscale dilation (neighbourhood maximum), 1-channel in, 1-channel out. */
export function dilate3(gray: FloatImage): FloatImage {
  return filter3("dilate3", gray, Math.max);
}

/** 3×3 grayscale erosion (neighbourhood minimum), 1-channel in, 1-channel out. */
export function erode3(gray: FloatImage): FloatImage {
  return filter3("erode3", gray, Math.min);
}

/**
 * Morphological gradient = dilation − erosion with a 3×3 square, geodesic border, in float32.
 * This is the EdgRec network input (kornia `morphology.gradient(gray, ones(3,3))`).
 * @param gray 1-channel float image, nominally [0,1].
 * @returns 1-channel image of the same size, values ≥ 0.
 */
export function morphEdge(gray: FloatImage): FloatImage {
  const d = dilate3(gray);
  const e = erode3(gray);
  // Float32Array stores round the float64 difference exactly as a float32 subtraction would.
  for (let i = 0; i < d.data.length; i++) d.data[i] = d.data[i] - e.data[i];
  return d;
}
