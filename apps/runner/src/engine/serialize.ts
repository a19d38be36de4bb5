/**
 * Binary form of per-sample values for the on-disk cache: a JSON header with typed-array
 * placeholders, then the raw array bytes. Hand-written because the values are plain objects
 * holding large typed arrays, which JSON would inflate tenfold and v8.serialize ties to the
 * Node version.
 */
const KINDS = { Float32Array, Float64Array, Uint8Array, Int32Array, Uint32Array } as const;
type KindName = keyof typeof KINDS;

export function encodeValue(value: unknown): Buffer {
  const chunks: Buffer[] = [];
  let offset = 0;
  const header = JSON.stringify(value, (_k, v) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const name = v.constructor.name as KindName;
      if (!(name in KINDS)) throw new Error(`cannot cache a ${name}`);
      const buf = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      const ref = { $typed: name, offset, length: (v as Float32Array).length };
      chunks.push(buf);
      offset += buf.length;
      return ref;
    }
    return v;
  });
  const head = Buffer.from(header, "utf8");
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length);
  return Buffer.concat([len, head, ...chunks]);
}

/** Inverse of encodeValue; throws on a truncated or malformed buffer instead of padding. */
export function decodeValue(buf: Buffer): unknown {
  if (buf.length < 4) throw new Error("cached value is truncated (no header)");
  const headLen = buf.readUInt32LE(0);
  const body = 4 + headLen;
  if (body > buf.length) throw new Error("cached value is truncated (header cut)");
  return JSON.parse(buf.subarray(4, body).toString("utf8"), (_k, v) => {
    if (v && typeof v === "object" && typeof v.$typed === "string") {
      const Ctor = KINDS[v.$typed as KindName];
      if (!Ctor) throw new Error(`cached value holds an unknown array type ${v.$typed}`);
      const bytes = v.length * Ctor.BYTES_PER_ELEMENT;
      if (body + v.offset + bytes > buf.length) {
        throw new Error(`cached value is truncated (${v.$typed} of ${v.length} cut)`);
      }
      // Copy into a fresh aligned buffer: the slice of `buf` may be misaligned for the type.
      const copy = new Uint8Array(bytes);
      copy.set(buf.subarray(body + v.offset, body + v.offset + bytes));
      return new Ctor(copy.buffer);
    }
    return v;
  });
}
