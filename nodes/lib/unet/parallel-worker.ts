/**
 * The partner process of data-parallel training (see parallel.ts): holds a replica of the
 * network, and for each request loads the sender's weights, computes the gradients of its
 * share of the batch and sends them back. It never updates weights itself.
 */
import { initBackend } from "./backend.ts";
import { type InputChannels, setFlatState } from "./model.ts";
import { setNativeThreads } from "./native.ts";
import { Trainer } from "./train.ts";

type Request =
  | {
      kind: "init";
      backend: string;
      width: number;
      inputChannels: InputChannels;
      imageWidth: number;
      imageHeight: number;
    }
  | {
      kind: "gradients";
      id: number;
      state: Float32Array;
      edge: Float32Array;
      target: Float32Array;
    };

let trainer: Trainer | undefined;

const send = (m: unknown) => process.send?.(m);

process.on("message", async (m: Request) => {
  try {
    if (m.kind === "init") {
      await initBackend(m.backend as Parameters<typeof initBackend>[0]);
      setNativeThreads(1);
      trainer = new Trainer({
        width: m.width,
        inputChannels: m.inputChannels,
        imageWidth: m.imageWidth,
        imageHeight: m.imageHeight,
        epochs: 1,
        stepsPerEpoch: 1,
        seed: 0,
      });
      send({ kind: "ready" });
      return;
    }
    if (!trainer) throw new Error("gradients requested before init");
    // Acknowledge first: the sender starts its own share only once its message has left.
    send({ kind: "received", id: m.id });
    setFlatState(trainer.model, m.state);
    const r = trainer.computeGradients({ edge: m.edge, target: m.target });
    send({ kind: "gradients", id: m.id, ...r });
  } catch (err) {
    send({ kind: "error", message: (err as Error).message });
  }
});
process.on("disconnect", () => process.exit(0));
