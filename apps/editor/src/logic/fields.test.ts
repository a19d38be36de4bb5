import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { z } from "zod";
import { fieldsFromSchema, humanize, parseInput, validateValue } from "./fields.ts";

// The same conversion the runner's catalogue uses, so the test sees real schemas.
const toSchema = (s: z.ZodType) => z.toJSONSchema(s, { unrepresentable: "any", io: "input" });

const params = z.object({
  epochs: z.number().int().min(1).max(500).default(100),
  learningRate: z.number().positive().max(1).default(0.001),
  colorWeight: z.number().min(0).max(10).default(1).meta({ unit: "×" }),
  mode: z.enum(["reference", "corrected"]).default("reference"),
  flip: z.boolean().default(false),
  dataDir: z.string().min(1),
  structureWeight: z.number().min(0).max(10).default(1),
  size: z.number().int().min(16).max(1024).default(256).meta({ unit: "px", important: true }),
  label: z.string().max(5).optional(),
  seedOverride: z.number().int().nullable().default(null),
});

describe("fieldsFromSchema", () => {
  const fields = fieldsFromSchema(toSchema(params), { dataDir: "data" });
  const byName = Object.fromEntries(fields.map((f) => [f.name, f]));

  test("weights and fields marked important come first, others keep schema order", () => {
    assert.deepEqual(
      fields.map((f) => f.name),
      [
        "colorWeight",
        "structureWeight",
        "size",
        "epochs",
        "learningRate",
        "mode",
        "flip",
        "dataDir",
        "label",
        "seedOverride",
      ],
    );
  });

  test("numbers get ranges, steps, units and sliders", () => {
    assert.equal(byName.epochs.kind, "integer");
    assert.equal(byName.epochs.min, 1);
    assert.equal(byName.epochs.max, 500);
    assert.equal(byName.epochs.step, 1);
    assert.equal(byName.epochs.slider, true);
    assert.equal(byName.epochs.default, 100);
    assert.equal(byName.colorWeight.unit, "×");
    assert.equal(byName.colorWeight.step, 0.1);
    assert.equal(byName.size.unit, "px");
    assert.equal(byName.learningRate.exclusiveMin, true);
    assert.equal(byName.learningRate.min, 0);
    // An unbounded integer has only z.int()'s safe-integer bounds: no slider.
    assert.equal(byName.seedOverride.slider, false);
    assert.equal(byName.seedOverride.nullable, true);
  });

  test("enums become selects, booleans toggles, path params path inputs", () => {
    assert.equal(byName.mode.kind, "enum");
    assert.deepEqual(byName.mode.options, ["reference", "corrected"]);
    assert.equal(byName.flip.kind, "boolean");
    assert.equal(byName.dataDir.kind, "path");
    assert.equal(byName.dataDir.root, "data");
    assert.equal(byName.dataDir.required, true);
    assert.equal(byName.label.kind, "text");
    assert.equal(byName.label.required, false);
  });

  test("non-object schemas give no fields", () => {
    assert.deepEqual(fieldsFromSchema({}), []);
    assert.deepEqual(fieldsFromSchema(null), []);
  });

  test("humanize splits camel case and underscores", () => {
    assert.equal(humanize("colorWeight"), "Color weight");
    assert.equal(humanize("msgms_scales"), "Msgms scales");
  });
});

describe("validateValue and parseInput", () => {
  const fields = Object.fromEntries(
    fieldsFromSchema(toSchema(params), { dataDir: "data" }).map((f) => [f.name, f]),
  );

  test("range, type and integer errors name the field and the bound", () => {
    assert.equal(validateValue(fields.epochs, 0), "Epochs must be at least 1");
    assert.equal(validateValue(fields.epochs, 501), "Epochs must be at most 500");
    assert.equal(validateValue(fields.epochs, 2.5), "Epochs must be a whole number");
    assert.equal(validateValue(fields.size, 2000), "Size must be at most 1024 px");
    assert.equal(validateValue(fields.learningRate, 0), "Learning rate must be above 0");
    assert.equal(validateValue(fields.colorWeight, "1"), "Color weight must be a number");
    assert.equal(validateValue(fields.epochs, 10), null);
  });

  test("enums, booleans, strings", () => {
    assert.match(validateValue(fields.mode, "other") ?? "", /one of reference, corrected/);
    assert.equal(validateValue(fields.mode, "corrected"), null);
    assert.equal(validateValue(fields.flip, "yes"), "Flip must be on or off");
    assert.equal(validateValue(fields.dataDir, ""), "Data dir cannot be empty");
    assert.equal(validateValue(fields.dataDir, undefined), "Data dir is required");
    assert.equal(validateValue(fields.label, "toolong"), "Label allows at most 5 characters");
    assert.equal(validateValue(fields.seedOverride, null), null);
    assert.equal(validateValue(fields.epochs, null), "Epochs cannot be empty");
  });

  test("parseInput reads typed text, with comma decimals", () => {
    assert.deepEqual(parseInput(fields.colorWeight, "2,5"), { ok: true, value: 2.5 });
    assert.deepEqual(parseInput(fields.colorWeight, "abc"), {
      ok: false,
      error: "Color weight must be a number",
    });
    assert.deepEqual(parseInput(fields.colorWeight, "12"), {
      ok: false,
      error: "Color weight must be at most 10 ×",
    });
    assert.deepEqual(parseInput(fields.seedOverride, ""), { ok: true, value: null });
  });
});
