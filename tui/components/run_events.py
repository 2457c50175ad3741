"""Showing a run's events on a graph canvas and a log panel, shared by every run view.

A run worker thread touches no widget: the view makes a `RunFeed` on the UI thread and hands
it to the worker, which calls `deliver` for each event. Logs go into the panel's
`LogBuffers` (coalesced there) with a `LogsGrew` message; the run id, state changes and the
end come back to the UI thread as messages and are drawn there (`show_node_event`).
"""

from __future__ import annotations

from omnix.shared.events import NodeLog, NodeStateChanged, RunEvent, RunStateChanged
from omnix.tui.components.graph import GraphCanvas
from omnix.tui.components.log_panel import LogPanel
from textual.message import Message
from textual.message_pump import MessagePump


class RunEventReceived(Message):
    """A run state or node state change arrived from the agent."""

    def __init__(self, event: RunStateChanged | NodeStateChanged) -> None:
        super().__init__()
        self.event = event


class RunStarted(Message):
    """The agent accepted the run and gave it this id."""

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id


class RunEnded(Message):
    """The run's event stream ended; `error` says why when it could not run or was cut off."""

    def __init__(self, error: str | None = None) -> None:
        super().__init__()
        self.error = error


class RunFeed:
    """Where a run worker sends what it reads: made on the UI thread, used from any thread.

    It holds the receiving view and the log panel's buffers, so the worker never queries or
    calls a widget; `post_message` is Textual's thread-safe way in."""

    def __init__(self, receiver: MessagePump, log: LogPanel) -> None:
        self._receiver = receiver
        self._log = log
        self._buffers = log.buffers

    def started(self, run_id: str) -> None:
        """The agent accepted the run."""
        self._receiver.post_message(RunStarted(run_id))

    def deliver(self, event: RunEvent) -> None:
        """Route one event to the UI."""
        if isinstance(event, NodeLog):
            self._buffers.append(event.node_id, event.text)
            self._log.post_message(LogPanel.LogsGrew(event.node_id))
        else:
            self._receiver.post_message(RunEventReceived(event))

    def ended(self, error: str | None = None) -> None:
        """The event stream ended; `error` says why when it could not run or was cut off."""
        self._receiver.post_message(RunEnded(error))


def show_node_event(event: NodeStateChanged, canvas: GraphCanvas, log: LogPanel) -> None:
    """Colour and symbol on the node's box, its duration once final, its error in its log."""
    final = event.status.is_final
    canvas.set_state(event.node_id, event.status, event.duration_s if final else None)
    if event.error:
        log.append(event.node_id, f"{event.error}\n")


def describe_run_state(event: RunStateChanged) -> str:
    """`run failed (node failed)`: the run's state for a title line."""
    reason = f" ({event.reason})" if event.reason else ""
    return f"run {event.status.value}{reason}"
