"""A table's JSON rows are the same values whichever writer makes them: DuckDB's for plain
columns, Python's for the rest. Each comparison re-serialises both sides, so 1 and 1.0 or
a lost microsecond count as different."""

from __future__ import annotations

import datetime
import json

import pyarrow as pa
import pytest
from omnix.agent.workers.child.values import OutputError, dump_json, table_to_json

NAN = float("nan")
STAMPS = [
    datetime.datetime(2024, 1, 1, 0, 0, 0),
    datetime.datetime(2024, 1, 1, 0, 0, 0, 120000),
    datetime.datetime(1969, 12, 31, 23, 59, 59, 999999),
    None,
]


def python_rows(table: pa.Table) -> bytes:
    """The reference: Python objects, NaN as null, as the worker wrote every table before."""
    rows = [
        {k: None if isinstance(v, float) and v != v else v for k, v in row.items()}
        for row in table.to_pylist()
    ]
    return dump_json(rows)


def same(table: pa.Table) -> None:
    fast, slow = json.loads(table_to_json(table)), json.loads(python_rows(table))
    assert json.dumps(fast) == json.dumps(slow)


def test_integers_at_their_limits_and_nulls() -> None:
    same(
        pa.table(
            {
                "i64": pa.array([2**63 - 1, -(2**63), 2**53 + 1, None], pa.int64()),
                "u64": pa.array([2**64 - 1, 0, 1, None], pa.uint64()),
                "i8": pa.array([-128, 127, 0, None], pa.int8()),
            }
        )
    )


def test_floats_keep_their_value_and_nan_is_null() -> None:
    same(pa.table({"f": pa.array([1.0, 0.1, 1e300, 5e-324, -0.0, NAN, None, 1e16])}))


def test_strings_are_escaped_alike() -> None:
    names = ['quote " and \\ back', "line\nbreak\ttab\x01", "é ✓ 😀", "", None]
    same(pa.table({"s": pa.array(names), "ls": pa.array(names, pa.large_string())}))


def test_booleans_dates_and_null_columns() -> None:
    same(
        pa.table(
            {
                "b": pa.array([True, False, None, True]),
                "d": pa.array([datetime.date(2024, 2, 29), datetime.date(1, 1, 1), None, None]),
                "n": pa.array([None] * 4, pa.null()),
            }
        )
    )


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_timestamps_are_spelled_as_isoformat(unit: str) -> None:
    stamps = STAMPS if unit in ("us", "ns") else [s and s.replace(microsecond=0) for s in STAMPS]
    same(pa.table({"t": pa.array(stamps, pa.timestamp(unit))}))


def test_nanoseconds_are_kept() -> None:
    same(pa.table({"t": pa.array([1, 1_000, None], pa.timestamp("ns"))}))


def test_odd_column_names_and_several_chunks() -> None:
    column = pa.chunked_array([pa.array([1, 2]), pa.array([3]), pa.array([], pa.int64())])
    same(pa.table({'a "quoted" name': column, "omnix": pa.chunked_array([["x", "y"], ["z"], []])}))


def test_an_empty_table_is_an_empty_list() -> None:
    assert table_to_json(pa.table({"a": pa.array([], pa.int64())})) == b"[]"


def test_infinity_is_refused_naming_the_column() -> None:
    with pytest.raises(OutputError, match="column 'f' holds Infinity"):
        table_to_json(pa.table({"f": pa.array([1.0, float("inf")])}))
