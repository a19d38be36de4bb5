/**
 * The built-in demo category: a small MVTec-layout data set of procedural brass discs
 * (see demo-render.ts), generated on first use and reused afterwards.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { createRng, mixSeed } from "../../sdk/rng.ts";
import {
  DEMO_DEFECTS,
  type DefectSpec,
  type DemoDefectKind,
  drawDefect,
  drawPartParams,
  type PartParams,
  renderPart,
} from "./demo-render.ts";

/** Folder name of the demo category inside the `dir` given to ensureDemoData. */
export const DEMO_CATEGORY = "demo_disc";
/** Image counts of the demo set. */
export const DEMO_COUNTS = { trainGood: 60, testGood: 12, perDefect: 8 } as const;
const MANIFEST = "manifest.json";
/** Bump when the renderer changes so old demo folders are regenerated. */
const GENERATOR_VERSION = 1;

export interface DemoOptions {
  /** Seed of every random choice; the same seed gives byte-identical PNGs. Default 7. */
  seed?: number;
  /** Side of the square images in pixels (geometry scales with it). Default 256. */
  size?: number;
}

interface Manifest {
  generator: "edgrec-demo";
  version: number;
  seed: number;
  size: number;
  counts: typeof DEMO_COUNTS;
  defects: readonly string[];
  files: number;
}

async function readManifest(root: string): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(join(root, MANIFEST), "utf8")) as Manifest;
  } catch {
    return undefined;
  }
}

function matches(m: Manifest | undefined, seed: number, size: number): boolean {
  return (
    m?.generator === "edgrec-demo" &&
    m.version === GENERATOR_VERSION &&
    m.seed === seed &&
    m.size === size
  );
}

async function writePng(
  path: string,
  data: Uint8Array,
  size: number,
  channels: 1 | 3,
): Promise<void> {
  const img = sharp(data, { raw: { width: size, height: size, channels } });
  await (channels === 1 ? img.toColourspace("b-w") : img).png().toFile(path);
}

/**
 * The part (and defect) drawn for one demo file: `group` is "train", "test" (good) or a defect
 * kind, `index` the file number. Pure function of (seed, size, group, index).
 */
export function demoSampleSpec(
  seed: number,
  size: number,
  group: "train" | "test" | DemoDefectKind,
  index: number,
): { part: PartParams; defect?: DefectSpec } {
  const salt = group === "train" ? 1 : group === "test" ? 2 : 3 + DEMO_DEFECTS.indexOf(group);
  const rng = createRng(mixSeed(seed, salt, index));
  const part = drawPartParams(rng, size);
  if (group === "train" || group === "test") return { part };
  return { part, defect: drawDefect(rng, part, group) };
}

/** Writes the whole category into `root` (which must not exist yet); returns the file count. */
async function generate(root: string, seed: number, size: number): Promise<number> {
  // PNG encoding runs on sharp's worker threads while the next part renders on this one.
  const writes: Promise<void>[] = [];
  const good = async (split: "train" | "test", count: number) => {
    const dir = join(root, split, "good");
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < count; i++) {
      const { part } = demoSampleSpec(seed, size, split, i);
      writes.push(
        writePng(join(dir, `${String(i).padStart(3, "0")}.png`), renderPart(part).rgb, size, 3),
      );
    }
  };
  await good("train", DEMO_COUNTS.trainGood);
  await good("test", DEMO_COUNTS.testGood);
  for (const kind of DEMO_DEFECTS) {
    const imgDir = join(root, "test", kind);
    const maskDir = join(root, "ground_truth", kind);
    await mkdir(imgDir, { recursive: true });
    await mkdir(maskDir, { recursive: true });
    for (let i = 0; i < DEMO_COUNTS.perDefect; i++) {
      const { part, defect } = demoSampleSpec(seed, size, kind, i);
      const { rgb, mask } = renderPart(part, defect);
      const stem = String(i).padStart(3, "0");
      writes.push(writePng(join(imgDir, `${stem}.png`), rgb, size, 3));
      writes.push(writePng(join(maskDir, `${stem}_mask.png`), mask, size, 1));
    }
  }
  await Promise.all(writes);
  return writes.length;
}

function checkOptions(seed: number, size: number): void {
  if (!Number.isInteger(seed))
    throw new Error(`ensureDemoData: seed must be an integer, got ${seed}`);
  if (!Number.isInteger(size) || size < 64 || size > 2048) {
    throw new Error(`ensureDemoData: size must be an integer from 64 to 2048, got ${size}`);
  }
}

/**
 * Makes sure `<dir>/demo_disc` holds the demo category for (seed, size) and returns its path.
 * Layout: train/good (60), test/good (12), test/{scratch,stain,hole} (8 each) with exact 0/255
 * masks in ground_truth/<defect>/<name>_mask.png. The set is written into a temporary folder,
 * its manifest last (temp file + rename), and the folder is renamed into place, so a half-written
 * set is never reused; a complete one with the same seed, size and generator version is
 * returned as is. A demo folder made with other settings is replaced.
 */
export async function ensureDemoData(dir: string, opts: DemoOptions = {}): Promise<string> {
  const seed = opts.seed ?? 7;
  const size = opts.size ?? 256;
  checkOptions(seed, size);
  const root = join(dir, DEMO_CATEGORY);
  const existing = await readManifest(root);
  if (matches(existing, seed, size)) return root;

  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${DEMO_CATEGORY}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    const files = await generate(tmp, seed, size);
    const manifest: Manifest = {
      generator: "edgrec-demo",
      version: GENERATOR_VERSION,
      seed,
      size,
      counts: DEMO_COUNTS,
      defects: DEMO_DEFECTS,
      files,
    };
    await writeFile(join(tmp, `${MANIFEST}.tmp`), `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(join(tmp, `${MANIFEST}.tmp`), join(tmp, MANIFEST));
    // Only a folder we made (ours, stale, or left half-written without a manifest) is replaced.
    const current = await readManifest(root);
    if (current && current.generator !== "edgrec-demo") {
      throw new Error(
        `ensureDemoData: ${root} exists and is not a demo folder; choose another dir`,
      );
    }
    if (!matches(current, seed, size)) await rm(root, { recursive: true, force: true });
    try {
      await rename(tmp, root);
    } catch (err) {
      // Another process finished first: keep its copy when it is the one we wanted.
      if (!matches(await readManifest(root), seed, size)) throw err;
    }
    return root;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
