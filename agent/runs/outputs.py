"""Turning table values into JSON rows for the run document, in a worker process.

The agent never decodes Arrow itself (it must not import pyarrow), so a small worker with
only pyarrow preloaded does it, started the first time a run needs it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from omnix.agent.adapters.base import Value
from omnix.agent.security.masking import Masker
from omnix.agent.workers.env import minimal_env
from omnix.agent.workers.files import write_whole
from omnix.agent.workers.pool import WorkerPool
from omnix.agent.workers.process import WorkerProcess
from omnix.shared.rundoc import JsonValue


class TableOutputError(Exception):
    """A table could not be represented as JSON rows (the message says why)."""


class TableDecoder:
    """Decodes node outputs to JSON values; tables go through a pyarrow-only worker."""

    def __init__(self, max_workers: int = 1) -> None:
        self._pool = WorkerPool(self._spawn, max_workers)

    @staticmethod
    async def _spawn() -> WorkerProcess:
        argv = [sys.executable, "-m", "omnix.agent.workers.child", "--preload", "pyarrow"]
        return await WorkerProcess.spawn("table decoder", argv, env=minimal_env())

    async def start(self) -> None:
        """Warm the worker up ahead of the first table."""
        await self._pool.start()

    async def to_json(self, value: Value, *, masker: Masker | None = None) -> JsonValue:
        """The value as JSON: a table becomes a list of row objects."""
        result: Any = json.loads(await self.to_json_text(value, masker=masker))
        return result

    async def to_json_text(self, value: Value, *, masker: Masker | None = None) -> str:
        """The value as JSON text, never parsed here: a table becomes a list of row objects
        (written by the worker), a JSON value is its own text. `masker`'s secrets are masked."""
        if value.kind == "json":
            data = bytes(value.data)
            return (masker.mask_bytes(data) if masker else data).decode()
        async with self._pool.acquire() as worker:
            reply, out = await worker.request(_request(masker), [value.data])
        if not reply.get("ok"):
            raise TableOutputError(str(reply.get("message")))
        return bytes(out[0]).decode()

    async def write_json(
        self, value: Value, path: Path, *, fsync: bool = False, masker: Masker | None = None
    ) -> int:
        """Write the value as JSON text to `path`; its size in bytes. A table's JSON is
        written by the worker itself, so it never passes through the agent."""
        if value.kind == "json":
            data = masker.mask_bytes(bytes(value.data)) if masker else value.data
            return await asyncio.to_thread(write_whole, path, [data], fsync=fsync)
        request = {**_request(masker), "path": str(path), "fsync": fsync}
        async with self._pool.acquire() as worker:
            reply, _ = await worker.request(request, [value.data])
        if not reply.get("ok"):
            raise TableOutputError(str(reply.get("message")))
        return int(reply["bytes"])

    async def close(self) -> None:
        """Stop the worker."""
        await self._pool.close()


def _request(masker: Masker | None) -> dict[str, Any]:
    """A table_to_json request; with secrets, the worker masks their forms in the JSON."""
    request: dict[str, Any] = {"op": "table_to_json"}
    if masker:
        request["mask"] = masker.forms
    return request
