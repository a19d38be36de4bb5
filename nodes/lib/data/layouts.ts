/**
 * Dataset layouts: scans a folder (or a single file) into a flat, sorted list of samples.
 *
 * Supported layouts (detected automatically, or forced with `layout`):
 * - "mvtec"   MVTec AD: `train/good/*`, optional `validation/good/*`, `test/<defect>/*`, and
 *             `ground_truth/<defect>/<stem>_mask.*`. Without a `ground_truth/` folder (e.g.
 *             mvtec-mini/screw) the index has `hasMasks: false`; with one, every defect image
 *             needs its mask and every mask its image.
 * - "mvtec3d" MVTec 3D-AD: `{train,validation,test}/<defect>/rgb/*`, masks
 *             `test/<defect>/gt/<same file name>`.
 * - "folders" a normal folder (`normal|good|ok`) and an abnormal folder
 *             (`abnormal|anomalous|anomaly|defect|defective|bad|ng`), optional `masks/` matched
 *             by stem (`<stem>` or `<stem>_mask`, mirrored sub-folders allowed). Split rule: if a
 *             `train/` folder exists, every image under it (any depth) is normal training data and
 *             both normal and abnormal folders are test data; otherwise the normal images are the
 *             training set and only the abnormal ones are test data. Images directly in the
 *             abnormal folder get its name as defect; images in its sub-folders the sub-folder name.
 * - "files"   a single image file, or a folder holding images directly: test samples with an
 *             unknown label (-1), as in production inspection.
 * Only files ending in .png .jpg .jpeg .bmp .tif .tiff (any case) are images; other files are
 * ignored. Order: train, validation, test; within a split, sorted by relative path (code-unit order,
 * like Python's `sorted`).
 */
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, extname, join, relative, resolve, sep } from "node:path";

export type Split = "train" | "validation" | "test";
/** 0 = normal, 1 = anomalous, -1 = unknown (production inspection, single files). */
export type Label = 0 | 1 | -1;
export type LayoutKind = "mvtec" | "mvtec3d" | "folders" | "files";

export interface SampleRef {
  /** Unique within the index: the relative path from the root without extension, "/"-separated. */
  readonly id: string;
  readonly split: Split;
  /** Absolute path of the image file. */
  readonly path: string;
  readonly label: Label;
  /** "good" for normal images, the defect folder name for anomalous ones, "unknown" for label -1. */
  readonly defect: string;
  /** Absolute path of the ground-truth mask, when one exists. Normal images have none (all-zero). */
  readonly maskPath?: string;
}

export interface DatasetIndex {
  /** Absolute root folder (for "files" with a single file: the file's folder). */
  readonly root: string;
  /** Category name: the root folder's name (for a single file, its parent folder's name). */
  readonly category: string;
  readonly layout: LayoutKind;
  /** True when anomalous samples carry pixel masks (every one of them does). */
  readonly hasMasks: boolean;
  readonly samples: SampleRef[];
}

export interface ScanOptions {
  /** Force a layout instead of detecting it. Default "auto". */
  layout?: LayoutKind | "auto";
}

const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"]);
const NORMAL_NAMES = ["normal", "good", "ok"];
const ABNORMAL_NAMES = ["abnormal", "anomalous", "anomaly", "defect", "defective", "bad", "ng"];
const MASK_NAMES = ["masks", "mask", "ground_truth"];

/** True for file names with an accepted image extension (case-insensitive). */
export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface Listing {
  dirs: string[];
  images: string[];
}

/** Lists a folder's sub-folders and image files, sorted; symlinks are followed; dot-files skipped. */
async function list(dir: string): Promise<Listing> {
  const entries = await readdir(dir, { withFileTypes: true });
  const dirs: string[] = [];
  const images: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      const s = await stat(join(dir, e.name)).catch(() => undefined);
      isDir = s?.isDirectory() ?? false;
      isFile = s?.isFile() ?? false;
    }
    if (isDir) dirs.push(e.name);
    else if (isFile && isImageFile(e.name)) images.push(e.name);
  }
  return { dirs: dirs.sort(byName), images: images.sort(byName) };
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** Images under `dir` at any depth, as paths relative to `dir`, sorted. */
async function imagesDeep(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const { dirs, images } = await list(join(dir, rel));
    for (const f of images) out.push(rel ? join(rel, f) : f);
    for (const d of dirs) await walk(rel ? join(rel, d) : d);
  };
  await walk("");
  return out.sort(byName);
}

/** Case-insensitive lookup of the first existing child folder among `names`. */
function findChild(dirs: string[], names: string[]): string | undefined {
  for (const n of names) {
    const hit = dirs.find((d) => d.toLowerCase() === n);
    if (hit) return hit;
  }
  return undefined;
}

function stripExt(name: string): string {
  return name.slice(0, name.length - extname(name).length);
}

function idOf(root: string, path: string): string {
  return stripExt(relative(root, path)).split(sep).join("/");
}

const SPLIT_ORDER: Record<Split, number> = { train: 0, validation: 1, test: 2 };

function ordered(samples: SampleRef[]): SampleRef[] {
  return samples.sort((a, b) => SPLIT_ORDER[a.split] - SPLIT_ORDER[b.split] || byName(a.id, b.id));
}

async function scanMvtec(root: string): Promise<DatasetIndex> {
  const top = await list(root);
  const samples: SampleRef[] = [];
  for (const split of ["train", "validation"] as const) {
    const good = join(root, split, "good");
    if (!(await isDir(good))) continue;
    for (const f of (await list(good)).images) {
      const path = join(good, f);
      samples.push({ id: idOf(root, path), split, path, label: 0, defect: "good" });
    }
  }
  const gtRoot = join(root, "ground_truth");
  const hasMasks = top.dirs.includes("ground_truth");
  // Masks by "<defect>/<image stem>"; the stem drops the "_mask" suffix.
  const masks = new Map<string, string>();
  if (hasMasks) {
    for (const defect of (await list(gtRoot)).dirs) {
      for (const f of (await list(join(gtRoot, defect))).images) {
        const stem = stripExt(f);
        if (!stem.endsWith("_mask")) {
          throw new Error(
            `Mask file ${join(gtRoot, defect, f)} does not follow the MVTec name <image>_mask.png; ` +
              "rename it so it can be matched to its test image",
          );
        }
        masks.set(`${defect}/${stem.slice(0, -5)}`, join(gtRoot, defect, f));
      }
    }
  }
  const testRoot = join(root, "test");
  const used = new Set<string>();
  if (await isDir(testRoot)) {
    for (const defect of (await list(testRoot)).dirs) {
      for (const f of (await list(join(testRoot, defect))).images) {
        const path = join(testRoot, defect, f);
        const key = `${defect}/${stripExt(f)}`;
        const maskPath = masks.get(key);
        const label = defect === "good" ? 0 : 1;
        if (hasMasks && label === 1 && !maskPath) {
          throw new Error(
            `Defect image ${path} has no mask: expected ${join(gtRoot, defect, `${stripExt(f)}_mask.png`)}. ` +
              "Add the mask, or remove the ground_truth folder if the category has no masks",
          );
        }
        if (maskPath) used.add(key);
        samples.push({ id: idOf(root, path), split: "test", path, label, defect, maskPath });
      }
    }
  }
  for (const [key, maskPath] of masks) {
    if (!used.has(key)) {
      throw new Error(
        `Mask ${maskPath} has no matching test image (expected ${join(testRoot, `${key}.png`)}); ` +
          "remove the mask or add the image",
      );
    }
  }
  if (samples.length === 0) {
    throw new Error(
      `MVTec folder ${root} holds no images in train/good, validation/good or test/*`,
    );
  }
  return { root, category: basename(root), layout: "mvtec", hasMasks, samples: ordered(samples) };
}

async function scanMvtec3d(root: string): Promise<DatasetIndex> {
  const samples: SampleRef[] = [];
  let hasMasks = false;
  const pending: { path: string; gtDir: string; f: string }[] = [];
  for (const split of ["train", "validation", "test"] as const) {
    const splitDir = join(root, split);
    if (!(await isDir(splitDir))) continue;
    for (const defect of (await list(splitDir)).dirs) {
      const rgbDir = join(splitDir, defect, "rgb");
      if (!(await isDir(rgbDir))) continue;
      const gtDir = join(splitDir, defect, "gt");
      const gtImages =
        split === "test" && (await isDir(gtDir)) ? new Set((await list(gtDir)).images) : undefined;
      if (gtImages) hasMasks = true;
      for (const f of (await list(rgbDir)).images) {
        const path = join(rgbDir, f);
        const label = defect === "good" ? 0 : 1;
        const maskPath = gtImages?.has(f) ? join(gtDir, f) : undefined;
        if (split === "test" && label === 1 && !maskPath) pending.push({ path, gtDir, f });
        samples.push({ id: idOf(root, path), split, path, label, defect, maskPath });
      }
    }
  }
  if (hasMasks && pending.length > 0) {
    const p = pending[0];
    throw new Error(`Defect image ${p.path} has no mask: expected ${join(p.gtDir, p.f)}`);
  }
  if (samples.length === 0) {
    throw new Error(`MVTec 3D-AD folder ${root} holds no images in {train,validation,test}/*/rgb`);
  }
  return { root, category: basename(root), layout: "mvtec3d", hasMasks, samples: ordered(samples) };
}

async function scanFolders(root: string): Promise<DatasetIndex> {
  const top = await list(root);
  const normalDir = findChild(top.dirs, NORMAL_NAMES);
  const abnormalDir = findChild(top.dirs, ABNORMAL_NAMES);
  if (!normalDir || !abnormalDir) {
    throw new Error(
      `Folder ${root} needs a normal folder (${NORMAL_NAMES.join("|")}) and an abnormal folder ` +
        `(${ABNORMAL_NAMES.join("|")}); found ${top.dirs.join(", ") || "no sub-folders"}`,
    );
  }
  const trainDir = top.dirs.find((d) => d.toLowerCase() === "train");
  const maskDir = findChild(top.dirs, MASK_NAMES);
  const masks = new Map<string, string>();
  const byStem = new Map<string, string[]>();
  if (maskDir) {
    for (const rel of await imagesDeep(join(root, maskDir))) {
      let key = stripExt(rel).split(sep).join("/");
      if (key.endsWith("_mask")) key = key.slice(0, -5);
      const path = join(root, maskDir, rel);
      masks.set(key, path);
      const stem = key.split("/").pop() as string;
      byStem.set(stem, [...(byStem.get(stem) ?? []), path]);
    }
  }
  const used = new Set<string>();
  const maskFor = (relInClassDir: string): string | undefined => {
    const key = stripExt(relInClassDir).split(sep).join("/");
    const direct = masks.get(key);
    if (direct) return direct;
    const candidates = byStem.get(key.split("/").pop() as string) ?? [];
    if (candidates.length > 1) {
      throw new Error(
        `Mask for ${relInClassDir} is ambiguous: ${candidates.join(", ")} share its name; ` +
          "mirror the image sub-folders inside the masks folder",
      );
    }
    return candidates[0];
  };
  const samples: SampleRef[] = [];
  if (trainDir) {
    for (const rel of await imagesDeep(join(root, trainDir))) {
      const path = join(root, trainDir, rel);
      samples.push({ id: idOf(root, path), split: "train", path, label: 0, defect: "good" });
    }
  }
  for (const rel of await imagesDeep(join(root, normalDir))) {
    const path = join(root, normalDir, rel);
    const maskPath = maskFor(rel);
    if (maskPath) used.add(maskPath);
    const split = trainDir ? "test" : "train";
    samples.push({ id: idOf(root, path), split, path, label: 0, defect: "good", maskPath });
  }
  for (const rel of await imagesDeep(join(root, abnormalDir))) {
    const path = join(root, abnormalDir, rel);
    const sub = dirname(rel);
    const defect = sub === "." ? abnormalDir : (sub.split(sep)[0] as string);
    const maskPath = maskFor(rel);
    if (maskDir && !maskPath) {
      throw new Error(
        `Abnormal image ${path} has no mask in ${join(root, maskDir)} ` +
          `(looked for ${stripExt(basename(rel))}.* and ${stripExt(basename(rel))}_mask.*)`,
      );
    }
    if (maskPath) used.add(maskPath);
    samples.push({ id: idOf(root, path), split: "test", path, label: 1, defect, maskPath });
  }
  for (const maskPath of masks.values()) {
    if (!used.has(maskPath)) {
      throw new Error(`Mask ${maskPath} matches no image in ${normalDir}/ or ${abnormalDir}/`);
    }
  }
  if (samples.length === 0) throw new Error(`Folder ${root} holds no images`);
  return {
    root,
    category: basename(root),
    layout: "folders",
    hasMasks: maskDir !== undefined,
    samples: ordered(samples),
  };
}

async function scanFiles(target: string): Promise<DatasetIndex> {
  const info = await stat(target);
  const unknown = (path: string, root: string): SampleRef => ({
    id: idOf(root, path),
    split: "test",
    path,
    label: -1,
    defect: "unknown",
  });
  if (info.isFile()) {
    if (!isImageFile(target)) {
      throw new Error(
        `${target} is not an image file; expected one of ${[...IMAGE_EXTENSIONS].join(" ")}`,
      );
    }
    const root = dirname(target);
    return {
      root,
      category: basename(root),
      layout: "files",
      hasMasks: false,
      samples: [unknown(target, root)],
    };
  }
  const { images } = await list(target);
  if (images.length === 0) throw new Error(`Folder ${target} holds no image files directly`);
  return {
    root: target,
    category: basename(target),
    layout: "files",
    hasMasks: false,
    samples: images.map((f) => unknown(join(target, f), target)),
  };
}

async function hasImagesIn(dir: string): Promise<boolean> {
  return (await isDir(dir)) && (await list(dir)).images.length > 0;
}

/**
 * Works out which layout a path uses. Order: a file → "files"; `test/<defect>/rgb/` →
 * "mvtec3d"; `train/good/` or `test/<defect>/` with images → "mvtec"; normal+abnormal folders →
 * "folders"; images directly inside → "files".
 * @throws Error listing everything that was looked for when nothing matches.
 */
export async function detectLayout(target: string): Promise<LayoutKind> {
  const info = await stat(target).catch(() => undefined);
  if (!info) throw new Error(`Dataset path not found: ${target}`);
  if (info.isFile()) return "files";
  const top = await list(target);
  for (const split of ["test", "train", "validation"]) {
    if (!top.dirs.includes(split)) continue;
    for (const d of (await list(join(target, split))).dirs) {
      if (await hasImagesIn(join(target, split, d, "rgb"))) return "mvtec3d";
    }
  }
  if (await hasImagesIn(join(target, "train", "good"))) return "mvtec";
  if (top.dirs.includes("test")) {
    for (const d of (await list(join(target, "test"))).dirs) {
      if (await hasImagesIn(join(target, "test", d))) return "mvtec";
    }
  }
  if (findChild(top.dirs, NORMAL_NAMES) && findChild(top.dirs, ABNORMAL_NAMES)) return "folders";
  if (top.images.length > 0) return "files";
  let hint = "";
  const nested: string[] = [];
  for (const d of top.dirs) {
    if (await hasImagesIn(join(target, d, "train", "good"))) nested.push(d);
  }
  if (nested.length > 0) {
    hint = ` It looks like a folder of categories (${nested.join(", ")}): pass one of them.`;
  }
  throw new Error(
    `No known dataset layout in ${target}. Looked for: MVTec AD (train/good/*, test/<defect>/*), ` +
      "MVTec 3D-AD ({train,validation,test}/<defect>/rgb/*), plain folders " +
      `(${NORMAL_NAMES.join("|")} + ${ABNORMAL_NAMES.join("|")}), or image files ` +
      `(${[...IMAGE_EXTENSIONS].join(" ")}) directly inside.${hint}`,
  );
}

/**
 * Scans a dataset root (or a single image file) into a DatasetIndex. Samples are ordered train,
 * validation, test, each sorted by relative path.
 * @throws Error naming the offending file for unmatched images/masks or unknown layouts.
 */
export async function scanDataset(target: string, opts: ScanOptions = {}): Promise<DatasetIndex> {
  const root = resolve(target);
  const layout = !opts.layout || opts.layout === "auto" ? await detectLayout(root) : opts.layout;
  switch (layout) {
    case "mvtec":
      return scanMvtec(root);
    case "mvtec3d":
      return scanMvtec3d(root);
    case "folders":
      return scanFolders(root);
    case "files":
      return scanFiles(root);
  }
}

/** Sample counts per split and defect, e.g. `{ train: { good: 209 }, test: { good: 20, ... } }`. */
export function countSamples(index: DatasetIndex): Record<Split, Record<string, number>> {
  const out: Record<Split, Record<string, number>> = { train: {}, validation: {}, test: {} };
  for (const s of index.samples) out[s.split][s.defect] = (out[s.split][s.defect] ?? 0) + 1;
  return out;
}
