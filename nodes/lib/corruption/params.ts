/**
 * Parameters of the pseudo-anomaly pipeline (EDGREC.md §1.2 step 2, §2). Every field
 * defaults to the reference value, so `corruptionParamsSchema.parse({})` is the authors'
 * setting.
 */
import { z } from "zod";
import { augmentParamsSchema } from "./augment.ts";

const ordered = ([a, b]: readonly [number, number]) => a <= b;
const orderedMsg = { message: "range must be [lo, hi] with lo <= hi" };

const range = (lo: number, hi: number, min: number, max: number, what: string) =>
  z
    .tuple([z.number().min(min).max(max), z.number().min(min).max(max)])
    .refine(ordered, orderedMsg)
    .default([lo, hi])
    .describe(what);

const intRange = (lo: number, hi: number, min: number, max: number, what: string) =>
  z
    .tuple([z.number().int().min(min).max(max), z.number().int().min(min).max(max)])
    .refine(ordered, orderedMsg)
    .default([lo, hi])
    .describe(what);

const probability = (p: number, what: string) => z.number().min(0).max(1).default(p).describe(what);

export const corruptionParamsSchema = z.object({
  branches: z
    .object({
      texture: z
        .boolean()
        .default(true)
        .describe("Enable the texture (DTD/procedural) + Perlin-mask branch"),
      cutpaste: z.boolean().default(true).describe("Enable the CutPaste branch"),
    })
    .prefault({})
    .describe(
      "Which pseudo-anomaly branches exist; disable one for the 'texture only' / 'CutPaste only' ablations, both for 'none'",
    ),
  cutpasteProbability: probability(
    0.5,
    "Probability of choosing the CutPaste branch when both branches are enabled (reference 0.5)",
  ),
  cleanProbability: probability(
    0.5,
    "Probability, inside either branch, of leaving the sample clean (zero mask); reference 0.5",
  ),
  perlinExponentRange: intRange(
    0,
    5,
    0,
    10,
    "Perlin lattice exponents e (inclusive integers); lattice cells per axis = 2^e, drawn per axis",
  ),
  perlinThreshold: z
    .number()
    .min(-1.5)
    .max(1.5)
    .default(0.5)
    .describe("Mask = rotated Perlin noise > threshold (noise lies roughly in [-1, 1])"),
  noiseRotationRange: range(
    -90,
    90,
    -360,
    360,
    "Rotation of the Perlin noise map, degrees U(lo, hi)",
  ),
  betaRange: range(
    0,
    0.8,
    0,
    1,
    "Blend factor β = U(lo, hi): anomalous pixels = (1 − β)·texture + β·image (reference 0.8·U(0, 1))",
  ),
  cutpaste: z
    .object({
      sizeRange: range(
        0.8,
        0.9,
        0.01,
        1,
        "Patch side length as a fraction of the image side, [lo, hi)",
      ),
      angleRange: intRange(-6, 6, -360, 360, "Integer rotation angle drawn from [lo, hi)"),
      angleUnit: z
        .enum(["reference-radians", "degrees"])
        .default("reference-radians")
        .describe(
          "How the integer angle is read: the reference passes it to cos/sin as radians; 'degrees' gives small rotations",
        ),
    })
    .prefault({})
    .describe("CutPaste branch settings"),
  rotation: z
    .object({
      probability: probability(0.3, "Probability of rotating the clean image before corruption"),
      range: range(
        -90,
        90,
        -360,
        360,
        "Rotation angle in degrees U(lo, hi), about the centre, fill 0",
      ),
    })
    .prefault({})
    .describe("Training rotation augmentation; the rotated image is also the clean target"),
  textureAugment: z
    .object({
      pool: z
        .enum(["dtd", "no-dtd"])
        .default("dtd")
        .describe(
          "'dtd': the ten reference augmenters; 'no-dtd': plus hue shift and channel dropout (12)",
        ),
      count: z
        .number()
        .int()
        .min(0)
        .max(12)
        .default(3)
        .describe("Distinct augmenters applied per texture"),
      params: augmentParamsSchema.prefault({}).describe("Ranges of each texture augmenter"),
    })
    .prefault({})
    .describe("Augmentation of the anomaly texture"),
});

/** Fully resolved parameters (every default filled in). */
export type CorruptionParams = z.infer<typeof corruptionParamsSchema>;
/** What callers may pass: any subset, defaults fill the rest. */
export type CorruptionParamsInput = z.input<typeof corruptionParamsSchema>;
