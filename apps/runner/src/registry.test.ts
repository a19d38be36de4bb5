import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { z } from "zod";
import { BUILTIN_NODES } from "../../../nodes/index.ts";
import { defineNode } from "../../../nodes/sdk/index.ts";
import { buildCatalogue, NodeRegistry } from "./registry.ts";

type Props = Record<string, Record<string, unknown>>;
function propsOf(nodes: { type: string; params: unknown }[], type: string): Props {
  const entry = nodes.find((n) => n.type === type);
  assert.ok(entry, `${type} is in the catalogue`);
  return (entry.params as { properties: Props }).properties;
}

describe("buildCatalogue", () => {
  test("carries the params' meta keys (unit and the slider keys) into the JSON Schema", () => {
    const registry = new NodeRegistry();
    registry.register(
      defineNode({
        type: "acme.knobs",
        version: 1,
        title: "Knobs",
        category: "Test",
        description: "Parameters with every slider meta key",
        kind: "map",
        inputs: {},
        outputs: {},
        params: z.object({
          rate: z
            .number()
            .min(0)
            .max(1)
            .default(0)
            .describe("0 = automatic")
            .meta({ scale: "log", sliderMin: 1e-5, sliderMax: 0.1, unit: "1/step" }),
          side: z.number().int().min(1).max(31).default(3).meta({ sliderStep: 2 }),
          decay: z.number().min(-1).max(0.9999).default(-1).meta({ slider: false }),
        }),
        map: () => ({}),
      }),
      "plugin test",
    );
    const p = propsOf(buildCatalogue(registry).nodes, "acme.knobs");
    assert.deepEqual(p.rate, {
      type: "number",
      minimum: 0,
      maximum: 1,
      default: 0,
      description: "0 = automatic",
      scale: "log",
      sliderMin: 1e-5,
      sliderMax: 0.1,
      unit: "1/step",
    });
    assert.equal(p.side.sliderStep, 2);
    assert.equal(p.decay.slider, false);
    assert.equal(p.decay.minimum, -1);
  });

  test("the U-Net train node's slider hints reach the editor", () => {
    const registry = new NodeRegistry();
    for (const { def, file } of BUILTIN_NODES) registry.register(def, file);
    const p = propsOf(buildCatalogue(registry).nodes, "edgrec.unet-train");
    assert.deepEqual(
      [p.learningRate.scale, p.learningRate.sliderMin, p.learningRate.sliderMax],
      ["log", 1e-5, 0.1],
    );
    assert.deepEqual([p.learningRate.minimum, p.learningRate.maximum], [0, 1]);
    assert.deepEqual(
      [p.maxMinutes.unit, p.maxMinutes.scale, p.maxMinutes.sliderMin],
      ["min", "log", 1],
    );
    assert.equal(p.ema.slider, false);
  });
});
