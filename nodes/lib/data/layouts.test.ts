import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { countSamples, detectLayout, isImageFile, scanDataset } from "./layouts.ts";

let base = "";

/** Creates empty files (content does not matter to the scanner). */
async function touch(root: string, ...rels: string[]): Promise<string> {
  for (const rel of rels) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), "");
  }
  return root;
}

let n = 0;
const fresh = () => join(base, `case${n++}`);

before(async () => {
  base = await mkdtemp(join(tmpdir(), "edgrec-layouts-"));
});
after(async () => {
  await rm(base, { recursive: true, force: true });
});

function mvtecFiles(): string[] {
  return [
    "train/good/001.png",
    "train/good/000.png",
    "train/good/notes.txt",
    "train/good/.DS_Store",
    "test/good/000.png",
    "test/crack/000.png",
    "test/crack/001.PNG",
    "test/scratch/000.png",
    "ground_truth/crack/000_mask.png",
    "ground_truth/crack/001_mask.png",
    "ground_truth/scratch/000_mask.png",
    "license.txt",
  ];
}

describe("MVTec AD layout", () => {
  test("indexes splits, labels, defects and masks in sorted order", async () => {
    const root = await touch(join(fresh(), "widget"), ...mvtecFiles());
    const idx = await scanDataset(root);
    assert.equal(idx.layout, "mvtec");
    assert.equal(idx.category, "widget");
    assert.equal(idx.hasMasks, true);
    assert.deepEqual(
      idx.samples.map((s) => [s.id, s.split, s.label, s.defect, s.maskPath !== undefined]),
      [
        ["train/good/000", "train", 0, "good", false],
        ["train/good/001", "train", 0, "good", false],
        ["test/crack/000", "test", 1, "crack", true],
        ["test/crack/001", "test", 1, "crack", true],
        ["test/good/000", "test", 0, "good", false],
        ["test/scratch/000", "test", 1, "scratch", true],
      ],
    );
    assert.equal(idx.samples[3].maskPath, join(root, "ground_truth/crack/001_mask.png"));
    assert.equal(idx.samples[3].path, join(root, "test/crack/001.PNG"));
  });

  test("accepts validation/good", async () => {
    const root = await touch(fresh(), ...mvtecFiles(), "validation/good/000.png");
    const idx = await scanDataset(root);
    assert.deepEqual(countSamples(idx).validation, { good: 1 });
  });

  test("no ground_truth folder: masks absent, hasMasks false", async () => {
    const root = await touch(fresh(), ...mvtecFiles().filter((f) => !f.startsWith("ground_truth")));
    const idx = await scanDataset(root);
    assert.equal(idx.hasMasks, false);
    assert.ok(idx.samples.every((s) => s.maskPath === undefined));
    assert.equal(idx.samples.filter((s) => s.label === 1).length, 3);
  });

  test("a defect image without its mask is an error naming the image and the mask", async () => {
    const root = await touch(
      fresh(),
      ...mvtecFiles().filter((f) => f !== "ground_truth/crack/001_mask.png"),
    );
    await assert.rejects(scanDataset(root), (err: Error) => {
      assert.match(err.message, /test\/crack\/001\.PNG has no mask/);
      assert.match(err.message, /ground_truth\/crack\/001_mask\.png/);
      return true;
    });
  });

  test("a mask without its image is an error naming the mask", async () => {
    const root = await touch(fresh(), ...mvtecFiles(), "ground_truth/scratch/007_mask.png");
    await assert.rejects(scanDataset(root), /ground_truth\/scratch\/007_mask\.png has no matching/);
  });
});

describe("MVTec 3D-AD layout", () => {
  test("reads rgb/ images and gt/ masks of the same name", async () => {
    const root = await touch(
      join(fresh(), "cookie"),
      "train/good/rgb/000.png",
      "train/good/xyz/000.tiff",
      "validation/good/rgb/000.png",
      "test/good/rgb/000.png",
      "test/good/gt/000.png",
      "test/hole/rgb/000.png",
      "test/hole/gt/000.png",
    );
    assert.equal(await detectLayout(root), "mvtec3d");
    const idx = await scanDataset(root);
    assert.equal(idx.hasMasks, true);
    assert.deepEqual(
      idx.samples.map((s) => [
        s.split,
        s.defect,
        s.label,
        s.maskPath?.endsWith("gt/000.png") ?? false,
      ]),
      [
        ["train", "good", 0, false],
        ["validation", "good", 0, false],
        ["test", "good", 0, true],
        ["test", "hole", 1, true],
      ],
    );
  });

  test("a defect image without gt is an error", async () => {
    const root = await touch(
      fresh(),
      "train/good/rgb/000.png",
      "test/hole/rgb/000.png",
      "test/hole/rgb/001.png",
      "test/hole/gt/000.png",
    );
    await assert.rejects(
      scanDataset(root),
      /hole\/rgb\/001\.png has no mask: expected .*gt\/001\.png/,
    );
  });
});

describe("plain folders layout", () => {
  test("without train/: normal images train, abnormal ones test; masks by stem", async () => {
    const root = await touch(
      fresh(),
      "good/a.jpg",
      "good/b.JPEG",
      "defect/c.png",
      "defect/scratch/d.bmp",
      "masks/c_mask.png",
      "masks/scratch/d.png",
    );
    const idx = await scanDataset(root);
    assert.equal(idx.layout, "folders");
    assert.equal(idx.hasMasks, true);
    assert.deepEqual(
      idx.samples.map((s) => [s.id, s.split, s.label, s.defect, s.maskPath !== undefined]),
      [
        ["good/a", "train", 0, "good", false],
        ["good/b", "train", 0, "good", false],
        ["defect/c", "test", 1, "defect", true],
        ["defect/scratch/d", "test", 1, "scratch", true],
      ],
    );
  });

  test("with train/: train/ is the training set and normal images become test data", async () => {
    const root = await touch(
      fresh(),
      "train/x.png",
      "train/more/y.png",
      "normal/a.png",
      "anomalous/b.png",
    );
    const idx = await scanDataset(root);
    assert.deepEqual(countSamples(idx), {
      train: { good: 2 },
      validation: {},
      test: { good: 1, anomalous: 1 },
    });
    assert.equal(idx.hasMasks, false);
  });

  test("masks folder present but an abnormal image lacks one: error naming it", async () => {
    const root = await touch(fresh(), "ok/a.png", "bad/b.png", "bad/c.png", "masks/b.png");
    await assert.rejects(scanDataset(root), /bad\/c\.png has no mask/);
  });
});

describe("files layout and detection", () => {
  test("a single image file is one test sample with unknown label", async () => {
    const root = await touch(fresh(), "line3/frame_0042.TIF");
    const idx = await scanDataset(join(root, "line3/frame_0042.TIF"));
    assert.equal(idx.layout, "files");
    assert.equal(idx.category, "line3");
    assert.deepEqual(idx.samples, [
      {
        id: "frame_0042",
        split: "test",
        path: join(root, "line3/frame_0042.TIF"),
        label: -1,
        defect: "unknown",
      },
    ]);
  });

  test("a folder of loose images gives one unknown sample each; non-images are ignored", async () => {
    const root = await touch(fresh(), "b.png", "a.jpg", "readme.md");
    const idx = await scanDataset(root);
    assert.deepEqual(
      idx.samples.map((s) => s.id),
      ["a", "b"],
    );
    assert.ok(idx.samples.every((s) => s.label === -1));
  });

  test("a non-image file is refused", async () => {
    const root = await touch(fresh(), "notes.txt");
    await assert.rejects(scanDataset(join(root, "notes.txt")), /not an image file/);
  });

  test("nothing matching lists what was looked for; a folder of categories gets a hint", async () => {
    const root = await touch(fresh(), "cat1/train/good/0.png", "cat2/train/good/0.png", "x.txt");
    await assert.rejects(scanDataset(root), (err: Error) => {
      assert.match(err.message, /No known dataset layout/);
      assert.match(err.message, /MVTec AD/);
      assert.match(err.message, /MVTec 3D-AD/);
      assert.match(err.message, /normal\|good\|ok/);
      assert.match(err.message, /folder of categories \(cat1, cat2\)/);
      return true;
    });
    await assert.rejects(scanDataset(join(base, "does-not-exist")), /Dataset path not found/);
  });

  test("image extensions are matched case-insensitively", () => {
    for (const f of ["a.png", "a.JPG", "a.jpeg", "a.Bmp", "a.tif", "a.TIFF"])
      assert.ok(isImageFile(f), f);
    for (const f of ["a.gif", "a.txt", "png", "a.png.bak"]) assert.ok(!isImageFile(f), f);
  });
});

const REAL = "/work/shared/data/mvtec-mini";
describe("real mvtec-mini categories", {
  skip: existsSync(REAL) ? false : `${REAL} not present`,
}, () => {
  test("bottle: 209 train, 20 good + 63 defect test images, all masked", async () => {
    const idx = await scanDataset(join(REAL, "bottle"));
    assert.equal(idx.layout, "mvtec");
    assert.equal(idx.hasMasks, true);
    assert.deepEqual(countSamples(idx), {
      train: { good: 209 },
      validation: {},
      test: { broken_large: 20, broken_small: 22, contamination: 21, good: 20 },
    });
    assert.ok(idx.samples.filter((s) => s.label === 1).every((s) => existsSync(s.maskPath ?? "")));
  });

  test("screw: no ground_truth, so no masks", async () => {
    const idx = await scanDataset(join(REAL, "screw"));
    assert.equal(idx.hasMasks, false);
    const c = countSamples(idx);
    assert.deepEqual(c.train, { good: 200 });
    assert.equal(c.test.good, 50);
    assert.equal(idx.samples.filter((s) => s.label === 1).length, 50);
  });

  test("magnetic_tile: 100 train, 40 good, 5 x 30 defects with masks", async () => {
    const idx = await scanDataset(join(REAL, "magnetic_tile"));
    assert.deepEqual(countSamples(idx), {
      train: { good: 100 },
      validation: {},
      test: { blowhole: 30, break: 30, crack: 30, fray: 30, good: 40, uneven: 30 },
    });
    assert.ok(idx.samples.every((s) => (s.label === 1) === (s.maskPath !== undefined)));
  });
});
