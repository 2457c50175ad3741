"""The JavaScript adapter: nodes run in warm Node.js workers under Node's permission model.

A worker (``worker.mjs``) speaks the same worker protocol as the Python workers and lives in
the same kind of pool (`omnix.agent.adapters.pooled`): it stays alive across nodes, a small
pool of them lets independent nodes run at once, and each node gets a fresh ``vm`` context
with its upstream outputs bound to their node ids and ``params``. Tables cross as Arrow IPC
stream bytes in both directions and are decoded only inside Node, so this module never
imports pandas or pyarrow. A node that times out or is cancelled kills the worker's whole
process group; the pool starts a new worker.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from omnix.agent.adapters.base import AdapterUnavailable, NodeTask, Value
from omnix.agent.adapters.javascript.protocol import json_for_javascript, params_for_javascript
from omnix.agent.adapters.pooled import PooledAdapter
from omnix.agent.workers.env import minimal_env
from omnix.agent.workers.frames import Header
from omnix.agent.workers.process import WorkerProcess
from omnix.shared.runtimes import install_hint

HERE = Path(__file__).resolve().parent
WORKER_SCRIPT = HERE / "worker.mjs"
MIN_NODE_MAJOR = 20
INSTALL_HINT = install_hint("javascript")
# JavaScript's dates are UTC here whatever the machine's zone (docs/types.md).
WORKER_TZ = "UTC"
START_TIMEOUT_S = 15.0
# After a node that moved this many bytes of tables (about a million rows), its worker is
# swapped for a fresh one in the background: see `JavaScriptAdapter.retire_after`.
BIG_NODE_BYTES = 64 * 1024 * 1024


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
            env=minimal_env({"TZ": WORKER_TZ}),
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


class JavaScriptAdapter(PooledAdapter):
    """Runs `lang: javascript` nodes; see docs/types.md for how values cross."""

    language = "javascript"
    op = "javascript"
    start_timeout_s = START_TIMEOUT_S

    def __init__(
        self, node: str | None = None, *, workers: int = 2, max_worker_rss_mib: int = 512
    ) -> None:
        """`node`: the Node.js binary (a name on PATH or a path); default `node`.
        `workers`: how many nodes may run at once, each in its own warm worker (started on
        demand, kept between nodes). `max_worker_rss_mib`: a worker bigger than this after
        a node (a large table grows V8's heap, which it keeps) is replaced, in the
        background, as is one whose node moved `BIG_NODE_BYTES` of tables."""
        super().__init__(max_workers=max(1, workers))
        self._node = node
        self._max_rss_bytes = max_worker_rss_mib * 1024 * 1024
        self._runtime: NodeRuntime | None = None
        self._runtime_lock = asyncio.Lock()
        self.last_timings: dict[str, float] = {}
        """Milliseconds the worker spent decoding inputs, running code and encoding the output."""

    async def version(self) -> str:
        """Node.js's version (`AdapterUnavailable` when it is missing or too old)."""
        async with self._runtime_lock:
            if self._runtime is None:
                self._runtime = await find_node(self._node)
        return ".".join(map(str, self._runtime.version))

    async def command(self) -> list[str]:
        """Node.js with the permission model on, allowed to read only the worker's own files."""
        async with self._runtime_lock:
            if self._runtime is None:
                self._runtime = await find_node(self._node)
        runtime = self._runtime
        reads = [f"--allow-fs-read={p}" for p in sorted(HERE.glob("*.mjs"))]
        return [
            runtime.path,
            runtime.permission_flag,
            *reads,
            "--no-warnings",
            "--max-semi-space-size=32",
            str(WORKER_SCRIPT),
        ]

    def environment(self) -> dict[str, str]:
        """The common minimal environment with TZ=UTC. Nothing of the agent's own, and no
        NODE_EXTRA_CA_CERTS or NODE_OPTIONS (the former makes Node start three times slower)."""
        return minimal_env({"TZ": WORKER_TZ})

    def cannot_start(self, reason: str) -> AdapterUnavailable:
        """Names the Node.js binary that did not start."""
        path = self._runtime.path if self._runtime is not None else self._node or "node"
        return AdapterUnavailable(f"the Node.js worker ({path}) did not start: {reason}")

    def request(self, task: NodeTask) -> tuple[Header, Sequence[bytes]]:
        """Inputs in the node's `needs` order, JSON made safe for JavaScript, then params."""
        names = [n for n in task.node.needs if n in task.inputs]
        names += [n for n in task.inputs if n not in names]
        blobs = [
            task.inputs[n].data
            if task.inputs[n].kind == "table"
            else json_for_javascript(task.inputs[n].data)
            for n in names
        ]
        blobs.append(params_for_javascript(task.params))
        header = {
            "op": self.op,
            "node": task.node.id,
            "code": task.node.code,
            "inputs": [{"name": n, "kind": task.inputs[n].kind} for n in names],
            "env": dict(task.env),
        }
        return header, blobs

    def on_reply(self, reply: Header) -> None:
        """Keeps the worker's timings of the last node (benchmarks, slow-node diagnosis)."""
        self.last_timings = {k: float(v) for k, v in reply.get("timings", {}).items()}

    def retire_after(self, worker: WorkerProcess, task: NodeTask, result: Value) -> bool:
        """After a big table, or once V8's heap outgrew the cap, a fresh worker serves the next
        big node faster than the old one, even collected: a collected heap grows back through
        full collections of the new rows, while a new process starts with room for them.
        The pool starts the replacement in the background, so the process start and the
        kill cost the next node nothing when other nodes run in between."""
        moved = sum(len(v.data) for v in task.inputs.values() if v.kind == "table")
        if result.kind == "table":
            moved += len(result.data)
        return moved >= BIG_NODE_BYTES or worker.rss_bytes() > self._max_rss_bytes
