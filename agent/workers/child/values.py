"""Node values inside a worker: Arrow IPC tables and JSON, to and from pandas."""

from __future__ import annotations

import base64
import datetime
import decimal
import json
from typing import Any

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
    """JSON rows (a list of objects) for a table. NaN floats become null, like missing values."""
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_floating(column.type):
            if pc.any(pc.is_inf(column)).as_py():
                raise OutputError(f"column {name!r} holds Infinity, which JSON cannot represent")
            column = pc.if_else(pc.is_nan(column), pa.scalar(None, column.type), column)
        columns.append(column)
    rows = pa.Table.from_arrays(columns, names=table.column_names).to_pylist()
    return dump_json(rows)
