/**
 * The port types shared by runner and editor. Kept free of Node.js imports so the editor
 * bundle can use it. A port type says what flows along an edge and what a user needs to
 * connect safely: per-sample or whole, colour space, channels and value range.
 */
export interface PortTypeInfo {
  id: PortTypeId;
  title: string;
  /** Per-sample streams flow one value per dataset sample; whole values flow once. */
  perSample: boolean;
  description: string;
  colorSpace?: "RGB" | "gray";
  channels?: number;
  range?: string;
  /** Hex colour for the editor's handles and edges. */
  color: string;
}

export const PORT_TYPES = {
  Dataset: {
    title: "Dataset",
    perSample: true,
    description:
      "Sample records (id, split, label 0 good / 1 defective / -1 unknown, defect type, path).",
    color: "#8d6e63",
  },
  Image: {
    title: "Colour image",
    perSample: true,
    description: "RGB image, float32 HWC in [0, 1], at the working size.",
    colorSpace: "RGB",
    channels: 3,
    range: "[0, 1]",
    color: "#42a5f5",
  },
  Gray: {
    title: "Gray image",
    perSample: true,
    description: "One-channel luminance 0.299R + 0.587G + 0.114B, float32 in [0, 1].",
    colorSpace: "gray",
    channels: 1,
    range: "[0, 1]",
    color: "#90a4ae",
  },
  Edge: {
    title: "Edge image",
    perSample: true,
    description: "Morphological edge (3x3 dilation minus erosion) of a gray image, in [0, 1].",
    colorSpace: "gray",
    channels: 1,
    range: "[0, 1]",
    color: "#ab47bc",
  },
  /*
   * The reconstruction network's input. EdgRec feeds the edge image; the DeAE ablation feeds
   * the (corrupted) image itself, gray or RGB. One type for both keeps the port name `edge` of
   * U-Net train / infer (saved graphs stay valid) while letting an RGB image connect; typing
   * the port Gray or Edge and widening that type would instead let colour images reach every
   * gray/edge input (grayscale-only kernels). The channel count is fixed per model: U-Net
   * train builds the network for its first sample, U-Net infer refuses a different count.
   */
  NetInput: {
    title: "Edge or image",
    perSample: true,
    description:
      "U-Net input: an edge image (EdgRec) or, for the DeAE baseline, the image itself (gray or RGB), in [0, 1]. A trained model reads only the channel count it was trained on.",
    range: "[0, 1]",
    // The Edge colour: in the default graph this port carries edges.
    color: "#ab47bc",
  },
  Mask: {
    title: "Mask",
    perSample: true,
    description: "Defect mask, one channel in [0, 1]; bilinear resizing leaves fractional borders.",
    channels: 1,
    range: "[0, 1]",
    color: "#ef5350",
  },
  ScoreMap: {
    title: "Score map",
    perSample: true,
    description:
      "Per-pixel anomaly score, float64, higher is more anomalous; range depends on the scorer.",
    channels: 1,
    range: ">= 0",
    color: "#ffa726",
  },
  Scores: {
    title: "Image scores",
    perSample: false,
    description: "One anomaly score per sample with its id, label and defect type.",
    color: "#ffca28",
  },
  Model: {
    title: "Model",
    perSample: false,
    description: "A trained reconstruction network with its manifest (architecture, size, order).",
    color: "#66bb6a",
  },
  Metrics: {
    title: "Metrics",
    perSample: false,
    description: "Evaluation figures (AUROC, AP, AU-PRO, F1) with the protocol used.",
    color: "#26c6da",
  },
  Threshold: {
    title: "Threshold",
    perSample: false,
    description: "A decision threshold on image scores, with where it came from.",
    color: "#d4e157",
  },
  Report: {
    title: "Report",
    perSample: false,
    description: "Files written by an export or inspection node, with a summary.",
    color: "#bdbdbd",
  },
  Number: {
    title: "Number",
    perSample: false,
    description: "A plain number.",
    color: "#e0e0e0",
  },
} as const satisfies Record<string, Omit<PortTypeInfo, "id">>;

export type PortTypeId = keyof typeof PORT_TYPES;

export const PORT_TYPE_IDS = Object.keys(PORT_TYPES) as PortTypeId[];

/**
 * Which output types may feed which input types. Beyond identity: an edge or a mask is a
 * one-channel image, so gray-image inputs accept them; the reverse is refused because an edge
 * input must really be an edge. The U-Net's input (NetInput) accepts what it accepted when it
 * was typed Gray (gray, edge, mask) plus colour images for the RGB DeAE baseline.
 */
const WIDENING: Partial<Record<PortTypeId, PortTypeId[]>> = {
  Gray: ["Edge", "Mask"],
  NetInput: ["Edge", "Gray", "Image", "Mask"],
};

export function canConnect(from: PortTypeId, to: PortTypeId): boolean {
  return from === to || (WIDENING[to]?.includes(from) ?? false);
}

export function portTypeInfo(id: PortTypeId): PortTypeInfo {
  return { id, ...PORT_TYPES[id] };
}
