"""Showing a run's events on a graph canvas and a log panel, shared by every run view.

The run worker calls `relay` from its thread for each event; logs go straight to the
panel's buffers (coalesced there), state changes come back to the UI thread as
`RunEventReceived` and are drawn by `show_node_event`.
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


class RunEnded(Message):
    """The run's event stream ended; `error` says why when it could not run or was cut off."""

    def __init__(self, error: str | None = None) -> None:
        super().__init__()
        self.error = error


def relay(event: RunEvent, receiver: MessagePump, log: LogPanel) -> None:
    """Route one event to the UI; safe to call from a worker thread."""
    if isinstance(event, NodeLog):
        log.append(event.node_id, event.text)
        log.post_message(LogPanel.LogsGrew(event.node_id))
    else:
        receiver.post_message(RunEventReceived(event))


def show_node_event(event: NodeStateChanged, canvas: GraphCanvas, log: LogPanel) -> None:
    """Colour and symbol on the node's box, its duration once final, its error in its log."""
    final = event.status.is_final
    canvas.set_state(event.node_id, event.status, event.duration_s if final else None)
    if event.error:
        relay(
            NodeLog(event.run_id, event.node_id, "stderr", f"{event.error}\n", event.at),
            canvas,
            log,
        )


def describe_run_state(event: RunStateChanged) -> str:
    """`run failed (node failed)`: the run's state for a title line."""
    reason = f" ({event.reason})" if event.reason else ""
    return f"run {event.status.value}{reason}"
