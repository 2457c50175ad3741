"""The typed exchange: tables as columns of exactly-encoded JSON, for runtimes without Arrow.

A table is ``{"kind": "table", "nrows": N, "columns": [{"name", "type", "values"}...]}``
with one of six column types, each value encoded so no JSON parser can round it:

- ``int64``: decimal strings ("9007199254740993"), so a parser that reads numbers as
  doubles never sees them as numbers
- ``float64``: numbers written with 17 significant digits, or "NaN", "Infinity", "-Infinity"
- ``bool``, ``string``: JSON booleans and strings
- ``date``: days since 1970-01-01 (a JSON integer)
- ``timestamp`` (with ``unit`` s/ms/us/ns and ``tz``, null for a naive one): decimal strings
  counting units since the epoch
- ``null``: a column of nulls

null is null in every type. Anything else (nested, binary, decimals that are not exact as
int64 or float64, uint64 beyond int64) is refused with the column's name and what to do:
never silently converted. docs/languages.md states the rules per language.
"""

from __future__ import annotations

import decimal
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UNITS = ("s", "ms", "us", "ns")


class ExchangeError(Exception):
    """A value that cannot cross exactly; the message names the column and the fix."""


def _float_text(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _decimal_column(name: str, column: pa.ChunkedArray, language: str) -> dict[str, Any]:
    values: list[decimal.Decimal | None] = column.to_pylist()
    present = [v for v in values if v is not None]
    if all(v == v.to_integral_value() and INT64_MIN <= v <= INT64_MAX for v in present):
        return {"type": "int64", "values": [None if v is None else str(int(v)) for v in values]}
    if all(decimal.Decimal(repr(float(v))) == v.normalize() for v in present):
        return {"type": "float64", "values": [None if v is None else float(v) for v in values]}
    raise ExchangeError(
        f"column '{name}' has {column.type} values that are exact neither as int64 nor as "
        f"float64 in {language}; cast it to a string (or round it) upstream"
    )


def column_to_exchange(name: str, column: pa.ChunkedArray, language: str) -> dict[str, Any]:
    """One Arrow column in the exchange's encoding."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = column.type
    if pa.types.is_integer(kind):
        if pa.types.is_uint64(kind):
            biggest = pc.max(column).as_py()
            if biggest is not None and biggest > INT64_MAX:
                raise ExchangeError(
                    f"column '{name}' holds uint64 values beyond int64's range ({biggest}), "
                    f"which {language} cannot hold; cast it to a string upstream"
                )
        values = pc.cast(column, pa.string()).to_pylist()
        return {"type": "int64", "values": values}
    if pa.types.is_float32(kind) or pa.types.is_float64(kind):
        return {
            "type": "float64",
            "values": [None if v is None else _float_text(v) for v in column.to_pylist()],
        }
    if pa.types.is_boolean(kind):
        return {"type": "bool", "values": column.to_pylist()}
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or _is_view(kind, "string"):
        return {"type": "string", "values": column.cast(pa.string()).to_pylist()}
    if pa.types.is_date32(kind) or pa.types.is_date64(kind):
        days = pc.cast(column.cast(pa.date32()), pa.int32()).to_pylist()
        return {"type": "date", "values": days}
    if pa.types.is_timestamp(kind):
        values = pc.cast(pc.cast(column, pa.int64()), pa.string()).to_pylist()
        return {"type": "timestamp", "unit": kind.unit, "tz": kind.tz, "values": values}
    if pa.types.is_null(kind):
        return {"type": "null", "values": [None] * len(column)}
    if pa.types.is_decimal(kind):
        return _decimal_column(name, column, language)
    raise ExchangeError(
        f"column '{name}' has Arrow type {kind}, which {language} nodes cannot read; "
        "cast it upstream (to a string, or to JSON text for nested values)"
    )


def _is_view(kind: pa.DataType, base: str) -> bool:
    return str(kind) == f"{base}_view"


def table_to_exchange(table: pa.Table, language: str) -> dict[str, Any]:
    """A table's exchange object (the `kind`, `nrows` and `columns` keys)."""
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        columns.append({"name": name, **column_to_exchange(name, column, language)})
    return {"kind": "table", "nrows": table.num_rows, "columns": columns}


def _int(value: Any, name: str, row: int) -> int:
    number = int(value) if isinstance(value, str) else value
    if isinstance(number, bool) or not isinstance(number, int):
        raise ExchangeError(f"column '{name}', row {row}: {value!r} is not an int64")
    if not INT64_MIN <= number <= INT64_MAX:
        raise ExchangeError(f"column '{name}', row {row}: {number} is beyond int64's range")
    return number


def _int64s(values: list[Any], name: str) -> pa.Array:
    """int64 values (decimal strings, or integers) through Arrow's own checked parse; on a
    bad value, the slow path names its row."""
    try:
        if all(v is None or isinstance(v, str) for v in values):
            return pc.cast(pa.array(values, pa.string()), pa.int64())
        return pa.array(values, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError):
        ints = [None if v is None else _int(v, name, i) for i, v in enumerate(values)]
        return pa.array(ints, pa.int64())


def _float(value: Any) -> float:
    return float(value)  # float("NaN") and float("-Infinity") are the exchange's spellings


def column_from_exchange(column: Mapping[str, Any], nrows: int) -> pa.Array:
    """An Arrow array from one exchange column; `ExchangeError` names what is wrong."""
    name = str(column.get("name"))
    kind = column.get("type")
    values: list[Any] = list(column.get("values") or [])
    if len(values) != nrows:
        raise ExchangeError(f"column '{name}' has {len(values)} values for {nrows} rows")
    try:
        if kind == "int64":
            return _int64s(values, name)
        if kind == "float64":
            if not any(isinstance(v, str) for v in values):
                return pa.array(values, pa.float64())
            return pa.array([None if v is None else _float(v) for v in values], pa.float64())
        if kind == "bool":
            return pa.array(values, pa.bool_())
        if kind == "string":
            return pa.array(values, pa.string())
        if kind == "date":
            return pa.array(values, pa.int32()).cast(pa.date32())
        if kind == "timestamp":
            unit = column.get("unit", "ns")
            if unit not in UNITS:
                raise ExchangeError(f"column '{name}' has an unknown timestamp unit {unit!r}")
            return _int64s(values, name).cast(pa.timestamp(unit, column.get("tz")))
        if kind == "null":
            return pa.nulls(nrows)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
        raise ExchangeError(f"column '{name}' does not hold {kind} values: {exc}") from None
    raise ExchangeError(f"column '{name}' has an unknown exchange type {kind!r}")


def _restore(array: pa.Array, wanted: pa.DataType) -> pa.Array:
    """`array` as the upstream column's type when every value survives the trip, else as is."""
    if array.type == wanted or pa.types.is_null(array.type):
        return array
    try:
        cast = array.cast(wanted, safe=True)
        back = cast.cast(array.type, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return array
    return cast if back.equals(array) else array


def table_from_exchange(reply: Mapping[str, Any], upstream: Iterable[pa.Schema] = ()) -> pa.Table:
    """An Arrow table from an exchange table; a column named like an upstream table's column
    takes that column's type back when every value fits it exactly (int32 stays int32,
    a naive timestamp in ns stays so)."""
    nrows = int(reply.get("nrows", 0))
    columns: Sequence[Mapping[str, Any]] = reply.get("columns") or []
    types: dict[str, pa.DataType] = {}
    for schema in upstream:
        for field in schema:
            types.setdefault(field.name, field.type)
    names, arrays = [], []
    for column in columns:
        array = column_from_exchange(column, nrows)
        name = str(column.get("name"))
        wanted = types.get(name)
        names.append(name)
        arrays.append(array if wanted is None else _restore(array, wanted))
    if len(set(names)) != len(names):
        raise ExchangeError(f"the table has duplicate column names: {names}")
    return pa.Table.from_arrays(arrays, names=names)


def dumps(value: Any) -> str:
    """Compact JSON on one line (the runtimes read a line at a time)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
