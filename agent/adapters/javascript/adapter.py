"""The JavaScript adapter: nodes run in warm Node.js workers under Node's permission model.

A worker (``worker.mjs``) stays alive across nodes, a small pool of them lets
independent nodes run at once, and each node gets a fresh
``vm`` context with its upstream outputs bound to their node ids and ``params``. Tables
cross as Arrow IPC stream bytes in both directions and are decoded only inside Node, so
this module never imports pandas or pyarrow. A node that times out kills the worker's whole
process group; the next node starts a new worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from omnix.agent.adapters.base import AdapterUnavailable, LogSink, NodeFailure, NodeTask, Value
from omnix.agent.adapters.javascript.protocol import (
    encode_frame,
    json_for_javascript,
    params_for_javascript,
    read_frame,
)

HERE = Path(__file__).resolve().parent
WORKER_SCRIPT = HERE / "worker.mjs"
MIN_NODE_MAJOR = 20
INSTALL_HINT = "install Node.js >= 20, e.g. apt-get install nodejs"
# A minimal environment: no secrets of the agent leak into user code, and no
# NODE_EXTRA_CA_CERTS or NODE_OPTIONS (the former makes Node start three times slower).
WORKER_ENV = {"TZ": "UTC", "LANG": "C.UTF-8"}
START_TIMEOUT_S = 15.0
# After a node that moved this many bytes of tables (about a million rows), its worker is
# swapped for a fresh one in the background: see `_replace`.
BIG_NODE_BYTES = 64 * 1024 * 1024
STREAM_LIMIT = 1 << 24


def _die_with_parent() -> list[str]:
    """A prefix that makes the kernel kill the worker if the agent dies (even by SIGKILL):
    a worker stuck in a busy loop never reads the end of its stdin, so it would outlive
    the agent otherwise. util-linux's setpriv is on every Debian system; without it the
    worker still exits when its stdin closes. (The signal follows the thread that spawned
    the worker, so the adapter must live on a long-lived event loop thread, as the agent's.)"""
    setpriv = shutil.which("setpriv", path="/usr/bin:/bin")
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


@dataclass(frozen=True, slots=True)
class NodeRuntime:
    """A checked Node.js binary: where it is, its version and its permission flag."""

    path: str
    version: tuple[int, int, int]

    @property
    def permission_flag(self) -> str:
        major, minor, _ = self.version
        # `--permission` replaced `--experimental-permission` in Node 22.13 / 23.5.
        return "--permission" if (major, minor) >= (22, 13) else "--experimental-permission"


async def find_node(node: str | None = None) -> NodeRuntime:
    """Locate Node.js (a name on PATH or a path) and check it is new enough."""
    wanted = node or "node"
    path = shutil.which(wanted)
    if path is None:
        raise AdapterUnavailable(
            f"Node.js not found (looked for {wanted!r}): JavaScript nodes need it; {INSTALL_HINT}"
        )
    try:
        proc = await asyncio.create_subprocess_exec(
            path,
            "--version",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=WORKER_ENV,
        )
        out, err = await asyncio.wait_for(proc.communicate(), START_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise AdapterUnavailable(f"cannot run {path} --version ({exc}); {INSTALL_HINT}") from None
    text = out.decode(errors="replace").strip()
    match = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)\S*", text)
    if proc.returncode != 0 or match is None:
        detail = (err or out).decode(errors="replace").strip()
        raise AdapterUnavailable(
            f"{path} is not a working Node.js ({detail or 'no version'}); {INSTALL_HINT}"
        )
    major, minor, patch = (int(g) for g in match.groups())
    if major < MIN_NODE_MAJOR:
        raise AdapterUnavailable(
            f"Node.js {text} at {path} is too old: JavaScript nodes need Node.js >= {MIN_NODE_MAJOR} "
            "(for its permission model); install a newer one, e.g. from NodeSource or with nvm"
        )
    return NodeRuntime(path, (major, minor, patch))


class _Worker:
    """One running Node.js worker process and the tail of its own stderr."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.stderr_tail: deque[str] = deque(maxlen=40)
        self._drain = asyncio.create_task(self._read_stderr())

    async def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        async for line in self.proc.stderr:
            self.stderr_tail.append(line.decode(errors="replace").rstrip())

    @property
    def stdin(self) -> asyncio.StreamWriter:
        assert self.proc.stdin is not None
        return self.proc.stdin

    @property
    def stdout(self) -> asyncio.StreamReader:
        assert self.proc.stdout is not None
        return self.proc.stdout

    def rss_bytes(self) -> int:
        """The worker's resident memory (0 when it cannot be read)."""
        try:
            with open(f"/proc/{self.proc.pid}/statm") as statm:
                return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            return 0

    def diagnostics(self) -> str:
        return "\n".join(self.stderr_tail)

    async def kill(self) -> None:
        """Kill the worker's whole process group and reap it."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        await self.proc.wait()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self._drain, 1.0)

    async def stop(self) -> None:
        """Ask the worker to exit (end of stdin); kill it if it does not."""
        with contextlib.suppress(ConnectionError, RuntimeError):
            self.stdin.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.proc.wait(), 2.0)
        await self.kill()


class JavaScriptAdapter:
    """Runs `lang: javascript` nodes; see docs/types.md for how values cross."""

    language = "javascript"

    def __init__(
        self, node: str | None = None, *, workers: int = 2, max_worker_rss_mib: int = 512
    ) -> None:
        """`node`: the Node.js binary (a name on PATH or a path); default `node`.
        `workers`: how many nodes may run at once, each in its own warm worker (started on
        demand, kept between nodes). `max_worker_rss_mib`: a worker bigger than this after
        a node (a large table grows V8's heap, which it keeps) is replaced, in the
        background, as is one whose node moved `BIG_NODE_BYTES` of tables."""
        self._node = node
        self._max_rss_bytes = max_worker_rss_mib * 1024 * 1024
        self._runtime: NodeRuntime | None = None
        self._runtime_lock = asyncio.Lock()
        self._slots = asyncio.Semaphore(max(1, workers))
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._replacing: set[asyncio.Task[None]] = set()
        self._closed = False
        self.last_timings: dict[str, float] = {}
        """Milliseconds the worker spent decoding inputs, running code and encoding the output."""

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers, idle and busy."""
        return sorted(w.proc.pid for w in [*self._idle, *self._busy])

    async def start(self) -> None:
        """Check Node.js and start one warm worker."""
        async with self._slots:
            self._idle.append(await self._take_worker())

    async def close(self) -> None:
        """Stop every worker. Nodes still running are not waited for: their workers are
        killed and those nodes fail."""
        self._closed = True
        # A replacement being started is let finish, then stopped (cancelling it half-way
        # could leave its process behind).
        await asyncio.gather(*self._replacing, return_exceptions=True)
        idle, busy = self._idle, list(self._busy)
        self._idle = []
        await asyncio.gather(*(w.stop() for w in idle), *(w.kill() for w in busy))

    async def _take_worker(self) -> _Worker:
        while self._idle or self._replacing:
            if not self._idle:
                # A replacement is starting: waiting for it beats starting another.
                await asyncio.wait(set(self._replacing), return_when=asyncio.FIRST_COMPLETED)
                continue
            worker = self._idle.pop()
            if worker.proc.returncode is None:
                return worker
            await worker.kill()
        self._closed = False  # in use again after a close
        return await self._spawn()

    def _replace(self, worker: _Worker) -> None:
        """Kill `worker` and start a fresh one, in the background. After a big table, a fresh
        V8 heap serves the next big node faster than the old one, even collected: a
        collected heap grows back through full collections of the new rows, while a new
        process starts with room for them. Done in the background, the process start and
        the kill cost the next node nothing when other nodes run in between."""

        async def replace() -> None:
            await worker.kill()
            if self._closed:
                return
            with contextlib.suppress(AdapterUnavailable):
                fresh = await self._spawn()
                if self._closed:
                    await fresh.kill()
                else:
                    self._idle.append(fresh)

        task = asyncio.create_task(replace())
        self._replacing.add(task)
        task.add_done_callback(self._replacing.discard)

    async def _spawn(self) -> _Worker:
        async with self._runtime_lock:
            if self._runtime is None:
                self._runtime = await find_node(self._node)
        runtime = self._runtime
        reads = [f"--allow-fs-read={p}" for p in sorted(HERE.glob("*.mjs"))]
        proc = await asyncio.create_subprocess_exec(
            *_die_with_parent(),
            runtime.path,
            runtime.permission_flag,
            *reads,
            "--no-warnings",
            "--max-semi-space-size=32",
            str(WORKER_SCRIPT),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=WORKER_ENV,
            start_new_session=True,
            limit=STREAM_LIMIT,
        )
        worker = _Worker(proc)
        try:
            ready = await asyncio.wait_for(read_frame(worker.stdout), START_TIMEOUT_S)
            if ready.header.get("type") != "ready":
                raise ValueError(f"unexpected first message {ready.header!r}")
        except (asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
            await worker.kill()
            raise AdapterUnavailable(
                f"the Node.js worker ({runtime.path}) did not start: {exc!r}\n{worker.diagnostics()}"
            ) from None
        return worker

    async def execute(self, task: NodeTask, log: LogSink) -> Value | NodeFailure:
        """Run one node in a fresh context of a warm worker."""
        async with self._slots:
            worker = await self._take_worker()
            self._busy.add(worker)
            keep = False
            moved = 0
            timeout = task.node.timeout
            try:
                async with asyncio.timeout(timeout):
                    result = await self._exchange(worker, task, log)
                keep = True
                moved = sum(len(v.data) for v in task.inputs.values() if v.kind == "table")
                if isinstance(result, Value) and result.kind == "table":
                    moved += len(result.data)
                return result
            except TimeoutError:
                return NodeFailure(
                    f"node '{task.node.id}' timed out after {timeout:g} s; its JavaScript worker was killed"
                )
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                await worker.kill()
                return NodeFailure(
                    f"the JavaScript worker exited (code {worker.proc.returncode}) while running "
                    f"node '{task.node.id}' ({exc!r})",
                    worker.diagnostics(),
                )
            finally:
                self._busy.discard(worker)
                if keep and (moved >= BIG_NODE_BYTES or worker.rss_bytes() > self._max_rss_bytes):
                    self._replace(worker)
                elif keep:
                    self._idle.append(worker)
                else:
                    # Timed out, cancelled or crashed: never reused.
                    await asyncio.shield(worker.kill())

    async def _exchange(self, worker: _Worker, task: NodeTask, log: LogSink) -> Value | NodeFailure:
        names = [n for n in task.node.needs if n in task.inputs]
        names += [n for n in task.inputs if n not in names]
        inputs = [{"name": n, "kind": task.inputs[n].kind} for n in names]
        blobs = [
            task.inputs[n].data
            if task.inputs[n].kind == "table"
            else json_for_javascript(task.inputs[n].data)
            for n in names
        ]
        blobs.append(params_for_javascript(task.params))
        header = {
            "type": "run",
            "node": task.node.id,
            "code": task.node.code,
            "inputs": inputs,
            "env": dict(task.env),
        }
        worker.stdin.writelines(encode_frame(header, blobs))
        await worker.stdin.drain()
        while True:
            frame = await read_frame(worker.stdout)
            kind = frame.header.get("type")
            if kind == "log":
                log(
                    "stderr" if frame.header.get("stream") == "stderr" else "stdout",
                    str(frame.header["text"]),
                )
            elif kind == "result":
                self.last_timings = {
                    k: float(v) for k, v in frame.header.get("timings", {}).items()
                }
                return Value("table" if frame.header["kind"] == "table" else "json", frame.blobs[0])
            elif kind == "error":
                return NodeFailure(
                    str(frame.header["message"]), str(frame.header.get("traceback", ""))
                )
