import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { z } from "zod";
import { BUILTIN_NODES } from "../../../../nodes/index.ts";
import { buildCatalogue, NodeRegistry } from "../../../runner/src/registry.ts";
import {
  type FieldDescriptor,
  fieldsFromSchema,
  humanize,
  LOG_SLIDER_TICKS,
  parseInput,
  sliderPosition,
  sliderPositions,
  sliderValue,
  validateValue,
} from "./fields.ts";

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

/** The one field of a one-parameter schema. */
const field = (s: z.ZodType): FieldDescriptor => fieldsFromSchema(toSchema(z.object({ x: s })))[0];

/** Every slider position's value, left to right. */
const allValues = (f: FieldDescriptor) =>
  Array.from({ length: sliderPositions(f) + 1 }, (_, p) => sliderValue(f, p));

/** Significant digits of a number as JavaScript prints it (0.000105 -> 3, 94000 -> 2). */
const sigDigits = (v: number) =>
  v.toExponential().split("e")[0].replace(/[-.]/g, "").replace(/0+$/, "").length;

describe("slider scales", () => {
  // train.learningRate: 0 means "the preset's", useful rates are 1e-5..0.1.
  const lr = field(
    z.number().min(0).max(1).default(0).meta({ scale: "log", sliderMin: 1e-5, sliderMax: 0.1 }),
  );
  // train.epochs: 0 means "the preset's".
  const epochs = field(
    z.number().int().min(0).max(100000).default(0).meta({ scale: "log", sliderMin: 1 }),
  );

  test("log slider: 200 positions over log10(value), ends exact, decades evenly spaced", () => {
    assert.equal(lr.slider, true);
    assert.equal(lr.scale, "log");
    assert.equal(lr.sliderMin, 1e-5);
    assert.equal(lr.sliderMax, 0.1);
    // Validation still uses the schema's bounds, not the slider's.
    assert.equal(lr.min, 0);
    assert.equal(lr.max, 1);
    assert.equal(sliderPositions(lr), LOG_SLIDER_TICKS);
    assert.equal(sliderValue(lr, 0), 1e-5);
    assert.equal(sliderValue(lr, 50), 1e-4);
    assert.equal(sliderValue(lr, 100), 1e-3);
    assert.equal(sliderValue(lr, 150), 1e-2);
    assert.equal(sliderValue(lr, 200), 0.1);
    assert.deepEqual(sliderPosition(lr, 1e-3), { position: 100, inRange: true });
    // Out-of-range positions are clamped.
    assert.equal(sliderValue(lr, -3), 1e-5);
    assert.equal(sliderValue(lr, 999), 0.1);
  });

  test("log slider values are rounded to 2-3 significant digits and round-trip", () => {
    const values = allValues(lr);
    for (let p = 0; p < values.length; p++) {
      const v = values[p];
      assert.ok(v >= 1e-5 && v <= 0.1, `position ${p}: ${v}`);
      assert.ok(sigDigits(v) <= 3, `position ${p}: ${v} has too many digits`);
      if (p > 0) assert.ok(v > values[p - 1], `position ${p}: ${v} does not increase`);
      assert.deepEqual(sliderPosition(lr, v), { position: p, inRange: true });
      assert.equal(validateValue(lr, v), null);
    }
    assert.equal(sliderValue(lr, 1), 0.0000105);
    assert.equal(sliderValue(lr, 37), 0.000055);
  });

  test("integer log sliders give whole numbers that round-trip", () => {
    assert.equal(epochs.scale, "log");
    const values = allValues(epochs);
    assert.equal(values[0], 1);
    assert.equal(values.at(-1), 100000);
    for (let p = 0; p < values.length; p++) {
      const v = values[p];
      assert.ok(Number.isInteger(v), `position ${p}: ${v}`);
      if (p > 0) assert.ok(v >= values[p - 1]);
      // Low positions share values (1, 1, 1, 1, 2...): any of them maps back to the same value.
      assert.equal(sliderValue(epochs, sliderPosition(epochs, v).position), v);
      if (v >= 100) assert.ok(sigDigits(v) <= 3, `position ${p}: ${v}`);
    }
    assert.equal(sliderValue(epochs, 80), 100);
    assert.equal(sliderValue(epochs, 120), 1000);
  });

  test("a sentinel outside the slider range parks the slider and stays typeable", () => {
    assert.deepEqual(sliderPosition(lr, 0), { position: 0, inRange: false });
    assert.deepEqual(sliderPosition(lr, undefined), { position: 0, inRange: false });
    assert.deepEqual(sliderPosition(epochs, 0), { position: 0, inRange: false });
    // Above the slider range but within the schema's: parked at the right end.
    assert.deepEqual(sliderPosition(lr, 0.5), { position: 200, inRange: false });
    assert.deepEqual(parseInput(lr, "0"), { ok: true, value: 0 });
    assert.deepEqual(parseInput(lr, "0.5"), { ok: true, value: 0.5 });
    assert.deepEqual(parseInput(lr, "2e-7"), { ok: true, value: 2e-7 });
    assert.deepEqual(parseInput(epochs, "0"), { ok: true, value: 0 });
    assert.equal(validateValue(lr, 1.5), "X must be at most 1");
    assert.equal(validateValue(epochs, 2.5), "X must be a whole number");
  });

  test("ranges with a positive lower end and max/min >= 1000 get a log slider by themselves", () => {
    assert.equal(field(z.number().int().min(1).max(100000)).scale, "log");
    assert.equal(field(z.number().min(0.001).max(1)).scale, "log");
    assert.equal(field(z.number().min(0).max(1).meta({ sliderMin: 1e-4 })).scale, "log");
    assert.equal(field(z.number().int().min(1).max(500)).scale, "linear");
    assert.equal(field(z.number().min(0).max(100000)).scale, "linear");
    assert.equal(field(z.number().min(-1).max(1000)).scale, "linear");
    assert.equal(
      field(z.number().int().min(1).max(100000).meta({ scale: "linear" })).scale,
      "linear",
    );
    // log without a positive lower end cannot be: the slider stays linear.
    assert.equal(field(z.number().min(0).max(10).meta({ scale: "log" })).scale, "linear");
    // z.int()'s implicit safe-integer maximum is no range: no slider, log or otherwise.
    const open = field(z.number().int().min(1));
    assert.equal(open.slider, false);
    assert.equal(open.scale, undefined);
    // A wide log range still gets a slider where a linear one would be useless.
    const pixels = field(z.number().int().min(1).max(1e9));
    assert.equal(pixels.slider, true);
    assert.equal(pixels.scale, "log");
  });

  test("slider: false leaves the text box only, with validation as before", () => {
    const ema = field(
      z
        .number()
        .min(-1)
        .max(0.9999)
        .refine((v) => v === -1 || v >= 0)
        .default(-1)
        .meta({ slider: false }),
    );
    assert.equal(ema.slider, false);
    assert.equal(ema.min, -1);
    assert.equal(ema.max, 0.9999);
    assert.equal(validateValue(ema, 0.999), null);
    assert.equal(validateValue(ema, 1), "X must be at most 0.9999");
    assert.deepEqual(parseInput(ema, "-1"), { ok: true, value: -1 });
  });

  test("linear sliders: steps, sliderMax, sliderStep and exclusive bounds", () => {
    const w = field(z.number().min(0).max(10));
    assert.equal(w.scale, "linear");
    assert.equal(sliderPositions(w), 100);
    const values = allValues(w);
    values.forEach((v, p) => {
      assert.equal(v, p / 10, `no float noise at position ${p}`);
      assert.equal(sliderPosition(w, v).position, p);
    });
    const epoch = field(z.number().int().min(0).max(100000).meta({ sliderMax: 100 }));
    assert.deepEqual([epoch.sliderMin, epoch.sliderMax, sliderPositions(epoch)], [0, 100, 100]);
    assert.deepEqual(sliderPosition(epoch, 5000), { position: 100, inRange: false });
    const odd = field(
      z
        .number()
        .int()
        .min(1)
        .max(101)
        .refine((v) => v % 2 === 1)
        .meta({ sliderStep: 2 }),
    );
    assert.equal(odd.step, 2);
    assert.ok(allValues(odd).every((v) => v % 2 === 1));
    assert.equal(allValues(odd).length, 51);
    assert.equal(sliderPosition(odd, 21).position, 10);
    // positive(): the slider never offers the excluded 0.
    const pos = field(z.number().positive().max(1));
    assert.equal(sliderValue(pos, 0), 0.01);
    assert.equal(validateValue(pos, sliderValue(pos, 0)), null);
    // A slider range wider than the schema's bounds is ignored.
    const narrow = field(z.number().min(0).max(1).meta({ sliderMin: -5, sliderMax: 7 }));
    assert.deepEqual([narrow.sliderMin, narrow.sliderMax], [0, 1]);
  });
});

describe("sliders of the built-in nodes", () => {
  const registry = new NodeRegistry();
  for (const { def, file } of BUILTIN_NODES) registry.register(def, file);
  const nodes = buildCatalogue(registry).nodes;
  const fieldsOf = (type: string) => {
    const entry = nodes.find((n) => n.type === type);
    assert.ok(entry, type);
    return Object.fromEntries(fieldsFromSchema(entry.params, entry.paths).map((f) => [f.name, f]));
  };

  test("U-Net train: log sliders over the useful range, sentinels typed, no slider for ema", () => {
    const t = fieldsOf("edgrec.unet-train");
    assert.deepEqual(
      [t.learningRate.scale, t.learningRate.sliderMin, t.learningRate.sliderMax],
      ["log", 1e-5, 0.1],
    );
    assert.equal(validateValue(t.learningRate, 0), null);
    assert.deepEqual(sliderPosition(t.learningRate, 0), { position: 0, inRange: false });
    for (const name of ["epochs", "maxMinutes", "width", "batchSize"]) {
      assert.equal(t[name].scale, "log", name);
      assert.equal(t[name].sliderMin, 1, name);
      assert.equal(validateValue(t[name], 0), null, name);
    }
    assert.equal(t.maxMinutes.unit, "min");
    assert.equal(t.ema.slider, false);
    assert.equal(t.checkpointEvery.scale, "log");
  });

  test("no built-in slider is too coarse: linear ones have at most 1000 positions", () => {
    for (const n of nodes) {
      for (const f of fieldsFromSchema(n.params, n.paths)) {
        if (!f.slider) continue;
        const where = `${n.type}.${f.name}`;
        if (f.scale === "linear") assert.ok(sliderPositions(f) <= 1000, where);
        const values = allValues(f);
        for (const v of values) assert.equal(validateValue(f, v), null, `${where}: ${v}`);
      }
    }
  });
});
