import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createRng } from "../../sdk/rng.ts";
import { argsortFloat64 } from "./argsort.ts";

describe("argsortFloat64", () => {
  test("orders mixed-sign values, infinities and ties like a stable comparator sort", () => {
    const rng = createRng(3);
    const values = Array.from({ length: 5000 }, () => {
      const r = rng.next();
      if (r < 0.1) return Math.round(rng.normal() * 4) / 4; // many ties
      if (r < 0.12) return rng.next() < 0.5 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
      return rng.normal() * 10 ** rng.int(-5, 6);
    });
    values.push(0, -0, 1e-310, -1e-310);
    const want = values.map((_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
    assert.deepEqual(Array.from(argsortFloat64(values)), want);
  });

  test("handles empty and constant inputs", () => {
    assert.equal(argsortFloat64([]).length, 0);
    assert.deepEqual(Array.from(argsortFloat64([2, 2, 2])), [0, 1, 2]);
  });

  test("rejects NaN with the offending index", () => {
    assert.throws(() => argsortFloat64([1, Number.NaN]), /value at index 1 is NaN/);
  });
});
