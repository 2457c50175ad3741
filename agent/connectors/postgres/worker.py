"""The PostgreSQL connector inside a worker: statements, parameters, COPY and types.

A node's code is one or more SQL statements, run in one transaction (committed when all
succeed, rolled back otherwise):

- ``$name`` is the run's parameter `name`, sent as a bound parameter (never spliced into
  the SQL text); inside quotes, dollar quotes and comments it is left alone.
- ``COPY target [(columns)] FROM upstream`` where `upstream` is an upstream table's node id
  loads that table (its columns by name, or the listed ones) through COPY FROM STDIN.
- The output is the last statement's result: a table when it returns rows (even none),
  else ``{"command": "INSERT 0 3", "rows": 3}``.

Result columns get exact Arrow types from PostgreSQL's (bigint → int64, numeric(p, s) →
decimal128(p, s), unconstrained numeric → its exact text, timestamptz → timestamp[us, UTC],
json/jsonb → JSON text, ...; docs/plugins.md has the table).
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import psycopg
import pyarrow as pa
from omnix.agent.workers.child.values import read_table, write_table
from omnix.agent.workers.frames import Blob

Reply = tuple[dict[str, Any], list[Blob]]

_COPY_FROM = re.compile(
    r"^\s*copy\s+(?P<target>[^\s(]+)\s*(?:\((?P<columns>[^)]*)\))?\s+from\s+(?P<source>[a-z_][a-z0-9_]*)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class StatementError(Exception):
    """A problem with the node's SQL that PostgreSQL never saw; `offset` is where."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def _segments(code: str) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) pieces of `code`: "sql", "quoted" (strings, identifiers, dollar
    quotes, comments) or "end" (a semicolon ending a statement)."""
    i, start, n = 0, 0, len(code)
    while i < n:
        c = code[i]
        quoted_end = -1
        if c in "'\"":
            j = i + 1
            while j < n:
                if code[j] == c:
                    if j + 1 < n and code[j + 1] == c:  # '' or "" inside
                        j += 2
                        continue
                    break
                j += 1
            quoted_end = j + 1
        elif code.startswith("--", i):
            newline = code.find("\n", i)
            quoted_end = n if newline < 0 else newline
        elif code.startswith("/*", i):
            close = code.find("*/", i + 2)
            quoted_end = n if close < 0 else close + 2
        elif c == "$" and (tag := _DOLLAR_TAG.match(code, i)) is not None:
            close = code.find(tag.group(0), tag.end())
            quoted_end = n if close < 0 else close + len(tag.group(0))
        elif c == ";":
            if start < i:
                yield "sql", start, i
            yield "end", i, i + 1
            i += 1
            start = i
            continue
        if quoted_end >= 0:
            if start < i:
                yield "sql", start, i
            yield "quoted", i, min(quoted_end, n)
            i = start = min(quoted_end, n)
            continue
        i += 1
    if start < n:
        yield "sql", start, n


def statements(code: str) -> list[tuple[int, list[tuple[str, str]]]]:
    """The statements of `code`: each its offset and its pieces (kind, text)."""
    found: list[tuple[int, list[tuple[str, str]]]] = []
    current: list[tuple[str, str]] = []
    offset = 0
    for kind, start, end in _segments(code):
        if kind == "end":
            if "".join(text for _, text in current).strip():
                found.append((offset, current))
            current, offset = [], end
            continue
        if not current and not code[start:end].strip():
            offset = end
            continue
        if not current:
            offset = start
        current.append((kind, code[start:end]))
    if "".join(text for _, text in current).strip():
        found.append((offset, current))
    return found


def bind(
    pieces: Sequence[tuple[str, str]], params: Mapping[str, Any]
) -> tuple[str, dict[str, Any] | None]:
    """The statement for psycopg: ``$name`` outside quotes becomes a bound parameter."""
    used: dict[str, Any] = {}
    parts: list[tuple[str, str]] = []
    for kind, text in pieces:
        if kind != "sql":
            parts.append((kind, text))
            continue
        for match in _PARAM.finditer(text):
            name = match.group(1)
            if name not in params:
                known = ", ".join(sorted(params)) or "none"
                raise StatementError(
                    f"${name} is not a parameter of this run (params: {known})", match.start()
                )
            used[name] = params[name]
        parts.append((kind, text))
    if not used:
        return "".join(text for _, text in parts), None
    sql = "".join(
        _PARAM.sub(lambda m: f"%({m.group(1)})s", text.replace("%", "%%"))
        if kind == "sql"
        else text.replace("%", "%%")
        for kind, text in parts
    )
    return sql, used


# PostgreSQL type OIDs -> Arrow types (anything else travels as its text).
_ARROW_TYPES: dict[int, pa.DataType] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    26: pa.int64(),  # oid
    700: pa.float32(),
    701: pa.float64(),
    25: pa.string(),
    1043: pa.string(),
    1042: pa.string(),
    19: pa.string(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", "UTC"),
    1083: pa.time64("us"),
    17: pa.binary(),
    2950: pa.string(),  # uuid
}
_JSON_TYPES = {114, 3802}
_NUMERIC = 1700


def _column(values: list[Any], column: psycopg.Column) -> pa.Array:
    oid = column.type_code
    if oid in _JSON_TYPES:
        return pa.array(
            [None if v is None else json.dumps(v, ensure_ascii=False) for v in values], pa.string()
        )
    if oid == _NUMERIC:
        precision, scale = column.precision, column.scale
        if precision is not None and scale is not None and precision <= 38:
            return pa.array(values, pa.decimal128(precision, scale))
        return pa.array([None if v is None else str(v) for v in values], pa.string())
    if oid == 1184:
        values = [None if v is None else v.astimezone(datetime.UTC) for v in values]
    wanted = _ARROW_TYPES.get(oid)
    if wanted is not None:
        return pa.array(values, wanted)
    try:
        return pa.array(values)  # arrays and the like: Arrow infers list<T>
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def _result_table(cursor: psycopg.Cursor[Any]) -> pa.Table:
    description = cursor.description or []
    rows = cursor.fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in description]
    arrays = [
        _column(list(values), column) for values, column in zip(columns, description, strict=True)
    ]
    return pa.Table.from_arrays(arrays, names=[column.name for column in description])


def _copy(cursor: psycopg.Cursor[Any], match: re.Match[str], table: pa.Table) -> dict[str, Any]:
    listed = [c.strip() for c in (match["columns"] or "").split(",") if c.strip()]
    names = listed or [
        psycopg.sql.Identifier(name).as_string(cursor) for name in table.column_names
    ]
    source = table.select([c.strip('"') for c in listed]) if listed else table
    statement = f"COPY {match['target']} ({', '.join(names)}) FROM STDIN"
    with cursor.copy(statement) as copy:
        for batch in source.to_batches(max_chunksize=10_000):
            for row in zip(*(column.to_pylist() for column in batch.columns), strict=True):
                copy.write_row(row)
    return {"command": f"COPY {source.num_rows}", "rows": source.num_rows}


def _line(code: str, offset: int) -> int:
    return code.count("\n", 0, offset) + 1


def _failure(message: str, traceback: str = "") -> Reply:
    return {"ok": False, "message": message, "traceback": traceback}, []


def run(header: dict[str, Any], blobs: list[memoryview]) -> Reply:
    """Run the node's statements in one transaction on the node's `connection` (a libpq URL
    or conninfo; empty: libpq's PG* environment variables, e.g. from the node's secrets)."""
    code = str(header.get("code") or "")
    params = header.get("params") or {}
    tables = {
        item["name"]: read_table(blob)
        for item, blob in zip(header.get("inputs", []), blobs, strict=True)
        if item["kind"] == "table"
    }
    connection = str(header.get("connection") or "")
    try:
        conn = psycopg.connect(connection, connect_timeout=10)
    except psycopg.Error as exc:
        where = (
            connection.split("@")[-1] if "@" in connection else connection or "(PG* environment)"
        )
        return _failure(f"cannot connect to PostgreSQL at {where}: {str(exc).strip()}")
    result: pa.Table | dict[str, Any] = {"command": "", "rows": 0}
    offset = 0
    with conn:
        try:
            with conn.transaction(), conn.cursor() as cursor:
                for start, pieces in statements(code):
                    offset = start  # where an error is reported
                    text = "".join(piece for _, piece in pieces)
                    copy = _COPY_FROM.match(text)
                    if copy is not None and copy["source"] in tables:
                        result = _copy(cursor, copy, tables[copy["source"]])
                        continue
                    sql, bound = bind(pieces, params)
                    cursor.execute(sql, bound)
                    if cursor.description is not None:
                        result = _result_table(cursor)
                    else:
                        result = {
                            "command": cursor.statusmessage or "",
                            "rows": max(cursor.rowcount, 0),
                        }
        except StatementError as exc:
            return _failure(f"line {_line(code, offset + exc.offset)}: {exc}")
        except psycopg.Error as exc:
            position = getattr(exc.diag, "statement_position", None)
            at = offset + (int(position) - 1 if position and not bound_used(code, offset) else 0)
            kind = type(exc).__name__
            return _failure(
                f"{kind}: line {_line(code, at)}: {(exc.diag.message_primary or str(exc)).strip()}"
            )
    if isinstance(result, pa.Table):
        return {"ok": True, "kind": "table", "rows": result.num_rows}, [write_table(result)]
    return {"ok": True, "kind": "json"}, [json.dumps(result).encode()]


def bound_used(code: str, offset: int) -> bool:
    """Whether the statement at `offset` has parameters (PostgreSQL's error position then
    counts in the rewritten text, so only the statement's first line is certain)."""
    for start, pieces in statements(code):
        if start == offset:
            return any(kind == "sql" and _PARAM.search(text) for kind, text in pieces)
    return False
