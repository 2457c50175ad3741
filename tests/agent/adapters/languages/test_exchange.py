"""The typed exchange (Python side): what crosses exactly, what is refused and why."""

from __future__ import annotations

import datetime
import decimal

import pyarrow as pa
import pytest
from omnix.agent.workers.child.external.exchange import (
    ExchangeError,
    table_from_exchange,
    table_to_exchange,
)


def round_trip(table: pa.Table) -> pa.Table:
    exchanged = table_to_exchange(table, "R")
    return table_from_exchange({**exchanged, "ok": True}, [table.schema])


def test_every_exchange_type_comes_back_with_its_arrow_type() -> None:
    table = pa.table(
        {
            "i8": pa.array([1, None, -3], pa.int8()),
            "u32": pa.array([4294967295, None, 0], pa.uint32()),
            "i64": pa.array([2**63 - 1, None, -(2**63)], pa.int64()),
            "f32": pa.array([1.5, None, float("inf")], pa.float32()),
            "f64": pa.array([0.1 + 0.2, float("nan"), None], pa.float64()),
            "s": pa.array(["ü", None, ""], pa.large_string()),
            "d": pa.array([datetime.date(1, 1, 1), None, datetime.date(9999, 12, 31)]),
            "t": pa.array([1, None, 2], pa.timestamp("ns", "Europe/Berlin")),
            "n": pa.nulls(3),
        }
    )
    back = round_trip(table)
    assert back.schema == table.schema
    assert back.column("f64")[1].as_py() != back.column("f64")[1].as_py()  # NaN, not null
    assert back.column("f64").null_count == 1
    assert back.to_pylist()[0] == table.to_pylist()[0]
    assert back.to_pylist()[2] == table.to_pylist()[2]


def test_int64_values_travel_as_strings_so_no_json_reader_rounds_them() -> None:
    exchanged = table_to_exchange(pa.table({"big": pa.array([2**53 + 1], pa.int64())}), "R")
    assert exchanged["columns"][0] == {
        "name": "big",
        "type": "int64",
        "values": ["9007199254740993"],
    }


def test_decimals_cross_as_int64_or_float64_only_when_exact() -> None:
    whole = pa.array([decimal.Decimal("12"), None], pa.decimal128(38, 0))
    cents = pa.array([decimal.Decimal("1.25")], pa.decimal128(10, 2))
    assert table_to_exchange(pa.table({"w": whole}), "R")["columns"][0]["type"] == "int64"
    assert table_to_exchange(pa.table({"c": cents}), "R")["columns"][0]["type"] == "float64"
    exact = pa.array([decimal.Decimal("12345678901234567.8901")], pa.decimal128(38, 4))
    with pytest.raises(ExchangeError, match=r"column 'x' has decimal128.*cast it to a string"):
        table_to_exchange(pa.table({"x": exact}), "R")


def test_uint64_beyond_int64_and_nested_columns_are_refused_by_name() -> None:
    with pytest.raises(ExchangeError, match="column 'u' holds uint64 values beyond int64's range"):
        table_to_exchange(pa.table({"u": pa.array([2**64 - 1], pa.uint64())}), "Go")
    with pytest.raises(
        ExchangeError,
        match="column 'l' has Arrow type list<item: int64>, which Go nodes cannot read",
    ):
        table_to_exchange(pa.table({"l": pa.array([[1]])}), "Go")


def test_a_reply_with_a_value_out_of_range_names_column_and_row() -> None:
    reply = {"nrows": 2, "columns": [{"name": "n", "type": "int64", "values": ["1", str(2**63)]}]}
    with pytest.raises(
        ExchangeError, match="column 'n', row 1: 9223372036854775808 is beyond int64's range"
    ):
        table_from_exchange(reply)


def test_an_upstream_type_is_kept_only_when_every_value_fits() -> None:
    upstream = pa.schema([("small", pa.int32())])
    fits = {"nrows": 1, "columns": [{"name": "small", "type": "int64", "values": ["7"]}]}
    too_big = {"nrows": 1, "columns": [{"name": "small", "type": "int64", "values": [str(2**40)]}]}
    assert table_from_exchange(fits, [upstream]).schema.field("small").type == pa.int32()
    assert table_from_exchange(too_big, [upstream]).schema.field("small").type == pa.int64()
