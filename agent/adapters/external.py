"""The base of adapters whose language runs in its own runtime: R, Go, Scala, Julia.

Nodes run in the same pool of warm Python workers as Python and SQL nodes; each worker
bridges to the language's runtime (`omnix.agent.workers.child.external`): it converts
upstream Arrow tables into the typed exchange, hands the request to a warm interpreter
(or a cached Go binary) and turns the reply back into Arrow. Timeouts and cancels kill the
worker's whole process group, runtime included, exactly as for the other languages.

A subclass says how to find its runtime (`locate`, run once, cached) and what to tell a
user who lacks it (`install_hint`), and describes the runtime in `runtime_spec`.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from omnix.agent.adapters.base import AdapterUnavailable, NodeTask
from omnix.agent.adapters.pooled import PythonWorkerAdapter
from omnix.agent.workers.env import minimal_env
from omnix.agent.workers.frames import Header

VERSION_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class Runtime:
    """A located, working runtime: its executable and the version it reports."""

    path: str
    version: str


async def probe(
    language: str, executable: str, args: Sequence[str], pattern: str, install_hint: str
) -> Runtime:
    """Find `executable` (a name on PATH or a path), run it with `args` and read its version
    with `pattern` (one group) from what it prints; `AdapterUnavailable` says what to install."""
    path = shutil.which(executable)
    if path is None:
        raise AdapterUnavailable(
            f"{executable} not found: {language} nodes need it; {install_hint}"
        )
    try:
        proc = await asyncio.create_subprocess_exec(
            path,
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=minimal_env(),
        )
        out, _ = await asyncio.wait_for(proc.communicate(), VERSION_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise AdapterUnavailable(f"cannot run {path} ({exc}); {install_hint}") from None
    text = out.decode(errors="replace")
    match = re.search(pattern, text)
    if proc.returncode != 0 or match is None:
        raise AdapterUnavailable(
            f"{path} does not work ({text.strip()[:300] or 'no output'}); {install_hint}"
        )
    return Runtime(path, match.group(1))


class ExternalAdapter(PythonWorkerAdapter):
    """Nodes of a language with its own runtime, bridged by warm Python workers."""

    op = "external"
    preload: tuple[str, ...] = ("pyarrow", "omnix.agent.workers.child.external.bridge")
    install_hint = ""

    def __init__(self, executable: str | None = None, *, max_workers: int | None = None) -> None:
        super().__init__(max_workers=max_workers)
        self._executable = executable
        self._runtime: Runtime | None = None
        self._lock = asyncio.Lock()

    async def locate(self, executable: str | None) -> Runtime:
        """Find and check the runtime."""
        raise NotImplementedError

    def runtime_spec(self, runtime: Runtime) -> dict[str, Any]:
        """What a worker needs to start the runtime (`language`, `kind`, `command`, ...)."""
        raise NotImplementedError

    async def runtime(self) -> Runtime:
        """The runtime, located once."""
        async with self._lock:
            if self._runtime is None:
                self._runtime = await self.locate(self._executable)
            return self._runtime

    async def version(self) -> str:
        """The runtime's version, found without starting anything (cheap enough for a status
        check); `AdapterUnavailable` when the runtime is missing."""
        if self._runtime is not None:
            return self._runtime.version
        return (await self.locate(self._executable)).version

    async def start(self) -> None:
        """Check the runtime before any worker starts, so a missing one says what to install."""
        await self.runtime()
        await super().start()

    def request(self, task: NodeTask) -> tuple[Header, Sequence[bytes]]:
        """The common request plus the runtime's description."""
        header, blobs = super().request(task)
        if self._runtime is None:
            raise AdapterUnavailable(f"the {self.language} adapter was not started")
        return {**header, "runtime": self.runtime_spec(self._runtime)}, blobs
