/**
 * Training loop of EDGREC.md §5: Adam (lr 1e-4, betas 0.9/0.999, eps 1e-8, no weight decay),
 * MultiStepLR (milestones 0.8·epochs and 0.9·epochs, γ 0.2, stepped per epoch), loss
 * L2 + SSIM. Exact-resume snapshots hold weights, BN running stats, Adam moments and the step.
 * Optionally (emaDecay > 0, not in the reference) keeps an exponential moving average of the
 * whole model state, for a model that does not depend on where training stopped.
 */
import * as tf from "@tensorflow/tfjs-core";
import { reconstructionLoss, ssimRange } from "./loss.ts";
import {
  applyStatUpdates,
  checkInputChannels,
  checkInputSize,
  cloneUNet,
  createUNet,
  disposeUNet,
  forward,
  getFlatState,
  type InputChannels,
  type StatUpdates,
  setFlatState,
  stateFloatCount,
  type UNet,
} from "./model.ts";

export interface TrainerOptions {
  /** U-Net base width C. */
  width: number;
  /** Training image size (multiples of 16). */
  imageWidth: number;
  imageHeight: number;
  /** Epoch count and steps per epoch drive the MultiStepLR schedule. */
  epochs: number;
  stepsPerEpoch: number;
  /** Seeds the weight initialisation. */
  seed: number;
  /** Base learning rate; default 1e-4. */
  lr?: number;
  /**
   * Channels of the input images: 1 (edge, or gray for DeAE; the default) or 3 (RGB, DeAE).
   * Batches' `edge` arrays then hold N·H·W·inputChannels floats.
   */
  inputChannels?: InputChannels;
  /**
   * Decay of an exponential moving average (EMA) of the model state, in [0, 1); 0 (the
   * default) keeps none. After every optimiser step each parameter and BatchNorm running
   * statistic s of the average moves towards the network's θ: s ← d·s + (1 − d)·θ, with the
   * warm-up d = min(emaDecay, (1 + t) / (10 + t)) at t steps taken (this one included), so the
   * random initialisation fades within the first steps. The average starts as a copy of the
   * initial network. It never feeds back into training: the trained weights, losses and Adam
   * state are the same with or without it.
   */
  emaDecay?: number;
}

export interface StepResult {
  loss: number;
  l2: number;
  ssim: number;
}

export interface TrainerSnapshot {
  width: number;
  /** Absent in snapshots written before 3-channel inputs existed: 1. */
  inputChannels?: InputChannels;
  step: number;
  /** Flat model state (parameters + running stats), see model.getFlatState. */
  state: Float32Array;
  /** Adam first and second moments, concatenated in trainable-variable order. */
  adamM: Float32Array;
  adamV: Float32Array;
  /**
   * The EMA of the model state (TrainerOptions.emaDecay), in the layout of `state`. Absent
   * when the trainer kept no EMA, and in snapshots written before it existed.
   */
  ema?: Float32Array;
}

/** Gradients of one share of a batch, computed by a partner process. */
export interface PartnerGradients {
  /** Flat, in trainable-variable order. */
  grads: Float32Array;
  l2: number;
  ssim: number;
  /** Images in the share. */
  count: number;
}

function batchSize(b: { edge: Float32Array }, o: Required<TrainerOptions>) {
  return b.edge.length / (o.imageWidth * o.imageHeight * o.inputChannels);
}

export const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

/** The EMA decay used after `t` optimiser steps (t >= 1): emaDecay with a warm-up. */
export function emaDecayAt(t: number, emaDecay: number): number {
  return Math.min(emaDecay, (1 + t) / (10 + t));
}

/**
 * Learning rate at a 0-based `epoch`, reproducing torch MultiStepLR with the reference's float
 * milestones [0.8·epochs, 0.9·epochs]: a milestone that is not a whole number never fires.
 */
export function learningRateAt(epoch: number, epochs: number, base = 1e-4): number {
  let lr = base;
  for (const m of [epochs * 0.8, epochs * 0.9]) if (Number.isInteger(m) && epoch >= m) lr *= 0.2;
  return lr;
}

export class Trainer {
  readonly model: UNet;
  readonly options: Required<TrainerOptions>;
  private m: tf.Variable[];
  private v: tf.Variable[];
  /** The EMA network (same layout as `model`, never trained directly) when emaDecay > 0. */
  private ema: UNet | undefined;
  private stepCount = 0;
  private finished = false;

  constructor(options: TrainerOptions) {
    checkInputSize(options.imageHeight, options.imageWidth);
    for (const k of ["epochs", "stepsPerEpoch"] as const) {
      if (!Number.isInteger(options[k]) || options[k] < 1) {
        throw new Error(`Trainer: ${k} must be a positive integer, got ${options[k]}`);
      }
    }
    const inputChannels = options.inputChannels ?? 1;
    checkInputChannels(inputChannels);
    const emaDecay = options.emaDecay ?? 0;
    if (!(emaDecay >= 0 && emaDecay < 1)) {
      throw new Error(
        `Trainer: emaDecay must be in [0, 1) (0 = no weight average, e.g. 0.999), got ${emaDecay}`,
      );
    }
    this.options = { lr: 1e-4, ...options, inputChannels, emaDecay };
    this.model = createUNet(options.width, options.seed, inputChannels);
    this.ema = emaDecay > 0 ? cloneUNet(this.model, "ema") : undefined;
    // In a tidy: tf.variable keeps the zeros tensor's data, the tidy frees the tensor itself.
    const zeros = () =>
      this.model.trainable.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    this.m = zeros();
    this.v = zeros();
  }

  /** True when the trainer keeps an EMA of the model state (emaDecay > 0). */
  get hasEma(): boolean {
    return this.ema !== undefined;
  }

  /** Optimiser steps taken so far. */
  get steps(): number {
    return this.stepCount;
  }

  /** Learning rate the next step will use. */
  currentLearningRate(): number {
    const epoch = Math.floor(this.stepCount / this.options.stepsPerEpoch);
    return learningRateAt(epoch, this.options.epochs, this.options.lr);
  }

  private batchTensors(edge: Float32Array, channels: number, what: string): tf.Tensor4D {
    const { imageWidth: w, imageHeight: h } = this.options;
    const per = w * h * channels;
    if (edge.length === 0 || edge.length % per !== 0) {
      throw new Error(
        `Trainer: ${what} has ${edge.length} floats, expected a multiple of ${per} ` +
          `(N x ${h} x ${w} x ${channels}, NHWC)`,
      );
    }
    return tf.tensor4d(edge, [edge.length / per, h, w, channels]);
  }

  /** Loss parts and gradients (kept tensors, trainable order) on a batch; BN stats applied if asked. */
  private lossAndGradients(
    batch: { edge: Float32Array; target: Float32Array },
    applyStats: boolean,
  ): { grads: tf.Tensor[]; l2: number; ssim: number } {
    return tf.tidy(() => {
      const x = this.batchTensors(batch.edge, this.options.inputChannels, "edge");
      const y = this.batchTensors(batch.target, 3, "target");
      if (x.shape[0] !== y.shape[0]) {
        throw new Error(
          `Trainer: edge batch ${x.shape[0]} != target batch ${y.shape[0]} (reading ` +
            `${this.options.inputChannels}-channel inputs and 3-channel targets)`,
        );
      }
      const stats: StatUpdates = [];
      let kept: tf.Scalar[] = [];
      const { grads } = tf.variableGrads(() => {
        const pred = forward(this.model, x, true, stats);
        const parts = reconstructionLoss(pred, y, ssimRange(pred));
        kept = [tf.keep(parts.l2), tf.keep(parts.ssim)];
        return parts.total;
      }, this.model.trainable);
      if (applyStats) applyStatUpdates(stats);
      for (const s of stats) {
        s.mean.dispose();
        s.variance.dispose();
      }
      const [l2, ssim] = kept;
      const values = tf.stack([l2, ssim]).dataSync();
      l2.dispose();
      ssim.dispose();
      return {
        grads: this.model.trainable.map((p) => tf.keep(grads[p.name])),
        l2: values[0],
        ssim: values[1],
      };
    });
  }

  /**
   * Gradients on a batch without updating anything, flat in trainable order: what a
   * data-parallel partner process contributes to a step (see parallel.ts).
   */
  computeGradients(batch: { edge: Float32Array; target: Float32Array }): {
    grads: Float32Array;
    l2: number;
    ssim: number;
  } {
    this.checkLive("computeGradients");
    const r = this.lossAndGradients(batch, false);
    const flat = new Float32Array(r.grads.reduce((n, g) => n + g.size, 0));
    let o = 0;
    for (const g of r.grads) {
      flat.set(g.dataSync() as Float32Array, o);
      o += g.size;
      g.dispose();
    }
    return { grads: flat, l2: r.l2, ssim: r.ssim };
  }

  /**
   * One optimiser step on a batch. `edge` is N·H·W·inputChannels (NHWC: the edge image, or the
   * corrupted image itself for DeAE), `target` N·H·W·3 RGB.
   * Returns the batch loss before the update.
   */
  step(batch: { edge: Float32Array; target: Float32Array }): StepResult {
    this.checkLive("step");
    return this.update(this.lossAndGradients(batch, true), batchSize(batch, this.options));
  }

  /**
   * A data-parallel step: computes this share's gradients while a partner process computes
   * its share's (`partner` resolves with them, see parallel.ts), then applies the average
   * weighted by share sizes. BatchNorm uses each share's own batch statistics, and the
   * running statistics follow this process's share.
   */
  async stepShared(
    batch: { edge: Float32Array; target: Float32Array },
    partner: Promise<PartnerGradients>,
  ): Promise<StepResult> {
    this.checkLive("stepShared");
    const own = this.lossAndGradients(batch, true);
    try {
      return this.update(own, batchSize(batch, this.options), await partner);
    } catch (err) {
      for (const g of own.grads) g.dispose();
      throw err;
    }
  }

  private update(
    own: { grads: tf.Tensor[]; l2: number; ssim: number },
    ownCount: number,
    partner?: PartnerGradients,
  ): StepResult {
    const lr = this.currentLearningRate();
    const t = this.stepCount + 1;
    const total = ownCount + (partner?.count ?? 0);
    const wOwn = ownCount / total;
    const wOther = 1 - wOwn;
    // PyTorch Adam: p -= (lr / bc1) · m / (sqrt(v) / sqrt(bc2) + eps).
    const bc1 = 1 - ADAM.beta1 ** t;
    const bc2 = Math.sqrt(1 - ADAM.beta2 ** t);
    let offset = 0;
    this.model.trainable.forEach((p, i) => {
      // One tidy per parameter: the temporaries of one tensor are freed before the next, so the
      // update's peak is a few copies of the largest parameter, not of all of them (width 128:
      // about 2 GiB less).
      const from = offset;
      offset += p.size;
      tf.tidy(() => {
        let g: tf.Tensor = own.grads[i];
        if (partner) {
          const other = tf.tensor(partner.grads.subarray(from, from + p.size), p.shape);
          g = tf.add(tf.mul(g, wOwn), tf.mul(other, wOther));
        }
        const m = tf.add(tf.mul(this.m[i], ADAM.beta1), tf.mul(g, 1 - ADAM.beta1));
        const v = tf.add(tf.mul(this.v[i], ADAM.beta2), tf.mul(tf.square(g), 1 - ADAM.beta2));
        const denom = tf.add(tf.div(tf.sqrt(v), bc2), ADAM.eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), lr / bc1)));
        this.m[i].assign(m);
        this.v[i].assign(v);
      });
      own.grads[i].dispose();
    });
    for (const g of own.grads) g.dispose();
    this.stepCount = t;
    this.updateEma();
    const l2 = partner ? wOwn * own.l2 + wOther * partner.l2 : own.l2;
    const ssim = partner ? wOwn * own.ssim + wOther * partner.ssim : own.ssim;
    return { loss: l2 + ssim, l2, ssim };
  }

  /**
   * Moves the EMA network towards the current state after a step (BN running stats
   * included): s ← d·s + (1 − d)·θ. One tidy per tensor, like the Adam update.
   */
  private updateEma(): void {
    if (!this.ema) return;
    const d = emaDecayAt(this.stepCount, this.options.emaDecay);
    const shadow = this.ema.state;
    this.model.state.forEach((p, i) => {
      tf.tidy(() => shadow[i].assign(tf.add(tf.mul(shadow[i], d), tf.mul(p, 1 - d))));
    });
  }

  private emaOrThrow(what: string): UNet {
    if (!this.ema) {
      throw new Error(
        `Trainer.${what}: this trainer keeps no weight average; construct it with emaDecay > 0`,
      );
    }
    return this.ema;
  }

  private checkLive(what: string): void {
    if (this.finished) {
      throw new Error(`Trainer.${what}: the trainer was finished (finish() hands its model out)`);
    }
  }

  /**
   * Forward pass on N inputs (N·H·W·inputChannels floats) → N·H·W·3 RGB, eval unless `train`.
   * `ema: true` runs the EMA network (the trainer must have emaDecay > 0) instead of the
   * trained one.
   */
  predict(edges: Float32Array, train = false, opts: { ema?: boolean } = {}): Float32Array {
    this.checkLive("predict");
    const net = opts.ema ? this.emaOrThrow("predict") : this.model;
    return tf.tidy(() => {
      const x = this.batchTensors(edges, this.options.inputChannels, "edges");
      return forward(net, x, train).dataSync() as Float32Array;
    });
  }

  /** The EMA network's state, in the layout of getFlatState(model) (requires emaDecay > 0). */
  emaFlatState(): Float32Array {
    this.checkLive("emaFlatState");
    return getFlatState(this.emaOrThrow("emaFlatState"));
  }

  /**
   * Ends training and hands out the network to keep: the EMA network when emaDecay > 0, else
   * the trained one. Frees everything else (the other network, Adam moments); the trainer
   * cannot be used afterwards. The caller owns the result (disposeUNet).
   */
  finish(): UNet {
    this.checkLive("finish");
    this.finished = true;
    for (const x of [...this.m, ...this.v]) x.dispose();
    if (!this.ema) return this.model;
    disposeUNet(this.model);
    return this.ema;
  }

  /** Everything needed to continue training bit-for-bit (copies, safe to keep). */
  stateSnapshot(): TrainerSnapshot {
    this.checkLive("stateSnapshot");
    const flat = (vs: tf.Variable[]) => {
      const out = new Float32Array(vs.reduce((n, x) => n + x.size, 0));
      let o = 0;
      for (const x of vs) {
        out.set(x.dataSync() as Float32Array, o);
        o += x.size;
      }
      return out;
    };
    return {
      width: this.model.width,
      inputChannels: this.model.inputChannels,
      step: this.stepCount,
      state: getFlatState(this.model),
      adamM: flat(this.m),
      adamV: flat(this.v),
      ...(this.ema ? { ema: getFlatState(this.ema) } : {}),
    };
  }

  /**
   * Restores a snapshot taken from a trainer of the same width and input channels. With
   * emaDecay > 0 the EMA comes from the snapshot, or when it has none (taken without EMA, or
   * before EMA existed) starts again as a copy of the restored network. A snapshot's EMA is
   * ignored by a trainer without one.
   */
  restore(s: TrainerSnapshot): void {
    this.checkLive("restore");
    if (s.width !== this.model.width) {
      throw new Error(
        `Trainer.restore: snapshot is width ${s.width}, trainer is ${this.model.width}`,
      );
    }
    const k = s.inputChannels ?? 1;
    if (k !== this.model.inputChannels) {
      throw new Error(
        `Trainer.restore: snapshot has ${k} input channel(s), trainer has ` +
          `${this.model.inputChannels}`,
      );
    }
    const floats = stateFloatCount(this.model.width, this.model.inputChannels);
    if (this.ema && s.ema && s.ema.length !== floats) {
      throw new Error(`Trainer.restore: ema has ${s.ema.length} floats, expected ${floats}`);
    }
    setFlatState(this.model, s.state);
    const fill = (vs: tf.Variable[], data: Float32Array, what: string) => {
      const need = vs.reduce((n, x) => n + x.size, 0);
      if (data.length !== need) {
        throw new Error(`Trainer.restore: ${what} has ${data.length} floats, expected ${need}`);
      }
      let o = 0;
      tf.tidy(() => {
        for (const x of vs) {
          x.assign(tf.tensor(data.subarray(o, o + x.size), x.shape));
          o += x.size;
        }
      });
    };
    fill(this.m, s.adamM, "adamM");
    fill(this.v, s.adamV, "adamV");
    if (this.ema) {
      if (s.ema) fill(this.ema.state, s.ema, "ema");
      else {
        const shadow = this.ema.state;
        for (let i = 0; i < shadow.length; i++) shadow[i].assign(this.model.state[i]);
      }
    }
    this.stepCount = s.step;
  }

  /** Frees every tensor the trainer holds (nothing after finish(): the caller owns the model). */
  dispose(): void {
    if (this.finished) return;
    this.finished = true;
    disposeUNet(this.model);
    if (this.ema) disposeUNet(this.ema);
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}
