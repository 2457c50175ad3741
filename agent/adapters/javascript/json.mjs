// JSON values between Omnix and JavaScript (docs/types.md). Integers beyond 2^53 and
// non-finite floats arrive tagged as {"$omnix": ..., "v": ...} so JSON.parse never rounds
// them; outgoing values are written strictly: nothing JSON cannot hold is dropped silently.

import { types as utilTypes } from 'node:util';

import { isPlainObject } from './arrow_infer.mjs';

const TAG = '$omnix';

function revive(_key, value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, TAG)) return value;
  const tag = value[TAG];
  if (tag === 'bigint') return BigInt(value.v);
  if (tag === 'float') return Number(value.v); // "NaN", "Infinity", "-Infinity"
  if (tag === 'object') return Object.fromEntries(value.v); // a user object with a "$omnix" key
  return value;
}

/** Parse JSON text from Omnix; `realmJSON` is the node context's JSON so values belong to it. */
export function parseJSON(text, realmJSON = JSON) {
  return text.includes(`"${TAG}"`) ? realmJSON.parse(text, revive) : realmJSON.parse(text);
}

/** A value that JSON cannot hold, located by its path in the node's result. */
export class JSONValueError extends Error {
  constructor(path, what, fix) {
    super(`the node's result ${path === '$' ? '' : `at ${path} `}is ${what}, which JSON cannot hold${fix ? `; ${fix}` : ''}`);
    this.name = 'JSONValueError';
  }
}

function write(value, path, parts, ancestors) {
  switch (typeof value) {
    case 'undefined':
      parts.push('null');
      return;
    case 'boolean':
      parts.push(value ? 'true' : 'false');
      return;
    case 'string':
      if (!value.isWellFormed()) throw new JSONValueError(path, 'a string with a lone UTF-16 surrogate');
      parts.push(JSON.stringify(value));
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new JSONValueError(path, String(value), 'return null or a string instead');
      parts.push(JSON.stringify(value));
      return;
    case 'bigint':
      parts.push(value.toString()); // exact: Python reads any integer
      return;
    case 'function': case 'symbol':
      throw new JSONValueError(path, `a ${typeof value}`);
    default:
      break;
  }
  if (value === null) {
    parts.push('null');
    return;
  }
  if (ancestors.has(value)) throw new JSONValueError(path, 'a reference to itself (a cycle)');
  if (utilTypes.isDate(value)) {
    if (Number.isNaN(value.getTime())) throw new JSONValueError(path, 'an invalid Date');
    parts.push(JSON.stringify(value.toISOString()));
    return;
  }
  ancestors.add(value);
  if (Array.isArray(value)) {
    parts.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) parts.push(',');
      write(value[i], `${path}[${i}]`, parts, ancestors);
    }
    parts.push(']');
  } else if (isPlainObject(value)) {
    parts.push('{');
    let first = true;
    for (const key of Object.keys(value)) {
      const v = value[key];
      if (v === undefined) continue; // as JSON.stringify: an undefined property is absent
      if (!first) parts.push(',');
      first = false;
      parts.push(JSON.stringify(key), ':');
      write(v, `${path}.${key}`, parts, ancestors);
    }
    parts.push('}');
  } else if (typeof value.toJSON === 'function') {
    write(value.toJSON(), path, parts, ancestors);
  } else {
    const name = value.constructor?.name ?? 'object';
    throw new JSONValueError(path, `a ${name}`, name === 'Map' ? 'convert it with Object.fromEntries(map)' : 'convert it to a plain object, array or string');
  }
  ancestors.delete(value);
}

/** Serialise a node's non-table result as JSON text, strictly (see JSONValueError). */
export function toJSONText(value) {
  const parts = [];
  write(value, '$', parts, new Set());
  return parts.join('');
}
