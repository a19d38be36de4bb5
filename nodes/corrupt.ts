/**
 * Pseudo-anomaly corruption of training images (EdgRec §2): a Perlin-masked texture blend or
 * a CutPaste patch, after the optional training rotation. Stochastic: every epoch draws anew,
 * and the same seed reproduces the same draws.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import {
  corruptionParamsSchema,
  corruptSample,
  type TextureProvider,
} from "./lib/corruption/corrupt.ts";
import { proceduralTextureProvider } from "./lib/corruption/textures.ts";
import { decodeImage } from "./lib/data/decode.ts";
import { isImageFile } from "./lib/data/layouts.ts";
import { dataError } from "./sdk/errors.ts";
import type { FloatImage } from "./sdk/image.ts";
import { defineNode, type SampleStream } from "./sdk/node.ts";

const params = z.object({
  textureSource: z
    .enum(["procedural", "folder", "training"])
    .default("procedural")
    .describe(
      "Anomaly textures: built-in procedural textures, a folder of images (e.g. DTD), or the training images themselves (the authors' no-DTD variant)",
    ),
  textureFolder: z
    .string()
    .default("")
    .describe(
      "Folder of texture images (searched one level deep), used when textureSource is 'folder'",
    ),
  ...corruptionParamsSchema.shape,
});

/** Lists image files in `dir` and its direct subfolders (DTD keeps one folder per class). */
async function listTextures(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile() && isImageFile(entry.name)) out.push(join(dir, entry.name));
    else if (entry.isDirectory()) {
      for (const f of await readdir(join(dir, entry.name)))
        if (isImageFile(f)) out.push(join(dir, entry.name, f));
    }
  }
  return out.sort();
}

export default defineNode({
  type: "edgrec.corrupt",
  version: 1,
  title: "Pseudo-anomaly corruption",
  category: "Corruption",
  description:
    "Damages normal training images so the network learns to restore normal content: with the reference defaults, 30% are first rotated by U(-90°, 90°); then half stay clean, a quarter get a Perlin-masked texture blend, a quarter get a CutPaste patch of the same image. Outputs the corrupted image, the clean target (after rotation) and the mask.",
  kind: "map",
  stochastic: true,
  inputs: { image: { type: "Image" } },
  outputs: {
    corrupted: { type: "Image" },
    clean: { type: "Image", title: "clean target" },
    mask: { type: "Mask" },
  },
  params,
  paths: { textureFolder: "data" },
  async prepare(inputs, p, ctx): Promise<TextureProvider | undefined> {
    if (p.textureSource === "procedural") return undefined;
    if (p.textureSource === "training") {
      const stream = inputs.image as SampleStream<FloatImage>;
      return async (rng) => stream.get(rng.int(0, stream.length), 0);
    }
    if (!p.textureFolder) {
      throw dataError(
        "E_TEXTURE_FOLDER",
        `node "${ctx.nodeId}": textureSource is "folder" but textureFolder is empty`,
        "set textureFolder to a folder of texture images (e.g. DTD's images/), or choose procedural",
      );
    }
    const dir = ctx.resolvePath("data", p.textureFolder);
    const files = await listTextures(dir);
    if (files.length === 0) {
      throw dataError(
        "E_TEXTURE_FOLDER",
        `texture folder ${dir} holds no images`,
        "point textureFolder at a folder of .jpg/.png textures",
        dir,
      );
    }
    const cache = new Map<string, Promise<FloatImage>>();
    return (rng) => {
      const file = files[rng.int(0, files.length)];
      let img = cache.get(file);
      if (!img) {
        img = decodeImage(file, { expandGray: true }).then((d) => d.image);
        cache.set(file, img);
      }
      return img;
    };
  },
  async map(inputs, p, ctx, prepared) {
    const image = inputs.image as FloatImage;
    // corruptSample brings any texture to the image size itself.
    const provider =
      (prepared as TextureProvider | undefined) ??
      proceduralTextureProvider(image.width, image.height);
    const { textureSource: _s, textureFolder: _f, ...corruption } = p;
    const out = await corruptSample(image, corruption, ctx.rng, provider);
    return { corrupted: out.image, clean: out.clean, mask: out.mask };
  },
});
