"""The worker's main loop: read a request frame, run it, reply, mark the end of its output.

Started by `omnix.agent.workers.WorkerProcess` as
``python -m omnix.agent.workers.child --preload MODULES --request-fd R --reply-fd W --marker TOKEN``.
Requests arrive on one private pipe and replies leave on another; stdout and stderr belong to the user's code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, BinaryIO

from omnix.agent.workers.frames import Blob, read_frame, write_frame

Reply = tuple[dict[str, Any], list[Blob]]
Op = Callable[[dict[str, Any], list[memoryview]], Reply]


def _ops() -> dict[str, Op]:
    # Imported lazily: a worker pays only for the libraries its operations need.
    def python(header: dict[str, Any], blobs: list[memoryview]) -> Reply:
        from omnix.agent.workers.child import python_op

        return python_op.run(header, blobs)

    def sql(header: dict[str, Any], blobs: list[memoryview]) -> Reply:
        from omnix.agent.workers.child import sql_op

        return sql_op.run(header, blobs)

    def external(header: dict[str, Any], blobs: list[memoryview]) -> Reply:
        from omnix.agent.workers.child.external import bridge

        return bridge.run(header, blobs)

    def plugin(header: dict[str, Any], blobs: list[memoryview]) -> Reply:
        # A connector's own operation: `module` (named by its adapter, never by a pipeline)
        # has `run(header, blobs) -> (reply, blobs)` like the operations here.
        module = importlib.import_module(header["module"])
        result: Reply = module.run(header, blobs)
        return result

    def table_to_json(header: dict[str, Any], blobs: list[memoryview]) -> Reply:
        # With a `path`, the JSON goes straight to that file (the agent's output store)
        # and only its size comes back; otherwise the JSON is the reply.
        from pathlib import Path

        from omnix.agent.workers.child.values import OutputError, read_table, table_json_parts
        from omnix.agent.workers.files import write_whole

        try:
            parts = table_json_parts(read_table(blobs[0]))
        except OutputError as exc:
            return {"ok": False, "message": str(exc), "traceback": ""}, []
        if header.get("mask"):
            # Secret values (in every form the agent lists) never reach a kept output.
            import re

            forms = [re.escape(str(form).encode()) for form in header["mask"]]
            parts = [re.sub(b"|".join(forms), b"***", b"".join(parts))]
        path = header.get("path")
        if path is None:
            return {"ok": True, "kind": "json"}, [b"".join(parts)]
        size = write_whole(Path(path), parts, fsync=bool(header.get("fsync")))
        return {"ok": True, "kind": "json", "bytes": size}, []

    def ping(header: dict[str, Any], blobs: list[memoryview]) -> Reply:
        return {"ok": True, "pid": os.getpid()}, []

    def echo(header: dict[str, Any], blobs: list[memoryview]) -> Reply:
        # The transport alone, for benchmarks: the floor under any table a node passes on.
        return {"ok": True}, list[Blob](blobs)

    return {
        "python": python,
        "sql": sql,
        "external": external,
        "plugin": plugin,
        "table_to_json": table_to_json,
        "ping": ping,
        "echo": echo,
    }


class _Scope:
    """The node's environment variables and working directory, restored afterwards."""

    def __init__(self, header: dict[str, Any]) -> None:
        self._env: dict[str, str] = header.get("env") or {}
        self._workdir: str | None = header.get("workdir")
        self._saved_env: dict[str, str | None] = {}
        self._saved_cwd = ""

    def __enter__(self) -> None:
        self._saved_cwd = os.getcwd()
        for key, value in self._env.items():
            self._saved_env[key] = os.environ.get(key)
            os.environ[key] = value
        if self._workdir:
            os.chdir(self._workdir)

    def __exit__(self, *exc: object) -> None:
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        os.chdir(self._saved_cwd)


def _serve(requests: BinaryIO, reply_fd: int, marker: bytes) -> None:
    ops = _ops()
    while True:
        frame = read_frame(requests)
        if frame is None:
            return
        header, blobs = frame
        op = ops.get(header.get("op", ""))
        try:
            if op is None:
                raise ValueError(f"unknown operation {header.get('op')!r}")
            with _Scope(header):
                reply, out = op(header, blobs)
        except Exception:
            reply = {
                "ok": False,
                "internal": True,
                "message": traceback.format_exc(),
                "traceback": "",
            }
            out = []
        sys.stdout.flush()
        sys.stderr.flush()
        os.write(1, marker)
        os.write(2, marker)
        write_frame(reply_fd, reply, out)


def main() -> None:
    """Preload libraries, then serve requests until the request pipe closes."""
    parser = argparse.ArgumentParser(prog="omnix-worker")
    parser.add_argument("--preload", default="")
    parser.add_argument("--request-fd", type=int, required=True)
    parser.add_argument("--reply-fd", type=int, required=True)
    parser.add_argument("--marker", required=True)
    args = parser.parse_args()
    # The protocol pipes are private: processes the user's code starts do not inherit them
    # (stdin is /dev/null), so they can neither read requests nor write replies.
    os.set_inheritable(args.request_fd, False)
    os.set_inheritable(args.reply_fd, False)
    requests = os.fdopen(args.request_fd, "rb")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sys.stderr.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    for module in filter(None, args.preload.split(",")):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            print(f"cannot import {module}: {exc}", file=sys.stderr)
            sys.exit(3)
    _serve(requests, args.reply_fd, f"\x1e{args.marker}\x1e".encode())


if __name__ == "__main__":
    main()
