/**
 * Calibration probe for nodes/lib/unet/memory.ts: one training configuration per process
 * (tf.profile peak bytes are per-process and the wasm heap never shrinks).
 * Usage: node --import tsx bench/_mem_probe.ts WIDTH BATCH SIZE  -> one JSON line.
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../nodes/lib/unet/backend.ts";
import { estimateTrainingBytes } from "../nodes/lib/unet/memory.ts";
import { Trainer } from "../nodes/lib/unet/train.ts";

const [width, batch, size] = process.argv.slice(2).map(Number);
await initBackend("wasm");
const rss0 = process.memoryUsage().rss;
const t = new Trainer({
  width,
  imageWidth: size,
  imageHeight: size,
  epochs: 10,
  stepsPerEpoch: 10,
  seed: 1,
});
const edge = new Float32Array(batch * size * size).map((_, i) => (i % 7) / 7);
const target = new Float32Array(batch * size * size * 3).map((_, i) => (i % 5) / 5);
t.step({ edge, target });
const p = await tf.profile(() => {
  t.step({ edge, target });
});
t.step({ edge, target });
const est = estimateTrainingBytes({ width, batchSize: batch, imageSize: size });
process.stdout.write(
  `${JSON.stringify({
    width,
    batch,
    size,
    peakBytes: p.peakBytes,
    estimatedBytes: est.bytes - est.baselineBytes,
    rssDelta: process.memoryUsage().rss - rss0,
    rss: process.memoryUsage().rss,
  })}\n`,
);
