/**
 * Bad images, masks and model folders: each is refused with a structured error naming the
 * file (or skipped and listed with onError "skip"), unusual but valid formats decode, and
 * nothing already on disk is modified.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { deflateSync } from "node:zlib";
import sharp from "sharp";
import type { Graph } from "../../apps/runner/src/graph/schema.ts";
import { createRuntime, type Runtime } from "../../apps/runner/src/runtime.ts";
import { initBackend } from "../../nodes/lib/unet/backend.ts";
import { saveModel } from "../../nodes/lib/unet/checkpoint.ts";
import { createUNet, getFlatState } from "../../nodes/lib/unet/model.ts";
import { computeMetrics } from "../../nodes/metrics.ts";
import type { FloatImage, ScoreMap } from "../../nodes/sdk/image.ts";
import type { SampleStream } from "../../nodes/sdk/node.ts";
import { DEMO, edgrec, GRAPHS, jsonLines, tempDir, treeHash } from "./helpers.ts";

const GOOD = join(DEMO, "train/good/000.png");

/** A PNG whose header claims w x h pixels (valid signature, IHDR and CRC; one tiny IDAT). */
function pngHeader(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  // hand-written CRC32: node:zlib has no crc32 in Node 20.0
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.alloc(16))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function datasetGraph(path: string, params: Record<string, unknown> = {}): Graph {
  return {
    format: "edgrec-graph",
    version: 2,
    name: "dataset-only",
    seed: 0,
    nodes: [{ id: "data", type: "edgrec.dataset", params: { path, size: 32, ...params } }],
    edges: [],
    layout: {},
  } as Graph;
}

/** An MVTec-layout folder with two good images and `bad` written into train/good. */
function mvtec(dir: string, bad: Record<string, Buffer>): string {
  const root = join(dir, "cat");
  for (const d of ["train/good", "test/good", "test/stain", "ground_truth/stain"]) {
    mkdirSync(join(root, d), { recursive: true });
  }
  copyFileSync(GOOD, join(root, "train/good/000.png"));
  copyFileSync(GOOD, join(root, "test/good/000.png"));
  copyFileSync(join(DEMO, "test/stain/000.png"), join(root, "test/stain/000.png"));
  copyFileSync(
    join(DEMO, "ground_truth/stain/000_mask.png"),
    join(root, "ground_truth/stain/000_mask.png"),
  );
  for (const [name, bytes] of Object.entries(bad))
    writeFileSync(join(root, "train/good", name), bytes);
  return root;
}

/** Pulls every sample of every port: errors surface here for lazily decoded files. */
async function pullAll(values: Map<string, Record<string, unknown>>): Promise<void> {
  for (const port of ["train", "test", "mask", "validation"]) {
    const s = values.get("data")?.[port] as SampleStream | undefined;
    for (let i = 0; i < (s?.length ?? 0); i++) await s!.get(i);
  }
}

describe("bad images", () => {
  let rt: Runtime;
  let dir: string;
  before(async () => {
    dir = tempDir();
    rt = await createRuntime({ cacheDir: join(dir, "cache"), dataRoots: [dir], outRoots: [dir] });
  });

  const full = readFileSync(GOOD);
  const CASES: {
    name: string;
    bytes: () => Buffer;
    reason: RegExp;
    params?: Record<string, unknown>;
    /** The file the error names, when not this one (a low limit refuses the first image). */
    names?: string;
  }[] = [
    { name: "zero.png", bytes: () => Buffer.alloc(0), reason: /empty \(0 bytes\)/ },
    {
      name: "trunc.png",
      bytes: () => full.subarray(0, full.length >> 1),
      reason: /truncated|corrupt|read error/i,
    },
    { name: "noise.png", bytes: () => Buffer.from("this is not an image at all"), reason: /./ },
    {
      name: "huge.png",
      bytes: () => pngHeader(100_000, 100_000),
      reason: /pixel limit|exceeds|pixels/i,
    },
    {
      name: "limit.png",
      bytes: () => full,
      reason: /pixel limit|exceeds|pixels/i,
      params: { pixelLimit: 1000 },
      names: "000.png",
    },
  ];

  for (const c of CASES) {
    test(`${c.name}: onError "stop" fails naming the file (E_IMAGE_UNREADABLE); "skip" lists it`, async () => {
      const root = mvtec(tempDir(), { [c.name]: c.bytes() });
      rt.paths.roots.data.push(root);
      const before = treeHash(root);
      const t0 = performance.now();
      const stop = await rt.engine.run({ graph: datasetGraph(root, c.params), outDir: dir });
      let err = stop.report.error;
      if (stop.report.ok) {
        // decoded lazily: the failure shows when the sample is pulled
        err = await pullAll(stop.values).then(
          () => undefined,
          (e) => ({ code: e.code, message: e.message, hint: e.hint, category: e.category }),
        );
      }
      assert.ok(err, "no error");
      assert.equal(err.code, "E_IMAGE_UNREADABLE", err.message);
      assert.ok(err.message.includes(c.names ?? c.name), err.message);
      assert.match(err.message, c.reason);
      assert.match(err.hint ?? "", /onError/);
      assert.ok(performance.now() - t0 < 5000, "refused quickly (no full decode of huge images)");

      const skip = await rt.engine.run({
        graph: datasetGraph(root, { ...c.params, onError: "skip" }),
        outDir: dir,
      });
      if (c.name === "limit.png") {
        // every image is over a 1000-pixel limit: nothing is left, which is its own error
        assert.equal(skip.report.error?.code, "E_DATASET_EMPTY");
      } else {
        assert.equal(skip.report.ok, true, skip.report.error?.message);
        const skipped = skip.report.results["data.skipped"] as { path: string; reason: string }[];
        assert.deepEqual(
          skipped.map((s) => s.path),
          [join(root, "train/good", c.name)],
        );
        assert.match(skipped[0].reason, c.reason);
        await pullAll(skip.values); // everything kept decodes
      }
      assert.deepEqual(treeHash(root), before, "the dataset was modified");
    });
  }

  test("16-bit PNG, gray, RGBA, BMP and TIFF decode to RGB in [0,1] at the working size", async () => {
    const raw = await sharp(GOOD).resize(48, 40).raw().toBuffer({ resolveWithObject: true });
    const px = { raw: { width: 48, height: 40, channels: 3 as const } };
    const files: Record<string, Buffer> = {
      "a16.png": await sharp(raw.data, px).png().toColourspace("rgb16").toBuffer(),
      "gray.png": await sharp(raw.data, px).toColourspace("b-w").png().toBuffer(),
      "gray16.png": await sharp(raw.data, px).toColourspace("grey16").png().toBuffer(),
      "rgba.png": await sharp(raw.data, px).ensureAlpha(0.5).png().toBuffer(),
      "b.tif": await sharp(raw.data, px).tiff({ compression: "lzw" }).toBuffer(),
      "c.jpg": await sharp(raw.data, px).jpeg().toBuffer(),
    };
    // 24-bit BMP written by hand: sharp cannot encode BMP
    const row = Math.ceil((48 * 3) / 4) * 4;
    const bmp = Buffer.alloc(54 + row * 40);
    bmp.write("BM", 0, "ascii");
    bmp.writeUInt32LE(bmp.length, 2);
    bmp.writeUInt32LE(54, 10);
    bmp.writeUInt32LE(40, 14);
    bmp.writeInt32LE(48, 18);
    bmp.writeInt32LE(40, 22);
    bmp.writeUInt16LE(1, 26);
    bmp.writeUInt16LE(24, 28);
    for (let y = 0; y < 40; y++) {
      for (let x = 0; x < 48; x++) {
        const s = ((39 - y) * 48 + x) * 3;
        const d = 54 + y * row + x * 3;
        bmp[d] = raw.data[s + 2];
        bmp[d + 1] = raw.data[s + 1];
        bmp[d + 2] = raw.data[s];
      }
    }
    files["d.bmp"] = bmp;
    const root = join(tempDir(), "folders");
    mkdirSync(join(root, "train/good"), { recursive: true });
    mkdirSync(join(root, "test/good"), { recursive: true });
    for (const [n, b] of Object.entries(files)) writeFileSync(join(root, "train/good", n), b);
    copyFileSync(GOOD, join(root, "test/good/000.png"));
    rt.paths.roots.data.push(root);
    const { report, values } = await rt.engine.run({ graph: datasetGraph(root), outDir: dir });
    assert.equal(report.ok, true, report.error?.message);
    const train = values.get("data")!.train as SampleStream<FloatImage>;
    assert.equal(train.length, Object.keys(files).length);
    const means: number[] = [];
    for (let i = 0; i < train.length; i++) {
      const img = await train.get(i);
      assert.deepEqual([img.width, img.height, img.channels], [32, 32, 3], train.info(i).id);
      let sum = 0;
      for (const v of img.data) {
        assert.ok(v >= 0 && v <= 1, `${train.info(i).id}: ${v}`);
        sum += v;
      }
      means.push(sum / img.data.length);
    }
    // all are the same picture: their mean brightness agrees (gray and JPEG within a few %)
    for (const m of means) assert.ok(Math.abs(m - means[0]) < 0.05, means.join(", "));
  });

  test("a mask of another size than its image is resized to the working size", async () => {
    const root = mvtec(tempDir(), {});
    // replace the 256-px mask by a 40x24 one (other size and aspect)
    await sharp({ create: { width: 40, height: 24, channels: 3, background: "#fff" } })
      .toColourspace("b-w")
      .png()
      .toFile(join(root, "ground_truth/stain/000_mask.png"));
    rt.paths.roots.data.push(root);
    const { report, values } = await rt.engine.run({ graph: datasetGraph(root), outDir: dir });
    assert.equal(report.ok, true);
    const masks = values.get("data")!.mask as SampleStream<FloatImage>;
    const stain = [...Array(masks.length).keys()].find((i) => masks.info(i).defect === "stain")!;
    const m = await masks.get(stain);
    assert.deepEqual([m.width, m.height, m.channels], [32, 32, 1]);
    assert.ok(
      m.data.every((v) => Math.abs(v - 1) < 1e-6),
      "an all-white mask stays all 1",
    );
  });

  test("metrics refuse a map and a mask of different sizes, naming both sizes", () => {
    const map: ScoreMap = { width: 32, height: 32, data: new Float64Array(32 * 32) };
    const mask: FloatImage = { width: 16, height: 16, channels: 1, data: new Float32Array(256) };
    mask.data[3] = 1;
    assert.throws(
      () =>
        computeMetrics({ scores: [1], labels: [1], method: "max" } as never, [map], [mask], {
          protocol: "official",
          fprLimit: 0.3,
          alsoReferenceAuPro: false,
        } as never),
      (e: Error) => /32x32/.test(e.message) && /16x16/.test(e.message),
    );
  });
});

describe("bad model folders through the CLI", () => {
  let dir: string;
  let good: string;
  before(async () => {
    dir = tempDir();
    await initBackend("cpu");
    good = join(dir, "good");
    const model = createUNet(4, 1);
    await saveModel(good, model, getFlatState(model), {
      inputSize: { width: 32, height: 32 },
      preset: "tiny",
      steps: 1,
      lossCurve: [1],
      seed: 1,
      dataFingerprint: "x",
      graphFingerprint: "y",
    });
    writeFileSync(join(good, "threshold.json"), '{"value":0.5,"source":"test"}');
    mkdirSync(join(dir, "imgs"));
    copyFileSync(GOOD, join(dir, "imgs/a.png"));
  });

  function variant(name: string, edit: (d: string) => void): string {
    const d = join(dir, name);
    mkdirSync(d);
    for (const f of ["manifest.json", "weights.bin", "threshold.json"]) {
      copyFileSync(join(good, f), join(d, f));
    }
    edit(d);
    return d;
  }

  const CASES: {
    name: string;
    edit: (d: string) => void;
    size?: number;
    pattern: RegExp;
    code: string;
  }[] = [
    {
      name: "truncated",
      edit: (d) => {
        const w = readFileSync(join(d, "weights.bin"));
        writeFileSync(join(d, "weights.bin"), w.subarray(0, 1000));
      },
      pattern: /weights\.bin has 1000 bytes.*truncated/,
      code: "E_MODEL_UNREADABLE",
    },
    {
      name: "other-arch",
      edit: (d) => {
        const m = JSON.parse(readFileSync(join(d, "manifest.json"), "utf8"));
        m.architecture = "resnet18";
        writeFileSync(join(d, "manifest.json"), JSON.stringify(m));
      },
      pattern: /manifest\.json is not an edgrec-unet manifest: architecture/,
      code: "E_MODEL_UNREADABLE",
    },
    {
      name: "other-width",
      edit: (d) => {
        const m = JSON.parse(readFileSync(join(d, "manifest.json"), "utf8"));
        m.width = 8;
        writeFileSync(join(d, "manifest.json"), JSON.stringify(m));
      },
      pattern: /says width 8 but weightFloats/,
      code: "E_MODEL_UNREADABLE",
    },
    {
      name: "other-size",
      edit: () => {},
      size: 64,
      pattern: /trained on 32x32 images but got 64x64/,
      code: "E_NOT_INSPECTED",
    },
  ];

  for (const c of CASES) {
    test(`${c.name} model: exit 4 with ${c.code}, the model folder untouched`, async () => {
      const d = variant(c.name, c.edit);
      const before = treeHash(d);
      const r = await edgrec(
        [
          "run",
          join(GRAPHS, "edgrec-inspect.json"),
          "--set",
          `model.path=${d}`,
          "--set",
          `images.path=${join(dir, "imgs")}`,
          "--set",
          `images.size=${c.size ?? 32}`,
          "--out",
          join(dir, `out-${c.name}`),
          "--cache",
          join(dir, "cache"),
          "--json",
        ],
        { cwd: dir },
      );
      assert.equal(r.code, 4, r.err);
      const fin = jsonLines(r.out).find((e) => e.type === "run-finished") as {
        report: { error: { code: string; message: string; hint?: string } };
      };
      assert.equal(fin.report.error.code, c.code);
      assert.match(fin.report.error.message, c.pattern);
      assert.ok((fin.report.error.hint ?? "").length > 0);
      assert.deepEqual(treeHash(d), before);
    });
  }
});
