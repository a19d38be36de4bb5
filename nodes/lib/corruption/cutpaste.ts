/**
 * CutPaste pseudo-anomaly (EDGREC.md §2.1, reference `cut_patch` + `paste_patch`): a large
 * patch of the image itself is cut, rotated about its own top-left corner and pasted back
 * somewhere else; the mask covers the whole pasted rectangle.
 */
import type { FloatImage } from "../../sdk/image.ts";
import type { Rng } from "../../sdk/rng.ts";
import { type Affine2x3, warpAffine } from "./warp.ts";

/** Integer draws in [lo, hi), like Python's `random.randrange(lo, hi)`. */
export interface DrawSource {
  randrange(lo: number, hi: number): number;
}

/** Adapts our seeded Rng to a DrawSource. */
export function rngDrawSource(rng: Rng): DrawSource {
  return { randrange: (lo, hi) => rng.int(lo, hi) };
}

export interface CutPasteOptions {
  /**
   * Patch side length range as fractions of the image side, [lo, hi]: lengths are drawn by
   * randrange(round(lo·n), round(hi·n)) with Python rounding, then made even. Default [0.8, 0.9].
   */
  sizeRange?: readonly [number, number];
  /** Integer angle range [lo, hi) for randrange. Default [-6, 6). */
  angleRange?: readonly [number, number];
  /**
   * How the integer angle is read. "reference-radians" (default) reproduces the authors'
   * code, which passes the integer straight to cos/sin; "degrees" treats it as degrees.
   */
  angleUnit?: "reference-radians" | "degrees";
}

export interface CutPasteDetails {
  top: number;
  left: number;
  /** Drawn (even) lengths before clipping at the border. */
  drawnHeight: number;
  drawnWidth: number;
  /** Real patch size after clipping. */
  patchHeight: number;
  patchWidth: number;
  /** The integer angle drawn and the angle in radians actually used. */
  angle: number;
  angleRadians: number;
  pasteRow: number;
  pasteCol: number;
}

export interface CutPasteResult {
  image: FloatImage;
  /** 1-channel 0/1 mask of the pasted rectangle. */
  mask: FloatImage;
  details: CutPasteDetails;
}

/** Python 3 round(): half to even. */
function pyRound(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Draws from [lo, hi), or returns lo when the range is empty (tiny images; the reference would raise). */
function drawOrLo(src: DrawSource, lo: number, hi: number): number {
  return hi > lo ? src.randrange(lo, hi) : lo;
}

function checkOptions(o: Required<CutPasteOptions>): void {
  const [a, b] = o.sizeRange;
  if (!(a > 0 && b <= 1 && a <= b)) {
    throw new Error(`cutPaste: sizeRange must satisfy 0 < lo <= hi <= 1, got [${a}, ${b}]`);
  }
  const [p, q] = o.angleRange;
  if (!Number.isInteger(p) || !Number.isInteger(q) || p >= q) {
    throw new Error(`cutPaste: angleRange must be integers lo < hi, got [${p}, ${q}]`);
  }
}

/**
 * Cut, rotate and paste on an HWC image (1 or 3 channels). Draw order is the reference's:
 * top, height, left, width, angle, paste row, paste column. Side lengths are drawn from each
 * axis' own size (the reference uses the height for both; identical for square images).
 */
export function cutPaste(
  img: FloatImage,
  draws: DrawSource,
  options: CutPasteOptions = {},
): CutPasteResult {
  const o: Required<CutPasteOptions> = {
    sizeRange: options.sizeRange ?? [0.8, 0.9],
    angleRange: options.angleRange ?? [-6, 6],
    angleUnit: options.angleUnit ?? "reference-radians",
  };
  checkOptions(o);
  const { width: w, height: h, channels: cn } = img;
  if (img.data.length !== w * h * cn) {
    throw new Error(
      `cutPaste: image data length ${img.data.length} does not match ${w}x${h}x${cn}`,
    );
  }
  const lengthDraw = (n: number): number => {
    const v = drawOrLo(draws, pyRound(o.sizeRange[0] * n), pyRound(o.sizeRange[1] * n));
    return Math.max(1, v % 2 === 1 ? v - 1 : v);
  };
  const top = draws.randrange(0, h);
  const drawnHeight = lengthDraw(h);
  const left = draws.randrange(0, w);
  const drawnWidth = lengthDraw(w);
  const ph = Math.min(drawnHeight, h - top);
  const pw = Math.min(drawnWidth, w - left);

  const patch: FloatImage = {
    width: pw,
    height: ph,
    channels: cn,
    data: new Float32Array(pw * ph * cn),
  };
  for (let y = 0; y < ph; y++) {
    const from = ((top + y) * w + left) * cn;
    patch.data.set(img.data.subarray(from, from + pw * cn), y * pw * cn);
  }

  const angle = draws.randrange(o.angleRange[0], o.angleRange[1]);
  const angleRadians = o.angleUnit === "degrees" ? (angle * Math.PI) / 180 : angle;
  // Rotation about the patch's pixel (0, 0), no re-centring (reference behaviour).
  const c = Math.cos(angleRadians);
  const s = Math.sin(angleRadians);
  const m: Affine2x3 = [c, -s, 0, s, c, 0];
  const rotated = warpAffine(patch, m, pw, ph);

  const pasteRow = drawOrLo(draws, 1, h - ph - 1);
  const pasteCol = drawOrLo(draws, 1, w - pw - 1);
  const data = img.data.slice();
  const mask: FloatImage = { width: w, height: h, channels: 1, data: new Float32Array(w * h) };
  // Rows/columns falling off the image (only possible on tiny images) are dropped.
  const rows = Math.min(ph, h - pasteRow);
  const cols = Math.min(pw, w - pasteCol);
  for (let y = 0; y < rows; y++) {
    const to = ((pasteRow + y) * w + pasteCol) * cn;
    data.set(rotated.data.subarray(y * pw * cn, y * pw * cn + cols * cn), to);
    mask.data.fill(1, (pasteRow + y) * w + pasteCol, (pasteRow + y) * w + pasteCol + cols);
  }
  return {
    image: { width: w, height: h, channels: cn, data },
    mask,
    details: {
      top,
      left,
      drawnHeight,
      drawnWidth,
      patchHeight: ph,
      patchWidth: pw,
      angle,
      angleRadians,
      pasteRow,
      pasteCol,
    },
  };
}
