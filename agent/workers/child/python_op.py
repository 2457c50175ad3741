"""Run one Python node inside a worker (ARCHITECTURE §3).

Every node gets a fresh namespace holding its upstream outputs (tables as
pandas.DataFrame) under their node ids and `params`. The value of the last expression
statement is the output. Tracebacks show only the node's own frames, numbered from the
first line of its code.
"""

from __future__ import annotations

import ast
import builtins
import json
import linecache
import traceback
from types import CodeType, TracebackType
from typing import Any

import pandas as pd
import pyarrow as pa
from omnix.agent.workers.child.values import OutputError, dump_json, read_table, write_table
from omnix.agent.workers.frames import Blob

Result = tuple[dict[str, Any], list[Blob]]

NULLABLE_DTYPES: dict[pa.DataType, Any] = {
    pa.int8(): pd.Int8Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.uint8(): pd.UInt8Dtype(),
    pa.uint16(): pd.UInt16Dtype(),
    pa.uint32(): pd.UInt32Dtype(),
    pa.uint64(): pd.UInt64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
}
"""pandas dtypes for Arrow integer and boolean columns. numpy's int64 has no null, so
pandas would hold an int64 column with one null as float64 and round 2^53+1; the nullable
dtypes keep every value exactly and a null as `pd.NA`, whether or not a column has one
(so a column's dtype does not depend on today's data). Strings are pandas' own `str`."""


def table_to_frame(table: pa.Table) -> pd.DataFrame:
    """A table as a Python node sees it: integers and booleans in nullable dtypes."""
    frame: pd.DataFrame = table.to_pandas(types_mapper=NULLABLE_DTYPES.get)
    return frame


_compiled: dict[tuple[str, str], tuple[CodeType, CodeType | None]] = {}


def _compile(code: str, filename: str) -> tuple[CodeType, CodeType | None]:
    """The node's statements and, when it ends with an expression, that expression apart."""
    key = (filename, code)
    cached = _compiled.get(key)
    if cached is not None:
        return cached
    module = ast.parse(code, filename, "exec")
    last: CodeType | None = None
    tail = module.body[-1] if module.body else None
    if isinstance(tail, ast.Expr):
        module.body.pop()
        expression = ast.Expression(tail.value)
        last = compile(expression, filename, "eval")
    body = compile(module, filename, "exec")
    if len(_compiled) > 512:
        _compiled.clear()
    _compiled[key] = (body, last)
    return body, last


def _user_traceback(exc: BaseException, filename: str) -> tuple[str, str]:
    """(traceback, message) without the worker's own frames."""
    tb: TracebackType | None = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    exc.__traceback__ = tb
    message = "".join(traceback.format_exception_only(type(exc), exc)).rstrip()
    lines = traceback.format_exception(type(exc), exc, tb)
    text = "".join(lines).rstrip()
    if text.endswith(message):
        text = text[: -len(message)].rstrip()
    return text, message


def decode_inputs(header: dict[str, Any], blobs: list[memoryview]) -> dict[str, Any]:
    """Upstream values by node id: tables as DataFrames, JSON as Python values."""
    values: dict[str, Any] = {}
    for spec, blob in zip(header.get("inputs", ()), blobs, strict=True):
        if spec["kind"] == "table":
            values[spec["name"]] = table_to_frame(read_table(blob))
        else:
            values[spec["name"]] = json.loads(bytes(blob))
    return values


def encode_output(value: Any) -> Result:
    """A DataFrame becomes an Arrow table; anything else must be JSON."""
    if isinstance(value, pd.DataFrame):
        table = _frame_to_arrow(value)
        return {"ok": True, "kind": "table", "rows": table.num_rows}, [write_table(table)]
    if isinstance(value, pd.Series):
        raise OutputError(
            "the last expression is a pandas Series, which is not a table; "
            "use .to_frame() for a table or .tolist() for a list"
        )
    return {"ok": True, "kind": "json"}, [dump_json(value)]


def _frame_to_arrow(frame: pd.DataFrame) -> pa.Table:
    # A plain integer row index (0..n-1, or what filtering left of it) is row numbering, not
    # data: it is dropped. A named or non-integer index (a groupby key) becomes columns.
    index = frame.index
    plain = all(name is None for name in index.names) and pd.api.types.is_integer_dtype(index.dtype)
    if not plain:
        frame = frame.reset_index()
    if not all(isinstance(column, str) for column in frame.columns):
        frame = frame.rename(columns=str)
    return pa.Table.from_pandas(frame, preserve_index=False)


def run(header: dict[str, Any], blobs: list[memoryview]) -> Result:
    """Execute a Python node; a failure reply carries the user's message and traceback."""
    node = header["node"]
    code: str = header["code"]
    filename = f"<node {node}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    try:
        body, last = _compile(code, filename)
    except SyntaxError as exc:
        location = f"line {exc.lineno}" if exc.lineno else "the code"
        detail = f"\n    {exc.text.rstrip()}" if exc.text else ""
        return {
            "ok": False,
            "message": f"SyntaxError: {exc.msg} ({location}){detail}",
            "traceback": "",
        }, []
    namespace: dict[str, Any] = {
        "__name__": "__main__",
        "__builtins__": builtins,
        **decode_inputs(header, blobs),
        "params": header.get("params", {}),
    }
    try:
        exec(body, namespace)
        value = eval(last, namespace) if last is not None else None
    except BaseException as exc:
        tb_text, message = _user_traceback(exc, filename)
        return {"ok": False, "message": message, "traceback": tb_text}, []
    try:
        return encode_output(value)
    except OutputError as exc:
        return {"ok": False, "message": f"OutputError: {exc}", "traceback": ""}, []
