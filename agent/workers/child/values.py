"""Node values inside a worker: Arrow IPC tables and JSON, to and from pandas."""

from __future__ import annotations

import base64
import datetime
import decimal
import json
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


class OutputError(Exception):
    """A node produced something that is neither a table nor a JSON value."""


def read_table(data: bytes | memoryview) -> pa.Table:
    """A table value: Arrow IPC stream bytes, or a JSON array of row objects."""
    if bytes(data[:1]) == b"[":
        return pa.Table.from_pylist(json.loads(bytes(data)))
    with pa.ipc.open_stream(pa.py_buffer(data)) as reader:
        return reader.read_all()


def write_table(table: pa.Table) -> pa.Buffer:
    """Arrow IPC stream bytes for a table, written once into a buffer of the exact size
    (a growing buffer would copy tens of megabytes several times over)."""
    measure = pa.MockOutputStream()
    with pa.ipc.new_stream(measure, table.schema) as writer:
        writer.write_table(table)
    buffer = pa.allocate_buffer(measure.size())
    with pa.ipc.new_stream(pa.FixedSizeBufferWriter(buffer), table.schema) as writer:
        writer.write_table(table)
    return buffer


def _json_default(value: Any) -> Any:
    # numpy scalars and arrays (pandas hands them out everywhere) carry plain values.
    if hasattr(value, "item") and hasattr(value, "dtype"):
        return value.tolist() if getattr(value, "ndim", 0) else value.item()
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return _decimal(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if type(value).__name__ == "NAType":  # pandas' missing value, from a nullable column
        return None
    raise TypeError(type(value).__name__)


def _decimal(value: decimal.Decimal) -> int | float | str:
    """Exact integers stay integers; a float only when it round-trips, else the exact string."""
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    return as_float if decimal.Decimal(repr(as_float)) == value else str(value)


def dump_json(value: Any) -> bytes:
    """JSON bytes for a node output; `OutputError` says why a value is not JSON."""
    try:
        return json.dumps(
            value, default=_json_default, allow_nan=False, ensure_ascii=False, separators=(",", ":")
        ).encode()
    except TypeError as exc:
        raise OutputError(
            f"the output contains a value of type {exc.args[0] if exc.args else '?'}, which is "
            "neither a table nor JSON; return a DataFrame, a list, dict, str, number, bool or None"
        ) from None
    except ValueError as exc:
        if "Out of range float" in str(exc):
            raise OutputError(
                "the output contains NaN or Infinity, which JSON cannot represent; "
                "replace them (e.g. with None) or return a DataFrame, where NaN becomes null"
            ) from None
        raise OutputError(str(exc)) from None


def table_to_json(table: pa.Table) -> bytes:
    """JSON rows (a list of objects) for a table, as one text (see `table_json_parts`)."""
    return b"".join(table_json_parts(table))


def table_json_parts(table: pa.Table) -> list[bytes | memoryview]:
    """JSON rows (a list of objects) for a table, in parts to write one after another. NaN floats become null, like missing values.

    Tables of plain columns (integers, floats, booleans, strings, dates, zone-less
    timestamps, nulls) are written
    by DuckDB's JSON writer, 20 times faster than Python objects; any other column type
    takes the exact Python path. Both give the same values: the texts differ only in how
    a float is spelled (`1e+300` or `1e300`), never in what it is."""
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_floating(column.type):
            if pc.any(pc.is_inf(column)).as_py():
                raise OutputError(f"column {name!r} holds Infinity, which JSON cannot represent")
            column = pc.if_else(pc.is_nan(column), pa.scalar(None, column.type), column)
        columns.append(column)
    clean = pa.Table.from_arrays([_as_micros(c) for c in columns], names=table.column_names)
    if _writable_by_duckdb(clean):
        return _duckdb_json_rows(clean)
    return [dump_json(clean.to_pylist())]


_ROW = "omnix_row"
"""The row alias in the DuckDB query: `to_json(omnix_row)` is the row as an object."""


def _writable_by_duckdb(table: pa.Table) -> bool:
    names = table.column_names
    if len(set(names)) != len(names) or _ROW in names:
        return False
    return all(_plain_type(column.type) or _plain_timestamp(column) for column in table.columns)


def _as_micros(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A zone-less nanosecond timestamp column (pandas' default) in microseconds when no
    value has nanoseconds: the same instants, which Python's `isoformat` spells alike."""
    type_ = column.type
    if pa.types.is_timestamp(type_) and type_.unit == "ns" and type_.tz is None:
        try:
            return pc.cast(column, pa.timestamp("us"), safe=True)
        except pa.ArrowInvalid:
            return column  # nanoseconds in it: the Python path spells them
    return column


def _plain_timestamp(column: pa.ChunkedArray) -> bool:
    """A zone-less timestamp of seconds to microseconds within years 1000-9999: DuckDB
    then spells it as Python's `isoformat` does."""
    type_ = column.type
    if not pa.types.is_timestamp(type_) or type_.tz is not None or type_.unit == "ns":
        return False
    bounds = pc.min_max(column)
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    return low is None or (low.year >= 1000 and high.year <= 9999)


def _iso_timestamp(name: str) -> str:
    """DuckDB SQL for Python's `datetime.isoformat()` of a column: microseconds only when
    there are any."""
    column = '"' + name.replace('"', '""') + '"'
    return (
        f"CASE WHEN microsecond({column}) % 1000000 = 0"
        f" THEN strftime({column}, '%Y-%m-%dT%H:%M:%S')"
        f" ELSE strftime({column}, '%Y-%m-%dT%H:%M:%S.%f') END AS {column}"
    )


def _plain_type(type_: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(type_)
        or type_ == pa.float64()
        or pa.types.is_boolean(type_)
        or pa.types.is_string(type_)
        or pa.types.is_large_string(type_)
        or pa.types.is_date32(type_)
        or pa.types.is_null(type_)
    )


def _duckdb_json_rows(table: pa.Table) -> list[bytes | memoryview]:
    """`[row,row,...]`: DuckDB writes each row as `{...},` into one Arrow string column
    (in table order), and the rows are cut out of its data buffers without a Python
    object per row (or a copy: the parts are views of those buffers)."""
    if table.num_rows == 0:
        return [b"[]"]
    import duckdb  # The decoder worker loads it on the first plain table.

    stamps = [f.name for f in table.schema if pa.types.is_timestamp(f.type)]
    source = "omnix_rows"
    if stamps:
        source = f"(SELECT * REPLACE ({', '.join(map(_iso_timestamp, stamps))}) FROM omnix_rows)"
    with duckdb.connect() as con:
        con.register("omnix_rows", table)
        rows = con.sql(
            f"SELECT to_json({_ROW})::VARCHAR || ',' FROM {source} AS {_ROW}"
        ).to_arrow_table()
    parts: list[bytes | memoryview] = [b"["]
    for chunk in rows.column(0).chunks:
        if not len(chunk):
            continue
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            parts.extend(row.encode() for row in chunk.to_pylist())  # string views
            continue
        _, offsets_buffer, data = chunk.buffers()
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(offsets_buffer, dtype=width)
        start, end = int(offsets[chunk.offset]), int(offsets[chunk.offset + len(chunk)])
        parts.append(memoryview(data)[start:end])
    # The last row's trailing comma becomes the closing bracket.
    last = parts[-1]
    parts[-1] = last[:-1]
    parts.append(b"]")
    return parts
