/**
 * Data-parallel training over two processes. The wasm backend runs one thread in Node.js, and
 * worker_threads cannot load tsx-compiled modules on Node 20, so the second core is used by a
 * child process holding a replica of the network. Each step, this process sends its current
 * weights and half of the batch, waits until the message has left, computes its own half,
 * and averages the two gradients (Trainer.stepShared). Measured gain: see docs/results.md.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { getFlatState } from "./model.ts";
import { defaultNativeThreads, setNativeThreads } from "./native.ts";
import type { PartnerGradients, Trainer } from "./train.ts";

type Reply =
  | { kind: "ready" }
  | { kind: "received"; id: number }
  | { kind: "gradients"; id: number; grads: Float32Array; l2: number; ssim: number }
  | { kind: "error"; message: string };

export class GradientPartner {
  private nextId = 0;
  private waiters = new Map<string, { ok: (r: Reply) => void; fail: (e: Error) => void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on("message", (r: Reply) => {
      const key = r.kind === "error" ? "*" : r.kind === "ready" ? "ready" : `${r.kind}:${r.id}`;
      if (r.kind === "error") {
        for (const w of this.waiters.values()) w.fail(new Error(`training partner: ${r.message}`));
        this.waiters.clear();
        return;
      }
      this.waiters.get(key)?.ok(r);
      this.waiters.delete(key);
    });
    const failAll = (why: string) => {
      for (const w of this.waiters.values()) w.fail(new Error(`training partner ${why}`));
      this.waiters.clear();
    };
    child.on("exit", (code) => failAll(`exited (${code})`));
    child.on("error", (err) => failAll(`failed: ${err.message}`));
  }

  private wait(key: string): Promise<Reply> {
    return new Promise((ok, fail) => this.waiters.set(key, { ok, fail }));
  }

  /** Starts the partner process with a replica of `trainer`'s network (width, input channels). */
  static async start(trainer: Trainer, backend: string): Promise<GradientPartner> {
    const child = fork(fileURLToPath(new URL("./parallel-worker.ts", import.meta.url)), [], {
      // Resolved here, not by name: the child may start in any working folder.
      execArgv: ["--import", import.meta.resolve("tsx")],
      serialization: "advanced",
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    const partner = new GradientPartner(child);
    // One core each: native kernels in both processes run one BLAS thread.
    setNativeThreads(1);
    const ready = partner.wait("ready");
    const { width, inputChannels } = trainer.model;
    const { imageWidth, imageHeight } = trainer.options;
    child.send({ kind: "init", backend, width, inputChannels, imageWidth, imageHeight });
    await ready;
    return partner;
  }

  /**
   * Sends the trainer's weights and a share of the batch. Resolves once the message has been
   * received (so the caller can start computing) with a promise of the partner's gradients.
   */
  async submit(
    trainer: Trainer,
    share: { edge: Float32Array; target: Float32Array },
    count: number,
  ): Promise<{ result: Promise<PartnerGradients> }> {
    if (!this.child.connected) {
      throw new Error(
        "training partner is not running; train with processes = 1 or restart the run",
      );
    }
    const id = this.nextId++;
    const received = this.wait(`received:${id}`);
    const result = this.wait(`gradients:${id}`).then((r) => {
      const g = r as Extract<Reply, { kind: "gradients" }>;
      return { grads: g.grads, l2: g.l2, ssim: g.ssim, count };
    });
    result.catch(() => {});
    this.child.send({ kind: "gradients", id, state: getFlatState(trainer.model), ...share });
    await received;
    return { result };
  }

  close(): void {
    setNativeThreads(defaultNativeThreads());
    if (this.child.connected) this.child.disconnect();
    this.child.kill();
  }
}

/** Splits a batch (N images) into two shares: the first ceil(N/2) and the rest. */
export function splitBatch(
  batch: { edge: Float32Array; target: Float32Array },
  n: number,
): [
  { edge: Float32Array; target: Float32Array; count: number },
  { edge: Float32Array; target: Float32Array; count: number },
] {
  const a = Math.ceil(n / 2);
  const e = batch.edge.length / n;
  const t = batch.target.length / n;
  return [
    { edge: batch.edge.subarray(0, a * e), target: batch.target.subarray(0, a * t), count: a },
    { edge: batch.edge.slice(a * e), target: batch.target.slice(a * t), count: n - a },
  ];
}
