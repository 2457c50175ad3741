"""The base of every built-in adapter: nodes run in a pool of warm worker processes.

Python, SQL and JavaScript (and any language that speaks the worker protocol of
`omnix.agent.workers`) differ only in the command that starts a worker and in what a
request carries. The pool, the frames, the environment policy, killing a cancelled node's
process tree and replacing a worker that died are written once, here and in
`omnix.agent.workers`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version

from omnix.agent.adapters.base import AdapterUnavailable, LogSink, NodeFailure, NodeTask, Value
from omnix.agent.workers.env import minimal_env
from omnix.agent.workers.frames import Header
from omnix.agent.workers.pool import WorkerPool
from omnix.agent.workers.process import WorkerCrashed, WorkerProcess
from omnix.agent.workers.usage import AttemptCost

REAP_TIMEOUT_S = 5.0
"""How long a cancelled attempt waits for its killed worker to be reaped."""


def _rows_in(task: NodeTask) -> int | None:
    """Rows of the attempt's upstream tables, when every table's count is known."""
    counts = [value.rows for value in task.inputs.values() if value.kind == "table"]
    return (
        None if any(count is None for count in counts) else sum(c for c in counts if c is not None)
    )


class PooledAdapter:
    """Runs one language's nodes as requests to a pool of warm workers.

    Subclasses give `language`, `op` (the request's operation name) and `command()`; they
    may add to `request()` and decide in `retire_after()` that a worker is not reused."""

    language = ""
    op = ""
    start_timeout_s = 60.0

    def __init__(self, *, max_workers: int | None = None) -> None:
        """`max_workers` caps the warm workers (default: the CPU count, at least 2, so two
        nodes that wait on each other never deadlock on a one-CPU machine). Workers start
        on demand; the engine's `max_parallel` bounds the demand."""
        self._max_workers = max_workers or max(2, os.cpu_count() or 1)
        self._pool = WorkerPool(self._spawn, self._max_workers)

    async def command(self) -> list[str]:
        """The command line of one worker (the protocol's fd and marker arguments follow)."""
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        """The worker's environment: the agent's own never leaks into user code."""
        return minimal_env()

    def cannot_start(self, reason: str) -> AdapterUnavailable:
        """The error for a worker that does not start, saying what to install."""
        return AdapterUnavailable(f"the {self.language} adapter cannot start its worker: {reason}")

    async def _spawn(self) -> WorkerProcess:
        argv = await self.command()
        try:
            return await WorkerProcess.spawn(
                self.language, argv, env=self.environment(), ready_timeout=self.start_timeout_s
            )
        except (WorkerCrashed, TimeoutError) as exc:
            raise self.cannot_start(str(exc) or "it did not answer in time") from None
        except OSError as exc:
            raise self.cannot_start(f"{argv[0]}: {exc}") from None

    async def start(self) -> None:
        """Start one warm worker now, so the first node does not pay for its start (after
        `close`, the adapter serves again with a new pool)."""
        if self._pool.closed:
            self._pool = WorkerPool(self._spawn, self._max_workers)
        await self._pool.start()

    async def close(self) -> None:
        """Stop every worker (and whatever the user's code left running in them); a node
        still running fails at once."""
        await self._pool.close()

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the live workers."""
        return self._pool.pids

    def request(self, task: NodeTask) -> tuple[Header, Sequence[bytes]]:
        """The request for one node attempt: its header and its blobs (the inputs)."""
        header = {
            "op": self.op,
            "node": task.node.id,
            "code": task.node.code,
            "params": dict(task.params),
            "env": dict(task.env),
            "workdir": task.workdir,
            "inputs": [{"name": name, "kind": value.kind} for name, value in task.inputs.items()],
        }
        return header, [value.data for value in task.inputs.values()]

    def retire_after(self, worker: WorkerProcess, task: NodeTask, result: Value) -> bool:
        """Whether `worker` should be replaced by a fresh one after `task` succeeded."""
        return False

    def on_reply(self, reply: Header) -> None:
        """Sees every reply (timings, diagnostics); nothing by default."""

    async def execute(self, task: NodeTask, log: LogSink) -> Value | NodeFailure:
        """Run one attempt in a warm worker; a cancelled attempt kills the worker's process tree."""
        header, blobs = self.request(task)
        async with self._pool.acquire() as worker:
            if task.began is not None:
                task.began()
            # Measured only for a caller that records usage: the agent's runs do.
            cpu_before = worker.meter.start() if task.measured is not None else None
            try:
                reply, out = await worker.request(header, blobs, log)
            except asyncio.CancelledError:
                # A timeout or a cancel: the node's whole process tree is gone before the
                # attempt ends, so nothing it started outlives it.
                worker.kill()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(worker.wait(), REAP_TIMEOUT_S)
                raise
            except WorkerCrashed as exc:
                return NodeFailure(
                    f"{exc}\n(the worker process ended while running node '{task.node.id}'; "
                    "it has been replaced)"
                )
            self.on_reply(reply)
            if task.measured is not None:
                cpu_after = worker.meter.cpu_seconds()
                task.measured(
                    AttemptCost(
                        cpu_s=None
                        if cpu_before is None or cpu_after is None
                        else round(cpu_after - cpu_before, 3),
                        peak_rss_bytes=worker.meter.peak_rss_bytes(),
                        bytes_in=sum(len(blob) for blob in blobs),
                        bytes_out=sum(len(blob) for blob in out),
                        rows_in=_rows_in(task),
                        rows_out=reply.get("rows") if reply.get("ok") else None,
                    )
                )
            if not reply.get("ok"):
                if reply.get("internal"):
                    raise RuntimeError(f"the {self.language} worker failed: {reply.get('message')}")
                return NodeFailure(reply.get("message", ""), reply.get("traceback", ""))
            result = Value(kind=reply["kind"], data=out[0], rows=reply.get("rows"))
            if self.retire_after(worker, task, result):
                worker.retire()
        return result


class PythonWorkerAdapter(PooledAdapter):
    """Languages served by the Python worker (`omnix.agent.workers.child`): started with the
    agent's own interpreter (`sys.executable`, never a shim on PATH), `preload` imported
    once per worker."""

    preload: tuple[str, ...] = ()
    install_hint = "pip install pandas pyarrow duckdb"

    async def command(self) -> list[str]:
        """`python -m omnix.agent.workers.child --preload ...` with the agent's interpreter."""
        return [
            sys.executable,
            "-m",
            "omnix.agent.workers.child",
            "--preload",
            ",".join(self.preload),
        ]

    version_of = ""
    """The distribution whose version `version` reports (empty: Python's own)."""

    async def version(self) -> str:
        """Python's version, or that of the library the language runs on (DuckDB for SQL)."""
        if not self.version_of:
            return platform.python_version()
        try:
            return package_version(self.version_of)
        except PackageNotFoundError:
            raise self.cannot_start(f"{self.version_of} is not installed") from None

    def cannot_start(self, reason: str) -> AdapterUnavailable:
        """Names the interpreter and what to install into it."""
        return AdapterUnavailable(
            f"the {self.language} adapter cannot start its worker ({sys.executable}): {reason}\n"
            f"install what is missing into that interpreter: {self.install_hint}"
        )


class PluginWorkerAdapter(PythonWorkerAdapter):
    """The base for a connector written in Python (docs/plugins.md): its nodes run in the
    same warm, killable, metered workers as Python nodes, through the function
    ``run(header, blobs) -> (reply, blobs)`` of `worker_module`, which the worker imports
    (list it, and the libraries it needs, in `preload` to import them once per worker)."""

    op = "plugin"
    worker_module = ""

    def request(self, task: NodeTask) -> tuple[Header, Sequence[bytes]]:
        """The common request plus the worker module and the node's `connection`."""
        header, blobs = super().request(task)
        return {**header, "module": self.worker_module, "connection": task.node.connection}, blobs
