/**
 * Sorting float32 scores for rank metrics. Hand-written because the workspace re-sorts
 * millions of pixel scores on every slider move: an LSD radix sort on the IEEE-754 bit
 * patterns takes two linear passes (16-bit digits) and carries a 32-bit payload, so no index
 * permutation and no random gather is needed afterwards.
 */

/**
 * Maps float32 bit patterns to unsigned keys whose integer order is the float order:
 * positives get the sign bit set, negatives are bit-inverted. −0 is folded into +0 first.
 * @param bits the float32 values viewed as Uint32 (`new Uint32Array(f32.buffer)`).
 * @param out where to write the keys (may be `bits` itself).
 */
export function floatKeys(bits: Uint32Array, out: Uint32Array = bits): Uint32Array {
  for (let i = 0; i < bits.length; i++) {
    let b = bits[i];
    if (b === 0x80000000) b = 0; // −0 → +0
    out[i] = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
  }
  return out;
}

/** Inverse of `floatKeys` for one key: the float32 bit pattern. */
export function keyToBits(key: number): number {
  return key & 0x80000000 ? (key & 0x7fffffff) >>> 0 : ~key >>> 0;
}

/** Scratch buffers reused across sorts of the same length (saves 4n words of allocation). */
export interface RadixScratch {
  keys: Uint32Array;
  payload: Uint32Array;
}

/**
 * Sorts `keys` ascending in place (stable), moving `payload` along.
 * @param keys unsigned 32-bit keys (see floatKeys); @param payload same length.
 * @param scratch optional buffers of at least the same length.
 */
export function radixSortPairs(
  keys: Uint32Array,
  payload: Uint32Array,
  scratch?: RadixScratch,
): void {
  const n = keys.length;
  if (payload.length !== n) {
    throw new Error(`radixSortPairs: ${n} keys but ${payload.length} payload values`);
  }
  const tk = scratch && scratch.keys.length >= n ? scratch.keys : new Uint32Array(n);
  const tp = scratch && scratch.payload.length >= n ? scratch.payload : new Uint32Array(n);
  const lo = new Uint32Array(65536);
  const hi = new Uint32Array(65536);
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    lo[k & 0xffff]++;
    hi[k >>> 16]++;
  }
  prefix(lo);
  prefix(hi);
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    const o = lo[k & 0xffff]++;
    tk[o] = k;
    tp[o] = payload[i];
  }
  for (let i = 0; i < n; i++) {
    const k = tk[i];
    const o = hi[k >>> 16]++;
    keys[o] = k;
    payload[o] = tp[i];
  }
}

/** Exclusive prefix sum in place. */
function prefix(c: Uint32Array): void {
  let s = 0;
  for (let i = 0; i < c.length; i++) {
    const v = c[i];
    c[i] = s;
    s += v;
  }
}
