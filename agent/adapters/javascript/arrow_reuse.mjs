// Unchanged columns go back as the Arrow buffers they arrived in.
//
// A node that hands back its input's rows, or rows spread from them with a few columns
// changed (`t.map(r => ({...r, x: 1}))`), returns columns whose values are exactly those
// of an input column. Such a column is written from the input's own buffers (one record
// batch: the very bytes; several: the batches' buffers joined), which skips extracting,
// type-checking and re-encoding a million values (UTF-8 encoding strings above all) and
// keeps the upstream type exactly. Only columns of primitive values qualify: a Date, an
// array or a Uint8Array may have been changed in place, so equal references prove nothing.

const EMPTY = new Uint8Array(0);
const TWO_32 = 4294967296;

/**
 * Whether a column's values are primitives that can go back as they came. 64-bit integer
 * columns qualify through their decoded values: the decoder turns their buffers into
 * doubles in place, and writing turns those back (see `reusedColumn`).
 */
export function reusable(field) {
  if (field.dictionary || field.children.length > 0) return false;
  const t = field.type;
  switch (t.id) {
    case 'bool': case 'utf8': case 'large_utf8': return true;
    case 'int': return true;
    case 'float': return t.bits !== 16;
    case 'decimal': return t.bits === 128;
    default: return false;
  }
}

const comparers = new Map();

/**
 * A function `(rows, column) => boolean`: whether `rows[i][name]` is `column[i]` for every
 * row. Same-value for numbers (NaN equals NaN; 0 and -0 differ), so a reused float buffer
 * holds exactly what the rows hold; a missing key (undefined) never equals a null.
 */
export function sameValues(name) {
  let compare = comparers.get(name);
  if (compare === undefined) {
    const key = JSON.stringify(name);
    compare = new Function('rows', 'column', `const n = rows.length;
for (let i = 0; i < n; i++) {
  const v = rows[i][${key}];
  const c = column[i];
  if (v !== c) { if (v === v || c === c) return false; }
  else if (v === 0 && 1 / v !== 1 / c) return false;
}
return true;`);
    if (comparers.size < 1024) comparers.set(name, compare);
  }
  return compare;
}

function concatBytes(parts) {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Validity bits from decoded values: set where the value is not null. */
function bitmapOf(column, n) {
  const bits = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (column[i] !== null) bits[i >> 3] |= 1 << (i & 7);
  return bits;
}

function boolBits(column, n) {
  const bits = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (column[i] === true) bits[i >> 3] |= 1 << (i & 7);
  return bits;
}

function offsetAt(bytes, i, large) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return large ? dv.getInt32(8 * i + 4, true) * TWO_32 + dv.getUint32(8 * i, true) : dv.getInt32(4 * i, true);
}

/** One offsets buffer and one data buffer from several batches' string buffers, or null. */
function joinStrings(parts, n, large) {
  const datas = [];
  let total = 0;
  for (const p of parts) {
    const [, offsets, data] = p.buffers;
    const first = offsetAt(offsets, 0, large);
    const last = offsetAt(offsets, p.length, large);
    datas.push(data.subarray(first, last));
    total += last - first;
  }
  if (!large && total > 0x7fffffff) return null;
  const out = new Int32Array(large ? 2 * (n + 1) : n + 1);
  let row = 0;
  let base = 0;
  for (const p of parts) {
    const offsets = p.buffers[1];
    const words = new Int32Array(offsets.buffer, offsets.byteOffset, (large ? 2 : 1) * (p.length + 1));
    if (large) {
      const first = words[1] * TWO_32 + (words[0] >>> 0);
      for (let i = 1; i <= p.length; i++) {
        const v = base + words[2 * i + 1] * TWO_32 + (words[2 * i] >>> 0) - first;
        out[2 * (row + i)] = v >>> 0;
        out[2 * (row + i) + 1] = Math.floor(v / TWO_32);
      }
      base += words[2 * p.length + 1] * TWO_32 + (words[2 * p.length] >>> 0) - first;
    } else {
      const delta = base - words[0];
      for (let i = 1; i <= p.length; i++) out[row + i] = words[i] + delta;
      base = out[row + p.length];
    }
    row += p.length;
  }
  return [new Uint8Array(out.buffer), concatBytes(datas)];
}

/**
 * An int64/uint64 column that arrived as safe-integer doubles (a Float64Array over its own
 * bytes, or over the batches' values joined) is turned back into 64-bit integers in the
 * same memory: no new buffer, and the exact bytes that came in. Columns with nulls or of
 * BigInts were decoded into plain arrays and are encoded as usual.
 */
function reusedInt64(field, column, n) {
  if (!(column instanceof Float64Array)) return null;
  const words = new Int32Array(column.buffer, column.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) {
    const v = column[i];
    words[2 * i] = v >>> 0;
    words[2 * i + 1] = Math.floor(v / TWO_32) | 0;
  }
  return {
    field: { name: field.name, nullable: field.nullable, type: field.type, children: [] },
    node: [n, 0],
    buffers: [EMPTY, new Uint8Array(column.buffer, column.byteOffset, 8 * n)],
  };
}

/**
 * Field node and buffers for an unchanged column, from its decoded `source`
 * (`{field, column, parts}`, one part per record batch: `{length, nulls, buffers}`).
 * Returns null when the buffers cannot be joined (the caller encodes the values instead).
 */
export function reusedColumn(source, n) {
  const { field, column, parts } = source;
  const type = field.type;
  if (type.id === 'int' && type.bits === 64) return reusedInt64(field, column, n);
  const one = parts.length === 1;
  const nulls = parts.reduce((s, p) => s + p.nulls, 0);
  let data;
  switch (type.id) {
    case 'bool':
      data = [one ? parts[0].buffers[1] : boolBits(column, n)];
      break;
    case 'utf8': case 'large_utf8':
      data = one ? parts[0].buffers.slice(1) : joinStrings(parts, n, type.id === 'large_utf8');
      if (data === null) return null;
      break;
    default: {
      const width = type.id === 'decimal' ? 16 : type.bits / 8;
      data = [concatBytes(parts.map((p) => p.buffers[1].subarray(0, p.length * width)))];
    }
  }
  const validity = nulls === 0 ? EMPTY : one ? parts[0].buffers[0] : bitmapOf(column, n);
  return {
    field: { name: field.name, nullable: field.nullable || nulls > 0, type, children: [] },
    node: [n, nulls],
    buffers: [validity, ...data],
  };
}
