// Arrow IPC stream -> JavaScript columns. Each column becomes an array-like of JS values
// following docs/types.md; the worker turns the columns into plain row objects.

import { Buffer, isAscii } from 'node:buffer';

import { rootTable } from './flatbuffers.mjs';
import { MS_PER_UNIT, TIME_UNITS, TYPE_IDS, TableError, checkNames, typeName } from './arrow_types.mjs';
import { reusable } from './arrow_reuse.mjs';
import { RepeatedStrings } from './strings.mjs';

const SCHEMA = 1;
const DICTIONARY_BATCH = 2;
const RECORD_BATCH = 3;
const TWO_32 = 4294967296;
const MAX_DATE_MS = 8.64e15;

function parseType(field, name) {
  const id = TYPE_IDS[field.uint8(2)] ?? `type #${field.uint8(2)}`;
  const t = field.table(3);
  switch (id) {
    case 'int': return { id, bits: t.int32(0), signed: t.bool(1) };
    case 'float': return { id, bits: [16, 32, 64][t.int16(0)] };
    case 'decimal': return { id, precision: t.int32(0), scale: t.int32(1), bits: t.int32(2, 128) };
    case 'date': return { id, unit: t.int16(0, 1) === 0 ? 'day' : 'ms' };
    case 'timestamp': return { id, unit: TIME_UNITS[t.int16(0)], tz: t.string(1) };
    case 'fixed_size_list': return { id, size: t.int32(0) };
    default: return { id, name };
  }
}

function parseField(f) {
  const name = f.string(0) ?? '';
  const dict = f.table(4);
  const field = {
    name,
    nullable: f.bool(1),
    type: parseType(f, name),
    children: f.tables(5).map(parseField),
    dictionary: null,
  };
  if (dict) {
    const index = dict.table(1);
    field.dictionary = {
      id: dict.int64(0),
      index: index ? { id: 'int', bits: index.int32(0), signed: index.bool(1) } : { id: 'int', bits: 32, signed: true },
    };
  }
  return field;
}

function view(bytes, Ctor, count) {
  if (bytes.byteOffset % Ctor.BYTES_PER_ELEMENT !== 0) bytes = bytes.slice();
  if (bytes.byteLength < count * Ctor.BYTES_PER_ELEMENT) throw new TableError('Arrow buffer shorter than its column');
  return new Ctor(bytes.buffer, bytes.byteOffset, count);
}

function isNull(validity, i) {
  return ((validity[i >> 3] >> (i & 7)) & 1) === 0;
}

/** Reads one record batch's columns, consuming field nodes and buffers in schema order. */
class BatchReader {
  constructor(batch, body, realm, dictionaries) {
    const nodes = batch.vector(1);
    const buffers = batch.vector(2);
    this.dv = batch.dv;
    this.nodes = nodes;
    this.buffers = buffers;
    this.body = body;
    this.realm = realm;
    this.dictionaries = dictionaries;
    this.nodeAt = 0;
    this.bufferAt = 0;
    this.variadic = batch.vector(4); // data-buffer counts of view columns, in schema order
    this.variadicAt = 0;
    if (batch.table(3)) throw new TableError('compressed Arrow IPC is not supported; write the stream uncompressed');
  }

  nextNode() {
    const at = this.nodes.start + 16 * this.nodeAt++;
    return { length: Number(this.dv.getBigInt64(at, true)), nulls: Number(this.dv.getBigInt64(at + 8, true)) };
  }

  /** A flat column's node and buffers as they are in the stream, consuming them. */
  rawColumn(field) {
    const { length, nulls } = this.nextNode();
    const count = field.type.id === 'bool' || field.type.id === 'int' || field.type.id === 'float' || field.type.id === 'decimal' ? 2 : 3;
    const buffers = [];
    for (let k = 0; k < count; k++) buffers.push(this.nextBuffer());
    return { length, nulls, buffers };
  }

  nextBuffer() {
    const at = this.buffers.start + 16 * this.bufferAt++;
    const offset = Number(this.dv.getBigInt64(at, true));
    const length = Number(this.dv.getBigInt64(at + 8, true));
    return this.body.subarray(offset, offset + length);
  }

  column(field, path) {
    const node = this.nextNode();
    const type = field.type;
    if (type.id === 'null') return new Array(node.length).fill(null);
    const validityBytes = this.nextBuffer();
    const validity = node.nulls > 0 ? validityBytes : null;
    const n = node.length;
    if (field.dictionary) {
      const dict = this.dictionaries.get(field.dictionary.id);
      if (!dict) throw new TableError(`column ${JSON.stringify(path)}: dictionary ${field.dictionary.id} missing from the stream`);
      const indices = this.integers(field.dictionary.index, n, validity, path);
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = indices[i] === null ? null : dict[indices[i]];
      return out;
    }
    switch (type.id) {
      case 'int': return this.integers(type, n, validity, path);
      case 'float': return this.floats(type, n, validity, path);
      case 'bool': return this.booleans(n, validity);
      case 'utf8': case 'large_utf8': return this.strings(n, validity, type.id === 'large_utf8');
      case 'utf8_view': case 'binary_view': return this.views(n, validity, type.id === 'utf8_view');
      case 'binary': case 'large_binary': return this.binaries(n, validity, type.id === 'large_binary');
      case 'date': return this.dates(type, n, validity, path);
      case 'timestamp': return this.timestamps(type, n, validity, path);
      case 'decimal': return this.decimals(type, n, validity, path);
      case 'list': case 'large_list': return this.lists(field, n, validity, path, type.id === 'large_list');
      case 'fixed_size_list': return this.fixedLists(field, n, validity, path);
      case 'struct': return this.structs(field, n, validity, path);
      default:
        throw new TableError(
          `column ${JSON.stringify(path)} has Arrow type ${typeName(type)}, which JavaScript nodes cannot read; ` +
            'cast it upstream to a supported type (see docs/types.md)',
        );
    }
  }

  offsets(n, large) {
    const bytes = this.nextBuffer();
    if (!large) return view(bytes, Int32Array, n + 1);
    const words = view(bytes, Int32Array, 2 * (n + 1));
    const out = new Float64Array(n + 1);
    for (let i = 0; i <= n; i++) out[i] = words[2 * i + 1] * TWO_32 + (words[2 * i] >>> 0);
    return out;
  }

  integers(type, n, validity, path) {
    const data = this.nextBuffer();
    if (type.bits < 64) {
      const Ctor = { 8: [Uint8Array, Int8Array], 16: [Uint16Array, Int16Array], 32: [Uint32Array, Int32Array] }[type.bits][type.signed ? 1 : 0];
      return withNulls(view(data, Ctor, n), n, validity);
    }
    // int64/uint64: JS numbers while every value is a safe integer, else the whole column as BigInt.
    const words = view(data, Int32Array, 2 * n);
    for (let i = 0; i < n; i++) {
      const hi = type.signed ? words[2 * i + 1] : words[2 * i + 1] >>> 0;
      if (!Number.isSafeInteger(hi * TWO_32 + (words[2 * i] >>> 0)) && !(validity && isNull(validity, i))) {
        return withNulls(view(data, type.signed ? BigInt64Array : BigUint64Array, n), n, validity, true);
      }
    }
    // Convert in place: each double takes the 8 bytes its int64 came from, so a column
    // costs no new memory (and no external-memory pressure that would trigger full GCs).
    const out = new Float64Array(words.buffer, words.byteOffset, n);
    for (let i = 0; i < n; i++) {
      const hi = type.signed ? words[2 * i + 1] : words[2 * i + 1] >>> 0;
      out[i] = hi * TWO_32 + (words[2 * i] >>> 0);
    }
    return withNulls(out, n, validity);
  }

  floats(type, n, validity, path) {
    const data = this.nextBuffer();
    if (type.bits === 16) throw new TableError(`column ${JSON.stringify(path)} is float16 (halffloat), which JavaScript nodes cannot read; cast it to float32 upstream`);
    return withNulls(view(data, type.bits === 32 ? Float32Array : Float64Array, n), n, validity);
  }

  booleans(n, validity) {
    const bits = this.nextBuffer();
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = validity && isNull(validity, i) ? null : ((bits[i >> 3] >> (i & 7)) & 1) === 1;
    return out;
  }

  strings(n, validity, large) {
    const offsets = this.offsets(n, large);
    const data = this.nextBuffer();
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const out = new Array(n);
    if (isAscii(buf)) {
      // One decode for the whole column; each value is then a cheap substring.
      const all = buf.latin1Slice(0, buf.length);
      const shared = new RepeatedStrings(data, all);
      for (let i = 0; i < n; i++) out[i] = validity && isNull(validity, i) ? null : shared.get(offsets[i], offsets[i + 1]);
    } else {
      for (let i = 0; i < n; i++) out[i] = validity && isNull(validity, i) ? null : buf.utf8Slice(offsets[i], offsets[i + 1]);
    }
    return out;
  }

  /** String and binary views: 16-byte views, short values inline, long ones in data buffers. */
  views(n, validity, text) {
    const views = this.nextBuffer();
    const count = Number(this.dv.getBigInt64(this.variadic.start + 8 * this.variadicAt++, true));
    const data = [];
    for (let k = 0; k < count; k++) data.push(this.nextBuffer());
    const dv = new DataView(views.buffer, views.byteOffset, views.byteLength);
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
      if (validity && isNull(validity, i)) {
        out[i] = null;
        continue;
      }
      const length = dv.getInt32(16 * i, true);
      const bytes = length <= 12
        ? views.subarray(16 * i + 4, 16 * i + 4 + length)
        : data[dv.getInt32(16 * i + 8, true)].subarray(dv.getInt32(16 * i + 12, true), dv.getInt32(16 * i + 12, true) + length);
      out[i] = text ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).utf8Slice(0, length) : new this.realm.Uint8Array(bytes);
    }
    return out;
  }

  binaries(n, validity, large) {
    const offsets = this.offsets(n, large);
    const data = this.nextBuffer();
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = validity && isNull(validity, i) ? null : new this.realm.Uint8Array(data.subarray(offsets[i], offsets[i + 1]));
    }
    return out;
  }

  dates(type, n, validity, path) {
    const values = type.unit === 'day'
      ? withNulls(view(this.nextBuffer(), Int32Array, n), n, validity)
      : this.integers({ id: 'int', bits: 64, signed: true }, n, validity, path);
    const scale = type.unit === 'day' ? 86400000 : 1;
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = values[i] === null ? null : this.date(Number(values[i]) * scale, path);
    return out;
  }

  date(ms, path) {
    if (!(Math.abs(ms) <= MAX_DATE_MS)) {
      throw new TableError(`column ${JSON.stringify(path)}: a value lies outside the range of a JavaScript Date (±273,790 years)`);
    }
    return new this.realm.Date(ms);
  }

  timestamps(type, n, validity, path) {
    const words = view(this.nextBuffer(), Int32Array, 2 * n);
    const perMs = MS_PER_UNIT[type.unit];
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
      if (validity && isNull(validity, i)) {
        out[i] = null;
        continue;
      }
      const hi = words[2 * i + 1];
      const lo = words[2 * i] >>> 0;
      let ms;
      if (perMs <= 1) {
        ms = (hi * TWO_32 + lo) * (type.unit === 's' ? 1000 : 1);
      } else {
        // Exact remainder from the two 32-bit halves: hi * 2^32 + lo may exceed 2^53.
        const rem = ((((hi % perMs) * (TWO_32 % perMs) + lo) % perMs) + perMs) % perMs;
        if (rem !== 0) {
          throw new TableError(
            `column ${JSON.stringify(path)} row ${i}: timestamp[${type.unit}] value has sub-millisecond digits, ` +
              'which a JavaScript Date cannot hold; round it upstream (pandas: s.dt.floor("ms"), ' +
              "SQL: date_trunc('millisecond', col)) or cast it to a string",
          );
        }
        ms = Math.round((hi * TWO_32 + lo) / perMs);
      }
      out[i] = this.date(ms, path);
    }
    return out;
  }

  decimals(type, n, validity, path) {
    if (type.bits !== 128) throw new TableError(`column ${JSON.stringify(path)} is ${typeName(type)}; only decimal128 is supported`);
    const w = view(this.nextBuffer(), Uint32Array, 4 * n);
    const limit = type.scale === 0 ? Number.MAX_SAFE_INTEGER : 1e15 - 1;
    const divisor = 10 ** type.scale;
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
      if (validity && isNull(validity, i)) {
        out[i] = null;
        continue;
      }
      const sign = (w[4 * i + 1] & 0x80000000) !== 0 ? 0xffffffff : 0;
      const v = (w[4 * i + 1] | 0) * TWO_32 + w[4 * i];
      if (w[4 * i + 2] !== sign || w[4 * i + 3] !== sign || !(Math.abs(v) <= limit)) {
        return this.exactDecimals(type, w, n, validity);
      }
      // Correctly rounded division: the nearest double, from which the decimal is recovered.
      out[i] = type.scale === 0 ? v : v / divisor;
    }
    return out;
  }

  exactDecimals(type, w, n, validity) {
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
      if (validity && isNull(validity, i)) {
        out[i] = null;
        continue;
      }
      const big = BigInt.asIntN(128, (BigInt(w[4 * i + 3]) << 96n) | (BigInt(w[4 * i + 2]) << 64n) | (BigInt(w[4 * i + 1]) << 32n) | BigInt(w[4 * i]));
      if (type.scale === 0) {
        out[i] = big;
        continue;
      }
      const digits = (big < 0n ? -big : big).toString().padStart(type.scale + 1, '0');
      const cut = digits.length - type.scale;
      out[i] = `${big < 0n ? '-' : ''}${digits.slice(0, cut)}.${digits.slice(cut)}`;
    }
    return out;
  }

  lists(field, n, validity, path, large) {
    const offsets = this.offsets(n, large);
    const child = this.column(field.children[0], `${path}[]`);
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
      if (validity && isNull(validity, i)) {
        out[i] = null;
        continue;
      }
      const list = new this.realm.Array();
      for (let j = offsets[i]; j < offsets[i + 1]; j++) list.push(child[j]);
      out[i] = list;
    }
    return out;
  }

  /** Fixed-size lists (embeddings, vectors): arrays of `size` values each. */
  fixedLists(field, n, validity, path) {
    const size = field.type.size;
    const child = this.column(field.children[0], `${path}[]`);
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
      if (validity && isNull(validity, i)) {
        out[i] = null;
        continue;
      }
      const list = new this.realm.Array(size);
      for (let j = 0; j < size; j++) list[j] = child[i * size + j];
      out[i] = list;
    }
    return out;
  }

  structs(field, n, validity, path) {
    const names = field.children.map((c) => c.name);
    checkNames(names, path);
    const children = field.children.map((c) => this.column(c, `${path}.${c.name}`));
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
      if (validity && isNull(validity, i)) {
        out[i] = null;
        continue;
      }
      const o = new this.realm.Object();
      for (let k = 0; k < names.length; k++) o[names[k]] = children[k][i];
      out[i] = o;
    }
    return out;
  }
}

function withNulls(values, n, validity, bigints = false) {
  if (!validity && !bigints) return values;
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = validity && isNull(validity, i) ? null : values[i];
  return out;
}

function concat(parts, n) {
  if (parts.length === 1) return parts[0];
  const Typed = parts.length > 0 && ArrayBuffer.isView(parts[0]) ? parts[0].constructor : null;
  if (Typed && parts.every((p) => p.constructor === Typed)) {
    // Number columns stay unboxed in one typed array (a generic array would box each double).
    const out = new Typed(n);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
  const out = new Array(n);
  let at = 0;
  for (const part of parts) for (let i = 0; i < part.length; i++) out[at++] = part[i];
  return out;
}

function dictionaryFields(fields, into = new Map()) {
  for (const f of fields) {
    if (f.dictionary) into.set(f.dictionary.id, { ...f, dictionary: null });
    dictionaryFields(f.children, into);
  }
  return into;
}

/**
 * Decode an Arrow IPC stream. Returns `{fields, columns, rows, parts}` (`parts`: per
 * column, its original buffers per record batch, or null; see arrow_reuse.mjs); `realm` supplies the
 * Array, Object, Date and Uint8Array constructors of the context the values are for.
 */
export function readTable(bytes, realm) {
  if (bytes.byteOffset % 8 !== 0) bytes = new Uint8Array(bytes); // typed views need alignment
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let fields = null;
  let dictFields = new Map();
  const dictionaries = new Map();
  const batches = [];
  const parts = []; // per column: its buffers in each record batch, when reusable
  let rows = 0;
  while (pos + 4 <= bytes.byteLength) {
    let size = dv.getInt32(pos, true);
    pos += 4;
    if (size === -1) {
      size = dv.getInt32(pos, true);
      pos += 4;
    }
    if (size === 0) break;
    const message = rootTable(dv, pos);
    const kind = message.uint8(1);
    const header = message.table(2);
    const bodyLength = message.int64(3);
    const body = bytes.subarray(pos + size, pos + size + bodyLength);
    pos += size + bodyLength;
    if (kind === SCHEMA) {
      if (header.int16(0) !== 0) throw new TableError('big-endian Arrow data is not supported');
      fields = header.tables(1).map(parseField);
      checkNames(fields.map((f) => f.name), '');
      dictFields = dictionaryFields(fields);
    } else if (kind === DICTIONARY_BATCH) {
      const id = header.int64(0);
      const data = header.table(1);
      const reader = new BatchReader(data, body, realm, dictionaries);
      const values = reader.column(dictFields.get(id), `dictionary ${id}`);
      dictionaries.set(id, header.bool(2) ? [...(dictionaries.get(id) ?? []), ...values] : values);
    } else if (kind === RECORD_BATCH) {
      if (!fields) throw new TableError('Arrow stream has a record batch before its schema');
      const reader = new BatchReader(header, body, realm, dictionaries);
      rows += header.int64(0);
      batches.push(fields.map((f, c) => {
        if (!reusable(f)) return reader.column(f, f.name);
        if (f.type.id === 'int' && f.type.bits === 64) {
          parts[c] ??= []; // written back from its decoded values
          return reader.column(f, f.name);
        }
        // Keep the column's buffers as they arrived, for writing it back unchanged.
        const [nodeAt, bufferAt] = [reader.nodeAt, reader.bufferAt];
        const raw = reader.rawColumn(f);
        [reader.nodeAt, reader.bufferAt] = [nodeAt, bufferAt];
        (parts[c] ??= []).push(raw);
        return reader.column(f, f.name);
      }));
    }
  }
  if (!fields) throw new TableError('Arrow stream has no schema');
  const columns = fields.map((_, c) => concat(batches.map((b) => b[c]), rows));
  return { fields, columns, rows, parts: fields.map((_, c) => parts[c] ?? null) };
}

