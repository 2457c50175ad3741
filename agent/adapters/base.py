"""The one small interface every language adapter implements.

An adapter runs a node's code outside the agent process (a warm worker subprocess,
Node.js, Rscript, ...). Values cross the boundary already encoded, so the engine moves
tables between languages without decoding them: the agent process never imports
pandas, pyarrow or DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from omnix.agent.workers.process import LogSink as LogSink  # part of the adapter interface
from omnix.agent.workers.usage import AttemptCost
from omnix.shared.pipeline import Node

ValueKind = Literal["table", "json"]


@dataclass(frozen=True, slots=True)
class Value:
    """A node's output in transit: a table as Arrow IPC stream bytes, anything else as JSON."""

    kind: ValueKind
    data: bytes
    rows: int | None = None
    """A table's row count, when the worker that made it said (usage records count rows)."""


@dataclass(frozen=True, slots=True)
class NodeTask:
    """Everything an adapter needs to run one attempt of one node."""

    run_id: str
    node: Node
    inputs: Mapping[str, Value]
    params: Mapping[str, Any]
    attempt: int = 1
    env: Mapping[str, str] = field(default_factory=dict)
    """Extra environment (the node's `env` and resolved `secrets`)."""
    workdir: str | None = None
    """Directory the node runs in: the pipeline file's folder, when there is one."""
    began: Callable[[], None] | None = None
    """Called once the attempt has its worker and the node's code is about to run: the end
    of its queue wait. An adapter that runs the code at once may leave it uncalled."""
    measured: Callable[[AttemptCost], None] | None = None
    """Called once the attempt is over with what it cost its worker (CPU, peak memory,
    bytes in and out); an adapter that cannot tell leaves it uncalled."""


@dataclass(frozen=True, slots=True)
class NodeFailure:
    """The user's error: their message, and a traceback whose line numbers count from the node's code."""

    message: str
    traceback: str = ""

    def __str__(self) -> str:
        return f"{self.traceback.rstrip()}\n{self.message}" if self.traceback else self.message


@runtime_checkable
class Adapter(Protocol):
    """A language. `execute` returns the node's output or the user's failure; it raises only for
    problems of the adapter itself (a missing runtime, a crashed worker)."""

    language: str

    async def start(self) -> None:
        """Warm up (spawn workers, import libraries); called once before the first node."""

    async def execute(self, task: NodeTask, log: LogSink) -> Value | NodeFailure:
        """Run one attempt; stream the user's stdout/stderr to `log` as it is written."""

    async def close(self) -> None:
        """Stop every process this adapter started."""


@dataclass(frozen=True, slots=True)
class LanguageSupport:
    """Whether this machine runs a language: its runtime's version, or the problem."""

    language: str
    version: str = ""
    problem: str = ""


class AdapterUnavailable(Exception):
    """The language's runtime is missing or broken; the message says what to install."""
