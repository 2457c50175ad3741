"""The log panel: the selected node's output during and after a run.

Runs can print floods of lines. The run worker appends text to the panel's `LogBuffers` (a
plain object with a lock, never the widget) and posts `LogPanel.LogsGrew`; while one is
still queued for a node, later ones are dropped (`Message.can_replace`, as Toolong does),
and the handler, on the UI thread, shows everything new at once.
"""

from __future__ import annotations

import threading

from textual.message import Message
from textual.widgets import Log

MAX_LINES = 5000


class LogBuffers:
    """Every node's log text, appended from a worker thread and read on the UI thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._chunks: dict[str, list[str]] = {}

    def append(self, node_id: str, text: str) -> None:
        """Add text to a node's log; safe from any thread."""
        with self._lock:
            self._chunks.setdefault(node_id, []).append(text)

    def since(self, node_id: str, start: int) -> list[str]:
        """The node's chunks from index `start` on."""
        with self._lock:
            return self._chunks.get(node_id, [])[start:]

    def text(self, node_id: str) -> str:
        """The node's whole log so far."""
        return "".join(self.since(node_id, 0))

    def clear(self) -> None:
        """Forget every node's log."""
        with self._lock:
            self._chunks.clear()


class LogPanel(Log):
    """Shows one node's log; keeps every node's so switching the selection is instant."""

    class LogsGrew(Message):
        """A node's log buffer has new text; one pending per node is enough."""

        def __init__(self, node_id: str) -> None:
            super().__init__()
            self.node_id = node_id

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, LogPanel.LogsGrew) and message.node_id == self.node_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, max_lines=MAX_LINES, auto_scroll=True)
        self.buffers = LogBuffers()
        self.node_id: str | None = None
        self._shown = 0

    def reset(self) -> None:
        """Forget every node's log (a new run starts)."""
        self.buffers.clear()
        self._shown = 0
        self.clear()

    def append(self, node_id: str, text: str) -> None:
        """Add text to a node's log (on the UI thread; a worker goes through `RunFeed`)."""
        self.buffers.append(node_id, text)
        if node_id == self.node_id:
            self._catch_up()

    def show(self, node_id: str | None) -> None:
        """Show a node's whole log so far."""
        self.node_id = node_id
        self.clear()
        self._shown = 0
        self.border_title = f"Log · {node_id}" if node_id else "Log"
        self._catch_up()

    def on_log_panel_logs_grew(self, message: LogsGrew) -> None:
        message.stop()
        if message.node_id == self.node_id:
            self._catch_up()

    def _catch_up(self) -> None:
        new = self.buffers.since(self.node_id or "", self._shown)
        self._shown += len(new)
        if new:
            self.write("".join(new))
