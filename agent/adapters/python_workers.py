"""Adapters whose nodes run in warm Python worker subprocesses (`omnix.agent.workers.child`).

The Python and SQL adapters share this: a pool of workers started with the agent's own
interpreter (`sys.executable`, never a shim on PATH), libraries preloaded once per worker,
one request per node attempt.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from omnix.agent.adapters.base import AdapterUnavailable, LogSink, NodeFailure, NodeTask, Value
from omnix.agent.workers.env import minimal_env
from omnix.agent.workers.pool import WorkerPool
from omnix.agent.workers.process import WorkerCrashed, WorkerProcess

_MISSING_EXIT = 3  # the worker's exit status when a preloaded library is missing


class PythonWorkerAdapter:
    """Runs `op` requests of one language in a pool of Python workers preloading `preload`."""

    language = ""
    op = ""
    preload: tuple[str, ...] = ()
    install_hint = "pip install pandas pyarrow duckdb"

    def __init__(self, *, max_workers: int | None = None) -> None:
        """`max_workers` caps the warm workers (default: the CPU count, at least 2, so two
        nodes that wait on each other never deadlock on a one-CPU machine). Workers start
        on demand; the engine's `max_parallel` bounds the demand."""
        self._pool = WorkerPool(self._spawn, max_workers or max(2, os.cpu_count() or 1))

    async def _spawn(self) -> WorkerProcess:
        argv = [
            sys.executable,
            "-m",
            "omnix.agent.workers.child",
            "--preload",
            ",".join(self.preload),
        ]
        try:
            return await WorkerProcess.spawn(self.language, argv, env=minimal_env())
        except WorkerCrashed as exc:
            raise AdapterUnavailable(
                f"the {self.language} adapter cannot start its worker ({sys.executable}): {exc}\n"
                f"install what is missing into that interpreter: {self.install_hint}"
            ) from None
        except OSError as exc:
            raise AdapterUnavailable(
                f"the {self.language} adapter cannot start {sys.executable}: {exc}"
            ) from None

    async def start(self) -> None:
        """Start one warm worker now, so the first node does not pay for imports."""
        await self._pool.start()

    async def close(self) -> None:
        """Stop every worker (and whatever the user's code left running in them)."""
        await self._pool.close()

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the live workers."""
        return self._pool.pids

    def request_header(self, task: NodeTask) -> dict[str, Any]:
        """The request for one node attempt; subclasses add their own fields."""
        return {
            "op": self.op,
            "node": task.node.id,
            "code": task.node.code,
            "params": dict(task.params),
            "env": dict(task.env),
            "workdir": task.workdir,
            "inputs": [{"name": name, "kind": value.kind} for name, value in task.inputs.items()],
        }

    async def execute(self, task: NodeTask, log: LogSink) -> Value | NodeFailure:
        """Run one attempt in a warm worker; a cancelled attempt kills the worker's process tree."""
        header = self.request_header(task)
        blobs = [value.data for value in task.inputs.values()]
        async with self._pool.acquire() as worker:
            try:
                reply, out = await worker.request(header, blobs, log)
            except asyncio.CancelledError:
                worker.kill()
                raise
            except WorkerCrashed as exc:
                return NodeFailure(
                    f"{exc}\n(the node's code ended the worker process; it has been replaced)"
                )
        if not reply.get("ok"):
            if reply.get("internal"):
                raise RuntimeError(f"the {self.language} worker failed: {reply.get('message')}")
            return NodeFailure(reply.get("message", ""), reply.get("traceback", ""))
        return Value(kind=reply["kind"], data=out[0])


def json_value(value: Value) -> Any:
    """Decode a JSON value (tables need a worker: see `omnix.agent.runs.outputs`)."""
    return json.loads(value.data)
