"""Live progress of a run, drawn from its events, for `omnix run` and `omnix-agent run`.

It consumes `RunEvent` objects only, wherever they came from (the engine in-process or
an agent over gRPC). On a terminal it keeps one line per node (symbol, state, duration,
the tail of its log) and redraws them in place; piped, it prints one plain line per
state change and per log line, which reads well in CI logs and journald.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from omnix.shared.events import NodeLog, NodeStateChanged, RunEvent, RunStateChanged
from omnix.shared.status import NodeStatus, RunStatus

SYMBOLS: dict[NodeStatus, str] = {
    NodeStatus.PENDING: "·",
    NodeStatus.RUNNING: "▶",
    NodeStatus.SUCCEEDED: "✓",
    NodeStatus.FAILED: "✗",
    NodeStatus.UPSTREAM_FAILED: "⊘",
    NodeStatus.CANCELLED: "■",
}
_REDRAW_EVERY_S = 0.05  # log floods redraw at most this often; state changes redraw at once


@dataclass(slots=True)
class _NodeLine:
    status: NodeStatus = NodeStatus.PENDING
    attempt: int = 0
    started: float | None = None
    duration_s: float | None = None
    last_log: str = ""
    partial: str = ""
    error: str | None = None


class ProgressRenderer:
    """Feed it events with `handle`; call `finish` once the run is over."""

    def __init__(
        self, stream: TextIO, *, node_ids: Sequence[str] = (), tty: bool | None = None
    ) -> None:
        self._stream = stream
        self._tty = stream.isatty() if tty is None else tty
        self._nodes: dict[str, _NodeLine] = {node_id: _NodeLine() for node_id in node_ids}
        self._drawn_lines = 0
        self._last_draw = 0.0
        self._run_status: RunStatus | None = None
        self._run_started: float | None = None
        self._run_ended: float | None = None

    def handle(self, event: RunEvent) -> None:
        """Take one event into account and show it."""
        if isinstance(event, RunStateChanged):
            self._on_run(event)
        elif isinstance(event, NodeStateChanged):
            self._on_node(event)
        else:
            self._on_log(event)

    def tick(self) -> None:
        """Redraw on a terminal so running nodes' clocks advance while nothing happens."""
        if self._tty and self._drawn_lines:
            self._redraw()

    def finish(self) -> None:
        """Draw the final state (on a terminal) and leave the cursor below it."""
        if self._tty:
            self._redraw()
            for node_id, line in self._nodes.items():
                if line.status is NodeStatus.FAILED and line.error:
                    self._write(
                        f"\n{SYMBOLS[line.status]} {node_id} failed:\n{line.error.rstrip()}\n"
                    )

    def _on_run(self, event: RunStateChanged) -> None:
        self._run_status = event.status
        if event.status is RunStatus.RUNNING:
            self._run_started = event.at
        elif event.status.is_final:
            self._run_ended = event.at
        if self._tty:
            self._redraw()
            return
        took = (
            f" in {event.at - self._run_started:.2f}s"
            if self._run_started and event.status.is_final
            else ""
        )
        reason = (
            f" ({event.reason})" if event.reason and event.status is not RunStatus.RUNNING else ""
        )
        self._write(f"run {event.run_id[:12]} {event.status}{took}{reason}\n")

    def _on_node(self, event: NodeStateChanged) -> None:
        line = self._nodes.setdefault(event.node_id, _NodeLine())
        line.status = event.status
        line.attempt = event.attempt
        if event.status is NodeStatus.RUNNING and (line.started is None or event.attempt > 1):
            line.started = event.at
        if event.duration_s is not None:
            line.duration_s = event.duration_s
        if event.error is not None:
            line.error = event.error
        if self._tty:
            self._redraw()
            return
        parts = [SYMBOLS[event.status], event.node_id, str(event.status)]
        if event.status is NodeStatus.RUNNING and event.attempt > 1:
            parts.append(f"(attempt {event.attempt})")
        if event.duration_s is not None:
            parts.append(f"in {event.duration_s:.3f}s")
        self._write(" ".join(parts) + "\n")
        if event.error and event.status is NodeStatus.FAILED:
            for error_line in event.error.rstrip().splitlines():
                self._write(f"  {event.node_id} | {error_line}\n")

    def _on_log(self, event: NodeLog) -> None:
        line = self._nodes.setdefault(event.node_id, _NodeLine())
        text = line.partial + event.text
        *complete, line.partial = text.split("\n")
        shown = [entry for entry in (*complete, line.partial) if entry.strip()]
        if shown:
            line.last_log = shown[-1].strip()
        if self._tty:
            now = time.monotonic()
            if now - self._last_draw >= _REDRAW_EVERY_S:
                self._redraw()
            return
        for entry in complete:
            self._write(f"  {event.node_id} | {entry}\n")

    def _redraw(self) -> None:
        self._last_draw = time.monotonic()
        width = max(40, shutil.get_terminal_size((100, 24)).columns - 1)
        rows = []
        now = time.time()
        for node_id, line in self._nodes.items():
            if line.duration_s is not None:
                took = f"{line.duration_s:7.2f}s"
            elif line.started is not None and line.status is NodeStatus.RUNNING:
                took = f"{now - line.started:7.1f}s"
            else:
                took = " " * 8
            retry = f" #{line.attempt}" if line.attempt > 1 else ""
            head = f"{SYMBOLS[line.status]} {node_id:<20} {line.status!s:<15}{took}{retry}"
            tail = f"  {line.last_log}" if line.last_log else ""
            rows.append((head + tail)[:width])
        if self._run_status is not None and self._run_status.is_final:
            took = (
                f" in {self._run_ended - self._run_started:.2f}s"
                if self._run_started is not None and self._run_ended is not None
                else ""
            )
            rows.append(f"run {self._run_status}{took}")
        # Move up over what was drawn before, then rewrite every line (clearing leftovers).
        out = []
        if self._drawn_lines:
            out.append(f"\x1b[{self._drawn_lines}F")
        out.extend(f"\x1b[2K{row}\n" for row in rows)
        self._write("".join(out))
        self._drawn_lines = len(rows)

    def _write(self, text: str) -> None:
        self._stream.write(text)
        self._stream.flush()
