/**
 * Production inspection: runs a saved inspection graph on posted images. The images are
 * injected into the graph's image-source node; the engine is reused across requests, so the
 * model (a task output) stays in its memory cache and only the per-image nodes run again.
 * Requests are served one at a time, in arrival order.
 */
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { topKMean } from "../../../../nodes/image-score.ts";
import { EdgrecError } from "../../../../nodes/sdk/errors.ts";
import type { ScoreMap } from "../../../../nodes/sdk/image.ts";
import { isStream, type SampleStream } from "../../../../nodes/sdk/node.ts";
import type { Graph } from "../graph/schema.ts";
import type { ServerContext } from "./context.ts";
import { heatmapPng } from "./preview.ts";

export interface InspectImage {
  name: string;
  bytes: Buffer;
}

export interface InspectOptions {
  /** Include each anomaly map as a base64 PNG heat map. */
  map?: boolean;
  /** Decision threshold on the image score; default: the graph's Threshold output. */
  threshold?: number;
  /** Node whose ScoreMap output is the anomaly map; default: the last ScoreMap in the run. */
  node?: string;
}

export interface InspectResult {
  graph: string;
  /** Wall time of the whole request (engine run + per-image scoring), ms. */
  ms: number;
  threshold: number | null;
  thresholdSource: "query" | "graph" | "none";
  /**
   * How a map became the image score: that of the graph's image-score or inspect-report node
   * fed by the anomaly map (so the endpoint decides exactly as `edgrec run` of the same graph
   * does), else "max" (EDGREC.md §6).
   */
  scoreMethod: string;
  /** What each node did: "ran", "cached" (e.g. the warm model) or "lazy". */
  nodes: Record<string, string>;
  images: {
    name: string;
    /** Image score, computed as `scoreMethod` says. */
    score: number;
    /** "fail" when score > threshold; null without a threshold. */
    decision: "pass" | "fail" | null;
    /** Time to compute this image's map and score, ms. */
    ms: number;
    map?: string;
  }[];
}

function badRequest(code: string, message: string, hint: string): EdgrecError {
  return new EdgrecError("usage", { code, message, hint });
}

/** A threshold output as a number: a plain number or an object with `value`/`threshold`. */
function thresholdOf(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (v && typeof v === "object") {
    for (const k of ["value", "threshold"]) {
      const x = (v as Record<string, unknown>)[k];
      if (typeof x === "number" && Number.isFinite(x)) return x;
    }
  }
  return undefined;
}

let chain: Promise<unknown> = Promise.resolve();

/** Runs `graphName` on `images`; requests are serialised. */
export function inspect(
  ctx: ServerContext,
  graphName: string,
  images: InspectImage[],
  options: InspectOptions = {},
): Promise<InspectResult> {
  const job = chain.then(() => inspectNow(ctx, graphName, images, options));
  chain = job.catch(() => undefined);
  return job;
}

async function inspectNow(
  ctx: ServerContext,
  graphName: string,
  images: InspectImage[],
  options: InspectOptions,
): Promise<InspectResult> {
  const t0 = performance.now();
  if (images.length === 0) {
    throw badRequest(
      "E_NO_IMAGES",
      "the request carries no images",
      "post an image body or a JSON batch",
    );
  }
  const { graph } = await ctx.library.load(graphName);
  const source = graph.nodes.find((n) => ctx.inspectSourceTypes.includes(n.type));
  if (!source) {
    throw badRequest(
      "E_NO_IMAGE_SOURCE",
      `graph "${graphName}" has no image-source node (type ${ctx.inspectSourceTypes.join(" or ")}) to receive the posted images`,
      "add an image-source node to the inspection graph and save it again",
    );
  }
  const sha = createHash("sha256");
  for (const img of images) sha.update(img.name).update("\0").update(img.bytes).update("\0");
  await mkdir(ctx.outDir, { recursive: true });
  const log = ctx.log.child({ inspect: graphName });
  const { report, values } = await ctx.runtime.engine.run({
    graph,
    outDir: ctx.outDir,
    injected: { [source.id]: { key: sha.digest("hex"), data: images } },
  });
  if (!report.ok) {
    throw new EdgrecError(report.error?.category ?? "runtime", {
      ...(report.error ?? { code: "E_INTERNAL", message: "inspection run failed" }),
    });
  }

  // Anomaly map: the requested node's ScoreMap output, else the last one computed.
  let mapStream: SampleStream<ScoreMap> | undefined;
  let mapNode: string | undefined;
  for (const [nodeId, outs] of values) {
    if (options.node && nodeId !== options.node) continue;
    for (const v of Object.values(outs)) {
      if (isStream(v) && v.type === "ScoreMap") {
        mapStream = v as SampleStream<ScoreMap>;
        mapNode = nodeId;
      }
    }
  }
  if (!mapStream) {
    throw badRequest(
      "E_NO_SCORE_MAP",
      options.node
        ? `node "${options.node}" of graph "${graphName}" has no ScoreMap output`
        : `graph "${graphName}" computes no anomaly map (no ScoreMap output)`,
      "end the inspection graph with a scoring node, or name it with ?node=",
    );
  }
  if (mapStream.length !== images.length) {
    throw new EdgrecError("runtime", {
      code: "E_INSPECT_COUNT",
      message: `node "${mapNode}" produced ${mapStream.length} maps for ${images.length} posted images`,
      hint: "the scoring node must follow the image-source node one sample per image",
    });
  }

  let threshold: number | null = null;
  let thresholdSource: InspectResult["thresholdSource"] = "none";
  if (options.threshold !== undefined) {
    threshold = options.threshold;
    thresholdSource = "query";
  } else {
    for (const [nodeId, outs] of values) {
      const def = ctx.runtime.registry.get(graph.nodes.find((n) => n.id === nodeId)?.type ?? "");
      for (const [port, spec] of Object.entries(def?.def.outputs ?? {})) {
        const t = spec.type === "Threshold" ? thresholdOf(outs[port]) : undefined;
        if (t !== undefined) {
          threshold = t;
          thresholdSource = "graph";
        }
      }
    }
  }

  const k = scoreTopK(graph, mapNode as string);
  const scoreMethod = k === 1 ? "max" : `top-${k} mean`;
  const results: InspectResult["images"] = [];
  for (let i = 0; i < images.length; i++) {
    const ti = performance.now();
    const map = await mapStream.get(i, 0);
    const score = topKMean(map.data, k);
    const entry: InspectResult["images"][number] = {
      name: images[i].name,
      score,
      decision: threshold === null ? null : score > threshold ? "fail" : "pass",
      ms: Math.round((performance.now() - ti) * 10) / 10,
    };
    if (options.map) entry.map = (await heatmapPng(map)).png.toString("base64");
    results.push(entry);
  }
  const nodes = Object.fromEntries(Object.entries(report.nodes).map(([k, v]) => [k, v.status]));
  const ms = Math.round((performance.now() - t0) * 10) / 10;
  log.info({ images: images.length, ms, nodes }, "inspected");
  return {
    graph: graphName,
    ms,
    threshold,
    thresholdSource,
    scoreMethod,
    nodes,
    images: results,
  };
}

/**
 * Pixels averaged into the image score (1 = the maximum): taken from the image-score
 * (`method`) or inspect-report (`scoreMethod`) node that reads `mapNode`'s map, so the
 * threshold stored with the graph is compared with the score it was set on.
 */
function scoreTopK(graph: Graph, mapNode: string): number {
  for (const e of graph.edges) {
    if (e.from.node !== mapNode) continue;
    const n = graph.nodes.find((x) => x.id === e.to.node);
    if (n?.type !== "edgrec.image-score" && n?.type !== "edgrec.inspect-report") continue;
    const method = n.params.method ?? n.params.scoreMethod;
    if (method !== "top-k-mean") return 1;
    return typeof n.params.k === "number" ? n.params.k : 100;
  }
  return 1;
}
