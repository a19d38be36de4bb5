/**
 * Turns a node's parameter JSON Schema (derived from zod by the runner) into field
 * descriptors the side panel renders, and validates values against them. Pure: no React.
 */

export type FieldKind = "number" | "integer" | "enum" | "boolean" | "path" | "text" | "json";

export interface FieldDescriptor {
  name: string;
  label: string;
  kind: FieldKind;
  description?: string;
  /** Unit shown beside the value, from the schema's `unit` meta key. */
  unit?: string;
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  /** Slider step: 1 for integers, else about a hundredth of the range. */
  step?: number;
  /** A slider is offered when both bounds are finite. */
  slider: boolean;
  options?: (string | number | boolean)[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  default?: unknown;
  required: boolean;
  nullable: boolean;
  /** Shown first: marked `important` in the schema, or a weight. */
  important: boolean;
  /** For paths: which root the runner resolves them in (data, model, out). */
  root?: string;
}

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** "colorWeight" / "color_weight" -> "Color weight". */
export function humanize(name: string): string {
  const spaced = name
    .replace(/[_-]+/g, " ")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .trim();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/** A step near range/100 rounded down to a power of ten (0.01 for [0, 1]). */
function niceStep(min: number, max: number): number {
  const span = max - min;
  if (!(span > 0)) return 0.01;
  return 10 ** Math.floor(Math.log10(span / 100));
}

/** Collapses `anyOf: [X, {type: "null"}]` (zod nullable) into X plus a nullable flag. */
function unwrap(schema: Json): { schema: Json; nullable: boolean } {
  const alts = Array.isArray(schema.anyOf) ? (schema.anyOf as unknown[]).filter(isObj) : null;
  if (!alts) return { schema, nullable: false };
  const nonNull = alts.filter((a) => a.type !== "null");
  const nullable = nonNull.length < alts.length;
  if (nonNull.length === 1) {
    const { anyOf: _drop, ...outer } = schema;
    return { schema: { ...nonNull[0], ...outer }, nullable };
  }
  return { schema, nullable };
}

function kindOf(name: string, s: Json, paths: Record<string, string> | undefined): FieldKind {
  if (Array.isArray(s.enum)) return "enum";
  if (s.const !== undefined) return "enum";
  if (s.type === "integer") return "integer";
  if (s.type === "number") return "number";
  if (s.type === "boolean") return "boolean";
  if (s.type === "string") {
    if (paths?.[name] || s.format === "path" || /(path|dir|folder|file)$/i.test(name)) {
      return "path";
    }
    return "text";
  }
  return "json";
}

/**
 * Field descriptors for an object JSON Schema, in schema order with important fields (schema
 * `important: true` or a name containing "weight") first. Anything other than an object
 * schema yields no fields.
 */
export function fieldsFromSchema(
  schema: unknown,
  paths?: Record<string, string>,
): FieldDescriptor[] {
  if (!isObj(schema) || !isObj(schema.properties)) return [];
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const fields: FieldDescriptor[] = [];
  for (const [name, raw] of Object.entries(schema.properties)) {
    if (!isObj(raw)) continue;
    const { schema: s, nullable } = unwrap(raw);
    const kind = kindOf(name, s, paths);
    const f: FieldDescriptor = {
      name,
      label: typeof s.title === "string" ? s.title : humanize(name),
      kind,
      slider: false,
      required: required.has(name) && s.default === undefined,
      nullable,
      important: s.important === true || /weight/i.test(name),
    };
    if (typeof s.description === "string") f.description = s.description;
    const unit = s.unit ?? s["x-unit"];
    if (typeof unit === "string") f.unit = unit;
    if (s.default !== undefined) f.default = s.default;
    if (kind === "number" || kind === "integer") {
      if (typeof s.minimum === "number") f.min = s.minimum;
      if (typeof s.maximum === "number") f.max = s.maximum;
      if (typeof s.exclusiveMinimum === "number") {
        f.min = s.exclusiveMinimum;
        f.exclusiveMin = true;
      }
      if (typeof s.exclusiveMaximum === "number") {
        f.max = s.exclusiveMaximum;
        f.exclusiveMax = true;
      }
      const finite = Number.isFinite(f.min) && Number.isFinite(f.max);
      // Huge safe-integer bounds come from z.int() itself, not from a real range.
      f.slider = finite && (f.max as number) - (f.min as number) <= 1e6;
      f.step = kind === "integer" ? 1 : niceStep(f.min ?? 0, f.max ?? 1);
    }
    if (kind === "enum") {
      f.options = Array.isArray(s.enum)
        ? (s.enum as (string | number | boolean)[])
        : [s.const as string];
    }
    if (kind === "text" || kind === "path") {
      if (typeof s.minLength === "number") f.minLength = s.minLength;
      if (typeof s.maxLength === "number") f.maxLength = s.maxLength;
      if (typeof s.pattern === "string") f.pattern = s.pattern;
      if (paths?.[name]) f.root = paths[name];
    }
    fields.push(f);
  }
  // Stable sort keeps schema order within each group.
  return fields.sort((a, b) => Number(b.important) - Number(a.important));
}

/**
 * Explains why `value` does not fit `field`, or returns null when it fits. `undefined` means
 * "not set" and is fine when the field has a default or is optional.
 */
export function validateValue(field: FieldDescriptor, value: unknown): string | null {
  if (value === undefined) return field.required ? `${field.label} is required` : null;
  if (value === null) return field.nullable ? null : `${field.label} cannot be empty`;
  switch (field.kind) {
    case "number":
    case "integer": {
      if (typeof value !== "number" || Number.isNaN(value)) {
        return `${field.label} must be a number`;
      }
      if (!Number.isFinite(value)) return `${field.label} must be finite`;
      if (field.kind === "integer" && !Number.isInteger(value)) {
        return `${field.label} must be a whole number`;
      }
      const unit = field.unit ? ` ${field.unit}` : "";
      if (field.min !== undefined) {
        if (field.exclusiveMin ? value <= field.min : value < field.min) {
          return `${field.label} must be ${field.exclusiveMin ? "above" : "at least"} ${field.min}${unit}`;
        }
      }
      if (field.max !== undefined) {
        if (field.exclusiveMax ? value >= field.max : value > field.max) {
          return `${field.label} must be ${field.exclusiveMax ? "below" : "at most"} ${field.max}${unit}`;
        }
      }
      return null;
    }
    case "boolean":
      return typeof value === "boolean" ? null : `${field.label} must be on or off`;
    case "enum":
      return field.options?.includes(value as string)
        ? null
        : `${field.label} must be one of ${field.options?.join(", ")}`;
    case "text":
    case "path": {
      if (typeof value !== "string") return `${field.label} must be text`;
      if (field.minLength !== undefined && value.length < field.minLength) {
        return field.minLength === 1
          ? `${field.label} cannot be empty`
          : `${field.label} needs at least ${field.minLength} characters`;
      }
      if (field.maxLength !== undefined && value.length > field.maxLength) {
        return `${field.label} allows at most ${field.maxLength} characters`;
      }
      if (field.pattern !== undefined && !new RegExp(field.pattern, "u").test(value)) {
        return `${field.label} does not match the expected form ${field.pattern}`;
      }
      return null;
    }
    default:
      return null;
  }
}

/**
 * Parses what the user typed into a field's text box. Numbers accept a decimal point or
 * comma; JSON fields must be valid JSON. Returns the value or an explanation.
 */
export function parseInput(
  field: FieldDescriptor,
  text: string,
): { ok: true; value: unknown } | { ok: false; error: string } {
  const t = text.trim();
  if (t === "" && !field.required && field.kind !== "text" && field.kind !== "path") {
    return field.nullable ? { ok: true, value: null } : { ok: true, value: undefined };
  }
  let value: unknown = text;
  if (field.kind === "number" || field.kind === "integer") {
    const n = Number(t.replace(",", "."));
    if (t === "" || Number.isNaN(n)) return { ok: false, error: `${field.label} must be a number` };
    value = n;
  } else if (field.kind === "json") {
    try {
      value = JSON.parse(t);
    } catch {
      return { ok: false, error: `${field.label} must be valid JSON` };
    }
  }
  const err = validateValue(field, value);
  return err ? { ok: false, error: err } : { ok: true, value };
}
