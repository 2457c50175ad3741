"""Running the edited pipeline on the agent: `r` starts it, `x` stops it, and its events
are drawn on the editor's graph and log panel as they arrive.

The editor app builds on this; it supplies the document, the canvas and the validation.
"""

from __future__ import annotations

from functools import partial

from omnix.shared.events import NodeStateChanged, RunEvent
from omnix.shared.status import NodeStatus, RunStatus
from omnix.tui.components.graph import GraphCanvas
from omnix.tui.components.log_panel import LogPanel
from omnix.tui.components.output_screen import open_output
from omnix.tui.components.run_events import (
    RunEnded,
    RunEventReceived,
    RunFeed,
    RunStarted,
    describe_run_state,
    show_node_event,
)
from omnix.tui.document import PipelineDocument, Validation
from textual import work
from textual.app import App


class RunControl(App[None]):
    """An app that runs its document on the agent and shows the run on its canvas."""

    document: PipelineDocument
    validation: Validation | None
    agent: str | None
    run_id: str | None
    _run_status: RunStatus | None

    @property
    def canvas(self) -> GraphCanvas:
        return self.query_one(GraphCanvas)

    @property
    def run_status(self) -> RunStatus | None:
        """The latest status of the run started here (None before the first run)."""
        return self._run_status

    @run_status.setter
    def run_status(self, status: RunStatus | None) -> None:
        self._run_status = status
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show Run or Stop in the footer, whichever applies now."""
        running = self.run_status is not None and not self.run_status.is_final
        if action == "run":
            return not running
        if action == "cancel_run":
            return running
        return True

    def action_show_output(self) -> None:
        """Show the selected node's output (a table as a table) from the last run."""
        node_id = self.canvas.selected
        if self.run_id is None or node_id is None:
            self.notify("run the pipeline (r), select a node, then o shows its output", timeout=5)
            return
        open_output(self, self.agent, self.run_id, node_id)

    def action_run(self) -> None:
        """Run the pipeline as it is in the editor on the agent, showing states live."""
        if self.run_status is not None and not self.run_status.is_final:
            self.notify("a run is already in progress (x cancels it)", severity="warning")
            return
        if self.validation is None or not self.validation.ok:
            count = len(self.validation.problems) if self.validation else 0
            self.notify(
                f"fix the {count} problem(s) first: nothing runs until the file validates",
                severity="error",
            )
            return
        self.show_run_queued()
        self.watch_run(self.document.dumps(), str(self.document.path), self.run_feed())

    def show_run_queued(self) -> None:
        """Every box pending, the log panel emptied and shown: a run was just asked for."""
        self.canvas.clear_states()
        for node_id in self.canvas.looks:
            self.canvas.set_state(node_id, NodeStatus.PENDING)
        log = self.query_one(LogPanel)
        log.reset()
        log.show(self.canvas.selected)
        self.query_one("#bottom").add_class("-run")
        self.run_id, self.run_status = None, RunStatus.QUEUED
        self.sub_title = f"{self.document.path} · run queued"

    @work(thread=True, exclusive=True, group="run")
    def watch_run(self, source: str, path: str, feed: RunFeed) -> None:
        """Start a run on the agent and feed its events to the UI until it ends."""
        from omnix.tui.session import AgentError, AgentSession, notify_link

        try:
            with AgentSession(self.agent) as session:
                run_id = session.start_source(source, path)
                feed.started(run_id)
                for event in session.events(run_id, on_link=partial(notify_link, self)):
                    feed.deliver(event)
        except AgentError as exc:
            feed.ended(str(exc))
            return
        feed.ended()

    def run_feed(self) -> RunFeed:
        """Where a run worker sends events (make it on the UI thread)."""
        return RunFeed(self, self.query_one(LogPanel))

    def deliver(self, event: RunEvent) -> None:
        """Show one run event, as the run worker's feed does (call it on the UI thread)."""
        self.run_feed().deliver(event)

    def on_run_started(self, message: RunStarted) -> None:
        self.run_id = message.run_id

    def on_run_event_received(self, message: RunEventReceived) -> None:
        event = message.event
        if isinstance(event, NodeStateChanged):
            show_node_event(event, self.canvas, self.query_one(LogPanel))
            return
        self.run_status = event.status
        self.sub_title = f"{self.document.path} · {describe_run_state(event)}"
        if event.status.is_final:
            succeeded = event.status is RunStatus.SUCCEEDED
            self.notify(describe_run_state(event), severity="information" if succeeded else "error")

    def on_run_ended(self, message: RunEnded) -> None:
        if message.error:
            self.notify(message.error, severity="error", timeout=10)
        if self.run_status is not None and not self.run_status.is_final:
            self.run_status = RunStatus.FAILED if message.error else self.run_status
            if message.error:
                self.sub_title = f"{self.document.path} · run not finished: {message.error}"

    def action_cancel_run(self) -> None:
        """Cancel the run in progress."""
        if self.run_id is None or self.run_status is None or self.run_status.is_final:
            self.notify("no run in progress", severity="warning")
            return
        self.cancel_on_agent(self.run_id)

    @work(thread=True, group="cancel")
    def cancel_on_agent(self, run_id: str) -> None:
        """Ask the agent to cancel; the state change arrives through the run's events."""
        from omnix.tui.session import AgentError, AgentSession

        try:
            with AgentSession(self.agent) as session:
                session.cancel(run_id)
        except AgentError as exc:
            self.post_message(RunEnded(str(exc)))
