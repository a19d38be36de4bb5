import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeValue, encodeValue } from "./serialize.ts";

describe("cached value encoding", () => {
  test("round-trips JSON with typed arrays, including views into larger buffers", () => {
    const big = new Float32Array([9, 1.5, -2, 9]);
    const value = { a: big.subarray(1, 3), b: new Float64Array([Math.PI]), n: [0.1, 3], s: "x" };
    assert.deepEqual(decodeValue(encodeValue(value)), {
      a: new Float32Array([1.5, -2]),
      b: new Float64Array([Math.PI]),
      n: [0.1, 3],
      s: "x",
    });
  });

  test("a truncated buffer is refused, not padded with zeros", () => {
    const bytes = encodeValue({ w: new Float32Array(100) });
    assert.throws(() => decodeValue(bytes.subarray(0, bytes.length - 4)), /truncated/);
    assert.throws(() => decodeValue(bytes.subarray(0, 6)), /truncated/);
    assert.throws(() => decodeValue(bytes.subarray(0, 2)), /truncated/);
  });
});
