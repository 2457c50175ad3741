// Which Arrow type a column of JavaScript values becomes (docs/types.md). A type hint (the
// type of an upstream column of the same name, or one given to omnix.table) is used when
// every value fits it exactly; otherwise the type is inferred from the values alone.

import { types as utilTypes } from 'node:util';

import { TableError, typeName } from './arrow_types.mjs';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const DAY_MS = 86400000;

/** The kind of one JS value, for type inference; throws for values no column can hold. */
export function kindOf(v, where, row) {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'number': return 'number';
    case 'bigint': return 'bigint';
    case 'string': return 'string';
    case 'boolean': return 'boolean';
    case 'object':
      if (utilTypes.isDate(v)) {
        if (Number.isNaN(v.getTime())) throw new TableError(`${where} row ${row}: an invalid Date`);
        return 'date';
      }
      if (utilTypes.isUint8Array(v)) return 'bytes';
      if (Array.isArray(v)) return 'array';
      if (isPlainObject(v)) return 'object';
      throw new TableError(`${where} row ${row}: a ${v.constructor?.name ?? 'non-plain'} object, which no table column can hold; convert it to a plain object, array, string or number`);
    default:
      throw new TableError(`${where} row ${row}: a ${typeof v}, which no table column can hold`);
  }
}

/** A plain object from any realm: its prototype is some realm's Object.prototype, or null. */
export function isPlainObject(v) {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === null || (Object.getPrototypeOf(proto) === null && Object.prototype.toString.call(v) === '[object Object]');
}

function intRange(type) {
  if (type.bits === 64) return type.signed ? [INT64_MIN, INT64_MAX] : [0n, UINT64_MAX];
  const span = 2 ** type.bits;
  return type.signed ? [-span / 2, span / 2 - 1] : [0, span - 1];
}

function fitsInt(values, type) {
  const [lo, hi] = intRange(type);
  const [bigLo, bigHi, numLo, numHi] = [BigInt(lo), BigInt(hi), Number(lo), Number(hi)];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null) continue;
    if (typeof v === 'bigint') {
      if (v < bigLo || v > bigHi) return false;
    } else if (!Number.isSafeInteger(v) || v < numLo || v > numHi) {
      return false;
    }
  }
  return true;
}

/** Whether `test` holds for every non-null value (columns hold null, never undefined). */
function every(values, test) {
  for (let i = 0; i < values.length; i++) if (values[i] !== null && !test(values[i])) return false;
  return true;
}

const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;

/** The unscaled BigInt of a decimal value, or null when it does not fit decimal(p, s) exactly. */
export function unscaledDecimal(v, type) {
  let unscaled;
  if (typeof v === 'bigint') {
    unscaled = v * 10n ** BigInt(type.scale);
  } else if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null;
    const text = v.toFixed(type.scale);
    if (Number(text) !== v) return null;
    return unscaledDecimal(text, type);
  } else {
    const m = DECIMAL_TEXT.exec(v);
    if (!m || (m[3] ?? '').length > type.scale) return null;
    unscaled = BigInt(`${m[1]}${m[2]}${(m[3] ?? '').padEnd(type.scale, '0')}`);
  }
  const limit = 10n ** BigInt(type.precision);
  return unscaled < limit && unscaled > -limit ? unscaled : null;
}

/** Whether every value of `kind` fits `type` without losing anything. */
function fits(values, kind, type) {
  switch (type.id) {
    case 'null': return every(values, () => false);
    case 'bool': return kind === 'boolean';
    case 'int': return (kind === 'number' || kind === 'bigint') && fitsInt(values, type);
    case 'float':
      if (kind !== 'number') return false;
      return type.bits === 64 || every(values, (v) => Number.isNaN(v) || Math.fround(v) === v);
    case 'decimal':
      return (kind === 'number' || kind === 'bigint' || kind === 'string') && every(values, (v) => unscaledDecimal(v, type) !== null);
    case 'utf8': case 'large_utf8': return kind === 'string';
    case 'binary': case 'large_binary': return kind === 'bytes';
    case 'date':
      return kind === 'date' && (type.unit === 'ms' || every(values, (d) => d.getTime() % DAY_MS === 0));
    case 'timestamp':
      return kind === 'date' && (type.unit !== 's' || every(values, (d) => d.getTime() % 1000 === 0));
    case 'list': case 'large_list': return kind === 'array';
    case 'struct': return kind === 'object';
    default: return false;
  }
}

function columnKind(values, where) {
  let kind = 'null';
  let firstRow = -1;
  for (let i = 0; i < values.length; i++) {
    const k = kindOf(values[i], where, i);
    if (k === 'null' || k === kind) continue;
    if (kind === 'null') {
      kind = k;
      firstRow = i;
    } else if ((kind === 'number' && k === 'bigint') || (kind === 'bigint' && k === 'number')) {
      kind = 'bigint';
    } else {
      throw new TableError(
        `${where} mixes ${kind} (row ${firstRow}) and ${k} (row ${i}) values; a column holds one type — ` +
          'convert the values so they agree (e.g. String(x) or Number(x))',
      );
    }
  }
  return kind;
}

function inferred(values, kind, where) {
  switch (kind) {
    case 'null': return { id: 'null' };
    case 'boolean': return { id: 'bool' };
    case 'string': return { id: 'utf8' };
    case 'bytes': return { id: 'binary' };
    case 'date': return { id: 'timestamp', unit: 'ms', tz: 'UTC' };
    case 'array': return { id: 'list' };
    case 'object': return { id: 'struct' };
    case 'number':
      return every(values, Number.isSafeInteger)
        ? { id: 'int', bits: 64, signed: true }
        : { id: 'float', bits: 64 };
    case 'bigint':
      if (fitsInt(values, { bits: 64, signed: true })) return { id: 'int', bits: 64, signed: true };
      if (fitsInt(values, { bits: 64, signed: false })) return { id: 'int', bits: 64, signed: false };
      throw new TableError(`${where} has an integer beyond 64 bits (or a non-integer next to a BigInt); return it as a string`);
    default: throw new TableError(`${where}: cannot infer a type`);
  }
}

/**
 * The Arrow type for `values`: `explicit` (from omnix.table) must fit or it is an error;
 * `hint` (an upstream column's type) is used when it fits; else the inferred type.
 */
export function chooseType(values, hint, explicit, where) {
  const kind = columnKind(values, where);
  if (explicit) {
    if (kind !== 'null' && !fits(values, kind, explicit)) {
      throw new TableError(`${where}: its ${kind} values do not fit the declared type ${typeName(explicit)} exactly`);
    }
    return explicit;
  }
  if (hint && kind === 'null') return hint.type;
  if (hint && fits(values, kind, hint.type)) return hint.type;
  return inferred(values, kind, where);
}
