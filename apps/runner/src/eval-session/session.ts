/**
 * An evaluation session over one finished run: at opening it pulls, once, the colour and
 * structure maps, masks and labels of the whole test split from the run's lazy streams into
 * an EvalSplit, plus small thumbnails of the input images. After that it never touches the
 * engine: rescoring and per-sample maps are served from the typed arrays.
 */

import { EdgrecError } from "../../../../nodes/sdk/errors.ts";
import type { FloatImage, ScoreMap } from "../../../../nodes/sdk/image.ts";
import { isStream, type SampleStream } from "../../../../nodes/sdk/node.ts";
import type { Graph } from "../graph/schema.ts";
import {
  allocBuffers,
  buffersBytes,
  type RescoreBuffers,
  type RescoreOptions,
  type RescoreResult,
  rescore,
} from "./rescore.ts";
import { buildSplit, type EvalSplit, type SplitSample, splitBytes } from "./split.ts";
import { findWiring, type PortRef, type Wiring } from "./wiring.ts";

type Values = Record<string, unknown>;

export interface OpenOptions {
  id: string;
  runId: string;
  graph: Graph;
  /** The run's outputs by node id (lazy streams stay pullable after the run). */
  values: Map<string, Values>;
  /** Type of an input ("in") or output ("out") port of a node type, from the registry. */
  portType: (nodeType: string, side: "in" | "out", port: string) => string | undefined;
  sumNode?: string;
  /** Side of the square thumbnails shipped for the sample grid. Default 64. */
  thumbSide?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Thumbnails of every sample: input RGB u8 and colour/structure maps, area-averaged. */
export interface Thumbnails {
  side: number;
  rgb: Uint8Array;
  color: Float32Array;
  structure: Float32Array;
}

function stream(values: Map<string, Values>, ref: PortRef, what: string): SampleStream {
  const v = values.get(ref.nodeId)?.[ref.port];
  if (!isStream(v)) {
    throw new EdgrecError("usage", {
      code: "E_EVAL_NO_OUTPUT",
      message: `the run has no ${what} (output "${ref.port}" of node "${ref.nodeId}")`,
      hint: "run the whole graph (or at least the weighted sum) before opening the workspace",
      nodeId: ref.nodeId,
      port: ref.port,
    });
  }
  return v;
}

/** Area-average downsampling of a w×h plane with `ch` channels to side×side. */
function downsample(
  src: ArrayLike<number>,
  w: number,
  h: number,
  ch: number,
  side: number,
  out: Float32Array | Uint8Array,
  offset: number,
  scale: number,
): void {
  for (let ty = 0; ty < side; ty++) {
    const y0 = Math.floor((ty * h) / side);
    const y1 = Math.max(y0 + 1, Math.floor(((ty + 1) * h) / side));
    for (let tx = 0; tx < side; tx++) {
      const x0 = Math.floor((tx * w) / side);
      const x1 = Math.max(x0 + 1, Math.floor(((tx + 1) * w) / side));
      for (let c = 0; c < ch; c++) {
        let s = 0;
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += src[(y * w + x) * ch + c];
        const v = (s / ((y1 - y0) * (x1 - x0))) * scale;
        // 8-bit planes round (a typed-array store would truncate)
        out[offset + (ty * side + tx) * ch + c] = scale === 1 ? v : Math.round(v);
      }
    }
  }
}

export class EvalSession {
  private readonly buffers: RescoreBuffers;
  /** Times the session pulled a value from the run's streams (all during open). */
  static pulls = 0;

  private constructor(
    readonly id: string,
    readonly runId: string,
    readonly wiring: Wiring,
    readonly split: EvalSplit,
    readonly thumbs: Thumbnails,
    readonly graphThreshold: { value: number; source: string } | undefined,
    readonly openMs: number,
  ) {
    this.buffers = allocBuffers(split.color.length);
  }

  /** Gathers the split from the run's streams. */
  static async open(o: OpenOptions): Promise<EvalSession> {
    const t0 = performance.now();
    const wiring = findWiring(o.graph, o.portType, o.sumNode);
    const color = stream(o.values, wiring.color, "colour maps") as SampleStream<ScoreMap>;
    const structure = stream(
      o.values,
      wiring.structure,
      "structure maps",
    ) as SampleStream<ScoreMap>;
    const masks = wiring.mask
      ? (stream(o.values, wiring.mask, "test masks") as SampleStream<FloatImage>)
      : undefined;
    const images =
      wiring.image && isStream(o.values.get(wiring.image.nodeId)?.[wiring.image.port])
        ? (stream(o.values, wiring.image, "test images") as SampleStream<FloatImage>)
        : undefined;
    if (structure.length !== color.length || (masks && masks.length !== color.length)) {
      throw new EdgrecError("data", {
        code: "E_EVAL_COUNT",
        message: `${color.length} colour maps, ${structure.length} structure maps, ${masks?.length ?? 0} masks`,
        hint: "the weighted sum's inputs and the masks must come from one test split",
      });
    }
    const side = o.thumbSide ?? 64;
    const n = color.length;
    const samples: SplitSample[] = [];
    const thumbs: Thumbnails = {
      side,
      rgb: new Uint8Array(n * side * side * 3),
      color: new Float32Array(n * side * side),
      structure: new Float32Array(n * side * side),
    };
    for (let i = 0; i < n; i++) {
      o.signal?.throwIfAborted();
      const info = color.info(i);
      const c = await color.get(i, 0);
      const s = await structure.get(i, 0);
      const m = masks ? await masks.get(i, 0) : undefined;
      EvalSession.pulls += masks ? 3 : 2;
      samples.push({
        id: info.id,
        label: info.label,
        defect: info.defect,
        color: c,
        structure: s,
        mask: m,
      });
      downsample(c.data, c.width, c.height, 1, side, thumbs.color, i * side * side, 1);
      downsample(s.data, s.width, s.height, 1, side, thumbs.structure, i * side * side, 1);
      if (images) {
        const img = await images.get(i, 0);
        EvalSession.pulls++;
        const rgb =
          img.channels === 3
            ? img.data
            : Float32Array.from(
                { length: img.width * img.height * 3 },
                (_, j) => img.data[(j / 3) | 0],
              );
        downsample(rgb, img.width, img.height, 3, side, thumbs.rgb, i * side * side * 3, 255);
      }
      o.onProgress?.(i + 1, n);
    }
    const split = buildSplit(samples);
    let graphThreshold: { value: number; source: string } | undefined;
    if (wiring.threshold) {
      const t = o.values.get(wiring.threshold.nodeId)?.[wiring.threshold.port] as
        | { value?: unknown; source?: unknown }
        | number
        | undefined;
      if (typeof t === "number") graphThreshold = { value: t, source: wiring.threshold.nodeId };
      else if (t && typeof t.value === "number") {
        graphThreshold = { value: t.value, source: String(t.source ?? wiring.threshold.nodeId) };
      }
    }
    return new EvalSession(
      o.id,
      o.runId,
      wiring,
      split,
      thumbs,
      graphThreshold,
      performance.now() - t0,
    );
  }

  /** Bytes of the cached maps (split) and of the rescoring work buffers. */
  memory(): { mapsBytes: number; workBytes: number; thumbBytes: number } {
    return {
      mapsBytes: splitBytes(this.split),
      workBytes: buffersBytes(this.buffers),
      thumbBytes:
        this.thumbs.rgb.byteLength +
        this.thumbs.color.byteLength +
        this.thumbs.structure.byteLength,
    };
  }

  /** Recombines the cached maps under new weights and recomputes every metric. */
  rescore(opts: RescoreOptions): RescoreResult {
    return rescore(this.split, this.buffers, { topK: this.wiring.scoreTopK, ...opts });
  }

  /**
   * One sample's float32 colour and structure maps and its binary mask (copies).
   * @throws E_SAMPLE_RANGE for an index outside the split.
   */
  sampleMaps(index: number): { color: Float32Array; structure: Float32Array; mask: Uint8Array } {
    if (!(Number.isInteger(index) && index >= 0 && index < this.split.count)) {
      throw new EdgrecError("usage", {
        code: "E_SAMPLE_RANGE",
        message: `sample ${index} is outside the split (0..${this.split.count - 1})`,
        hint: "pick a sample from the workspace grid",
      });
    }
    const px = this.split.width * this.split.height;
    const o = index * px;
    const mask = new Uint8Array(px);
    for (let i = 0; i < px; i++) mask[i] = this.split.region[o + i] ? 1 : 0;
    return {
      color: this.split.color.slice(o, o + px),
      structure: this.split.structure.slice(o, o + px),
      mask,
    };
  }
}
