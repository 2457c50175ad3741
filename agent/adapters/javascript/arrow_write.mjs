// JavaScript row objects -> Arrow IPC stream (one schema message, one record batch).

import { Buffer } from 'node:buffer';

import { Builder } from './flatbuffers.mjs';
import { chooseType, unscaledDecimal } from './arrow_infer.mjs';
import { reusedColumn, sameValues } from './arrow_reuse.mjs';
import { MS_PER_UNIT, TIME_UNITS, TYPE_NUMBERS, TableError, checkNames } from './arrow_types.mjs';

const TWO_32 = 4294967296;
const EMPTY = new Uint8Array(0);
const ZEROS = new Uint8Array(8);
const END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

function validity(values, n) {
  let nulls = 0;
  for (let i = 0; i < n; i++) if (values[i] === null || values[i] === undefined) nulls++;
  if (nulls === 0) return { nulls, bitmap: EMPTY };
  const bitmap = new Uint8Array(Math.ceil(n / 8));
  for (let i = 0; i < n; i++) if (values[i] !== null && values[i] !== undefined) bitmap[i >> 3] |= 1 << (i & 7);
  return { nulls, bitmap };
}

function bytesOf(typed) {
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

/** int64 words from numbers (exact for safe integers) or BigInts. */
function int64Buffer(values, n, signed) {
  const words = new Int32Array(2 * n);
  const big = signed ? new BigInt64Array(words.buffer) : new BigUint64Array(words.buffer);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    if (typeof v === 'bigint') {
      big[i] = v;
    } else {
      words[2 * i] = v >>> 0;
      words[2 * i + 1] = Math.floor(v / TWO_32) | 0;
    }
  }
  return bytesOf(words);
}

function offsetsBuffer(lengths, n, large) {
  if (!large) {
    const out = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) out[i + 1] = out[i] + lengths[i];
    return bytesOf(out);
  }
  const out = new BigInt64Array(n + 1);
  let at = 0;
  for (let i = 0; i < n; i++) out[i + 1] = BigInt((at += lengths[i]));
  return bytesOf(out);
}

function stringBuffers(values, n, where) {
  // null joins as ''. Joining in chunks is several times faster than one join of 10^6 strings.
  const chunks = [];
  for (let i = 0; i < n; i += 8192) chunks.push(values.slice(i, i + 8192).join(''));
  const joined = chunks.join('');
  const data = Buffer.from(joined, 'utf8');
  const lengths = new Float64Array(n);
  if (data.length === joined.length) {
    for (let i = 0; i < n; i++) lengths[i] = values[i] == null ? 0 : values[i].length;
  } else {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v == null) continue;
      if (!v.isWellFormed()) throw new TableError(`${where} row ${i}: the string has a lone UTF-16 surrogate, which UTF-8 cannot hold`);
      lengths[i] = Buffer.byteLength(v, 'utf8');
    }
  }
  return { lengths, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Encodes columns into field nodes and buffers, in the pre-order Arrow IPC expects. */
class ColumnWriter {
  constructor() {
    this.nodes = [];
    this.buffers = [];
  }

  /** A number column from the fast path, when its type is float64 or int64; else null. */
  numbers(name, { data, bitmap, nulls, integers }, n, hint, explicit) {
    const wanted = explicit ?? hint?.type ?? null;
    let type;
    if (wanted === null) type = integers ? { id: 'int', bits: 64, signed: true } : { id: 'float', bits: 64 };
    else if (wanted.id === 'float' && wanted.bits === 64) type = wanted;
    else if (wanted.id === 'int' && wanted.bits === 64 && wanted.signed && integers) type = wanted;
    else return null; // other types (and values not fitting them) take the general path
    this.nodes.push([n, nulls]);
    this.buffers.push(bitmap ?? EMPTY);
    if (type.id === 'float') {
      this.buffers.push(bytesOf(data));
    } else {
      // In place: each int64 takes the 8 bytes its double came from.
      const words = new Int32Array(data.buffer, data.byteOffset, 2 * n);
      for (let i = 0; i < n; i++) {
        const v = data[i];
        words[2 * i] = v >>> 0;
        words[2 * i + 1] = Math.floor(v / TWO_32) | 0;
      }
      this.buffers.push(bytesOf(words));
    }
    return { name, nullable: nulls > 0 || !(hint && hint.nullable === false && !explicit), type, children: [] };
  }

  column(name, values, hint, explicit, where) {
    const n = values.length;
    const type = chooseType(values, hint, explicit, where);
    const field = { name, nullable: !(hint && hint.nullable === false && !explicit), type, children: [] };
    const { nulls, bitmap } = validity(values, n);
    if (nulls > 0) field.nullable = true;
    this.nodes.push([n, type.id === 'null' ? n : nulls]);
    if (type.id === 'null') return field;
    this.buffers.push(bitmap);
    switch (type.id) {
      case 'bool': {
        const bits = new Uint8Array(Math.ceil(n / 8));
        for (let i = 0; i < n; i++) if (values[i] === true) bits[i >> 3] |= 1 << (i & 7);
        this.buffers.push(bits);
        break;
      }
      case 'int': {
        if (type.bits === 64) {
          this.buffers.push(int64Buffer(values, n, type.signed));
        } else {
          const Ctor = { 8: [Uint8Array, Int8Array], 16: [Uint16Array, Int16Array], 32: [Uint32Array, Int32Array] }[type.bits][type.signed ? 1 : 0];
          const out = new Ctor(n);
          for (let i = 0; i < n; i++) if (values[i] != null) out[i] = Number(values[i]);
          this.buffers.push(bytesOf(out));
        }
        break;
      }
      case 'float': {
        const out = type.bits === 32 ? new Float32Array(n) : new Float64Array(n);
        for (let i = 0; i < n; i++) if (values[i] != null) out[i] = values[i];
        this.buffers.push(bytesOf(out));
        break;
      }
      case 'decimal': {
        const out = new BigInt64Array(2 * n);
        for (let i = 0; i < n; i++) {
          if (values[i] == null) continue;
          const v = unscaledDecimal(values[i], type);
          out[2 * i] = BigInt.asIntN(64, v);
          out[2 * i + 1] = BigInt.asIntN(64, v >> 64n);
        }
        this.buffers.push(bytesOf(out));
        break;
      }
      case 'utf8': case 'large_utf8': {
        const { lengths, data } = stringBuffers(values, n, where);
        if (type.id === 'utf8' && data.length > 0x7fffffff) field.type = { id: 'large_utf8' };
        this.buffers.push(offsetsBuffer(lengths, n, field.type.id === 'large_utf8'), data);
        break;
      }
      case 'binary': case 'large_binary': {
        const lengths = values.map((v) => (v == null ? 0 : v.length));
        const data = Buffer.concat(values.filter((v) => v != null));
        this.buffers.push(offsetsBuffer(lengths, n, type.id === 'large_binary'), new Uint8Array(data.buffer, data.byteOffset, data.length));
        break;
      }
      case 'date': {
        if (type.unit === 'day') {
          const out = new Int32Array(n);
          for (let i = 0; i < n; i++) if (values[i] != null) out[i] = values[i].getTime() / 86400000;
          this.buffers.push(bytesOf(out));
        } else {
          this.buffers.push(int64Buffer(values.map((d) => (d == null ? null : d.getTime())), n, true));
        }
        break;
      }
      case 'timestamp': {
        const perMs = MS_PER_UNIT[type.unit];
        const scaled = values.map((d) => {
          if (d == null) return null;
          const ms = d.getTime();
          if (type.unit === 's') return ms / 1000;
          const v = ms * perMs;
          return Number.isSafeInteger(v) ? v : BigInt(ms) * BigInt(perMs);
        });
        this.buffers.push(int64Buffer(scaled, n, true));
        break;
      }
      case 'list': case 'large_list': {
        const lengths = values.map((v) => (v == null ? 0 : v.length));
        this.buffers.push(offsetsBuffer(lengths, n, type.id === 'large_list'));
        const flat = [];
        for (const v of values) if (v != null) for (let j = 0; j < v.length; j++) flat.push(v[j] === undefined ? null : v[j]);
        const childHint = hint && hint.type.id.endsWith('list') ? hint.children[0] : null;
        field.children.push(this.column(childHint?.name ?? 'item', flat, childHint, null, `${where}[]`));
        break;
      }
      case 'struct': {
        const names = [];
        const seen = new Set();
        for (const v of values) if (v != null) for (const k of Object.keys(v)) if (!seen.has(k)) seen.add(k) && names.push(k);
        checkNames(names, where);
        const hints = new Map((hint?.type.id === 'struct' ? hint.children : []).map((c) => [c.name, c]));
        for (const k of names) {
          const child = values.map((v) => (v == null || v[k] === undefined ? null : v[k]));
          field.children.push(this.column(k, child, hints.get(k) ?? null, null, `${where}.${k}`));
        }
        break;
      }
      default:
        throw new TableError(`${where}: cannot write Arrow type ${type.id}`);
    }
    return field;
  }
}

function writeType(b, type) {
  switch (type.id) {
    case 'int': return b.table([[0, 'int32', type.bits], [1, 'bool', type.signed]]);
    case 'float': return b.table([[0, 'int16', type.bits === 64 ? 2 : 1]]);
    case 'decimal': return b.table([[0, 'int32', type.precision], [1, 'int32', type.scale], [2, 'int32', 128]]);
    case 'date': return b.table([[0, 'int16', type.unit === 'day' ? 0 : 1]]);
    case 'timestamp': {
      const fields = [[0, 'int16', TIME_UNITS.indexOf(type.unit)]];
      if (type.tz) fields.push([1, 'offset', () => b.string(type.tz)]);
      return b.table(fields);
    }
    default: return b.table([]);
  }
}

function writeField(b, field) {
  return b.table([
    [0, 'offset', () => b.string(field.name)],
    [1, 'bool', field.nullable],
    [2, 'uint8', TYPE_NUMBERS[field.type.id]],
    [3, 'offset', () => writeType(b, field.type)],
    [5, 'offset', () => b.tableVector(field.children.map((c) => () => writeField(b, c)))],
  ]);
}

function message(headerType, writeHeader, bodyLength) {
  const b = new Builder();
  const meta = b.finish(() => b.table([
    [0, 'int16', 4], // MetadataVersion V5
    [1, 'uint8', headerType],
    [2, 'offset', () => writeHeader(b)],
    [3, 'int64', bodyLength],
  ]));
  const prefix = new Uint8Array(8);
  const dv = new DataView(prefix.buffer);
  dv.setInt32(0, -1, true);
  dv.setInt32(4, meta.length, true);
  return [prefix, meta];
}

/** Column names in first-seen order; rows shaped like the first cost no allocation. */
function columnNames(rows) {
  const names = rows.length > 0 ? Object.keys(rows[0]) : [];
  const known = new Set(names);
  for (let i = 1; i < rows.length; i++) {
    const row = rows[i];
    let j = 0;
    let same = true;
    for (const key in row) {
      if (key !== names[j]) {
        same = false;
        break;
      }
      j++;
    }
    if (same && j === names.length) continue;
    for (const key of Object.keys(row)) if (!known.has(key)) known.add(key) && names.push(key);
  }
  return names;
}

/** A function copying one property of every row into an array (undefined -> null). */
function extractor(name) {
  const key = JSON.stringify(name);
  // A constant property name lets V8 cache the lookup; rows usually share one shape.
  return new Function('rows', `const n = rows.length;\nconst out = new Array(n);\nfor (let i = 0; i < n; i++) {\nconst v = rows[i][${key}];\nout[i] = v === undefined ? null : v;\n}\nreturn out;`);
}

/**
 * The fast path for number columns: values straight into a Float64Array (no boxing, no
 * generic array). Returns null as soon as a value is not a number, null or undefined.
 */
function numberExtractor(name) {
  const key = JSON.stringify(name);
  return new Function('rows', `const n = rows.length;
const data = new Float64Array(n);
let bitmap = null;
let nulls = 0;
let integers = true;
for (let i = 0; i < n; i++) {
  const v = rows[i][${key}];
  if (typeof v === 'number') {
    data[i] = v;
    if (integers && !Number.isSafeInteger(v)) integers = false;
  } else if (v === null || v === undefined) {
    if (bitmap === null) { bitmap = new Uint8Array((n + 7) >> 3); for (let j = 0; j < i; j++) bitmap[j >> 3] |= 1 << (j & 7); }
    nulls++;
    continue;
  } else {
    return null;
  }
  if (bitmap !== null) bitmap[i >> 3] |= 1 << (i & 7);
}
return { data, bitmap, nulls, integers };`);
}

/**
 * Encode rows (plain objects) as an Arrow IPC stream, returned as a list of byte chunks. `hints` maps a column name to an
 * upstream field; `declared` maps a column name to a type given to omnix.table; `sources`
 * maps a column name to the decoded upstream column (`{field, column, parts}`) whose
 * buffers are reused when the rows hold exactly its values.
 */
export function writeTable(rows, hints, declared = new Map(), sources = new Map()) {
  const n = rows.length;
  const names = columnNames(rows);
  for (const name of declared.keys()) if (!names.includes(name)) names.push(name);
  checkNames(names, '');
  const writer = new ColumnWriter();
  const fields = names.map((name) => {
    const hint = hints.get(name) ?? null;
    const explicit = declared.get(name) ?? null;
    const where = `column ${JSON.stringify(name)}`;
    const source = explicit ? undefined : sources.get(name);
    if (source && source.column.length === n && sameValues(name)(rows, source.column)) {
      const reused = reusedColumn(source, n);
      if (reused) {
        writer.nodes.push(reused.node);
        writer.buffers.push(...reused.buffers);
        return reused.field;
      }
    }
    if (n > 0 && typeof rows[0][name] === 'number') {
      const numbers = numberExtractor(name)(rows);
      const field = numbers && writer.numbers(name, numbers, n, hint, explicit);
      if (field) return field;
    }
    return writer.column(name, extractor(name)(rows), hint, explicit, where);
  });

  const layout = [];
  let bodyLength = 0;
  for (const buffer of writer.buffers) {
    layout.push([bodyLength, buffer.length]);
    bodyLength += Math.ceil(buffer.length / 8) * 8;
  }
  const schema = message(1, (b) => b.table([[1, 'offset', () => b.tableVector(fields.map((f) => () => writeField(b, f)))]]), 0);
  const batch = message(3, (b) => b.table([
    [0, 'int64', n],
    [1, 'offset', () => b.int64PairVector(writer.nodes)],
    [2, 'offset', () => b.int64PairVector(layout)],
  ]), bodyLength);
  // The stream as a list of chunks, written out one after another: copying 40 MB of
  // buffers into one more buffer would cost time and a full GC's worth of external memory.
  const chunks = [...schema, ...batch];
  for (const buffer of writer.buffers) {
    chunks.push(buffer);
    const pad = (8 - (buffer.length % 8)) % 8;
    if (pad) chunks.push(ZEROS.subarray(0, pad));
  }
  chunks.push(END_OF_STREAM);
  return chunks;
}
