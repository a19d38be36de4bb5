/**
 * Pseudo-anomaly throughput: samples per second of corruptSample at 256² and 128², with
 * procedural textures and (when /work/shared/data/dtd-mini exists) preloaded DTD textures.
 * Rows: the reference mix (50 % clean), and each branch forced anomalous.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import {
  type CorruptionParamsInput,
  corruptSample,
  sampleSeed,
  type TextureProvider,
} from "../nodes/lib/corruption/corrupt.ts";
import { proceduralTextureProvider } from "../nodes/lib/corruption/textures.ts";
import type { FloatImage } from "../nodes/sdk/image.ts";
import { createRng } from "../nodes/sdk/rng.ts";
import { machineLine, printTable } from "./_table.ts";

const DTD = "/work/shared/data/dtd-mini";
const BOTTLE = "/work/shared/data/mvtec-mini/bottle/train/good/000.png";

async function loadRgb(path: string, size: number): Promise<FloatImage> {
  const { data } = await sharp(path)
    .removeAlpha()
    .resize(size, size)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: size, height: size, channels: 3, data: Float32Array.from(data, (v) => v / 255) };
}

function syntheticImage(size: number): FloatImage {
  const data = new Float32Array(size * size * 3).map((_, i) => 0.3 + 0.4 * Math.sin(i / 97));
  return { width: size, height: size, channels: 3, data };
}

async function timeIt(
  img: FloatImage,
  params: CorruptionParamsInput,
  provider: TextureProvider,
  seconds: number,
): Promise<{ n: number; perSec: number; msPer: number }> {
  for (let i = 0; i < 5; i++)
    await corruptSample(img, params, createRng(sampleSeed(9, 99, i)), provider);
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) {
    await corruptSample(img, params, createRng(sampleSeed(9, 0, n)), provider);
    n++;
  }
  const ms = performance.now() - t0;
  return { n, perSec: (n * 1000) / ms, msPer: ms / n };
}

export default async function run(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 3);
  const modes: [string, CorruptionParamsInput][] = [
    ["reference mix", {}],
    ["texture, always", { branches: { cutpaste: false }, cleanProbability: 0 }],
    ["cutpaste, always", { branches: { texture: false }, cleanProbability: 0 }],
  ];
  const rows: Record<string, string | number>[] = [];
  for (const size of [256, 128]) {
    const img = existsSync(BOTTLE) ? await loadRgb(BOTTLE, size) : syntheticImage(size);
    const providers: [string, TextureProvider][] = [
      ["procedural", proceduralTextureProvider(size, size)],
    ];
    if (existsSync(DTD)) {
      const files = readdirSync(DTD, { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".jpg"))
        .sort()
        .slice(0, 8);
      const textures = await Promise.all(files.map((f) => loadRgb(join(DTD, f), size)));
      providers.push([
        `dtd-mini (${textures.length} preloaded)`,
        (rng) => textures[rng.int(0, textures.length)],
      ]);
    } else {
      process.stdout.write(`(${DTD} not found: DTD rows skipped)\n`);
    }
    for (const [texName, provider] of providers) {
      for (const [mode, params] of modes) {
        if (mode === "cutpaste, always" && texName !== "procedural") continue;
        const r = await timeIt(img, params, provider, seconds);
        rows.push({
          size: `${size}x${size}`,
          textures: mode.startsWith("cutpaste") ? "-" : texName,
          mode,
          samples: r.n,
          "samples/s": r.perSec,
          "ms/sample": r.msPer,
        });
      }
    }
  }
  printTable("corruptSample throughput (single thread)", rows);
  process.stdout.write(`${machineLine()}\n`);
}
