/**
 * The one explicit registry of built-in nodes. Adding a node = adding its file under nodes/
 * and one line here; the catalogue, validation and the editor pick it up from there.
 */
import colorDiff from "./color-diff.ts";
import corrupt from "./corrupt.ts";
import corruptionGallery from "./corruption-gallery.ts";
import dataset from "./dataset.ts";
import errorMap from "./error-maps.ts";
import exportMaps from "./export-maps.ts";
import grayscale from "./grayscale.ts";
import imageScore from "./image-score.ts";
import images from "./images.ts";
import inspectReport from "./inspect-report.ts";
import loadModel from "./load-model.ts";
import meanFilter from "./mean-filter.ts";
import metrics from "./metrics.ts";
import morphEdge from "./morph-edge.ts";
import msgms from "./msgms.ts";
import resize from "./resize.ts";
import saveModel from "./save-model.ts";
import type { NodeDefinition } from "./sdk/node.ts";
import threshold from "./threshold.ts";
import unetInfer from "./unet-infer.ts";
import unetTrain from "./unet-train.ts";
import weightedSum from "./weighted-sum.ts";

export const BUILTIN_NODES: { def: NodeDefinition; file: string }[] = [
  { def: dataset, file: "nodes/dataset.ts" },
  { def: images, file: "nodes/images.ts" },
  { def: grayscale, file: "nodes/grayscale.ts" },
  { def: morphEdge, file: "nodes/morph-edge.ts" },
  { def: resize, file: "nodes/resize.ts" },
  { def: corrupt, file: "nodes/corrupt.ts" },
  { def: corruptionGallery, file: "nodes/corruption-gallery.ts" },
  { def: unetTrain, file: "nodes/unet-train.ts" },
  { def: unetInfer, file: "nodes/unet-infer.ts" },
  { def: loadModel, file: "nodes/load-model.ts" },
  { def: saveModel, file: "nodes/save-model.ts" },
  { def: colorDiff, file: "nodes/color-diff.ts" },
  { def: msgms, file: "nodes/msgms.ts" },
  { def: errorMap, file: "nodes/error-maps.ts" },
  { def: meanFilter, file: "nodes/mean-filter.ts" },
  { def: weightedSum, file: "nodes/weighted-sum.ts" },
  { def: imageScore, file: "nodes/image-score.ts" },
  { def: threshold, file: "nodes/threshold.ts" },
  { def: metrics, file: "nodes/metrics.ts" },
  { def: exportMaps, file: "nodes/export-maps.ts" },
  { def: inspectReport, file: "nodes/inspect-report.ts" },
] as { def: NodeDefinition; file: string }[];
