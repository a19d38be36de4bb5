/**
 * Image source for production inspection: a folder of new images or one file, or images
 * handed to the run by the caller (the server's inspection endpoint). Labels are unknown.
 * Unreadable images are not dropped here: they fail when pulled, so the inspection report can
 * list exactly which images could not be inspected.
 */
import { readdir, stat } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { z } from "zod";
import { decodeImage } from "./lib/data/decode.ts";
import { fingerprintFiles } from "./lib/data/fingerprint.ts";
import { isImageFile } from "./lib/data/layouts.ts";
import { resizeImage } from "./lib/data/resize.ts";
import { pixelLimitParam, workingSizeParam } from "./lib/params.ts";
import { dataError } from "./sdk/errors.ts";
import { defineNode, type SampleInfo } from "./sdk/node.ts";

/** What the server injects: named image bytes. */
export interface InjectedImage {
  name: string;
  bytes: Uint8Array;
}

interface Entry {
  name: string;
  path?: string;
  bytes?: Uint8Array;
}

export default defineNode({
  type: "edgrec.images",
  version: 1,
  title: "Images",
  category: "Data",
  description:
    "New images to inspect: every image file in a folder (sorted by name, not recursive) or one file; when the runner's inspection endpoint posts images, those replace the folder. Images are resized to the working size bilinearly; labels are unknown.",
  kind: "map",
  inputs: {},
  outputs: { image: { type: "Image" } },
  params: z.object({
    path: z.string().default("").describe("Folder of images or one image file"),
    size: workingSizeParam(256, "Working size (must match the model)"),
    pixelLimit: pixelLimitParam,
  }),
  paths: { path: "data" },
  async fingerprint(params, ctx) {
    if (!params.path) return "";
    try {
      const p = ctx.resolvePath("data", params.path);
      if ((await stat(p)).isFile()) return await fingerprintFiles([{ id: basename(p), path: p }]);
      const names = (await readdir(p)).filter(isImageFile).sort();
      return await fingerprintFiles(names.map((n) => ({ id: n, path: join(p, n) })));
    } catch {
      return "missing";
    }
  },
  async prepare(_inputs, params, ctx): Promise<Entry[]> {
    const injected = ctx.injected as InjectedImage[] | undefined;
    if (injected) return injected.map((i) => ({ name: i.name, bytes: i.bytes }));
    if (!params.path) {
      throw dataError(
        "E_IMAGES_PATH",
        `node "${ctx.nodeId}": no image folder or file given`,
        "set path, or post images to the inspection endpoint",
      );
    }
    const p = ctx.resolvePath("data", params.path);
    const st = await stat(p).catch(() => undefined);
    if (!st)
      throw dataError("E_PATH_NOT_FOUND", `images path ${p} does not exist`, "check the path", p);
    if (st.isFile()) return [{ name: basename(p), path: p }];
    const names = (await readdir(p)).filter(isImageFile).sort();
    if (names.length === 0) {
      throw dataError(
        "E_DATASET_EMPTY",
        `folder ${p} holds no images (.png .jpg .jpeg .bmp .tif .tiff)`,
        "put the images to inspect in the folder",
        p,
      );
    }
    return names.map((n) => ({ name: n, path: join(p, n) }));
  },
  async source(_params, _ctx, prepared) {
    const entries = prepared as Entry[];
    const infos: SampleInfo[] = entries.map((e) => ({
      id: basename(e.name, extname(e.name)),
      split: "test",
      label: -1,
      defect: "unknown",
      path: e.path,
    }));
    return { ports: { image: infos } };
  },
  async map(_inputs, params, ctx, prepared) {
    const e = (prepared as Entry[])[ctx.index];
    const input = e.bytes ? Buffer.from(e.bytes) : (e.path as string);
    const { image } = await decodeImage(input, {
      name: e.path ?? e.name,
      pixelLimit: params.pixelLimit,
      expandGray: true,
    });
    return { image: resizeImage(image, params.size, params.size) };
  },
});
