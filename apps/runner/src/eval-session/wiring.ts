/**
 * Finds, in a graph, what the evaluation workspace needs around one weighted-sum node: the
 * colour and structure maps feeding it, the nodes that made them (and their filter sizes), the
 * test masks, the threshold, and the intermediate images of a sample (input, edge,
 * reconstruction) shown side by side.
 */
import { EdgrecError } from "../../../../nodes/sdk/errors.ts";
import type { Graph } from "../graph/schema.ts";

export const WEIGHTED_SUM_TYPE = "edgrec.weighted-sum";

/** An output port of a node. */
export interface PortRef {
  nodeId: string;
  port: string;
}

/** One intermediate result of a sample, previewable with the `preview` message. */
export interface Stage extends PortRef {
  key: "input" | "edge" | "reconstruction" | "color" | "structure" | "mask";
  label: string;
}

export interface Wiring {
  sumNode: string;
  color: PortRef;
  structure: PortRef;
  /** Test masks aligned with the maps (from the metrics node's mask input, or the dataset). */
  mask?: PortRef;
  /** The original images the maps were computed from. */
  image?: PortRef;
  /** Threshold output feeding a metrics node, when the graph has one. */
  threshold?: PortRef;
  stages: Stage[];
  /** Every weighted-sum node of the graph (the weighting is saved into all of them). */
  sumNodes: string[];
  /**
   * Pixels averaged into an image score (1 = the map maximum): the setting of the image-score
   * node that turns this weighted sum into the metrics node's scores, so the workspace ranks
   * images as the graph does.
   */
  scoreTopK: number;
}

function source(graph: Graph, nodeId: string, port: string): PortRef | undefined {
  const e = graph.edges.find((x) => x.to.node === nodeId && x.to.port === port);
  return e ? { nodeId: e.from.node, port: e.from.port } : undefined;
}

function usage(message: string, hint: string): EdgrecError {
  return new EdgrecError("usage", { code: "E_EVAL_GRAPH", message, hint });
}

/**
 * Wiring around `sumNode` (default: the weighted-sum node feeding a metrics node, else the
 * first one). `portType(nodeType, side, port)` returns a port's type (from the registry), for
 * finding the edge image that fed the reconstruction node.
 * @throws E_EVAL_GRAPH when the graph has no weighted sum with colour and structure inputs.
 */
export function findWiring(
  graph: Graph,
  portType: (nodeType: string, side: "in" | "out", port: string) => string | undefined,
  sumNode?: string,
): Wiring {
  const sums = graph.nodes.filter((n) => n.type === WEIGHTED_SUM_TYPE).map((n) => n.id);
  if (sums.length === 0) {
    throw usage(
      "this graph has no weighted-sum node, so there is no weighting to rebalance",
      "open the evaluation workspace on a run of a graph with an edgrec.weighted-sum node",
    );
  }
  const metricsNodes = graph.nodes.filter((n) => n.type === "edgrec.metrics").map((n) => n.id);
  const fed = sums.find((s) =>
    graph.edges.some((e) => e.from.node === s && metricsNodes.includes(e.to.node)),
  );
  const id = sumNode ?? fed ?? sums[0];
  if (!sums.includes(id)) {
    throw usage(`node "${id}" is not a weighted-sum node`, `use one of: ${sums.join(", ")}`);
  }
  const color = source(graph, id, "color");
  const structure = source(graph, id, "structure");
  if (!color || !structure) {
    throw usage(
      `weighted sum "${id}" needs both its colour and structure inputs connected`,
      "connect a colour-difference map and an MSGMS map to it",
    );
  }
  const metrics = graph.edges.find(
    (e) => e.from.node === id && metricsNodes.includes(e.to.node) && e.to.port === "map",
  )?.to.node;
  let mask = metrics ? source(graph, metrics, "mask") : undefined;
  const image = source(graph, color.nodeId, "image");
  if (!mask && image) {
    // The dataset's `mask` port is aligned with its test images.
    const ds = graph.nodes.find((n) => n.id === image.nodeId);
    if (ds?.type === "edgrec.dataset") mask = { nodeId: ds.id, port: "mask" };
  }
  const threshold = metrics ? source(graph, metrics, "threshold") : undefined;
  const scorer = metrics ? source(graph, metrics, "scores") : undefined;
  const scoreNode = graph.nodes.find((n) => n.id === scorer?.nodeId);
  const scoreTopK =
    scoreNode?.type === "edgrec.image-score" &&
    source(graph, scoreNode.id, "map")?.nodeId === id &&
    scoreNode.params.method === "top-k-mean"
      ? typeof scoreNode.params.k === "number"
        ? scoreNode.params.k
        : 100
      : 1;
  const reconstruction = source(graph, color.nodeId, "reconstruction");
  const stages: Stage[] = [];
  if (image) stages.push({ key: "input", label: "Input", ...image });
  if (reconstruction) {
    const infer = graph.nodes.find((n) => n.id === reconstruction.nodeId);
    // The edge input: typed Edge, or fed by an Edge output (an input may accept Gray).
    const typeOf = (id: string) => graph.nodes.find((n) => n.id === id)?.type ?? "";
    const edgeIn = graph.edges.find(
      (e) =>
        e.to.node === reconstruction.nodeId &&
        infer !== undefined &&
        (portType(infer.type, "in", e.to.port) === "Edge" ||
          portType(typeOf(e.from.node), "out", e.from.port) === "Edge"),
    );
    if (edgeIn) {
      stages.push({ key: "edge", label: "Edge", nodeId: edgeIn.from.node, port: edgeIn.from.port });
    }
    stages.push({ key: "reconstruction", label: "Reconstruction", ...reconstruction });
  }
  stages.push({ key: "color", label: "Colour map", ...color });
  stages.push({ key: "structure", label: "Structure map", ...structure });
  if (mask) stages.push({ key: "mask", label: "Ground truth", ...mask });
  return {
    sumNode: id,
    color,
    structure,
    mask,
    image,
    threshold,
    stages,
    sumNodes: sums,
    scoreTopK,
  };
}
