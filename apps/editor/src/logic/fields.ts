/**
 * Turns a node's parameter JSON Schema (derived from zod by the runner) into field
 * descriptors the side panel renders, and validates values against them. Pure: no React.
 */

export type FieldKind = "number" | "integer" | "enum" | "boolean" | "path" | "text" | "json";

export type SliderScale = "linear" | "log";

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
  /**
   * Value step of a linear slider: the schema's `sliderStep`, else 1 for integers, else about
   * a hundredth of the slider range.
   */
  step?: number;
  /**
   * A slider is offered when the slider range (below) is finite, unless the schema says
   * `slider: false`. Linear sliders need a span of at most 1e6, log sliders a positive lower end.
   */
  slider: boolean;
  /**
   * How slider positions map to values: evenly, or evenly in log10(value). From the schema's
   * `scale` meta key; without it, a range with a positive lower end and max/min >= 1000 is log.
   */
  scale?: SliderScale;
  /**
   * The part of [min, max] the slider covers (schema `sliderMin` / `sliderMax`, else the
   * bounds). Values outside it, e.g. a sentinel 0 meaning "the preset's", can still be typed;
   * the slider then rests at its nearer end without changing the value.
   */
  sliderMin?: number;
  sliderMax?: number;
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
  // Number("1e-4") is exactly 0.0001, while 10 ** -4 is 0.00009999999999999999.
  return Number(`1e${Math.floor(Math.log10(span / 100))}`);
}

/** A bound the slider can use: finite and not z.int()'s implicit safe-integer limit. */
const realBound = (v: unknown): v is number =>
  typeof v === "number" && Number.isFinite(v) && Math.abs(v) < Number.MAX_SAFE_INTEGER;

/** Positions of a log slider, whatever its range. */
export const LOG_SLIDER_TICKS = 200;

/** Largest span of a linear slider: beyond it one pixel would skip thousands of values. */
const MAX_LINEAR_SPAN = 1e6;
/** Ratio max/min from which a range with a positive lower end gets a log slider by itself. */
const AUTO_LOG_RATIO = 1000;

/**
 * Decides slider, scale, slider range and step of a number field from its bounds and the
 * schema's meta keys `slider` (false: text box only), `scale` ("log" | "linear"), `sliderMin`,
 * `sliderMax` and `sliderStep` (see docs/nodes.md).
 */
function setUpSlider(f: FieldDescriptor, s: Json): void {
  const integer = f.kind === "integer";
  let lo = realBound(f.min) ? f.min : undefined;
  let hi = realBound(f.max) ? f.max : undefined;
  // The slider range narrows the bounds, never widens them.
  if (realBound(s.sliderMin) && (lo === undefined || s.sliderMin >= lo)) lo = s.sliderMin;
  if (realBound(s.sliderMax) && (hi === undefined || s.sliderMax <= hi)) hi = s.sliderMax;
  if (integer) {
    if (lo !== undefined) lo = Math.ceil(lo);
    if (hi !== undefined) hi = Math.floor(hi);
  }
  const explicitStep =
    realBound(s.sliderStep) && s.sliderStep > 0
      ? integer
        ? Math.max(1, Math.round(s.sliderStep))
        : s.sliderStep
      : undefined;
  f.step = explicitStep ?? (integer ? 1 : niceStep(lo ?? 0, hi ?? 1));
  if (lo === undefined || hi === undefined || !(lo < hi) || s.slider === false) return;
  const scale: SliderScale =
    s.scale === "log" || s.scale === "linear"
      ? s.scale
      : lo > 0 && hi / lo >= AUTO_LOG_RATIO
        ? "log"
        : "linear";
  if (scale === "log" && lo <= 0) {
    // A log slider needs a positive lower end; without one (min 0 and no sliderMin) the slider
    // stays linear rather than inventing a range.
    if (hi - lo > MAX_LINEAR_SPAN) return;
    f.scale = "linear";
  } else if (scale === "linear" && hi - lo > MAX_LINEAR_SPAN) {
    return;
  } else {
    f.scale = scale;
  }
  f.slider = true;
  f.sliderMin = lo;
  f.sliderMax = hi;
}

/** Digits after the decimal point in `x` as written (1e-5 -> 5, 0.25 -> 2, 3 -> 0). */
function decimalsOf(x: number): number {
  const [mantissa, exp] = String(x).split("e");
  const frac = mantissa.split(".")[1]?.length ?? 0;
  return Math.max(0, frac - Number(exp ?? 0));
}

/** The highest slider position (the lowest is 0). */
export function sliderPositions(field: FieldDescriptor): number {
  const { sliderMin: lo, sliderMax: hi } = field;
  if (!field.slider || lo === undefined || hi === undefined) return 0;
  if (field.scale === "log") return LOG_SLIDER_TICKS;
  return Math.max(1, Math.ceil((hi - lo) / (field.step ?? 1) - 1e-9));
}

/**
 * Where the slider sits for `value`, and whether the value lies in the slider range at all. A
 * value outside it (a sentinel such as 0 = "the preset's", or unset) puts the slider at its
 * nearer end; the caller leaves the value alone until the user moves the slider.
 */
export function sliderPosition(
  field: FieldDescriptor,
  value: number | undefined,
): { position: number; inRange: boolean } {
  const { sliderMin: lo, sliderMax: hi } = field;
  const last = sliderPositions(field);
  if (!field.slider || lo === undefined || hi === undefined) return { position: 0, inRange: false };
  if (value === undefined || !Number.isFinite(value) || value < lo) {
    return { position: 0, inRange: false };
  }
  if (value > hi) return { position: last, inRange: false };
  const raw =
    field.scale === "log"
      ? ((Math.log10(value) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * last
      : (value - lo) / (field.step ?? 1);
  return { position: Math.min(last, Math.max(0, Math.round(raw))), inRange: true };
}

/**
 * The value at slider `position`, rounded for people: linear sliders to their step; log
 * sliders to the fewest significant digits (usually 2-3) that stay within half a position of
 * the exact value, so 1e-4 comes out as 0.0001 rather than 0.00010023. Integers stay integers.
 * Ends give the slider range's ends exactly; positions on an exclusive bound move one inward.
 */
export function sliderValue(field: FieldDescriptor, position: number): number {
  const { sliderMin: lo, sliderMax: hi } = field;
  if (lo === undefined || hi === undefined) return Number.NaN;
  const last = sliderPositions(field);
  const p = Math.min(last, Math.max(0, Math.round(position)));
  const v = p === 0 ? lo : p === last ? hi : interior(field, lo, hi, p, last);
  const below = field.exclusiveMin && field.min !== undefined && v <= field.min;
  const above = field.exclusiveMax && field.max !== undefined && v >= field.max;
  if ((below || above) && last > 1) {
    const inward = below ? Math.min(last, p + 1) : Math.max(0, p - 1);
    return inward === p ? v : sliderValue(field, inward);
  }
  return v;
}

function interior(field: FieldDescriptor, lo: number, hi: number, p: number, last: number) {
  const integer = field.kind === "integer";
  if (field.scale !== "log") {
    const step = field.step ?? 1;
    const v = Number((lo + p * step).toFixed(Math.min(20, decimalsOf(step) + decimalsOf(lo))));
    return Math.min(hi, integer ? Math.round(v) : v);
  }
  const logLo = Math.log10(lo);
  const tick = (Math.log10(hi) - logLo) / last;
  const exact = 10 ** (logLo + p * tick);
  let v = integer ? Math.round(exact) : exact;
  for (let digits = 1; digits <= 15; digits++) {
    let c = Number(exact.toPrecision(digits));
    if (integer) c = Math.round(c);
    if (c > 0 && Math.abs(Math.log10(c / exact)) <= tick / 2) {
      v = c;
      break;
    }
  }
  return Math.min(hi, Math.max(lo, v));
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
      setUpSlider(f, s);
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
