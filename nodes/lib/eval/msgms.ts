/**
 * Multi-scale gradient-magnitude similarity (MSGMS) and the EdgRec structure map A_structure
 * (EDGREC.md §6 step 4; the authors' msgms.py and test.py mean_smoothing).
 */
import type { FloatImage, ScoreMap } from "../../sdk/image.ts";
import { avgPool2, meanFilter, resizeBilinear } from "./filters.ts";
import { assertOddSize, assertRaster, assertSameShape } from "./validate.ts";

export interface MsgmsOptions {
  /** Number of scales (scale s is the input average-pooled 2×2 s times). Default 2. */
  readonly scales?: number;
  /** GMS stability constant. Default 0.0026 (GMSD). */
  readonly c?: number;
}

export interface StructureOptions extends MsgmsOptions {
  /** Odd side of the zero-padded mean filter. Default 21. */
  readonly filterSize?: number;
}

/** Gradient magnitude with Prewitt/3 kernels, zero padding 1: √(gx² + gy² + 1e-12). */
function gradientMagnitude(p: ScoreMap): Float64Array {
  const { width: w, height: h, data } = p;
  // Copy into a zero-bordered buffer so the inner loop needs no bounds checks.
  const pw = w + 2;
  const pad = new Float64Array(pw * (h + 2));
  for (let y = 0; y < h; y++) pad.set(data.subarray(y * w, y * w + w), (y + 1) * pw + 1);
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    let up = y * pw + 1;
    let mid = up + pw;
    let down = mid + pw;
    for (let x = 0; x < w; x++, up++, mid++, down++) {
      const left = pad[up - 1] + pad[mid - 1] + pad[down - 1];
      const right = pad[up + 1] + pad[mid + 1] + pad[down + 1];
      const top = pad[up - 1] + pad[up] + pad[up + 1];
      const bottom = pad[down - 1] + pad[down] + pad[down + 1];
      const gx = (left - right) / 3;
      const gy = (top - bottom) / 3;
      out[y * w + x] = Math.sqrt(gx * gx + gy * gy + 1e-12);
    }
  }
  return out;
}

/** Splits an HWC image into float64 planes. */
function planes(img: FloatImage): ScoreMap[] {
  const n = img.width * img.height;
  const out: ScoreMap[] = [];
  for (let c = 0; c < img.channels; c++) {
    const data = new Float64Array(n);
    for (let i = 0; i < n; i++) data[i] = img.data[i * img.channels + c];
    out.push({ width: img.width, height: img.height, data });
  }
  return out;
}

function checkInputs(fn: string, rec: FloatImage, orig: FloatImage, opts: MsgmsOptions) {
  assertRaster(fn, "rec", rec, rec.channels);
  assertRaster(fn, "orig", orig, orig.channels);
  assertSameShape(fn, ["rec", "orig"], rec, orig);
  if (rec.channels !== orig.channels) {
    throw new Error(`${fn}: rec has ${rec.channels} channel(s) but orig has ${orig.channels}`);
  }
  const scales = opts.scales ?? 2;
  const c = opts.c ?? 0.0026;
  if (!Number.isInteger(scales) || scales < 1) {
    throw new Error(`${fn}: scales must be a positive integer (got ${scales})`);
  }
  const minSide = Math.min(rec.width, rec.height);
  if (minSide >> (scales - 1) < 1) {
    throw new Error(
      `${fn}: a ${rec.width}x${rec.height} image cannot be pooled ${scales - 1} time(s); ` +
        "use fewer scales or a larger image",
    );
  }
  if (!(c > 0)) throw new Error(`${fn}: c must be a positive number (got ${c})`);
  return { scales, c };
}

/**
 * Per-scale GMS maps, averaged over channels and bilinearly upsampled (align_corners=False)
 * back to the input size. Element s is scale s (s = 0 is full resolution).
 * @returns `scales` float64 maps with values in (0, 1].
 */
export function gmsPyramid(rec: FloatImage, orig: FloatImage, opts: MsgmsOptions = {}): ScoreMap[] {
  const { scales, c } = checkInputs("gmsPyramid", rec, orig, opts);
  const { width: w, height: h } = rec;
  const recPlanes = planes(rec);
  const origPlanes = planes(orig);
  const out: ScoreMap[] = [];
  for (let s = 0; s < scales; s++) {
    if (s > 0) {
      for (let k = 0; k < recPlanes.length; k++) {
        recPlanes[k] = avgPool2(recPlanes[k]);
        origPlanes[k] = avgPool2(origPlanes[k]);
      }
    }
    const sw = recPlanes[0].width;
    const sh = recPlanes[0].height;
    const mean = new Float64Array(sw * sh);
    for (let k = 0; k < recPlanes.length; k++) {
      const m1 = gradientMagnitude(recPlanes[k]);
      const m2 = gradientMagnitude(origPlanes[k]);
      for (let i = 0; i < mean.length; i++) {
        mean[i] += (2 * m1[i] * m2[i] + c) / (m1[i] * m1[i] + m2[i] * m2[i] + c + 1e-12);
      }
    }
    for (let i = 0; i < mean.length; i++) mean[i] /= recPlanes.length;
    const map = { width: sw, height: sh, data: mean };
    // Upsampling is linear, so averaging channels before resizing equals resizing each channel.
    out.push(s === 0 ? map : resizeBilinear(map, w, h));
  }
  return out;
}

/**
 * MSGMS anomaly map: mean over channels of 1 − (mean over scales of GMS_s).
 * @param rec reconstruction, 1 or 3 channels, float (unclamped).
 * @param orig original, same size and channel count, [0,1].
 * @param opts scales (default 2; the pre-June-2023 reference used 3), c (default 0.0026).
 * @returns float64 map of the input size, values in [0, 1).
 */
export function msgmsMap(rec: FloatImage, orig: FloatImage, opts: MsgmsOptions = {}): ScoreMap {
  const pyramid = gmsPyramid(rec, orig, opts);
  const data = new Float64Array(rec.width * rec.height);
  for (let i = 0; i < data.length; i++) {
    let sum = 0;
    for (const level of pyramid) sum += level.data[i];
    data[i] = 1 - sum / pyramid.length;
  }
  return { width: rec.width, height: rec.height, data };
}

/**
 * Structure map A_structure: the MSGMS map smoothed by a zero-padded filterSize² mean filter
 * (divisor always filterSize², so values near the border are pulled toward 0, as in the
 * reference).
 * @param opts scales (default 2), c (default 0.0026), filterSize (odd, default 21).
 */
export function structureMap(
  rec: FloatImage,
  orig: FloatImage,
  opts: StructureOptions = {},
): ScoreMap {
  const filterSize = opts.filterSize ?? 21;
  assertOddSize("structureMap", "filterSize", filterSize);
  return meanFilter(msgmsMap(rec, orig, opts), filterSize, "zero");
}
