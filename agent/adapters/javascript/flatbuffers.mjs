// The small part of FlatBuffers that Arrow IPC metadata needs: a table reader and a
// forward-writing builder. Arrow's Message/Schema/RecordBatch are FlatBuffers; reading and
// writing them here keeps the JavaScript worker free of npm dependencies.

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** A FlatBuffers table at `pos` inside the DataView `dv`. */
export class FBTable {
  constructor(dv, pos) {
    this.dv = dv;
    this.pos = pos;
    this.vtable = pos - dv.getInt32(pos, true);
    this.vtableSize = dv.getUint16(this.vtable, true);
  }

  /** The offset of field `index` inside the table, 0 when absent. */
  offset(index) {
    const at = 4 + 2 * index;
    return at < this.vtableSize ? this.dv.getUint16(this.vtable + at, true) : 0;
  }

  uint8(index, fallback = 0) {
    const o = this.offset(index);
    return o ? this.dv.getUint8(this.pos + o) : fallback;
  }

  bool(index, fallback = false) {
    const o = this.offset(index);
    return o ? this.dv.getUint8(this.pos + o) !== 0 : fallback;
  }

  int16(index, fallback = 0) {
    const o = this.offset(index);
    return o ? this.dv.getInt16(this.pos + o, true) : fallback;
  }

  int32(index, fallback = 0) {
    const o = this.offset(index);
    return o ? this.dv.getInt32(this.pos + o, true) : fallback;
  }

  /** An int64 field as a Number (lengths and offsets, always far below 2^53). */
  int64(index, fallback = 0) {
    const o = this.offset(index);
    return o ? Number(this.dv.getBigInt64(this.pos + o, true)) : fallback;
  }

  table(index) {
    const o = this.offset(index);
    if (!o) return null;
    const at = this.pos + o;
    return new FBTable(this.dv, at + this.dv.getUint32(at, true));
  }

  string(index) {
    const o = this.offset(index);
    if (!o) return null;
    const at = this.pos + o;
    const start = at + this.dv.getUint32(at, true);
    const length = this.dv.getUint32(start, true);
    const bytes = new Uint8Array(this.dv.buffer, this.dv.byteOffset + start + 4, length);
    return utf8.decode(bytes);
  }

  /** A vector field: `{start, length}` with `start` the first element's position. */
  vector(index) {
    const o = this.offset(index);
    if (!o) return { start: 0, length: 0 };
    const at = this.pos + o;
    const v = at + this.dv.getUint32(at, true);
    return { start: v + 4, length: this.dv.getUint32(v, true) };
  }

  tables(index) {
    const { start, length } = this.vector(index);
    const out = [];
    for (let i = 0; i < length; i++) {
      const at = start + 4 * i;
      out.push(new FBTable(this.dv, at + this.dv.getUint32(at, true)));
    }
    return out;
  }
}

/** The root table of the FlatBuffer that starts at `pos`. */
export function rootTable(dv, pos) {
  return new FBTable(dv, pos + dv.getUint32(pos, true));
}

const SIZES = { uint8: 1, bool: 1, int16: 2, int32: 4, int64: 8, offset: 4 };

/**
 * Builds a FlatBuffer front to back: every referenced object is written after the field
 * that points at it, so unsigned offsets always point forward as the format requires.
 * Field specs are `[index, kind, value]`; an `offset` value is a function that writes the
 * child and returns its position.
 */
export class Builder {
  constructor(capacity = 1024) {
    this.bytes = new Uint8Array(capacity);
    this.dv = new DataView(this.bytes.buffer);
    this.length = 0;
  }

  reserve(n) {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.dv = new DataView(grown.buffer);
  }

  pad(align) {
    const extra = (align - (this.length % align)) % align;
    this.reserve(extra);
    this.bytes.fill(0, this.length, this.length + extra);
    this.length += extra;
  }

  /** Reserve `n` zeroed bytes and return where they start. */
  take(n) {
    this.reserve(n);
    const at = this.length;
    this.bytes.fill(0, at, at + n);
    this.length += n;
    return at;
  }

  patchOffset(at, target) {
    this.dv.setUint32(at, target - at, true);
  }

  table(fields) {
    const count = fields.reduce((m, [index]) => Math.max(m, index + 1), 0);
    const layout = [...fields].sort((a, b) => SIZES[b[1]] - SIZES[a[1]]);
    let inline = 4;
    const at = new Map();
    for (const [index, kind] of layout) {
      const size = SIZES[kind];
      inline = Math.ceil(inline / size) * size;
      at.set(index, inline);
      inline += size;
    }
    this.pad(2);
    const vtable = this.take(4 + 2 * count);
    this.dv.setUint16(vtable, 4 + 2 * count, true);
    this.dv.setUint16(vtable + 2, inline, true);
    for (const [index, o] of at) this.dv.setUint16(vtable + 4 + 2 * index, o, true);
    this.pad(8);
    const pos = this.take(inline);
    this.dv.setInt32(pos, pos - vtable, true);
    const children = [];
    for (const [index, kind, value] of fields) {
      const p = pos + at.get(index);
      if (kind === 'uint8' || kind === 'bool') this.dv.setUint8(p, Number(value));
      else if (kind === 'int16') this.dv.setInt16(p, value, true);
      else if (kind === 'int32') this.dv.setInt32(p, value, true);
      else if (kind === 'int64') this.dv.setBigInt64(p, BigInt(value), true);
      else children.push([p, value]);
    }
    for (const [p, write] of children) this.patchOffset(p, write());
    return pos;
  }

  string(text) {
    const encoded = utf8Encoder.encode(text);
    this.pad(4);
    const pos = this.take(4 + encoded.length + 1);
    this.dv.setUint32(pos, encoded.length, true);
    this.bytes.set(encoded, pos + 4);
    return pos;
  }

  tableVector(writers) {
    this.pad(4);
    const pos = this.take(4 + 4 * writers.length);
    this.dv.setUint32(pos, writers.length, true);
    writers.forEach((write, i) => this.patchOffset(pos + 4 + 4 * i, write()));
    return pos;
  }

  /** A vector of structs made of int64 pairs (Arrow's FieldNode and Buffer). */
  int64PairVector(pairs) {
    while ((this.length + 4) % 8 !== 0) this.take(1);
    const pos = this.take(4 + 16 * pairs.length);
    this.dv.setUint32(pos, pairs.length, true);
    pairs.forEach(([a, b], i) => {
      this.dv.setBigInt64(pos + 4 + 16 * i, BigInt(a), true);
      this.dv.setBigInt64(pos + 12 + 16 * i, BigInt(b), true);
    });
    return pos;
  }

  /** Write a whole buffer whose root table `writeRoot` writes; returns the bytes. */
  finish(writeRoot) {
    const rootAt = this.take(4);
    this.patchOffset(rootAt, writeRoot());
    this.pad(8);
    return this.bytes.subarray(0, this.length);
  }
}
