/**
 * Child process for the data-parallel probe of bench/train.ts: warms up, prints READY, waits
 * for a line on stdin, then times training steps on its share of the batch and prints the ms.
 * (A process, not a worker_thread: Node 20 does not apply tsx's --import hooks inside workers.)
 */
import { initBackend } from "../nodes/lib/unet/backend.ts";
import { Trainer } from "../nodes/lib/unet/train.ts";
import { createRng } from "../nodes/sdk/rng.ts";

const [width, size, n, reps] = process.argv.slice(2).map(Number);
await initBackend("wasm");
const t = new Trainer({
  width,
  imageWidth: size,
  imageHeight: size,
  epochs: 1,
  stepsPerEpoch: 1,
  seed: 1,
});
const rng = createRng(n);
const b = {
  edge: Float32Array.from({ length: n * size * size }, () => rng.next()),
  target: Float32Array.from({ length: n * size * size * 3 }, () => rng.next()),
};
t.step(b);
process.stdout.write("READY\n");
process.stdin.once("data", () => {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) t.step(b);
  process.stdout.write(`MS ${(performance.now() - t0) / reps}\n`);
  process.exit(0);
});
