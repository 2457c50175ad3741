"""Every rule of docs/types.md: pyarrow-made Arrow bytes -> JavaScript -> back, values and types."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from omnix.agent.adapters.base import Value

from .conftest import Outcome, Run, table_value

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def through_js(run: Run, table: pa.Table, code: str = "t") -> Outcome:
    return await run(code, {"t": table_value(table)})


async def js_view(run: Run, table: pa.Table, expr: str) -> Any:
    """What JavaScript sees: `expr` evaluated with the table bound to `t`, as JSON."""
    return json.loads((await through_js(run, table, expr)).json)


async def assert_round_trip(run: Run, table: pa.Table) -> None:
    back = (await through_js(run, table, "t.map(r => ({...r}))")).table
    assert back.schema == table.schema
    assert back.to_pylist() == table.to_pylist()


# --- integers ---------------------------------------------------------------------------


async def test_int64_within_2_pow_53_is_a_js_number(run: Run) -> None:
    table = pa.table({"n": pa.array([1, -(2**53) + 1, 2**53 - 1, None], pa.int64())})
    assert await js_view(run, table, "t.map(r => typeof r.n)") == [
        "number",
        "number",
        "number",
        "object",
    ]
    await assert_round_trip(run, table)


async def test_int64_beyond_2_pow_53_makes_the_whole_column_bigint(run: Run) -> None:
    table = pa.table({"n": pa.array([1, 2**53, -(2**63), 2**63 - 1, None], pa.int64())})
    kinds = await js_view(run, table, "t.map(r => typeof r.n)")
    assert kinds == ["bigint", "bigint", "bigint", "bigint", "object"]
    assert await js_view(run, table, "String(t[1].n + 1n)") == str(2**53 + 1)
    await assert_round_trip(run, table)


async def test_uint64_beyond_int64_round_trips_exactly(run: Run) -> None:
    await assert_round_trip(run, pa.table({"n": pa.array([0, 2**64 - 1], pa.uint64())}))


async def test_small_integer_types_keep_their_width(run: Run) -> None:
    table = pa.table(
        {
            "i8": pa.array([-128, 127], pa.int8()),
            "i16": pa.array([-1, None], pa.int16()),
            "i32": pa.array([2**31 - 1, 0], pa.int32()),
            "u8": pa.array([255, 0], pa.uint8()),
            "u32": pa.array([2**32 - 1, 1], pa.uint32()),
        }
    )
    await assert_round_trip(run, table)


async def test_new_integer_column_is_int64(run: Run) -> None:
    out = (await run("[{a: 1, b: 2n}, {a: -3, b: null}]")).table
    assert out.schema == pa.schema([("a", pa.int64()), ("b", pa.int64())])
    assert out.to_pylist() == [{"a": 1, "b": 2}, {"a": -3, "b": None}]


async def test_unsafe_js_number_becomes_float64_not_a_guessed_integer(run: Run) -> None:
    out = (await run("[{a: 2 ** 60}, {a: 1}]")).table
    assert out.schema.field("a").type == pa.float64()


async def test_bigint_beyond_64_bits_is_an_error(run: Run) -> None:
    failure = (await run("[{a: 2n ** 70n}]")).failure
    assert 'column "a"' in failure.message and "beyond 64 bits" in failure.message


async def test_value_not_fitting_the_upstream_int_type_widens_to_int64(run: Run) -> None:
    table = pa.table({"n": pa.array([1, 2], pa.int8())})
    out = (await through_js(run, table, "t.map(r => ({n: r.n * 100}))")).table
    assert out.schema.field("n").type == pa.int64()
    assert out["n"].to_pylist() == [100, 200]


# --- floats, NaN and null -----------------------------------------------------------------


async def test_null_and_nan_stay_distinct(run: Run) -> None:
    table = pa.table({"x": pa.array([1.5, None, float("nan")], pa.float64())})
    assert await js_view(
        run, table, "t.map(r => r.x === null ? 'null' : Number.isNaN(r.x) ? 'NaN' : r.x)"
    ) == [
        1.5,
        "null",
        "NaN",
    ]
    back = (await through_js(run, table, "t.map(r => ({...r}))")).table
    values = back["x"].to_pylist()
    assert values[0] == 1.5 and values[1] is None and math.isnan(values[2])
    assert back["x"].null_count == 1


async def test_float64_with_whole_values_stays_float64(run: Run) -> None:
    await assert_round_trip(run, pa.table({"x": pa.array([1.0, 2.0, None], pa.float64())}))


async def test_float32_round_trips(run: Run) -> None:
    await assert_round_trip(run, pa.table({"x": pa.array([1.5, -0.25], pa.float32())}))


async def test_new_float_column_is_float64_and_infinity_survives(run: Run) -> None:
    out = (await run("[{x: 0.5}, {x: Infinity}, {x: NaN}]")).table
    assert out.schema.field("x").type == pa.float64()
    values = out["x"].to_pylist()
    assert values[:2] == [0.5, math.inf] and math.isnan(values[2])


# --- booleans and strings -----------------------------------------------------------------


async def test_booleans_with_nulls_round_trip(run: Run) -> None:
    table = pa.table({"b": pa.array([True, None, False], pa.bool_())})
    assert await js_view(run, table, "t.map(r => r.b)") == [True, None, False]
    await assert_round_trip(run, table)


async def test_strings_round_trip_unicode_empty_and_null(run: Run) -> None:
    values = ["plain", "héllo wörld", "emoji 🚀", "", None, "line\nbreak"]
    for string_type in (pa.string(), pa.large_string()):
        table = pa.table({"s": pa.array(values, string_type)})
        assert await js_view(run, table, "t.map(r => r.s)") == values
        await assert_round_trip(run, table)


async def test_string_with_lone_surrogate_is_an_error(run: Run) -> None:
    failure = (await run("[{s: 'ok'}, {s: 'bad \\uD800'}]")).failure
    assert 'column "s" row 1' in failure.message and "surrogate" in failure.message


async def test_mixed_types_in_a_column_are_an_error(run: Run) -> None:
    failure = (await run("[{a: 1}, {a: 'two'}]")).failure
    assert 'column "a" mixes number (row 0) and string (row 1)' in failure.message


async def test_binary_is_a_uint8array(run: Run) -> None:
    table = pa.table({"b": pa.array([b"\x00\xff", None, b""], pa.binary())})
    assert await js_view(
        run, table, "t.map(r => r.b instanceof Uint8Array ? Array.from(r.b) : r.b)"
    ) == [
        [0, 255],
        None,
        [],
    ]
    await assert_round_trip(run, table)


# --- dates and timestamps ----------------------------------------------------------------


async def test_date32_is_a_date_at_utc_midnight_and_round_trips(run: Run) -> None:
    table = pa.table(
        {"d": pa.array([dt.date(2024, 2, 29), None, dt.date(1969, 12, 31)], pa.date32())}
    )
    assert await js_view(run, table, "t.map(r => r.d && r.d.toISOString())") == [
        "2024-02-29T00:00:00.000Z",
        None,
        "1969-12-31T00:00:00.000Z",
    ]
    assert await js_view(run, table, "t[0].d instanceof Date") is True
    await assert_round_trip(run, table)


async def test_naive_timestamp_reads_as_utc_wall_clock_and_keeps_its_unit(run: Run) -> None:
    table = pa.table(
        {"ts": pa.array([dt.datetime(2024, 3, 31, 2, 30, 0, 123000), None], pa.timestamp("us"))}
    )
    assert await js_view(run, table, "[t[0].ts.toISOString(), t[0].ts.getHours()]") == [
        "2024-03-31T02:30:00.123Z",
        2,
    ]
    await assert_round_trip(run, table)


async def test_timezone_aware_timestamp_keeps_instant_and_zone(run: Run) -> None:
    instant = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)
    table = pa.table({"ts": pa.array([instant], pa.timestamp("ns", tz="Europe/Berlin"))})
    assert await js_view(run, table, "t[0].ts.toISOString()") == "2024-06-01T12:00:00.000Z"
    await assert_round_trip(run, table)


async def test_sub_millisecond_timestamp_is_an_error_not_a_truncation(run: Run) -> None:
    table = pa.table({"ts": pa.array([dt.datetime(2024, 1, 1, 0, 0, 0, 1)], pa.timestamp("us"))})
    failure = (await through_js(run, table)).failure
    assert 'column "ts" row 0' in failure.message and "sub-millisecond" in failure.message


async def test_new_date_column_is_utc_millisecond_timestamp(run: Run) -> None:
    out = (await run("[{at: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6))}]")).table
    assert out.schema.field("at").type == pa.timestamp("ms", tz="UTC")
    assert out["at"][0].as_py() == dt.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=dt.UTC)


async def test_date_column_moved_off_midnight_becomes_a_timestamp(run: Run) -> None:
    table = pa.table({"d": pa.array([dt.date(2024, 1, 1)], pa.date32())})
    out = (
        await through_js(run, table, "t.map(r => ({d: new Date(r.d.getTime() + 3600000)}))")
    ).table
    assert out.schema.field("d").type == pa.timestamp("ms", tz="UTC")


# --- decimals ----------------------------------------------------------------------------


async def test_decimal_up_to_15_digits_is_a_number_and_round_trips_exactly(run: Run) -> None:
    table = pa.table(
        {"price": pa.array([Decimal("1.25"), Decimal("-3.10"), None], pa.decimal128(10, 2))}
    )
    assert await js_view(run, table, "t.map(r => r.price)") == [1.25, -3.1, None]
    await assert_round_trip(run, table)


async def test_decimal_scale_zero_like_sql_sum_is_a_number(run: Run) -> None:
    table = pa.table({"total": pa.array([Decimal(15), Decimal(20)], pa.decimal128(38, 0))})
    assert await js_view(run, table, "t.map(r => r.total + 1)") == [16, 21]
    await assert_round_trip(run, table)


async def test_decimal_scale_zero_beyond_2_pow_53_is_bigint(run: Run) -> None:
    table = pa.table({"total": pa.array([Decimal(2**70), Decimal(1)], pa.decimal128(38, 0))})
    assert await js_view(run, table, "t.map(r => typeof r.total)") == ["bigint", "bigint"]
    await assert_round_trip(run, table)


async def test_decimal_with_more_than_15_digits_is_an_exact_string(run: Run) -> None:
    table = pa.table(
        {
            "v": pa.array(
                [Decimal("12345678901234567.8901"), Decimal("-0.0001")], pa.decimal128(38, 4)
            )
        }
    )
    assert await js_view(run, table, "t.map(r => r.v)") == ["12345678901234567.8901", "-0.0001"]
    await assert_round_trip(run, table)


# --- nested ------------------------------------------------------------------------------


async def test_lists_are_arrays_and_round_trip(run: Run) -> None:
    table = pa.table({"l": pa.array([[1, 2], None, [], [None, 3]], pa.list_(pa.int64()))})
    assert await js_view(run, table, "t.map(r => r.l)") == [[1, 2], None, [], [None, 3]]
    assert await js_view(run, table, "Array.isArray(t[0].l) && t[0].l instanceof Array") is True
    await assert_round_trip(run, table)


async def test_structs_are_plain_objects_and_round_trip(run: Run) -> None:
    struct = pa.struct([("x", pa.int64()), ("y", pa.string())])
    table = pa.table({"s": pa.array([{"x": 1, "y": "a"}, None, {"x": None, "y": "b"}], struct)})
    assert await js_view(run, table, "t.map(r => r.s)") == [
        {"x": 1, "y": "a"},
        None,
        {"x": None, "y": "b"},
    ]
    await assert_round_trip(run, table)


async def test_list_of_structs_round_trips(run: Run) -> None:
    kind = pa.list_(pa.struct([("k", pa.string()), ("v", pa.float64())]))
    table = pa.table({"items": pa.array([[{"k": "a", "v": 1.0}], []], kind)})
    await assert_round_trip(run, table)


async def test_new_nested_values_are_inferred(run: Run) -> None:
    out = (await run("[{tags: ['a', 'b'], point: {x: 1, y: 2.5}}, {tags: [], point: null}]")).table
    assert out.schema.field("tags").type == pa.list_(pa.string())
    assert out.schema.field("point").type == pa.struct([("x", pa.int64()), ("y", pa.float64())])


# --- tables as a whole --------------------------------------------------------------------


async def test_empty_table_arrives_as_an_empty_array(run: Run) -> None:
    table = pa.table({"a": pa.array([], pa.int64())})
    assert await js_view(run, table, "[Array.isArray(t), t.length]") == [True, 0]


async def test_empty_array_result_is_json_not_a_table(run: Run) -> None:
    assert (await run("[]")).json == b"[]"


async def test_omnix_table_declares_types_even_for_zero_rows(run: Run) -> None:
    out = (
        await run("omnix.table([], {id: 'int64', name: 'string', at: 'timestamp[us, UTC]'})")
    ).table
    assert out.num_rows == 0
    assert out.schema == pa.schema(
        [("id", pa.int64()), ("name", pa.string()), ("at", pa.timestamp("us", tz="UTC"))]
    )


async def test_omnix_table_type_that_does_not_fit_is_an_error(run: Run) -> None:
    failure = (await run("omnix.table([{a: 1.5}], {a: 'int64'})")).failure
    assert (
        'column "a"' in failure.message and "do not fit the declared type int64" in failure.message
    )


async def test_missing_keys_are_nulls_and_new_keys_add_columns(run: Run) -> None:
    out = (await run("[{a: 1}, {a: 2, b: 'x'}, {b: 'y'}]")).table
    assert out.column_names == ["a", "b"]
    assert out.to_pylist() == [{"a": 1, "b": None}, {"a": 2, "b": "x"}, {"a": None, "b": "y"}]


async def test_column_names_with_spaces_and_unicode_round_trip(run: Run) -> None:
    await assert_round_trip(run, pa.table({"unit price": [1.5], "größe": ["L"], "": [1]}))


async def test_duplicate_column_names_are_an_error(run: Run) -> None:
    table = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["a", "a"])
    failure = (await through_js(run, table)).failure
    assert 'duplicate column name "a"' in failure.message


async def test_proto_column_name_is_an_error(run: Run) -> None:
    failure = (await through_js(run, pa.table({"__proto__": [1]}))).failure
    assert '"__proto__"' in failure.message


async def test_dictionary_column_arrives_as_its_values(run: Run) -> None:
    table = pa.table({"c": pa.array(["x", "y", "x", None]).dictionary_encode()})
    assert await js_view(run, table, "t.map(r => r.c)") == ["x", "y", "x", None]
    out = (await through_js(run, table, "t.map(r => ({...r}))")).table
    assert out.schema.field("c").type == pa.string()


async def test_null_type_column_round_trips(run: Run) -> None:
    await assert_round_trip(run, pa.table({"n": pa.nulls(2)}))


async def test_unsupported_arrow_type_names_the_column_and_the_fix(run: Run) -> None:
    table = pa.table({"wait": pa.array([dt.timedelta(seconds=1)], pa.duration("s"))})
    failure = (await through_js(run, table)).failure
    assert 'column "wait" has Arrow type duration' in failure.message
    assert "cast it upstream" in failure.message


async def test_multi_batch_streams_are_concatenated(run: Run) -> None:
    table = pa.concat_tables([pa.table({"a": [1, 2]}), pa.table({"a": [3]})])
    assert table["a"].num_chunks == 2
    assert await js_view(run, table, "t.map(r => r.a)") == [1, 2, 3]


async def test_first_upstream_with_a_column_name_gives_its_type(run: Run) -> None:
    a = pa.table({"x": pa.array([1.0], pa.float64())})
    b = pa.table({"x": pa.array([1], pa.int32())})
    out = await run("[{x: 2}]", {"a": table_value(a), "b": table_value(b)})
    assert out.table.schema.field("x").type == pa.float64()


async def test_a_non_table_value_from_pandas_style_json_is_a_js_value(run: Run) -> None:
    value = Value(
        "json", b'{"count": 3, "names": ["a", "b"], "ok": true, "none": null, "ratio": 0.5}'
    )
    assert json.loads((await run("v", {"v": value})).json) == json.loads(value.data)


# --- JSON values -----------------------------------------------------------------------


async def test_json_integer_beyond_2_pow_53_arrives_as_bigint(run: Run) -> None:
    value = Value("json", json.dumps({"id": 2**60 + 1}).encode())
    out = await run("[typeof v.id, String(v.id)]", {"v": value})
    assert json.loads(out.json) == ["bigint", str(2**60 + 1)]


async def test_bigint_result_is_exact_json(run: Run) -> None:
    assert json.loads((await run("2n ** 64n")).json) == 2**64


async def test_params_keep_big_integers_exact(run: Run) -> None:
    out = await run("String(params.big)", params={"big": 2**62})
    assert json.loads(out.json) == str(2**62)


async def test_json_nan_input_arrives_as_nan(run: Run) -> None:
    out = await run("Number.isNaN(v[0])", {"v": Value("json", b"[NaN, 1]")})
    assert out.json == b"true"


async def test_user_object_with_the_tag_key_is_not_mistaken(run: Run) -> None:
    value = Value("json", json.dumps({"$omnix": "bigint", "v": "5", "big": 2**60}).encode())
    assert json.loads((await run("v", {"v": value})).json) == {
        "$omnix": "bigint",
        "v": "5",
        "big": 2**60,
    }


async def test_nan_in_a_json_result_is_an_error(run: Run) -> None:
    failure = (await run("({ratio: 0 / 0})")).failure
    assert "at $.ratio is NaN, which JSON cannot hold" in failure.message


async def test_map_in_a_json_result_is_an_error_with_a_fix(run: Run) -> None:
    failure = (await run("new Map([['a', 1]])")).failure
    assert "is a Map" in failure.message and "Object.fromEntries" in failure.message


async def test_undefined_result_is_null_and_dates_are_iso_strings(run: Run) -> None:
    assert (await run("undefined")).json == b"null"
    assert json.loads((await run("[new Date(0)]")).json) == ["1970-01-01T00:00:00.000Z"]


async def test_array_of_plain_objects_from_json_becomes_a_table(run: Run) -> None:
    value = Value("json", b'[{"a": 1}, {"a": 2}]')
    assert (await run("v", {"v": value})).table.to_pylist() == [{"a": 1}, {"a": 2}]


async def test_repeated_and_distinct_strings_keep_every_value(run: Run) -> None:
    repeated = [["north", "south", "", "n0rth"][i % 4] for i in range(10_000)]
    distinct = [f"id-{i}" for i in range(10_000)]
    table = pa.table({"region": repeated, "key": distinct})
    back = (await through_js(run, table, "t.filter(r => r.key !== 'id-5')")).table
    assert back["region"].to_pylist() == repeated[:5] + repeated[6:]
    assert back["key"].to_pylist() == distinct[:5] + distinct[6:]


async def test_string_and_binary_views_arrive_as_strings_and_bytes(run: Run) -> None:
    long_text = "a value longer than twelve bytes ✓"
    table = pa.table(
        {
            "s": pa.array(["short", None, long_text, ""], pa.string_view()),
            "b": pa.array([b"\x01", b"x" * 20, None, b""], pa.binary_view()),
        }
    )
    assert await js_view(run, table, "t.map(r => [r.s, r.b && Array.from(r.b).length])") == [
        ["short", 1],
        [None, 20],
        [long_text, None],
        ["", 0],
    ]
    out = (await through_js(run, table, "t.map(r => ({...r}))")).table
    assert out.schema == pa.schema([("s", pa.string()), ("b", pa.binary())])
    assert out.to_pylist() == table.to_pylist()


async def test_fixed_size_lists_arrive_as_arrays_and_return_as_lists(run: Run) -> None:
    vectors = pa.array([[0.5, 1.0, -2.0], None, [0.0, 0.0, 1.0]], pa.list_(pa.float32(), 3))
    table = pa.table({"embedding": vectors})
    assert await js_view(run, table, "t.map(r => r.embedding)") == [
        [0.5, 1.0, -2.0],
        None,
        [0.0, 0.0, 1.0],
    ]
    out = (await through_js(run, table, "t.map(r => ({...r}))")).table
    assert out.schema.field("embedding").type == pa.list_(pa.float32())
    assert out.to_pylist() == table.to_pylist()
