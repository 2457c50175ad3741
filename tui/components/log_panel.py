"""The log panel: the selected node's output during and after a run.

Runs can print floods of lines. The run worker appends text to per-node buffers and posts
`LogPanel.LogsGrew`; while one is still queued for a node, later ones are dropped
(`Message.can_replace`, as Toolong does), and the handler shows everything new at once.
"""

from __future__ import annotations

from textual.message import Message
from textual.widgets import Log

MAX_LINES = 5000


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
        self.buffers: dict[str, list[str]] = {}
        self.node_id: str | None = None
        self._shown = 0

    def reset(self) -> None:
        """Forget every node's log (a new run starts)."""
        self.buffers.clear()
        self._shown = 0
        self.clear()

    def append(self, node_id: str, text: str) -> None:
        """Add text to a node's buffer; safe from a worker thread (list.append is atomic)."""
        self.buffers.setdefault(node_id, []).append(text)

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
        chunks = self.buffers.get(self.node_id or "", [])
        new = chunks[self._shown :]
        self._shown += len(new)
        if new:
            self.write("".join(new))
