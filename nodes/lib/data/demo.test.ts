import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { decodeImage } from "./decode.ts";
import { DEMO_CATEGORY, DEMO_COUNTS, demoSampleSpec, ensureDemoData } from "./demo.ts";
import { DEMO_DEFECTS, renderPart } from "./demo-render.ts";
import { countSamples, scanDataset } from "./layouts.ts";

const SIZE = 128; // smaller than the default 256 to keep the test quick; geometry scales
let dir = "";
let root = "";

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgrec-demo-"));
  root = await ensureDemoData(dir, { seed: 7, size: SIZE });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("ensureDemoData", () => {
  test("writes an MVTec-layout category that the scanner reads with the right counts", async () => {
    assert.equal(root, join(dir, DEMO_CATEGORY));
    const idx = await scanDataset(root);
    assert.equal(idx.layout, "mvtec");
    assert.equal(idx.hasMasks, true);
    const perDefect = Object.fromEntries(DEMO_DEFECTS.map((d) => [d, DEMO_COUNTS.perDefect]));
    assert.deepEqual(countSamples(idx), {
      train: { good: DEMO_COUNTS.trainGood },
      validation: {},
      test: { good: DEMO_COUNTS.testGood, ...perDefect },
    });
    const leftovers = (await readdir(dir)).filter((f) => f !== DEMO_CATEGORY);
    assert.deepEqual(leftovers, [], "temporary folders are cleaned up");
  });

  test("files on disk are the deterministic renders; masks are exact, binary and non-empty", async () => {
    for (const kind of DEMO_DEFECTS) {
      for (let i = 0; i < DEMO_COUNTS.perDefect; i++) {
        const stem = String(i).padStart(3, "0");
        const { part, defect } = demoSampleSpec(7, SIZE, kind, i);
        const withDefect = renderPart(part, defect);
        const clean = renderPart(part);
        const img = await decodeImage(join(root, "test", kind, `${stem}.png`));
        const mask = await decodeImage(join(root, "ground_truth", kind, `${stem}_mask.png`));
        assert.equal(mask.image.channels, 1);
        assert.deepEqual(
          Array.from(img.image.data, (v) => Math.round(v * 255)),
          Array.from(withDefect.rgb),
        );
        const m = Array.from(mask.image.data, (v) => Math.round(v * 255));
        assert.ok(
          m.every((v) => v === 0 || v === 255),
          "mask is 0/255",
        );
        const inMask = m.filter((v) => v === 255).length;
        assert.ok(inMask > 0, `${kind}/${stem} mask is empty`);
        let changed = 0;
        for (let p = 0; p < m.length; p++) {
          const differs = [0, 1, 2].some((c) => withDefect.rgb[p * 3 + c] !== clean.rgb[p * 3 + c]);
          if (differs) {
            assert.equal(m[p], 255, `${kind}/${stem}: pixel ${p} changed outside the mask`);
            changed++;
          }
        }
        assert.ok(
          changed >= 0.95 * inMask,
          `${kind}/${stem}: only ${changed}/${inMask} masked pixels changed`,
        );
      }
    }
  });

  test("stains change colour much more than gray level", () => {
    for (let i = 0; i < DEMO_COUNTS.perDefect; i++) {
      const { part, defect } = demoSampleSpec(7, SIZE, "stain", i);
      const a = renderPart(part, defect);
      const b = renderPart(part);
      let grayDiff = 0;
      let colourDiff = 0;
      let count = 0;
      for (let p = 0; p < a.mask.length; p++) {
        if (a.mask[p] === 0) continue;
        const d = [0, 1, 2].map((c) => a.rgb[p * 3 + c] - b.rgb[p * 3 + c]);
        grayDiff += Math.abs(0.299 * d[0] + 0.587 * d[1] + 0.114 * d[2]);
        colourDiff += Math.max(...d.map(Math.abs));
        count++;
      }
      assert.ok(grayDiff / count < 4, `stain ${i}: mean gray change ${grayDiff / count}`);
      assert.ok(colourDiff / count > 25, `stain ${i}: mean colour change ${colourDiff / count}`);
    }
  });

  test("normal parts vary mildly but stay the same object", () => {
    const a = renderPart(demoSampleSpec(7, SIZE, "train", 0).part).rgb;
    const b = renderPart(demoSampleSpec(7, SIZE, "train", 1).part).rgb;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff += Math.abs(a[i] - b[i]);
    const mean = diff / a.length;
    assert.ok(mean > 2 && mean < 40, `mean abs difference between two parts: ${mean}`);
  });

  test("a second call reuses the set; a half-written or other-seed folder is replaced", async () => {
    const manifest = join(root, "manifest.json");
    const before = (await stat(manifest)).mtimeMs;
    assert.equal(await ensureDemoData(dir, { seed: 7, size: SIZE }), root);
    assert.equal((await stat(manifest)).mtimeMs, before);

    const other = join(dir, "other");
    await mkdir(join(other, DEMO_CATEGORY, "train"), { recursive: true });
    await writeFile(join(other, DEMO_CATEGORY, "train", "partial.png"), "");
    const r2 = await ensureDemoData(other, { seed: 3, size: 64 });
    await stat(join(r2, "manifest.json"));
    await assert.rejects(stat(join(r2, "train", "partial.png")));
    const first = await decodeImage(join(r2, "train", "good", "000.png"));
    assert.equal(first.image.width, 64);
    await ensureDemoData(other, { seed: 4, size: 64 });
    const second = await decodeImage(join(r2, "train", "good", "000.png"));
    assert.notDeepEqual(second.image.data, first.image.data);
  });

  test("rejects bad options", async () => {
    await assert.rejects(ensureDemoData(dir, { size: 10 }), /size must be an integer from 64/);
    await assert.rejects(ensureDemoData(dir, { seed: 1.5 }), /seed must be an integer/);
  });
});
