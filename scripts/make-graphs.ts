/**
 * Builds the saved graphs in graphs/ from one description, so every ablation is visibly a
 * small edit of the default graph. Run `node --import tsx scripts/make-graphs.ts` after
 * changing it; the test suite checks that the committed files are what this script writes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Graph, parseGraph, serializeGraph } from "../apps/runner/src/graph/schema.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

type Node = Graph["nodes"][number];
type Edge = [string, string];

class Builder {
  nodes: Node[] = [];
  edges: Graph["edges"] = [];
  layout: Graph["layout"] = {};

  node(
    id: string,
    type: string,
    params: Record<string, unknown>,
    x: number,
    y: number,
    title?: string,
  ) {
    this.nodes.push({ id, type, params, ...(title ? { title } : {}) });
    this.layout[id] = { x, y };
    return this;
  }

  wire(...edges: Edge[]) {
    for (const [from, to] of edges) {
      const [fn, fp] = from.split(".");
      const [tn, tp] = to.split(".");
      this.edges.push({ from: { node: fn, port: fp }, to: { node: tn, port: tp } });
    }
    return this;
  }

  drop(id: string) {
    this.nodes = this.nodes.filter((n) => n.id !== id);
    this.edges = this.edges.filter((e) => e.from.node !== id && e.to.node !== id);
    delete this.layout[id];
    return this;
  }

  set(id: string, params: Record<string, unknown>) {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    n.params = { ...n.params, ...params };
    return this;
  }

  graph(name: string, description: string, seed = 0): Graph {
    return parseGraph({
      format: "edgrec-graph",
      version: 2,
      name,
      description,
      seed,
      nodes: this.nodes,
      edges: this.edges,
      layout: this.layout,
    });
  }
}

const COL = 280;
const ROW = 150;

/** The scoring chain on one split: gray -> edge -> infer -> colour + MSGMS -> sum -> score. */
function scoringChain(b: Builder, prefix: string, source: string, row: number, colorMode: string) {
  const p = (s: string) => `${prefix}_${s}`;
  b.node(p("gray"), "edgrec.grayscale", {}, COL * 1, ROW * row)
    .node(p("edge"), "edgrec.morph-edge", {}, COL * 2, ROW * row)
    .node(p("infer"), "edgrec.unet-infer", {}, COL * 3, ROW * row)
    .node(p("color"), "edgrec.color-diff", { mode: colorMode }, COL * 4, ROW * row - 60)
    .node(p("structure"), "edgrec.msgms", { scales: 2 }, COL * 4, ROW * row + 60)
    .node(
      p("sum"),
      "edgrec.weighted-sum",
      { colorWeight: 1, structureWeight: 1 },
      COL * 5,
      ROW * row,
    )
    .node(p("score"), "edgrec.image-score", { method: "max" }, COL * 6, ROW * row)
    .wire(
      [source, `${p("gray")}.image`],
      [`${p("gray")}.gray`, `${p("edge")}.gray`],
      ["train.model", `${p("infer")}.model`],
      [`${p("edge")}.edge`, `${p("infer")}.edge`],
      [source, `${p("color")}.image`],
      [`${p("infer")}.reconstruction`, `${p("color")}.reconstruction`],
      [source, `${p("structure")}.image`],
      [`${p("infer")}.reconstruction`, `${p("structure")}.reconstruction`],
      [`${p("color")}.map`, `${p("sum")}.color`],
      [`${p("structure")}.map`, `${p("sum")}.structure`],
      [`${p("sum")}.map`, `${p("score")}.map`],
    );
}

function defaultGraph(colorMode = "corrected"): Builder {
  const b = new Builder();
  b.node(
    "data",
    "edgrec.dataset",
    { path: "@demo", size: 64, validationFraction: 0.1 },
    0,
    ROW * 2,
    "Dataset",
  )
    .node("corrupt", "edgrec.corrupt", { textureSource: "procedural" }, COL * 1, 0)
    .node("train_gray", "edgrec.grayscale", {}, COL * 2, 0)
    .node("train_edge", "edgrec.morph-edge", {}, COL * 3, 0)
    .node(
      "train",
      "edgrec.unet-train",
      { preset: "demo", maxMinutes: 0 },
      COL * 4,
      0,
      "U-Net train",
    )
    .wire(
      ["data.train", "corrupt.image"],
      ["corrupt.corrupted", "train_gray.image"],
      ["train_gray.gray", "train_edge.gray"],
      ["train_edge.edge", "train.edge"],
      ["corrupt.clean", "train.target"],
    );
  scoringChain(b, "test", "data.test", 2, colorMode);
  scoringChain(b, "val", "data.validation", 4, colorMode);
  b.node("threshold", "edgrec.threshold", { mode: "calibrate", targetFpr: 0.01 }, COL * 7, ROW * 4)
    .node(
      "metrics",
      "edgrec.metrics",
      { protocol: "official", fprLimit: 0.3 },
      COL * 7,
      ROW * 2,
      "Metrics",
    )
    .node("export", "edgrec.export-maps", { folder: "maps" }, COL * 7, ROW * 3)
    .node("save", "edgrec.save-model", { folder: "model" }, COL * 8, ROW * 4)
    .wire(
      ["val_score.scores", "threshold.calibration"],
      ["test_score.scores", "metrics.scores"],
      ["test_sum.map", "metrics.map"],
      ["data.mask", "metrics.mask"],
      ["threshold.threshold", "metrics.threshold"],
      ["test_sum.map", "export.map"],
      ["data.test", "export.image"],
      ["train.model", "save.model"],
      ["threshold.threshold", "save.threshold"],
    );
  return b;
}

function inspectGraph(): Graph {
  const b = new Builder();
  b.node("model", "edgrec.load-model", { path: "out/model" }, 0, 0, "Trained model")
    .node("images", "edgrec.images", { path: "", size: 64 }, 0, ROW * 2, "New images")
    .node("gray", "edgrec.grayscale", {}, COL, ROW * 2)
    .node("edge", "edgrec.morph-edge", {}, COL * 2, ROW * 2)
    .node("infer", "edgrec.unet-infer", {}, COL * 3, ROW * 2)
    .node("color", "edgrec.color-diff", { mode: "corrected" }, COL * 4, ROW * 2 - 60)
    .node("structure", "edgrec.msgms", { scales: 2 }, COL * 4, ROW * 2 + 60)
    .node("sum", "edgrec.weighted-sum", { colorWeight: 1, structureWeight: 1 }, COL * 5, ROW * 2)
    .node(
      "report",
      "edgrec.inspect-report",
      { folder: "inspection" },
      COL * 6,
      ROW * 2,
      "Inspection report",
    )
    .wire(
      ["images.image", "gray.image"],
      ["gray.gray", "edge.gray"],
      ["model.model", "infer.model"],
      ["edge.edge", "infer.edge"],
      ["images.image", "color.image"],
      ["infer.reconstruction", "color.reconstruction"],
      ["images.image", "structure.image"],
      ["infer.reconstruction", "structure.reconstruction"],
      ["color.map", "sum.color"],
      ["structure.map", "sum.structure"],
      ["sum.map", "report.map"],
      ["model.threshold", "report.threshold"],
      ["images.image", "report.image"],
    );
  return b.graph(
    "edgrec-inspect",
    "Production inspection: a trained model folder (with its stored threshold) and a folder of new images -> anomaly maps, scores, pass/fail decisions, overlays and report.json/report.csv. Set images.path and model.path; the colour mode, MSGMS scales and weights must match the training graph.",
  );
}

/** Replaces the colour + MSGMS pair of every scoring chain with another evaluation function. */
function evaluationAblation(kind: "l2" | "ssim" | "msgms" | "color"): Builder {
  const b = defaultGraph();
  for (const split of ["test", "val"]) {
    if (kind === "msgms") b.drop(`${split}_color`);
    else if (kind === "color") b.drop(`${split}_structure`);
    else {
      b.drop(`${split}_color`).drop(`${split}_structure`);
      b.node(
        `${split}_error`,
        "edgrec.error-map",
        { kind },
        COL * 4,
        ROW * (split === "test" ? 2 : 4),
      );
      b.wire(
        [`data.${split === "test" ? "test" : "validation"}`, `${split}_error.image`],
        [`${split}_infer.reconstruction`, `${split}_error.reconstruction`],
        [`${split}_error.map`, `${split}_sum.color`],
      );
    }
  }
  return b;
}

function deae(): Builder {
  const b = defaultGraph();
  // The denoising autoencoder is image to image: the same U-Net reads the corrupted RGB image
  // (3 input channels) and rebuilds the clean RGB image; test and validation images go in as
  // they are. No grayscale or edge step remains.
  for (const split of ["train", "test", "val"]) b.drop(`${split}_gray`).drop(`${split}_edge`);
  b.wire(
    ["corrupt.corrupted", "train.edge"],
    ["data.test", "test_infer.edge"],
    ["data.validation", "val_infer.edge"],
  );
  return b;
}

const out: Record<string, Graph> = {
  "edgrec.json": defaultGraph().graph(
    "edgrec",
    "The full EdgRec method: corrupted training images -> grayscale -> morphological edge -> U-Net trained to rebuild the clean colour image; test images scored by LAB colour difference + MSGMS, image score = map maximum, metrics, TIFF maps, overlays, and the model with a threshold calibrated on held-out normal images. Defaults suit the built-in demo data (64 px, preset demo: a few minutes); for a real category set data.path (or --data), data.size 128 and train.preset cpu-fast or cpu, and the seed.",
  ),
  "edgrec-reference.json": defaultGraph("reference")
    .set("test_color", { mode: "reference" })
    .set("metrics", { protocol: "reference" })
    .set("data", { validationFraction: 0.1 })
    .graph(
      "edgrec-reference",
      "The default graph with the authors' exact evaluation: reference colour map (x180, OpenCV 8-bit Lab, uint8 wrap-around) and the reference metric protocol, for reproducing published numbers.",
    ),
  "edgrec-inspect.json": inspectGraph(),
  "ablations/deae.json": deae().graph(
    "ablation-deae",
    "Ablation: the paper's DeAE baseline, an image-to-image denoising autoencoder. The same U-Net reads the corrupted RGB image itself (3 input channels) instead of the morphological edge of its gray version, and rebuilds the clean RGB image; test and validation images are fed to it as they are, and scored as in EdgRec.",
  ),
  "ablations/eval-l2.json": evaluationAblation("l2").graph(
    "ablation-eval-l2",
    "Ablation: evaluation function = per-pixel L2 error only.",
  ),
  "ablations/eval-ssim.json": evaluationAblation("ssim").graph(
    "ablation-eval-ssim",
    "Ablation: evaluation function = 1 - SSIM only.",
  ),
  "ablations/eval-msgms.json": evaluationAblation("msgms").graph(
    "ablation-eval-msgms",
    "Ablation: evaluation function = MSGMS structure map only.",
  ),
  "ablations/eval-color.json": evaluationAblation("color").graph(
    "ablation-eval-color",
    "Ablation: evaluation function = LAB colour difference only.",
  ),
  "ablations/pseudo-texture-only.json": defaultGraph()
    .set("corrupt", { branches: { texture: true, cutpaste: false } })
    .graph(
      "ablation-pseudo-texture-only",
      "Ablation: pseudo-anomalies from the texture (Perlin) branch only.",
    ),
  "ablations/pseudo-cutpaste-only.json": defaultGraph()
    .set("corrupt", { branches: { texture: false, cutpaste: true } })
    .graph("ablation-pseudo-cutpaste-only", "Ablation: pseudo-anomalies from CutPaste only."),
  "ablations/pseudo-none.json": defaultGraph()
    .set("corrupt", { branches: { texture: false, cutpaste: false } })
    .graph(
      "ablation-pseudo-none",
      "Ablation: no pseudo-anomalies (the network only sees clean, possibly rotated, images).",
    ),
};

export function renderGraphs(): Record<string, string> {
  return Object.fromEntries(Object.entries(out).map(([k, g]) => [k, serializeGraph(g)]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [file, text] of Object.entries(renderGraphs())) {
    const path = join(ROOT, "graphs", file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
}
