/**
 * Image source: MVTec AD, MVTec 3D-AD, plain normal/abnormal folders or single files, read
 * lazily and resized to the working size. "@demo" names the built-in demo category, which the
 * project generates on first use.
 */
import { stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { decodeImage, decodeMask } from "./lib/data/decode.ts";
import { ensureDemoData } from "./lib/data/demo.ts";
import { fingerprintFiles } from "./lib/data/fingerprint.ts";
import { type DatasetIndex, type SampleRef, scanDataset } from "./lib/data/layouts.ts";
import { resizeImage } from "./lib/data/resize.ts";
import { pixelLimitParam, workingSizeParam } from "./lib/params.ts";
import { dataError } from "./sdk/errors.ts";
import type { FloatImage } from "./sdk/image.ts";
import { defineNode, type SampleInfo, type TaskContext } from "./sdk/node.ts";

export const DEMO_PATH = "@demo";
const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export const datasetParams = z.object({
  path: z
    .string()
    .default(DEMO_PATH)
    .describe(
      'Dataset folder (MVTec AD category, MVTec 3D-AD category, or a folder with normal/ and abnormal/) or one image file; "@demo" is the generated demo category',
    ),
  layout: z
    .enum(["auto", "mvtec", "mvtec3d", "folders", "files"])
    .default("auto")
    .describe("Folder layout; auto detects it"),
  size: workingSizeParam(
    256,
    "Working size in pixels (square). Images and masks are resized bilinearly (OpenCV INTER_LINEAR)",
  ),
  maxTrain: z
    .number()
    .int()
    .min(0)
    .max(100000)
    .default(0)
    .describe("Use at most this many training images, evenly spread over the sorted list (0 = all)")
    .meta({ scale: "log", sliderMin: 1 }),
  maxTest: z
    .number()
    .int()
    .min(0)
    .max(100000)
    .default(0)
    .describe(
      "Use at most this many test images, evenly spread so every defect type stays (0 = all)",
    )
    .meta({ scale: "log", sliderMin: 1 }),
  validationFraction: z
    .number()
    .min(0)
    .max(0.5)
    .default(0)
    .describe(
      "When the dataset has no validation split: hold out this fraction of the normal training images (evenly spread) as validation images for threshold calibration; they are not trained on",
    ),
  onError: z
    .enum(["stop", "skip"])
    .default("stop")
    .describe(
      "On an unreadable image: stop the run (default) or skip it and list it in the report",
    ),
  pixelLimit: pixelLimitParam,
});
type Params = z.infer<typeof datasetParams>;

function resolveDatasetPath(
  p: string,
  ctx: { resolvePath: TaskContext["resolvePath"] },
): Promise<string> | string {
  if (p === DEMO_PATH) return ensureDemoData(join(PROJECT_ROOT, "data", "demo"));
  return ctx.resolvePath("data", p);
}

/** Evenly spread subset keeping order: 0 = everything. */
function spread<T>(items: T[], max: number): T[] {
  if (max <= 0 || items.length <= max) return items;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(items[Math.floor((i * items.length) / max)]);
  return out;
}

function toInfo(s: SampleRef, category: string): SampleInfo {
  return {
    id: s.id,
    split: s.split,
    label: s.label,
    defect: s.defect,
    category,
    path: s.path,
    maskPath: s.maskPath,
  };
}

interface Prepared {
  index: DatasetIndex;
  ports: Record<"train" | "validation" | "test", SampleRef[]>;
}

/** Headers are checked up front so "skip" can drop bad files before streams are built. */
async function checkReadable(
  samples: SampleRef[],
  params: Params,
  ctx: TaskContext,
): Promise<SampleRef[]> {
  const sharp = (await import("sharp")).default;
  const kept: SampleRef[] = [];
  const skipped: { path: string; reason: string }[] = [];
  for (const s of samples) {
    try {
      const st = await stat(s.path);
      if (st.size === 0) throw new Error("the file is empty (0 bytes)");
      if (!/\.bmp$/i.test(s.path)) {
        const meta = await sharp(s.path, { limitInputPixels: params.pixelLimit }).metadata();
        if ((meta.width ?? 0) * (meta.height ?? 0) > params.pixelLimit) {
          throw new Error(
            `${meta.width}x${meta.height} exceeds the pixel limit ${params.pixelLimit}`,
          );
        }
      }
      // "skip" promises a run without unreadable images: a header can be intact while the
      // pixel data is truncated, so decode fully here (stop mode finds those when pulled).
      if (params.onError === "skip") await decodeImage(s.path, { pixelLimit: params.pixelLimit });
      kept.push(s);
    } catch (err) {
      const reason = (err as Error).message;
      if (params.onError === "stop") {
        throw dataError(
          "E_IMAGE_UNREADABLE",
          `image ${s.path} cannot be read: ${reason}`,
          'replace or remove the file, or set onError to "skip" to leave it out',
          s.path,
        );
      }
      skipped.push({ path: s.path, reason });
    }
  }
  if (skipped.length > 0) {
    ctx.warn(
      `skipped ${skipped.length} unreadable image(s): ${skipped.map((s) => s.path).join(", ")}`,
    );
    ctx.record("skipped", skipped);
  }
  return kept;
}

export default defineNode({
  type: "edgrec.dataset",
  version: 1,
  title: "Dataset",
  category: "Data",
  description:
    "Reads an anomaly-detection dataset: train (normal images), test images with their labels and defect types, and test masks aligned with the test images. Masks are read as gray, resized bilinearly and kept fractional at defect borders (metrics choose how to binarise them); normal test images get an all-zero mask.",
  kind: "map",
  inputs: {},
  outputs: {
    train: { type: "Image", title: "train images", description: "Normal training images" },
    test: { type: "Image", title: "test images" },
    mask: { type: "Mask", title: "test masks", description: "Aligned with the test images" },
    validation: {
      type: "Image",
      title: "validation images",
      description: "Normal validation images (empty when the dataset has none)",
    },
  },
  params: datasetParams,
  paths: { path: "data" },
  async fingerprint(params, ctx) {
    if (params.path === DEMO_PATH) return "demo-v1";
    const root = ctx.resolvePath("data", params.path);
    try {
      const index = await scanDataset(root, { layout: params.layout });
      return await fingerprintFiles(index.samples);
    } catch {
      return "unscannable";
    }
  },
  async prepare(_inputs, params, ctx): Promise<Prepared> {
    const root = await resolveDatasetPath(params.path, ctx);
    const index = await scanDataset(root, { layout: params.layout });
    const by = (split: string) => index.samples.filter((s) => s.split === split);
    let trainRefs = by("train");
    let validationRefs = by("validation");
    if (validationRefs.length === 0 && params.validationFraction > 0 && trainRefs.length > 1) {
      const every = Math.max(2, Math.round(1 / params.validationFraction));
      validationRefs = trainRefs.filter((_, i) => i % every === every - 1);
      trainRefs = trainRefs.filter((_, i) => i % every !== every - 1);
    }
    const train = await checkReadable(spread(trainRefs, params.maxTrain), params, ctx);
    const test = await checkReadable(spread(by("test"), params.maxTest), params, ctx);
    const validation = await checkReadable(validationRefs, params, ctx);
    if (train.length === 0 && test.length === 0) {
      throw dataError(
        "E_DATASET_EMPTY",
        `dataset ${root} has no usable images (layout ${index.layout})`,
        "check the folder holds train/good or test images with .png/.jpg/.bmp/.tif extensions",
        root,
      );
    }
    ctx.log.info(
      {
        root,
        layout: index.layout,
        train: train.length,
        test: test.length,
        validation: validation.length,
      },
      "dataset indexed",
    );
    return { index, ports: { train, validation, test } };
  },
  async source(_params, _ctx, prepared) {
    const p = prepared as Prepared;
    const info = (s: SampleRef) => toInfo(s, p.index.category);
    return {
      ports: {
        train: p.ports.train.map(info),
        validation: p.ports.validation.map(info),
        test: p.ports.test.map(info),
        mask: p.ports.test.map(info),
      },
    };
  },
  async map(_inputs, params, ctx, prepared) {
    const p = prepared as Prepared;
    const port = ctx.port as "train" | "validation" | "test" | "mask";
    const ref = p.ports[port === "mask" ? "test" : port][ctx.index];
    if (port === "mask") {
      if (ref.maskPath) {
        try {
          return {
            mask: await decodeMask(ref.maskPath, params.size, { pixelLimit: params.pixelLimit }),
          };
        } catch (err) {
          throw dataError(
            "E_MASK_UNREADABLE",
            (err as Error).message,
            "replace the mask file (a gray image of the same scene as its test image)",
            ref.maskPath,
          );
        }
      }
      const mask: FloatImage & { missing?: boolean } = {
        width: params.size,
        height: params.size,
        channels: 1,
        data: new Float32Array(params.size * params.size),
      };
      if (ref.label === 1) mask.missing = true;
      return { mask };
    }
    let decoded: Awaited<ReturnType<typeof decodeImage>>;
    try {
      decoded = await decodeImage(ref.path, { pixelLimit: params.pixelLimit, expandGray: true });
    } catch (err) {
      throw dataError(
        "E_IMAGE_UNREADABLE",
        (err as Error).message,
        'replace or remove the file, or set onError to "skip" to leave it out',
        ref.path,
      );
    }
    return { [port]: resizeImage(decoded.image, params.size, params.size) };
  },
});
