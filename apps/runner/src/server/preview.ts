/**
 * Preview images for the wire: float rasters and score maps become 8-bit PNGs (sharp does the
 * encoding). Score maps are drawn as heat maps, either on one colour scale shared by the whole
 * split (min/max computed once per stream key, lazily, and cached) or rescaled per image.
 */
import sharp from "sharp";
import { heatColors, mapRange } from "../../../../nodes/lib/eval/heatmap.ts";
import { EdgrecError } from "../../../../nodes/sdk/errors.ts";
import type { PreviewValue, SampleStream } from "../../../../nodes/sdk/node.ts";

export interface PngPreview {
  png: Buffer;
  width: number;
  height: number;
}

export interface Range {
  min: number;
  max: number;
}

type FloatRaster = { width: number; height: number; channels: number; data: Float32Array };
type MapRaster = { width: number; height: number; data: Float64Array };

function isFloatRaster(v: unknown): v is FloatRaster {
  const r = v as FloatRaster;
  return (
    !!r &&
    typeof r.width === "number" &&
    typeof r.height === "number" &&
    r.data instanceof Float32Array &&
    (r.channels === 1 || r.channels === 3) &&
    r.data.length === r.width * r.height * r.channels
  );
}

function isScoreMap(v: unknown): v is MapRaster {
  const r = v as MapRaster;
  return (
    !!r &&
    typeof r.width === "number" &&
    typeof r.height === "number" &&
    r.data instanceof Float64Array &&
    r.data.length === r.width * r.height
  );
}

/** True when `previewPng` can draw the value (a FloatImage or a ScoreMap). */
export function isPreviewable(v: unknown): boolean {
  return isFloatRaster(v) || isScoreMap(v);
}

async function rawToPng(data: Uint8Array, width: number, height: number, channels: 1 | 3) {
  const png = await sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
    raw: { width, height, channels },
  })
    .png({ compressionLevel: 3 })
    .toBuffer();
  return { png, width, height };
}

/** FloatImage (gray or RGB, values in [0, 1], clamped) -> 8-bit PNG of the same channels. */
export async function floatImagePng(img: FloatRaster): Promise<PngPreview> {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = img.data[i];
    out[i] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
  }
  return rawToPng(out, img.width, img.height, img.channels as 1 | 3);
}

/** ScoreMap -> RGB heat-map PNG; `range` defaults to the map's own min/max. */
export async function heatmapPng(
  map: MapRaster,
  range: Range = mapRange(map),
): Promise<PngPreview> {
  // One palette everywhere: the editor's workspace and exported overlays use HEAT_COLORMAP too.
  const out = heatColors(map, range.min, range.max);
  return rawToPng(out, map.width, map.height, 3);
}

/** PNG of a raster value; throws a clear error for anything else. */
export async function previewPng(value: unknown, range?: Range): Promise<PngPreview> {
  if (isFloatRaster(value)) return floatImagePng(value);
  if (isScoreMap(value)) return heatmapPng(value, range);
  throw new EdgrecError("usage", {
    code: "E_NOT_PREVIEWABLE",
    message: "this output is not an image or a score map, so it has no preview",
    hint: "ask for a preview of an Image, Gray, Edge, Mask or ScoreMap output",
  });
}

/** PNG of a preview value emitted by a node during a run (png, float image, rgb8 or map). */
export async function previewValuePng(value: PreviewValue): Promise<PngPreview> {
  if (value.kind === "image") return floatImagePng(value.image);
  if (value.kind === "map") return heatmapPng(value.map);
  if (value.kind === "rgb8") return rawToPng(value.data, value.width, value.height, 3);
  const meta = await sharp(value.data).metadata();
  return { png: Buffer.from(value.data), width: meta.width ?? 0, height: meta.height ?? 0 };
}

/**
 * Shared colour scales per stream key: the min/max of a score-map output over its whole split,
 * computed the first time someone asks and then reused. Bounded so long sessions do not grow.
 */
export class SharedScales {
  private readonly ranges = new Map<string, Promise<Range>>();

  constructor(private readonly maxEntries = 256) {}

  /** Range of every sample of `stream` (epoch 0). Concurrent callers share one computation. */
  rangeOf(stream: SampleStream, signal?: AbortSignal): Promise<Range> {
    const hit = this.ranges.get(stream.key);
    if (hit) return hit;
    const job = (async () => {
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < stream.length; i++) {
        signal?.throwIfAborted();
        const v = await stream.get(i, 0);
        if (!isScoreMap(v)) continue;
        const r = mapRange(v);
        if (r.min < min) min = r.min;
        if (r.max > max) max = r.max;
      }
      return Number.isFinite(min) ? { min, max } : { min: 0, max: 0 };
    })();
    this.ranges.set(stream.key, job);
    job.catch(() => this.ranges.delete(stream.key));
    if (this.ranges.size > this.maxEntries) {
      const oldest = this.ranges.keys().next().value;
      if (oldest !== undefined) this.ranges.delete(oldest);
    }
    return job;
  }
}
