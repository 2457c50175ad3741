"""The `external` operation: one node attempt through a language's own runtime.

A request header carries the runtime's description (`runtime`: its language, how it is
started, where its cache is) besides the usual node fields. The worker keeps one warm
runtime per language for its whole life (or builds and runs a cached binary, for Go),
converts upstream Arrow tables to the typed exchange on the way in and the reply back to
Arrow on the way out, and restarts a runtime that died.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
from omnix.agent.workers.child.external.exchange import (
    ExchangeError,
    dumps,
    table_from_exchange,
    table_to_exchange,
)
from omnix.agent.workers.child.external.runtimes import (
    BuildFailed,
    Runtime,
    RuntimeEnded,
    runtime_for,
)
from omnix.agent.workers.child.values import dump_json, read_table, write_table
from omnix.agent.workers.frames import Blob

Reply = tuple[dict[str, Any], list[Blob]]

BASE_ENV = dict(os.environ)
"""The worker's environment before any node's `env` is applied: what warm runtimes start with."""

_runtimes: dict[str, Runtime] = {}


def _failure(message: str, traceback: str = "") -> Reply:
    return {"ok": False, "message": message, "traceback": traceback}, []


def _request_line(
    header: dict[str, Any],
    tables: dict[str, pa.Table],
    blobs: list[memoryview],
    language: str,
    *,
    json_as_text: bool,
) -> str:
    """The request as one line: node, code, params, env, workdir and the inputs. JSON
    inputs are spliced in as their own text, so their numbers stay exactly as written; with
    `json_as_text` they (and params) travel as strings of JSON (`value_json`,
    `params_json`), for a runtime whose own JSON reader should simplify them its way."""
    inputs = []
    for spec, blob in zip(header.get("inputs", []), blobs, strict=True):
        name = spec["name"]
        if spec["kind"] == "table":
            inputs.append(dumps({"name": name, **table_to_exchange(tables[name], language)}))
        elif json_as_text:
            inputs.append(dumps({"name": name, "kind": "json", "value_json": bytes(blob).decode()}))
        else:
            inputs.append(f'{{"name":{dumps(name)},"kind":"json","value":{bytes(blob).decode()}}}')
    params = header.get("params") or {}
    head = dumps(
        {
            "node": header.get("node"),
            "code": header.get("code"),
            **({"params_json": dumps(params)} if json_as_text else {"params": params}),
            "env": header.get("env") or {},
            "workdir": header.get("workdir"),
        }
    )
    return head[:-1] + ',"inputs":[' + ",".join(inputs) + "]}"


def _value(reply: dict[str, Any], upstream: Iterable[pa.Schema]) -> Reply:
    if reply.get("kind") == "table":
        table = table_from_exchange(reply, upstream)
        return {"ok": True, "kind": "table", "rows": table.num_rows}, [write_table(table)]
    return {"ok": True, "kind": "json"}, [dump_json(reply.get("value"))]


def run(header: dict[str, Any], blobs: list[memoryview]) -> Reply:
    """Run one node attempt in the runtime the header describes."""
    spec: dict[str, Any] = header["runtime"]
    language = spec["language"]
    tables = {
        item["name"]: read_table(blob)
        for item, blob in zip(header.get("inputs", []), blobs, strict=True)
        if item["kind"] == "table"
    }
    try:
        line = _request_line(
            header, tables, blobs, language, json_as_text=bool(spec.get("json_as_text"))
        )
    except ExchangeError as exc:
        return _failure(f"ExchangeError: {exc}")
    try:
        runtime = _runtimes.get(language)
        if runtime is None or runtime.spec != spec:
            if runtime is not None:
                runtime.stop()
            runtime = _runtimes[language] = runtime_for(spec, BASE_ENV)
        reply = runtime.call(line, header)
    except BuildFailed as exc:
        return _failure(exc.message, exc.detail)
    except RuntimeEnded as exc:
        return _failure(
            f"{exc}\n(node '{header.get('node')}'; the runtime starts afresh for the next node)"
        )
    if not reply.get("ok"):
        return _failure(str(reply.get("message", "")), str(reply.get("traceback", "")))
    try:
        return _value(reply, (table.schema for table in tables.values()))
    except ExchangeError as exc:
        return _failure(f"ExchangeError: the output of node '{header.get('node')}': {exc}")
