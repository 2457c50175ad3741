// Arrow type descriptors shared by the IPC reader and writer, and the one error type both
// raise for data a JavaScript node cannot take or give without losing something.

/** Data that crosses the Arrow boundary wrongly: the message names the column and the fix. */
export class TableError extends Error {
  constructor(message) {
    super(message);
    this.name = 'TableError';
  }
}

// Arrow's `Type` union (Schema.fbs).
export const TYPE_IDS = {
  1: 'null', 2: 'int', 3: 'float', 4: 'binary', 5: 'utf8', 6: 'bool', 7: 'decimal', 8: 'date',
  9: 'time', 10: 'timestamp', 11: 'interval', 12: 'list', 13: 'struct', 14: 'union',
  15: 'fixed_size_binary', 16: 'fixed_size_list', 17: 'map', 18: 'duration', 19: 'large_binary',
  20: 'large_utf8', 21: 'large_list', 22: 'run_end_encoded', 23: 'binary_view', 24: 'utf8_view',
  25: 'list_view', 26: 'large_list_view',
};
export const TYPE_NUMBERS = Object.fromEntries(
  Object.entries(TYPE_IDS).map(([number, id]) => [id, Number(number)]),
);
export const TIME_UNITS = ['s', 'ms', 'us', 'ns'];
export const MS_PER_UNIT = { s: 1e-3, ms: 1, us: 1e3, ns: 1e6 };

/** A readable name for a type descriptor, as pyarrow prints it. */
export function typeName(type) {
  switch (type.id) {
    case 'int': return `${type.signed ? 'int' : 'uint'}${type.bits}`;
    case 'float': return type.bits === 64 ? 'double' : type.bits === 32 ? 'float' : 'halffloat';
    case 'utf8': return 'string';
    case 'large_utf8': return 'large_string';
    case 'decimal': return `decimal${type.bits}(${type.precision}, ${type.scale})`;
    case 'date': return type.unit === 'day' ? 'date32' : 'date64';
    case 'timestamp': return `timestamp[${type.unit}${type.tz ? `, tz=${type.tz}` : ''}]`;
    case 'fixed_size_list': return `fixed_size_list[${type.size}]`;
    default: return type.id;
  }
}

/**
 * Parse a type written in `omnix.table(rows, {column: "type"})`, e.g. "int64", "float64",
 * "string", "bool", "date32", "timestamp[us]", "timestamp[ms, UTC]", "decimal128(10, 2)".
 */
export function parseTypeName(text, column) {
  const t = String(text).trim();
  let m;
  if ((m = /^(u?)int(8|16|32|64)$/.exec(t))) return { id: 'int', bits: Number(m[2]), signed: !m[1] };
  if (t === 'float64' || t === 'double') return { id: 'float', bits: 64 };
  if (t === 'float32' || t === 'float') return { id: 'float', bits: 32 };
  if (t === 'string' || t === 'utf8') return { id: 'utf8' };
  if (t === 'large_string' || t === 'large_utf8') return { id: 'large_utf8' };
  if (t === 'binary') return { id: 'binary' };
  if (t === 'bool' || t === 'boolean') return { id: 'bool' };
  if (t === 'null') return { id: 'null' };
  if (t === 'date32' || t === 'date') return { id: 'date', unit: 'day' };
  if (t === 'date64') return { id: 'date', unit: 'ms' };
  if ((m = /^timestamp\[(s|ms|us|ns)(?:,\s*(?:tz=)?([^\]]+))?\]$/.exec(t))) {
    return { id: 'timestamp', unit: m[1], tz: m[2] ? m[2].trim() : null };
  }
  if ((m = /^decimal(?:128)?\((\d+),\s*(\d+)\)$/.exec(t))) {
    const precision = Number(m[1]);
    const scale = Number(m[2]);
    if (precision >= 1 && precision <= 38 && scale <= precision) {
      return { id: 'decimal', bits: 128, precision, scale };
    }
  }
  throw new TableError(
    `column ${JSON.stringify(column)}: unknown type ${JSON.stringify(t)}; use one of int8..int64, ` +
      'uint8..uint64, float32, float64, string, large_string, binary, bool, null, date32, date64, ' +
      'timestamp[unit] or timestamp[unit, TZ] (unit s|ms|us|ns), decimal128(precision, scale)',
  );
}

/** Column and field names must be usable as object keys without changing their meaning. */
export function checkNames(names, where) {
  const seen = new Set();
  for (const name of names) {
    if (name === '__proto__') throw new TableError(`${where ? `column ${JSON.stringify(where)}: ` : ''}a column named "__proto__" cannot be a JavaScript object key; rename it upstream`);
    if (seen.has(name)) throw new TableError(`${where ? `column ${JSON.stringify(where)}: ` : ''}duplicate column name ${JSON.stringify(name)}; rename one upstream`);
    seen.add(name);
  }
}
