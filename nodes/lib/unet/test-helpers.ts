/** Shared by the gradient and native-kernel tests: seeded inputs and a relative error. */
import { createRng } from "../../sdk/rng.ts";

/** Seeded standard-normal values for a tensor of `shape`. */
export function randn(shape: number[], seed: number): Float32Array {
  const rng = createRng(seed);
  const a = new Float32Array(shape.reduce((p, q) => p * q, 1));
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  return a;
}

/** max |a - b| / max |b|: the error of `a` relative to the reference `b`. */
export function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}
