/**
 * Test-only helper: loads a golden JSON fixture from test/fixtures/golden (never from the shared
 * method folder, so the repository's tests are self-contained).
 * @internal
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures/golden");

const cache = new Map<string, unknown>();

/** Parses `<name>.json` from the golden fixture folder (cached per process). */
export function loadGolden<T = Record<string, unknown>>(name: string): T {
  let value = cache.get(name);
  if (value === undefined) {
    value = JSON.parse(readFileSync(join(fixtureDir, `${name}.json`), "utf8"));
    cache.set(name, value);
  }
  return value as T;
}

/** Largest absolute element-wise difference; throws if the lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Fields of pipeline_64x64.json / pipeline_45x62.json used by the kernel tests. */
export interface PipelineGolden {
  height: number;
  width: number;
  image_a_rgb_u8: number[];
  image_b_rgb_u8: number[];
  [field: string]: unknown;
}

/** Loads a pipeline fixture with orig = float32(a/255) and rec = float32(b/255), RGB. */
export function loadPipeline(name: "pipeline_64x64" | "pipeline_45x62") {
  const g = loadGolden<PipelineGolden>(name);
  const toImage = (u8: number[]) => ({
    width: g.width,
    height: g.height,
    channels: 3 as const,
    data: Float32Array.from(u8, (v) => v / 255),
  });
  return { g, orig: toImage(g.image_a_rgb_u8), rec: toImage(g.image_b_rgb_u8) };
}

/** Reverses the channel order of an HWC 3-channel array (BGR ⇄ RGB). */
export function swapRB(a: ArrayLike<number>): number[] {
  const out = Array.from(a);
  for (let i = 0; i < out.length; i += 3) [out[i], out[i + 2]] = [out[i + 2], out[i]];
  return out;
}
