/**
 * Gradient functions for the kernels the U-Net and its loss use.
 *
 * Written here because the Node build of @tensorflow/tfjs-core (tf-core.node.js) ships no
 * gradient registrations at all (they live in the full @tensorflow/tfjs bundle, not installed),
 * and its ESM sources cannot be imported by Node directly. Each gradient is registered only
 * when none exists, so a later install of @tensorflow/tfjs keeps its own.
 */
import * as tf from "@tensorflow/tfjs-core";

type T = tf.Tensor;
type Attrs = tf.NamedAttrMap;
type Grads = Record<string, () => T>;

/** Sums a broadcast gradient back down to the input's shape. */
function unbroadcast(g: T, shape: number[]): T {
  const axes = tf.backend_util.getReductionAxes(shape, g.shape);
  const r = axes.length > 0 ? tf.sum(g, axes) : g;
  return tf.reshape(r, shape);
}

function run(kernel: string, inputs: tf.NamedTensorMap, attrs: object): T {
  return tf.engine().runKernel(kernel, inputs, attrs as Attrs) as T;
}

/** Gradient of a reduction: dy broadcast back over the reduced axes. */
function spread(dy: T, x: T, attrs: Attrs): T {
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
  const [reduced] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
  const kept = tf.backend_util.expandShapeToKeepDim(reduced, axes);
  // A broadcasting Add, not tf.broadcastTo: the wasm Tile kernel behind broadcastTo was
  // measured at ~40% of a whole training step.
  return tf.add(tf.zeros(x.shape), tf.reshape(dy, kept));
}

const configs: tf.GradConfig[] = [
  {
    kernelName: "Add",
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b]): Grads => ({
      a: () => unbroadcast(dy as T, a.shape),
      b: () => unbroadcast(dy as T, b.shape),
    }),
  },
  {
    kernelName: "Sub",
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b]): Grads => ({
      a: () => unbroadcast(dy as T, a.shape),
      b: () => unbroadcast(tf.neg(dy as T), b.shape),
    }),
  },
  {
    kernelName: "Multiply",
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b]): Grads => ({
      a: () => unbroadcast(tf.mul(dy as T, b), a.shape),
      b: () => unbroadcast(tf.mul(dy as T, a), b.shape),
    }),
  },
  {
    kernelName: "RealDiv",
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b]): Grads => ({
      a: () => unbroadcast(tf.div(dy as T, b), a.shape),
      b: () => unbroadcast(tf.neg(tf.div(tf.mul(dy as T, a), tf.square(b))), b.shape),
    }),
  },
  { kernelName: "Neg", gradFunc: (dy): Grads => ({ x: () => tf.neg(dy as T) }) },
  { kernelName: "Identity", gradFunc: (dy): Grads => ({ x: () => tf.clone(dy as T) }) },
  { kernelName: "Cast", gradFunc: (dy): Grads => ({ x: () => tf.clone(dy as T) }) },
  {
    kernelName: "Square",
    inputsToSave: ["x"],
    gradFunc: (dy, [x]): Grads => ({ x: () => tf.mul(dy as T, tf.mul(x, 2)) }),
  },
  {
    kernelName: "SquaredDifference",
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b]): Grads => {
      const twice = () => tf.mul(dy as T, tf.mul(tf.sub(a, b), 2));
      return {
        a: () => unbroadcast(twice(), a.shape),
        b: () => unbroadcast(tf.neg(twice()), b.shape),
      };
    },
  },
  {
    kernelName: "Sqrt",
    outputsToSave: [true],
    gradFunc: (dy, [y]): Grads => ({ x: () => tf.div(dy as T, tf.mul(y, 2)) }),
  },
  {
    kernelName: "Rsqrt",
    outputsToSave: [true],
    gradFunc: (dy, [y]): Grads => ({ x: () => tf.mul(dy as T, tf.mul(tf.pow(y, 3), -0.5)) }),
  },
  {
    kernelName: "Relu",
    inputsToSave: ["x"],
    gradFunc: (dy, [x]): Grads => ({ x: () => tf.mul(dy as T, tf.step(x)) }),
  },
  {
    kernelName: "Sum",
    inputsToSave: ["x"],
    gradFunc: (dy, [x], attrs): Grads => ({ x: () => spread(dy as T, x, attrs) }),
  },
  {
    kernelName: "Mean",
    inputsToSave: ["x"],
    gradFunc: (dy, [x], attrs): Grads => {
      const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
      const count = axes.reduce((p, a) => p * x.shape[a], 1);
      return { x: () => tf.div(spread(dy as T, x, attrs), count) };
    },
  },
  {
    kernelName: "Reshape",
    inputsToSave: ["x"],
    gradFunc: (dy, [x]): Grads => ({ x: () => tf.reshape(dy as T, x.shape) }),
  },
  {
    kernelName: "Transpose",
    gradFunc: (dy, _s, attrs): Grads => {
      const perm = attrs.perm as number[];
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(dy as T, inverse) };
    },
  },
  {
    kernelName: "PadV2",
    inputsToSave: ["x"],
    gradFunc: (dy, [x], attrs): Grads => {
      const pads = attrs.paddings as [number, number][];
      return {
        x: () =>
          tf.slice(
            dy as T,
            pads.map((p) => p[0]),
            x.shape,
          ),
      };
    },
  },
  {
    kernelName: "Slice",
    inputsToSave: ["x"],
    gradFunc: (dy, [x], attrs): Grads => {
      const [begin, size] = tf.slice_util.parseSliceParams(
        x,
        attrs.begin as number[],
        attrs.size as number[],
      );
      const pads = x.shape.map((n, i) => [begin[i], n - begin[i] - size[i]] as [number, number]);
      return { x: () => tf.pad(dy as T, pads) };
    },
  },
  {
    kernelName: "Concat",
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs): Grads => {
      const axis = tf.util.parseAxisParam(attrs.axis as number, saved[0].shape)[0];
      const sizes = saved.map((t) => t.shape[axis]);
      const parts = () => tf.split(dy as T, sizes, axis);
      const out: Grads = {};
      saved.forEach((_, i) => {
        out[i] = () => parts()[i];
      });
      return out;
    },
  },
  {
    kernelName: "SplitV",
    gradFunc: (dy, _s, attrs): Grads => ({
      x: () => tf.concat(dy as T[], attrs.axis as number),
    }),
  },
  {
    kernelName: "MaxPool",
    inputsToSave: ["x"],
    outputsToSave: [true],
    gradFunc: (dy, [x, y], attrs): Grads => ({
      x: () =>
        run(
          "MaxPoolGrad",
          { dy: dy as T, input: x, output: y },
          {
            filterSize: attrs.filterSize,
            strides: attrs.strides,
            pad: attrs.pad,
            dimRoundingMode: attrs.dimRoundingMode,
          },
        ),
    }),
  },
  {
    kernelName: "ResizeBilinear",
    inputsToSave: ["images"],
    gradFunc: (dy, [images], attrs): Grads => ({
      images: () => run("ResizeBilinearGrad", { images, dy: dy as T }, attrs),
    }),
  },
  {
    kernelName: "Conv2D",
    inputsToSave: ["x", "filter"],
    gradFunc: (dy, [x, filter], attrs): Grads => {
      const common = {
        strides: attrs.strides,
        pad: attrs.pad,
        dataFormat: attrs.dataFormat,
        dimRoundingMode: attrs.dimRoundingMode,
      };
      return {
        x: () =>
          run("Conv2DBackpropInput", { dy: dy as T, filter }, { ...common, inputShape: x.shape }),
        filter: () =>
          run("Conv2DBackpropFilter", { x, dy: dy as T }, { ...common, filterShape: filter.shape }),
      };
    },
  },
];

let registered = false;

/** Registers the gradients above where tfjs has none (idempotent). */
export function registerGradients(): void {
  if (registered) return;
  for (const c of configs) if (!tf.getGradient(c.kernelName)) tf.registerGradient(c);
  registered = true;
}
