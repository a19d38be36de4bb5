/**
 * Result type for evaluation metrics. A metric that is undefined for the data (one class only,
 * no defect pixels, no OK pixels) carries `value: null` and a reason instead of a misleading
 * 0 or 0.5.
 */

/** A metric value, or null with the reason it is undefined. */
export type MetricValue =
  | { readonly value: number; readonly reason?: undefined }
  | { readonly value: null; readonly reason: string };

/** Wraps a defined value. */
export function defined(value: number): MetricValue {
  return { value };
}

/** Builds an undefined metric with its reason. */
export function undefinedMetric(reason: string): MetricValue {
  return { value: null, reason };
}

/**
 * How a float mask in [0,1] becomes foreground/background for a pixel metric.
 * - `uint8-cast`: foreground iff uint8(mask) is 1, i.e. mask == 1.0 (reference pixel AUROC/AP:
 *   fractional border pixels of a bilinearly resized mask count as background).
 * - `nonzero`: foreground iff mask > 0 (reference AU-PRO).
 * - `above`: foreground iff mask > threshold (our protocol uses 0.5).
 */
export type MaskRule =
  | { readonly kind: "uint8-cast" }
  | { readonly kind: "nonzero" }
  | { readonly kind: "above"; readonly threshold: number };

/** Our default protocol: a resized mask pixel is a defect when it is more than half covered. */
export const DEFAULT_MASK_RULE: MaskRule = { kind: "above", threshold: 0.5 };

/** The mask rules of the authors' evaluation code (EDGREC.md §7). */
export const REFERENCE_MASK_RULES = {
  pixelAuroc: { kind: "uint8-cast" },
  pixelAp: { kind: "uint8-cast" },
  auPro: { kind: "nonzero" },
} as const satisfies Record<string, MaskRule>;

/** Human-readable form of a mask rule, stored with every pixel metric. */
export function describeMaskRule(rule: MaskRule): string {
  switch (rule.kind) {
    case "uint8-cast":
      return "mask == 1 (uint8 cast)";
    case "nonzero":
      return "mask > 0";
    case "above":
      return `mask > ${rule.threshold}`;
  }
}

/** Returns a predicate deciding foreground for one mask value. */
export function maskPredicate(rule: MaskRule): (v: number) => boolean {
  switch (rule.kind) {
    case "uint8-cast":
      return (v) => v >= 1;
    case "nonzero":
      return (v) => v !== 0;
    case "above": {
      const t = rule.threshold;
      if (!Number.isFinite(t))
        throw new Error(`mask rule: threshold must be a finite number (got ${t})`);
      return (v) => v > t;
    }
  }
}
