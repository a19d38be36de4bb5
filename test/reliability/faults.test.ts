/**
 * Crashes: a real training run (child process) is killed with SIGKILL mid-training and
 * restarted with the same command and cache; it must resume from its last checkpoint and end
 * with exactly the weights and loss curve of an uninterrupted run. An inspection run killed
 * mid-way must leave a report.json that says exactly which images were done.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { DEMO, edgrec, GRAPHS, jsonLines, startEdgrec, tempDir, tinySets } from "./helpers.ts";

/**
 * 54 training images (6 held out), batch 2, 4 epochs = 108 steps at ~0.1 s/step. With a
 * moving average of the weights (as the CPU presets keep), so the checkpoint must carry it too.
 */
const TRAIN = tinySets({
  "data.maxTrain": 60,
  "train.epochs": 4,
  "train.ema": 0.9,
  "train.checkpointEvery": 5,
  "train.previewEvery": 1000,
});

function trainArgs(cache: string, out: string): string[] {
  return [
    "run",
    join(GRAPHS, "edgrec.json"),
    ...TRAIN,
    "--seed",
    "7",
    "--target",
    "train",
    "--cache",
    cache,
    "--out",
    out,
    "--json",
  ];
}

/** The trained model the engine persisted for node "train" under `cache`. */
function trainedModel(cache: string): { manifest: Record<string, unknown>; weights: Buffer } {
  const root = join(cache, "tasks", "edgrec.unet-train");
  const keys = readdirSync(root).filter((k) => existsSync(join(root, k, ".complete")));
  assert.equal(keys.length, 1, `one finished training in ${root}`);
  return {
    manifest: JSON.parse(readFileSync(join(root, keys[0], "manifest.json"), "utf8")),
    weights: readFileSync(join(root, keys[0], "weights.bin")),
  };
}

function progressSteps(lines: string[]): number[] {
  return lines
    .filter((l) => l.includes('"progress"'))
    .map((l) => JSON.parse(l) as { type: string; nodeId: string; step: number })
    .filter((e) => e.type === "progress" && e.nodeId === "train")
    .map((e) => e.step);
}

describe("crash and resume", () => {
  test("SIGKILL mid-training, restart: resumes from the checkpoint, same weights and loss curve", async () => {
    const dir = tempDir();
    const straightCache = join(dir, "straight");
    const crashCache = join(dir, "crash");

    const victim = startEdgrec(trainArgs(crashCache, join(dir, "out-crash")), dir);
    const straight = edgrec(trainArgs(straightCache, join(dir, "out-straight")), { cwd: dir });
    // Kill once a few checkpoints exist but well before the end (108 steps).
    const killedAt = await new Promise<number>((ok, fail) => {
      const timer = setInterval(() => {
        const steps = progressSteps(victim.lines);
        const last = steps.at(-1) ?? 0;
        if (last >= 23) {
          clearInterval(timer);
          victim.kill("SIGKILL");
          ok(last);
        }
      }, 20);
      victim.once("exit", () => {
        clearInterval(timer);
        fail(new Error(`training ended before it could be killed: ${victim.lines.slice(-3)}`));
      });
    });
    await new Promise((ok) => victim.once("close", ok));
    assert.equal(victim.signalCode, "SIGKILL");
    assert.ok(killedAt < 100, `killed at step ${killedAt}`);

    const resumed = await edgrec(trainArgs(crashCache, join(dir, "out-crash")), { cwd: dir });
    assert.equal(resumed.code, 0, resumed.err);
    const events = jsonLines(resumed.out);
    const warn = events.find(
      (e) => e.type === "log" && /resuming from checkpoint at step/.test(String(e.message)),
    ) as { message: string; level: string } | undefined;
    assert.ok(warn, "no 'resuming from checkpoint' event");
    assert.equal(warn.level, "warn");
    const from = Number(/step (\d+)/.exec(warn.message)![1]);
    assert.ok(from >= 20 && from <= killedAt && from % 5 === 0, `resumed at ${from}`);
    const steps = progressSteps(resumed.out.split("\n"));
    assert.equal(steps[0], from + 1, "the restarted run trained only what was left");

    const r = await straight;
    assert.equal(r.code, 0, r.err);
    const a = trainedModel(straightCache);
    const b = trainedModel(crashCache);
    assert.equal(b.manifest.steps, a.manifest.steps);
    assert.ok((a.manifest.steps as number) > killedAt);
    assert.deepEqual(b.manifest.lossCurve, a.manifest.lossCurve);
    assert.equal(a.manifest.emaDecay, 0.9);
    assert.ok(a.weights.equals(b.weights), "weights.bin differ");
  });

  test("SIGKILL mid-inspection: report.json on disk lists exactly the images done", async () => {
    const dir = tempDir();
    const model = join(dir, "out", "model");
    const trained = await edgrec(
      ["run", join(GRAPHS, "edgrec.json"), ...tinySets(), "--cache", "cache", "--out", "out"],
      { cwd: dir },
    );
    assert.equal(trained.code, 0, trained.err);
    const images = join(dir, "new");
    mkdirSync(images);
    const demo = readdirSync(join(DEMO, "test", "good")).slice(0, 6);
    for (let i = 0; i < 60; i++) {
      copyFileSync(
        join(DEMO, "test", "good", demo[i % demo.length]),
        join(images, `img${String(i).padStart(3, "0")}.png`),
      );
    }
    const args = [
      "run",
      join(GRAPHS, "edgrec-inspect.json"),
      "--set",
      `model.path=${model}`,
      "--set",
      `images.path=${images}`,
      "--set",
      "images.size=32",
      "--cache",
      "cache2",
      "--out",
      "out",
      "--json",
    ];
    const victim = startEdgrec(args, dir);
    const done = await new Promise<number>((ok, fail) => {
      const timer = setInterval(() => {
        const n = victim.lines
          .filter((l) => l.includes('"progress"'))
          .map((l) => JSON.parse(l) as { nodeId: string; step: number })
          .filter((e) => e.nodeId === "report")
          .at(-1)?.step;
        if (n !== undefined && n >= 15) {
          clearInterval(timer);
          victim.kill("SIGKILL");
          ok(n);
        }
      }, 5);
      victim.once("exit", () => {
        clearInterval(timer);
        fail(new Error("inspection ended before it could be killed"));
      });
    });
    await new Promise((ok) => victim.once("close", ok));
    assert.ok(done < 60, `killed after ${done} images`);
    const report = JSON.parse(readFileSync(join(dir, "out/inspection/report.json"), "utf8")) as {
      summary: { images: number; inspected: number; notReached: number };
      images: { id: string; status: string; decision?: string }[];
    };
    // The report is rewritten after every image, before its progress event: it holds at least
    // the images reported done, plus any finished between that event and the kill.
    assert.ok(
      report.images.length >= done && report.images.length < 60,
      `report lists ${report.images.length}, progress said ${done}`,
    );
    const n = report.images.length;
    assert.deepEqual(
      report.images.map((r) => r.id),
      Array.from({ length: n }, (_, i) => `img${String(i).padStart(3, "0")}`),
    );
    assert.ok(report.images.every((r) => r.status === "inspected" && r.decision));
    assert.equal(report.summary.images, 60);
    assert.equal(report.summary.inspected, n);
    assert.equal(report.summary.notReached, 60 - n);
    const csv = readFileSync(join(dir, "out/inspection/report.csv"), "utf8").trim().split("\n");
    assert.equal(csv.length, n + 1, "report.csv has the same rows");
  });
});
