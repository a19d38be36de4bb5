/**
 * Procedural "machined brass disc" renderer for the built-in demo category. Each part has the
 * same shape, colour and fine texture (concentric machining grooves, value noise, grain) with
 * mild per-part changes of position, rotation and lighting, so a reconstruction network has a
 * consistent object to learn. Defects are drawn from an exact pixel set: a defect render differs
 * from the defect-free render of the same part only where its mask is set.
 */
import { createRng, type Rng } from "../../sdk/rng.ts";

export const DEMO_DEFECTS = ["scratch", "stain", "hole"] as const;
export type DemoDefectKind = (typeof DEMO_DEFECTS)[number];

/** Per-part appearance; all lengths in pixels of the output image. */
export interface PartParams {
  readonly size: number;
  readonly cx: number;
  readonly cy: number;
  readonly radius: number;
  readonly boreRadius: number;
  readonly boltRadius: number;
  readonly boltOrbit: number;
  /** Rotation of bolt holes and the engraved mark, radians. */
  readonly angle: number;
  /** Unit light direction in the image plane and its strength. */
  readonly lightX: number;
  readonly lightY: number;
  readonly lightStrength: number;
  readonly brightness: number;
  /** Seed of this part's noise texture. */
  readonly textureSeed: number;
}

export type DefectSpec =
  | {
      readonly kind: "scratch";
      readonly x0: number;
      readonly y0: number;
      readonly x1: number;
      readonly y1: number;
      readonly width: number;
      readonly bright: boolean;
    }
  | {
      readonly kind: "stain";
      readonly cx: number;
      readonly cy: number;
      readonly r0: number;
      readonly phase1: number;
      readonly phase2: number;
      /** RGB shift with (almost) zero luminance: a colour change with little edge change. */
      readonly delta: readonly [number, number, number];
    }
  | { readonly kind: "hole"; readonly cx: number; readonly cy: number; readonly radius: number };

const BRASS = [188, 150, 84] as const;
const BACKGROUND = [40, 44, 52] as const;
const HOLE = [26, 24, 22] as const;

/** Integer hash of a lattice point to [0, 1). */
function hash2(x: number, y: number, seed: number): number {
  let h = Math.imul(x | 0, 0x27d4eb2d) ^ Math.imul(y | 0, 0x165667b1) ^ seed;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Smooth value noise on a lattice of `cell` pixels, tabulated once per image for speed. */
function noiseField(size: number, cell: number, seed: number): (x: number, y: number) => number {
  const side = Math.ceil(size / cell) + 2;
  const lattice = new Float64Array(side * side);
  for (let j = 0; j < side; j++) {
    for (let i = 0; i < side; i++) lattice[j * side + i] = hash2(i, j, seed);
  }
  return (x, y) => {
    const fx = x / cell;
    const fy = y / cell;
    const ix = Math.floor(fx);
    const iy = Math.floor(fy);
    const tx = fx - ix;
    const ty = fy - iy;
    const sx = tx * tx * (3 - 2 * tx);
    const sy = ty * ty * (3 - 2 * ty);
    const o = iy * side + ix;
    const a = lattice[o];
    const b = lattice[o + 1];
    const c = lattice[o + side];
    const d = lattice[o + side + 1];
    return a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy;
  };
}

const clamp01 = (v: number) => Math.min(Math.max(v, 0), 1);

function segmentDistance(px: number, py: number, x0: number, y0: number, x1: number, y1: number) {
  const vx = x1 - x0;
  const vy = y1 - y0;
  const t = clamp01(((px - x0) * vx + (py - y0) * vy) / (vx * vx + vy * vy || 1));
  return Math.sqrt((px - x0 - t * vx) ** 2 + (py - y0 - t * vy) ** 2);
}

function boltCentres(p: PartParams): [number, number][] {
  return [0, 1, 2, 3].map((k) => {
    const a = p.angle + (k * Math.PI) / 2;
    return [p.cx + p.boltOrbit * Math.cos(a), p.cy + p.boltOrbit * Math.sin(a)];
  });
}

/** Draws one part's appearance from `rng`. */
export function drawPartParams(rng: Rng, size: number): PartParams {
  const k = size / 256;
  const light = rng.uniform(0, 2 * Math.PI);
  return {
    size,
    cx: size / 2 + rng.uniform(-5, 5) * k,
    cy: size / 2 + rng.uniform(-5, 5) * k,
    radius: 92 * k * rng.uniform(0.985, 1.015),
    boreRadius: 20 * k,
    boltRadius: 9 * k,
    boltOrbit: 60 * k,
    angle: rng.uniform(-0.35, 0.35),
    lightX: Math.cos(light),
    lightY: Math.sin(light),
    lightStrength: rng.uniform(0.05, 0.12),
    brightness: rng.uniform(0.94, 1.06),
    textureSeed: rng.int(0, 2 ** 31),
  };
}

/**
 * Draws a defect that lies on the flat face of the part, clear of the bore, the rim and the
 * bolt holes (so every masked pixel really changes).
 */
export function drawDefect(rng: Rng, p: PartParams, kind: DemoDefectKind): DefectSpec {
  const k = p.size / 256;
  const bolts = boltCentres(p);
  const face = (x: number, y: number, margin: number) => {
    const r = Math.sqrt((x - p.cx) ** 2 + (y - p.cy) ** 2);
    if (r < p.boreRadius + 6 * k + margin || r > p.radius - 8 * k - margin) return false;
    return bolts.every(
      ([bx, by]) => Math.sqrt((x - bx) ** 2 + (y - by) ** 2) > p.boltRadius + 3 * k + margin,
    );
  };
  const point = () => {
    const a = rng.uniform(0, 2 * Math.PI);
    const r = rng.uniform(p.boreRadius, p.radius);
    return [p.cx + r * Math.cos(a), p.cy + r * Math.sin(a)] as const;
  };
  for (let attempt = 0; attempt < 1000; attempt++) {
    if (kind === "scratch") {
      const [x0, y0] = point();
      const len = rng.uniform(28, 60) * k;
      const a = rng.uniform(0, 2 * Math.PI);
      const x1 = x0 + len * Math.cos(a);
      const y1 = y0 + len * Math.sin(a);
      const width = rng.uniform(1.3, 2.4) * k;
      const clear = [0, 0.25, 0.5, 0.75, 1].every((t) =>
        face(x0 + t * (x1 - x0), y0 + t * (y1 - y0), width),
      );
      if (clear) return { kind, x0, y0, x1, y1, width, bright: rng.next() < 0.5 };
    } else if (kind === "stain") {
      const [cx, cy] = point();
      const r0 = rng.uniform(9, 16) * k;
      if (!face(cx, cy, r0 * 1.45)) continue;
      // Shifts chosen so that 0.299 dR + 0.587 dG + 0.114 dB is about 0 (gray nearly unchanged).
      const palette: [number, number, number][] = [
        [-34, -8, 130],
        [40, -32, 60],
        [-40, 28, -40],
      ];
      const delta = palette[rng.int(0, palette.length)];
      return { kind, cx, cy, r0, phase1: rng.uniform(0, 6.3), phase2: rng.uniform(0, 6.3), delta };
    } else {
      const [cx, cy] = point();
      const radius = rng.uniform(4.5, 8) * k;
      if (face(cx, cy, radius)) return { kind, cx, cy, radius };
    }
  }
  throw new Error(`demo: could not place a ${kind} defect on the part`);
}

/** True when pixel (x, y) belongs to the defect (pixel centres at integer coordinates). */
export function defectContains(d: DefectSpec, x: number, y: number): boolean {
  if (d.kind === "scratch") return segmentDistance(x, y, d.x0, d.y0, d.x1, d.y1) <= d.width / 2;
  if (d.kind === "hole") return Math.sqrt((x - d.cx) ** 2 + (y - d.cy) ** 2) <= d.radius;
  const a = Math.atan2(y - d.cy, x - d.cx);
  const edge = d.r0 * (1 + 0.22 * Math.sin(3 * a + d.phase1) + 0.12 * Math.sin(5 * a + d.phase2));
  return Math.sqrt((x - d.cx) ** 2 + (y - d.cy) ** 2) <= edge;
}

function applyDefect(d: DefectSpec, p: PartParams, rgb: number[], x: number, y: number): void {
  if (d.kind === "scratch") {
    for (let c = 0; c < 3; c++) rgb[c] = d.bright ? rgb[c] * 0.45 + 140 : rgb[c] * 0.4;
  } else if (d.kind === "stain") {
    const t = Math.sqrt((x - d.cx) ** 2 + (y - d.cy) ** 2) / (d.r0 * 1.4);
    const s = 0.65 + 0.35 * (1 - clamp01(t) ** 2);
    for (let c = 0; c < 3; c++) rgb[c] += s * d.delta[c];
  } else {
    // Pit: dark inside, lit on the side facing away from the light (a hollow).
    const nx = (x - d.cx) / d.radius;
    const ny = (y - d.cy) / d.radius;
    const shade = 1 + 1.6 * Math.max(0, nx * p.lightX + ny * p.lightY);
    for (let c = 0; c < 3; c++) rgb[c] = HOLE[c] * shade + 6;
  }
}

/**
 * Renders a part as 8-bit RGB (HWC) and, when a defect is given, its exact binary mask
 * (0/255, one byte per pixel).
 */
export function renderPart(
  p: PartParams,
  defect?: DefectSpec,
): { rgb: Uint8Array; mask: Uint8Array } {
  const n = p.size;
  const k = n / 256;
  const rgbOut = new Uint8Array(n * n * 3);
  const mask = new Uint8Array(n * n);
  const bolts = boltCentres(p);
  const markAngle = p.angle + Math.PI / 4;
  const mark = [
    p.cx + (p.boreRadius + 8 * k) * Math.cos(markAngle),
    p.cy + (p.boreRadius + 8 * k) * Math.sin(markAngle),
    p.cx + (p.radius - 14 * k) * Math.cos(markAngle),
    p.cy + (p.radius - 14 * k) * Math.sin(markAngle),
  ] as const;
  const seed = p.textureSeed;
  const bgNoise = noiseField(n, 10 * k, seed ^ 0x55);
  const coarse = noiseField(n, 7 * k, seed);
  const fine = noiseField(n, 2.5 * k, seed + 1);
  const boltXY = Float64Array.from(bolts.flat());
  const grooveFreq = (2 * Math.PI) / (2.6 * k);
  const px = [0, 0, 0];
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const dx = x - p.cx;
      const dy = y - p.cy;
      const r = Math.sqrt(dx * dx + dy * dy) || 1e-9;
      const facing = (dx * p.lightX + dy * p.lightY) / r; // -1..1 along the light
      // Background: dark, slightly mottled.
      const bgTex = 1 + 0.12 * (bgNoise(x, y) - 0.5);
      // Metal face: lighting ramp, machining grooves, two noise octaves.
      let shade = p.brightness * (1 + p.lightStrength * ((r * facing) / p.radius));
      shade *= 1 + 0.045 * Math.sin(grooveFreq * r);
      shade *= 1 + 0.1 * (coarse(x, y) - 0.5) + 0.05 * (fine(x, y) - 0.5);
      if (r > p.radius - 5 * k) shade *= 1 + 0.35 * facing; // outer chamfer catches the light
      if (r < p.boreRadius + 4 * k) shade *= 1 - 0.35 * facing; // bore chamfer faces the other way
      const markDist = segmentDistance(x, y, mark[0], mark[1], mark[2], mark[3]);
      shade *= 1 - 0.3 * clamp01(1.5 * k - markDist + 0.5);
      const cover = clamp01(p.radius - r + 0.5) * clamp01(r - p.boreRadius + 0.5);
      let hole = 0;
      let holeShade = 1;
      for (let b = 0; b < 8; b += 2) {
        const bx = boltXY[b];
        const by = boltXY[b + 1];
        const d = Math.sqrt((x - bx) * (x - bx) + (y - by) * (y - by));
        const h = clamp01(p.boltRadius - d + 0.5);
        if (h > hole) {
          hole = h;
          holeShade = 1 + 1.2 * Math.max(0, ((x - bx) * p.lightX + (y - by) * p.lightY) / (d || 1));
        }
      }
      const grain = (hash2(x, y, seed + 7) - 0.5) * 5;
      for (let c = 0; c < 3; c++) {
        const metal = BRASS[c] * shade * (1 - hole) + HOLE[c] * holeShade * hole;
        px[c] = BACKGROUND[c] * bgTex * (1 - cover) + metal * cover + grain;
      }
      const i = y * n + x;
      if (defect && defectContains(defect, x, y)) {
        applyDefect(defect, p, px, x, y);
        mask[i] = 255;
      }
      for (let c = 0; c < 3; c++) {
        const v = Math.round(px[c]);
        rgbOut[i * 3 + c] = Math.min(Math.max(v, 0), 255);
      }
    }
  }
  return { rgb: rgbOut, mask };
}

/** Convenience for tests and previews: the part drawn from `seed`. */
export function partFromSeed(seed: number, size: number): PartParams {
  return drawPartParams(createRng(seed), size);
}
