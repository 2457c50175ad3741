"""What happens during a run, as the engine reports it and the agent streams it.

The engine emits these in-process; the agent turns them into `omnix.v1` messages and
clients turn them back, so the CLI and the TUI render the same thing either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from omnix.shared.status import NodeStatus, RunStatus


@dataclass(frozen=True, slots=True)
class RunStateChanged:
    run_id: str
    status: RunStatus
    at: float
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class NodeStateChanged:
    run_id: str
    node_id: str
    status: NodeStatus
    attempt: int
    at: float
    duration_s: float | None = None
    error: str | None = None
    queue_wait_s: float | None = None
    """Of the attempt that finished: seconds from when it was due until its code started in a
    worker (a run slot and a free worker), which `duration_s` does not count."""


@dataclass(frozen=True, slots=True)
class NodeLog:
    run_id: str
    node_id: str
    stream: Literal["stdout", "stderr"]
    text: str
    at: float


RunEvent = RunStateChanged | NodeStateChanged | NodeLog
