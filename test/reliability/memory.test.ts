/** Predicted out-of-memory through the real CLI: refused before the first training step. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { edgrec, GRAPHS, jsonLines, tempDir, tinySets } from "./helpers.ts";

/** The run's events and its E_OUT_OF_MEMORY error, after checking it exited 4 with that code. */
function refusedForMemory(r: { code: number | null; out: string; err: string }) {
  assert.equal(r.code, 4, r.err);
  const events = jsonLines(r.out);
  const fin = events.find((e) => e.type === "run-finished") as {
    report: { error: { code: string; message: string; hint: string } };
  };
  assert.equal(fin.report.error.code, "E_OUT_OF_MEMORY");
  return { events, error: fin.report.error };
}

describe("training memory pre-flight", () => {
  test("a cap below the estimate fails with exit 4, the estimate and what to change", async () => {
    const dir = tempDir();
    const args = ["run", join(GRAPHS, "edgrec.json"), ...tinySets(), "--target", "train"];
    const r = await edgrec([...args, "--json", "--cache", "c", "--out", "o"], {
      cwd: dir,
      env: { EDGREC_TRAIN_MEMORY_MB: "100" },
    });
    const { events, error } = refusedForMemory(r);
    assert.match(
      error.message,
      /node "train": width 4, batch 2 at 32x32 needs about \d+ MiB .* only 100 MiB is available/,
    );
    assert.match(error.hint, /preset/);
    assert.ok(!events.some((e) => e.type === "progress" && e.nodeId === "train"), "it trained");

    const bad = await edgrec([...args, "--json", "--cache", "c", "--out", "o"], {
      cwd: dir,
      env: { EDGREC_TRAIN_MEMORY_MB: "lots" },
    });
    assert.equal(bad.code, 4);
    assert.match(bad.out, /EDGREC_TRAIN_MEMORY_MB must be a positive number/);

    const ok = await edgrec([...args, "--cache", "c", "--out", "o"], {
      cwd: dir,
      env: { EDGREC_TRAIN_MEMORY_MB: "4096" },
    });
    assert.equal(ok.code, 0, ok.err);
  });

  test("the paper preset on the wasm backend is refused before any step: its heap is 4 GiB", async () => {
    const dir = tempDir();
    const r = await edgrec(
      [
        "run",
        join(GRAPHS, "edgrec.json"),
        ...tinySets({ "train.preset": "paper", "data.size": 256 }),
        "--target",
        "train",
        "--backend",
        "wasm",
        "--json",
        "--cache",
        "c",
        "--out",
        "o",
      ],
      { cwd: dir },
    );
    const { events, error } = refusedForMemory(r);
    assert.match(
      error.message,
      /width 128, 8 images per process at 256x256 need about [\d.]+ GiB .* WebAssembly backend's 4\.0 GiB heap/,
    );
    assert.match(error.hint, /processes 2.*--backend tensorflow/);
    assert.ok(!events.some((e) => e.type === "progress" && e.nodeId === "train"), "it trained");
  });
});
