"""Run one SQL node inside a worker (ARCHITECTURE §3).

DuckDB, in memory, with each upstream table registered under its node id; params are
bound as ``$name``; the last statement's result set is the output. With
``connection: sqlite:PATH`` the statements run against that SQLite file instead (the
upstream tables are then TEMP tables of the connection). Errors name the node and the
line within its code.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from omnix.agent.workers.child.values import OutputError, read_table, write_table
from omnix.agent.workers.frames import Blob

Result = tuple[dict[str, Any], list[Blob]]
_DUCKDB_LINE = re.compile(r"\bLINE (\d+):")


class SqlFailure(Exception):
    """A user error located in the node's code."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _line_of(code: str, offset: int) -> int:
    return code.count("\n", 0, offset) + 1


def _inputs(header: dict[str, Any], blobs: list[memoryview]) -> dict[str, pa.Table]:
    tables: dict[str, pa.Table] = {}
    for spec, blob in zip(header.get("inputs", ()), blobs, strict=True):
        if spec["kind"] == "table" or bytes(blob[:1]) == b"[":
            # JSON arrays of row objects (from languages without Arrow) are tables too.
            try:
                tables[spec["name"]] = read_table(blob)
            except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError, AttributeError, TypeError):
                continue  # a JSON list that is not rows: not a table, so not in scope
    return tables


def _bind(name_set: set[str], params: dict[str, Any], line: int) -> dict[str, Any]:
    missing = sorted(name_set - params.keys())
    if missing:
        known = ", ".join(sorted(params)) or "none"
        raise SqlFailure(
            line,
            f"${missing[0]} is not a parameter of this run (the run's params: {known}); "
            "declare it under `params:` or pass --param",
        )
    return {name: params[name] for name in name_set}


_database: duckdb.DuckDBPyConnection | None = None
_runs = itertools.count()


def _connection() -> duckdb.DuckDBPyConnection:
    """A new connection (its own temp objects, views and settings) to the worker's database.

    Opening a DuckDB database costs ~50 ms (it starts a thread pool), so the worker opens
    one and gives each node a connection to it, which costs microseconds.
    """
    global _database
    if _database is None:
        _database = duckdb.connect()
        # Names in a query resolve to the node's inputs only, never to the worker's variables.
        _database.execute("SET GLOBAL python_enable_replacements = false")
    return _database.cursor()


@contextlib.contextmanager
def _own_database(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run on a new in-memory database, detached afterwards: tables a node creates vanish
    with it. Only nodes with statements other than SELECT pay for this (~3 ms)."""
    assert _database is not None
    name = f"node_run_{next(_runs)}"
    connection.execute(f"ATTACH ':memory:' AS {name}")
    try:
        connection.execute(f"USE {name}")
        yield
    finally:
        with contextlib.suppress(duckdb.Error):
            connection.execute("USE memory")
        _database.execute(f"DETACH DATABASE IF EXISTS {name}")


def _run_duckdb(code: str, tables: dict[str, pa.Table], params: dict[str, Any]) -> pa.Table | None:
    connection = _connection()
    try:
        statements = connection.extract_statements(code)
    except duckdb.Error as exc:
        connection.close()
        raise SqlFailure(_located_line(str(exc), 1), _strip_line(str(exc))) from None
    only_queries = all(st.type == duckdb.StatementType.SELECT for st in statements)
    with contextlib.closing(connection), contextlib.ExitStack() as scope:
        if not only_queries:
            scope.enter_context(_own_database(connection))
        for name, table in tables.items():
            connection.register(name, table)
        result: pa.Table | None = None
        position = 0
        for index, statement in enumerate(statements):
            offset = code.find(statement.query.strip(), position)
            if offset < 0:
                offset = position
            position = offset + len(statement.query.strip())
            line = _line_of(code, offset)
            bound = _bind(set(statement.named_parameters), params, line)
            try:
                cursor = connection.execute(statement.query, bound)
                # CREATE/INSERT/... answer with DuckDB's row count alone: that is no result
                # set. SELECT, INSERT ... RETURNING and PRAGMA are.
                columns = [column[0] for column in cursor.description or ()]
                is_query = statement.type == duckdb.StatementType.SELECT
                if index == len(statements) - 1 and columns and (is_query or columns != ["Count"]):
                    # `execute` (not `sql`) because only its errors carry the LINE; the
                    # extra copy it warns about costs little next to the query.
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        result = cursor.to_arrow_table()
            except duckdb.Error as exc:
                # DuckDB counts LINE from the start of the statement's own text.
                leading = statement.query[: len(statement.query) - len(statement.query.lstrip())]
                first = line - leading.count("\n")
                raise SqlFailure(
                    _located_line(str(exc), line, first), _strip_line(str(exc))
                ) from None
        return result


def _located_line(message: str, default: int, first: int | None = None) -> int:
    match = _DUCKDB_LINE.search(message)
    if match is None:
        return default
    return (first if first is not None else default) + int(match.group(1)) - 1


def _strip_line(message: str) -> str:
    # DuckDB appends "LINE n: <sql>" and a caret line; the line number is reported separately.
    return _DUCKDB_LINE.split(message)[0].rstrip() if _DUCKDB_LINE.search(message) else message


def _split_sqlite(code: str) -> list[tuple[int, str]]:
    """(offset, statement) pairs; SQLite's own tokenizer decides where statements end."""
    statements: list[tuple[int, str]] = []
    start = 0
    for end in (match.end() for match in re.finditer(";", code)):
        chunk = code[start:end]
        if sqlite3.complete_statement(chunk):
            if chunk.strip(" \t\r\n;"):
                statements.append((start + len(chunk) - len(chunk.lstrip()), chunk.strip()))
            start = end
    tail = code[start:]
    if _has_sql(tail):
        statements.append((start + len(tail) - len(tail.lstrip()), tail.strip()))
    return statements


def _has_sql(text: str) -> bool:
    without_comments = re.sub(r"--[^\n]*|/\*.*?\*/", "", text, flags=re.S)
    return bool(without_comments.strip(" \t\r\n;"))


def _run_sqlite(
    code: str, path: str, tables: dict[str, pa.Table], params: dict[str, Any]
) -> pa.Table | None:
    file = Path(path)
    if not file.is_file():
        raise SqlFailure(
            0,
            f"connection sqlite:{path}: no SQLite file at {file.resolve()}; check the path "
            "(it is relative to the pipeline file)",
        )
    connection = sqlite3.connect(f"file:{file.resolve()}?mode=rw", uri=True)
    try:
        for name, table in tables.items():
            columns = ", ".join(f'"{column}"' for column in table.column_names)
            marks = ", ".join("?" for _ in table.column_names)
            connection.execute(f'CREATE TEMP TABLE "{name}" ({columns})')
            values = zip(*(column.to_pylist() for column in table.columns), strict=True)
            connection.executemany(f'INSERT INTO temp."{name}" VALUES ({marks})', values)
        result: pa.Table | None = None
        statements = _split_sqlite(code)
        for index, (offset, statement) in enumerate(statements):
            line = _line_of(code, offset)
            try:
                # SQLite looks up only the $names the statement uses; a missing one is an error.
                cursor = connection.execute(statement, params)
                if index == len(statements) - 1 and cursor.description is not None:
                    names_out = [column[0] for column in cursor.description]
                    rows = cursor.fetchall()
                    result = pa.table(
                        {name: [row[i] for row in rows] for i, name in enumerate(names_out)}
                    )
            except sqlite3.Error as exc:
                raise SqlFailure(line, f"SQLite error: {exc}") from None
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise SqlFailure(line, f"the result cannot be a table: {exc}") from None
        connection.commit()
        return result
    finally:
        connection.close()


def run(header: dict[str, Any], blobs: list[memoryview]) -> Result:
    """Execute a SQL node; failures say which node and which line of its code."""
    node = header["node"]
    code: str = header["code"]
    params: dict[str, Any] = header.get("params", {})
    connection: str | None = header.get("connection")
    try:
        tables = _inputs(header, blobs)
        if connection and connection.startswith("sqlite:"):
            table = _run_sqlite(code, connection[len("sqlite:") :], tables, params)
        else:
            table = _run_duckdb(code, tables, params)
    except SqlFailure as exc:
        where = f"node '{node}', line {exc.line}" if exc.line else f"node '{node}'"
        return {"ok": False, "message": f"{where}: {exc}", "traceback": ""}, []
    except OutputError as exc:
        return {"ok": False, "message": f"node '{node}': {exc}", "traceback": ""}, []
    if table is None:
        return {"ok": True, "kind": "json"}, [b"null"]
    return {"ok": True, "kind": "table", "rows": table.num_rows}, [write_table(table)]
