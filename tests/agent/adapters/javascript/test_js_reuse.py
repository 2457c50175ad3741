"""Columns handed back unchanged are written from the upstream Arrow buffers as they came.

The proof that a buffer was reused rather than re-encoded: bytes a fresh encoding would
never produce (data bits set under nulls, characters under a null string, a NaN payload)
survive the round trip.
"""

from __future__ import annotations

import struct

import pyarrow as pa
import pytest

from .conftest import Run, table_value

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Rows 0..3; row 1 is null in every column.
VALIDITY = pa.py_buffer(bytes([0b1101]))


def odd_bools() -> pa.Array:
    """Booleans with a data bit set under the null: a fresh encoding writes 0 there."""
    return pa.Array.from_buffers(pa.bool_(), 4, [VALIDITY, pa.py_buffer(bytes([0b1111]))], 1)


def odd_strings(large: bool = False) -> pa.Array:
    """Strings whose null still owns characters ("zz"): a fresh encoding gives it none."""
    kind, fmt = (pa.large_string(), "<5q") if large else (pa.string(), "<5i")
    offsets = pa.py_buffer(struct.pack(fmt, 0, 1, 3, 4, 6))
    return pa.Array.from_buffers(kind, 4, [VALIDITY, offsets, pa.py_buffer(b"azzbcc")], 1)


def odd_floats() -> pa.Array:
    """A NaN with a payload and a -0.0: kept bit for bit only when the buffer is reused."""
    data = struct.pack("<4Q", 0x7FF800000000BEEF, 0, 0x8000000000000000, 0x3FF0000000000000)
    return pa.Array.from_buffers(pa.float64(), 4, [VALIDITY, pa.py_buffer(data)], 1)


def odd_table() -> pa.Table:
    return pa.table(
        {
            "flag": odd_bools(),
            "name": odd_strings(),
            "big": odd_strings(large=True),
            "x": odd_floats(),
            "small": pa.array([1, None, -3, 4], pa.int8()),
        }
    )


def buffer_bytes(column: pa.ChunkedArray) -> list[bytes | None]:
    [chunk] = column.chunks
    return [None if b is None else b.to_pybytes() for b in chunk.buffers()]


async def test_passing_a_table_through_keeps_every_buffer_byte_for_byte(run: Run) -> None:
    table = odd_table()
    back = (await run("t", {"t": table_value(table)})).table
    assert back.schema == table.schema
    for name in table.column_names:
        assert buffer_bytes(back[name]) == buffer_bytes(table[name]), name


async def test_spread_rows_keep_unchanged_columns_and_encode_the_new_one(run: Run) -> None:
    table = odd_table()
    back = (await run("t.map(r => ({...r, small: 7}))", {"t": table_value(table)})).table
    assert back.schema == table.schema
    assert back["small"].to_pylist() == [7, 7, 7, 7]
    for name in ("flag", "name", "big", "x"):
        assert buffer_bytes(back[name]) == buffer_bytes(table[name]), name


async def test_one_changed_value_makes_the_column_encoded_afresh(run: Run) -> None:
    table = odd_table()
    code = "t.map((r, i) => i === 3 ? {...r, name: 'new', flag: false} : r)"
    back = (await run(code, {"t": table_value(table)})).table
    assert back["name"].to_pylist() == ["a", None, "b", "new"]
    assert back["flag"].to_pylist() == [True, None, True, False]
    assert back["name"].type == pa.string()
    # Encoded from the values: the null owns no characters any more.
    assert buffer_bytes(back["name"])[2] == b"abnew"


async def test_zero_replacing_minus_zero_is_not_mistaken_for_unchanged(run: Run) -> None:
    table = pa.table({"x": pa.array([-0.0, 1.0])})
    back = (await run("t.map(r => ({x: r.x === 0 ? 0 : r.x}))", {"t": table_value(table)})).table
    values = buffer_bytes(back["x"])[1]
    assert values is not None
    assert struct.unpack("<2d", values[:16]) == (0.0, 1.0)
    assert str(back["x"][0].as_py()) == "0.0"


async def test_undefined_where_a_null_was_is_still_a_null(run: Run) -> None:
    table = pa.table({"s": pa.array(["a", None])})
    code = "t.map(r => ({s: r.s === null ? undefined : r.s}))"
    back = (await run(code, {"t": table_value(table)})).table
    assert back["s"].to_pylist() == ["a", None]


async def test_reordered_rows_are_not_taken_for_the_input_column(run: Run) -> None:
    table = pa.table({"s": ["a", "b", "c"], "n": pa.array([1, 2, 3], pa.int16())})
    back = (await run("t.slice().reverse()", {"t": table_value(table)})).table
    assert back.to_pylist() == list(reversed(table.to_pylist()))
    assert back.schema == table.schema


async def test_unchanged_columns_of_several_batches_are_joined(run: Run) -> None:
    # Batch lengths 3 and 6: the second batch's bits start mid-byte.
    first = pa.table(
        {
            "s": pa.array(["a", None, "ccc"]),
            "l": pa.array(["x", "yy", None], pa.large_string()),
            "b": pa.array([True, None, False]),
            "f": pa.array([1.5, None, 2.5], pa.float32()),
        }
    )
    second = pa.table(
        {
            "s": pa.array(["dd", "", None, "é", "f", "g"]),
            "l": pa.array([None, "z", "", "ü", "v", "w"], pa.large_string()),
            "b": pa.array([None, True, True, False, True, None]),
            "f": pa.array([None, 3.0, 4.0, 5.0, 6.0, 7.0], pa.float32()),
        }
    )
    table = pa.concat_tables([first, second])
    assert table["s"].num_chunks == 2
    back = (await run("t", {"t": table_value(table)})).table
    assert back.schema == table.schema
    assert back.to_pylist() == table.to_pylist()


async def test_rows_built_from_a_table_are_plain_objects(run: Run) -> None:
    table = odd_table()
    code = "t.every(r => Object.getPrototypeOf(r) === Object.prototype && !Array.isArray(r))"
    assert (await run(code, {"t": table_value(table)})).json == b"true"


async def test_unchanged_64_bit_integer_columns_come_back_exactly(run: Run) -> None:
    edge = [-(2**53) + 1, -1, 0, 1, 2**53 - 1]
    table = pa.concat_tables(
        [
            pa.table(
                {
                    "i": pa.array(edge, pa.int64()),
                    "u": pa.array([0, 1, 2, 3, 2**53 - 1], pa.uint64()),
                }
            ),
            pa.table({"i": pa.array([-5, 7], pa.int64()), "u": pa.array([9, 10], pa.uint64())}),
        ]
    )
    for source in (table, table.combine_chunks()):
        back = (await run("t.map(r => ({...r}))", {"t": table_value(source)})).table
        assert back.schema == source.schema
        assert back.to_pylist() == source.to_pylist()
