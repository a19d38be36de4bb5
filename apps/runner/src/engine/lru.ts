/** A byte-bounded least-recently-used map (Map keeps insertion order, so re-inserting = touch). */
export class LruCache<V> {
  private readonly map = new Map<string, { value: V; bytes: number }>();
  private used = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly sizeOf: (v: V) => number = estimateBytes,
  ) {}

  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  set(key: string, value: V): void {
    const bytes = this.sizeOf(value);
    const old = this.map.get(key);
    if (old) {
      this.used -= old.bytes;
      this.map.delete(key);
    }
    if (bytes > this.maxBytes) return;
    this.map.set(key, { value, bytes });
    this.used += bytes;
    for (const [k, e] of this.map) {
      if (this.used <= this.maxBytes) break;
      this.map.delete(k);
      this.used -= e.bytes;
    }
  }

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
    this.used = 0;
  }
}

/** Rough size of a value: typed arrays by their bytes, everything else a small constant. */
export function estimateBytes(v: unknown, depth = 0): number {
  if (v === null || v === undefined || depth > 4) return 8;
  if (ArrayBuffer.isView(v)) return v.byteLength;
  if (Array.isArray(v)) return v.reduce((s: number, x) => s + estimateBytes(x, depth + 1), 16);
  if (typeof v === "object") {
    let s = 32;
    for (const x of Object.values(v as Record<string, unknown>)) s += estimateBytes(x, depth + 1);
    return s;
  }
  if (typeof v === "string") return 2 * v.length;
  return 8;
}
