import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { FloatImage } from "../../sdk/image.ts";
import { createRng } from "../../sdk/rng.ts";
import {
  type CorruptedSample,
  corruptionParamsSchema,
  corruptSample,
  sampleSeed,
} from "./corrupt.ts";

const N = 2000;
const SIZE = 64;

function testImage(w: number, h: number, cn: 1 | 3 = 3): FloatImage {
  const data = new Float32Array(w * h * cn);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < cn; k++)
        data[(y * w + x) * cn + k] = 0.2 + 0.6 * (((x + 2 * y + 7 * k) % 17) / 16);
    }
  }
  return { width: w, height: h, channels: cn, data };
}

const img = testImage(SIZE, SIZE);

async function draw(n: number, params = {}, seed = 1, epoch = 0): Promise<CorruptedSample[]> {
  const out: CorruptedSample[] = [];
  for (let i = 0; i < n; i++)
    out.push(await corruptSample(img, params, createRng(sampleSeed(seed, epoch, i))));
  return out;
}

describe("corruptionParamsSchema", () => {
  test("defaults are the reference values", () => {
    const p = corruptionParamsSchema.parse({});
    assert.equal(p.cutpasteProbability, 0.5);
    assert.equal(p.cleanProbability, 0.5);
    assert.deepEqual(p.perlinExponentRange, [0, 5]);
    assert.equal(p.perlinThreshold, 0.5);
    assert.deepEqual(p.noiseRotationRange, [-90, 90]);
    assert.deepEqual(p.betaRange, [0, 0.8]);
    assert.deepEqual(p.cutpaste, {
      sizeRange: [0.8, 0.9],
      angleRange: [-6, 6],
      angleUnit: "reference-radians",
    });
    assert.deepEqual(p.rotation, { probability: 0.3, range: [-90, 90] });
    assert.deepEqual(p.branches, { texture: true, cutpaste: true });
    assert.equal(p.textureAugment.count, 3);
    assert.equal(p.textureAugment.pool, "dtd");
  });
  test("every field has a description", () => {
    const json = JSON.stringify(corruptionParamsSchema.toJSONSchema?.() ?? {});
    for (const key of Object.keys(corruptionParamsSchema.shape)) {
      const field = corruptionParamsSchema.shape[key as keyof typeof corruptionParamsSchema.shape];
      assert.ok(field.description, `${key} has no description`);
    }
    assert.ok(json.length > 0);
  });
  test("bad parameters give a clear error", async () => {
    await assert.rejects(
      corruptSample(img, { cleanProbability: 2 }, createRng(1)),
      /invalid corruption parameters/,
    );
    await assert.rejects(corruptSample(img, { betaRange: [0.8, 0.1] }, createRng(1)), /lo <= hi/);
  });
});

describe(`corruptSample statistics over ${N} draws at ${SIZE}x${SIZE}`, async () => {
  const samples = await draw(N);
  const count = (b: string) => samples.filter((s) => s.branch === b).length / N;

  test("branch frequencies ≈ 0.25 / 0.25 / 0.5", () => {
    // Binomial sd at p=0.25, n=2000 is ~0.0097; allow ~4 sd.
    assert.ok(Math.abs(count("texture") - 0.25) < 0.04, `texture ${count("texture")}`);
    assert.ok(Math.abs(count("cutpaste") - 0.25) < 0.04, `cutpaste ${count("cutpaste")}`);
    assert.ok(Math.abs(count("none") - 0.5) < 0.045, `none ${count("none")}`);
  });

  test("rotation is applied to ~30 % of samples, within range, and is the clean target", () => {
    const rotated = samples.filter((s) => s.details.rotationDegrees !== null);
    assert.ok(Math.abs(rotated.length / N - 0.3) < 0.045, `rotated ${rotated.length / N}`);
    for (const s of rotated) {
      const d = s.details.rotationDegrees as number;
      assert.ok(d >= -90 && d < 90);
      assert.notDeepEqual(s.clean.data, img.data);
    }
    for (const s of samples.filter((x) => x.details.rotationDegrees === null))
      assert.equal(s.clean, img);
  });

  test("clean samples: image equals the clean target, mask empty", () => {
    for (const s of samples.filter((x) => x.branch === "none")) {
      assert.equal(s.hasAnomaly, false);
      assert.deepEqual(s.image.data, s.clean.data);
      assert.ok(s.mask.data.every((v) => v === 0));
    }
  });

  test("texture branch: coverage plausible, β in range, pixels outside the mask untouched", () => {
    const tex = samples.filter((s) => s.branch === "texture");
    const cov = tex.map((s) => s.details.maskCoverage);
    const nonEmpty = cov.filter((c) => c > 0).length / cov.length;
    // Perlin noise exceeds 0.5 in most but not all draws (coarse lattices can miss).
    assert.ok(nonEmpty > 0.75, `non-empty fraction ${nonEmpty}`);
    assert.ok(
      cov.every((c) => c >= 0 && c < 0.6),
      `max coverage ${Math.max(...cov)}`,
    );
    const mean = cov.reduce((a, b) => a + b, 0) / cov.length;
    assert.ok(mean > 0.02 && mean < 0.3, `mean coverage ${mean}`);
    const res = new Set<number>();
    for (const s of tex) {
      const t = s.details.texture;
      assert.ok(t);
      assert.ok(t.beta >= 0 && t.beta < 0.8, `beta ${t.beta}`);
      assert.ok(t.noiseRotationDegrees >= -90 && t.noiseRotationDegrees < 90);
      assert.equal(t.augmenters.length, 3);
      for (const r of t.perlinRes) res.add(r);
      assert.equal(s.hasAnomaly, s.details.maskCoverage > 0);
      for (let q = 0; q < SIZE * SIZE; q++) {
        if (s.mask.data[q] === 0) {
          for (let k = 0; k < 3; k++)
            assert.equal(s.image.data[q * 3 + k], s.clean.data[q * 3 + k]);
        }
      }
    }
    assert.deepEqual(
      [...res].sort((a, b) => a - b),
      [1, 2, 4, 8, 16, 32],
    );
  });

  test("texture branch: masked pixels are exactly (1 − β)·texture + β·image", async () => {
    const tex = {
      width: 64,
      height: 64,
      channels: 3 as const,
      data: new Float32Array(64 * 64 * 3).fill(0.9),
    };
    const params = {
      branches: { cutpaste: false },
      cleanProbability: 0,
      rotation: { probability: 0 },
      textureAugment: { count: 0 },
    };
    let checked = 0;
    for (let i = 0; i < 20; i++) {
      const s = await corruptSample(img, params, createRng(100 + i), () => tex);
      const beta = s.details.texture?.beta ?? Number.NaN;
      for (let q = 0; q < SIZE * SIZE; q++) {
        if (s.mask.data[q] !== 1) continue;
        for (let k = 0; k < 3; k++) {
          const want = (1 - beta) * 0.9 + beta * img.data[q * 3 + k];
          assert.ok(Math.abs(s.image.data[q * 3 + k] - want) < 1e-6);
          checked++;
        }
      }
    }
    assert.ok(checked > 1000, `only ${checked} masked values checked`);
  });

  test("CutPaste branch: mask is one rectangle of the patch area within bounds", () => {
    for (const s of samples.filter((x) => x.branch === "cutpaste")) {
      const d = s.details.cutpaste;
      assert.ok(d);
      const area = s.details.maskCoverage * SIZE * SIZE;
      assert.equal(Math.round(area), d.patchHeight * d.patchWidth);
      // Lengths 51..57 → even 50..56 at 64 px; clipped patches can be as small as 1 px.
      assert.ok(d.drawnHeight >= 50 && d.drawnHeight <= 56);
      assert.ok(area >= 1 && area <= 56 * 56);
      assert.equal(s.hasAnomaly, true);
      assert.ok(s.mask.data[d.pasteRow * SIZE + d.pasteCol] === 1);
    }
  });
});

describe("determinism and ablations", () => {
  test("same seed/epoch/index → identical output; new epoch → different draws", async () => {
    const a = await draw(40, {}, 7, 0);
    const b = await draw(40, {}, 7, 0);
    const c = await draw(40, {}, 7, 1);
    for (let i = 0; i < 40; i++) {
      assert.deepEqual(a[i].image.data, b[i].image.data);
      assert.deepEqual(a[i].mask.data, b[i].mask.data);
      assert.deepEqual(a[i].details, b[i].details);
    }
    const same = a.filter(
      (s, i) => JSON.stringify(s.details) === JSON.stringify(c[i].details),
    ).length;
    assert.ok(same < 40 * 0.6, `${same}/40 samples identical across epochs`);
    assert.notEqual(sampleSeed(7, 0, 3), sampleSeed(7, 1, 3));
    assert.notEqual(sampleSeed(7, 0, 3), sampleSeed(7, 0, 4));
  });

  test("texture-only, CutPaste-only and none", async () => {
    const tex = await draw(200, { branches: { cutpaste: false } });
    assert.ok(tex.every((s) => s.branch !== "cutpaste"));
    assert.ok(tex.filter((s) => s.branch === "texture").length > 70);
    const cp = await draw(200, { branches: { texture: false } });
    assert.ok(cp.every((s) => s.branch !== "texture"));
    assert.ok(cp.filter((s) => s.branch === "cutpaste").length > 70);
    const none = await draw(50, {
      branches: { texture: false, cutpaste: false },
      rotation: { probability: 0 },
    });
    assert.ok(none.every((s) => s.branch === "none" && s.image === img));
  });

  test("texture provider: async, any size, gray images get a gray texture", async () => {
    const provider = async () => ({
      width: 10,
      height: 7,
      channels: 3 as const,
      data: new Float32Array(210).fill(1),
    });
    const gray = testImage(32, 24, 1);
    const params = {
      branches: { cutpaste: false },
      cleanProbability: 0,
      betaRange: [0, 0] as [number, number],
    };
    let seen = 0;
    for (let i = 0; i < 30; i++) {
      const s = await corruptSample(gray, params, createRng(i), provider);
      assert.equal(s.image.channels, 1);
      assert.equal(s.image.data.length, 32 * 24);
      if (s.hasAnomaly) seen++;
    }
    assert.ok(seen > 10);
    const bad = async () => ({
      width: 4,
      height: 4,
      channels: 3 as const,
      data: new Float32Array(5),
    });
    await assert.rejects(corruptSample(img, params, createRng(1), bad), /texture data length/);
  });
});
