"""One run on the agent, live: its graph with node states and the selected node's log."""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from omnix.shared.events import NodeStateChanged
from omnix.tui.components.graph import GraphCanvas
from omnix.tui.components.log_panel import LogPanel
from omnix.tui.components.output_screen import open_output
from omnix.tui.components.run_events import (
    RunEnded,
    RunEventReceived,
    RunFeed,
    describe_run_state,
    show_node_event,
)
from omnix.tui.document import DocumentError, PipelineDocument
from omnix.tui.summaries import AgentError, RunSummary
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header


class RunScreen(Screen[None]):
    """Follows one run until it ends; `x` cancels it, Escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("x", "cancel_run", "Stop"),
        Binding("o", "show_output", "Output"),
    ]

    class GraphReady(Message):
        """The run's pipeline is known: draw it before its events arrive."""

        def __init__(self, run: RunSummary, source: str | None) -> None:
            super().__init__()
            self.run = run
            self.source = source

    def __init__(self, run_id: str, agent: str | None) -> None:
        super().__init__()
        self.run_id = run_id
        self.agent = agent

    def compose(self) -> ComposeResult:
        yield Header()
        yield GraphCanvas(id="run-graph")
        yield LogPanel(id="run-log")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"run {self.run_id}"
        self.follow(RunFeed(self, self.query_one(LogPanel)))

    @work(thread=True, exclusive=True, group="follow")
    def follow(self, feed: RunFeed) -> None:
        """Draw the run's graph, then feed its events (history first) until it ends."""
        from omnix.tui.session import AgentSession, notify_link

        try:
            with AgentSession(self.agent) as session:
                run = session.run(self.run_id)
                source = session.pipeline_source(run.pipeline, run.version) if run.version else None
                self.post_message(self.GraphReady(run, source))
                for event in session.events(self.run_id, on_link=partial(notify_link, self.app)):
                    feed.deliver(event)
        except AgentError as exc:
            feed.ended(str(exc))
            return
        feed.ended()

    def on_run_screen_graph_ready(self, message: GraphReady) -> None:
        run = message.run
        nodes = {node.node_id: "?" for node in run.nodes}
        edges: list[tuple[str, str]] = []
        positions = None
        if message.source is not None:
            try:
                document = PipelineDocument(message.source, f"{run.pipeline}.yaml")
            except DocumentError:
                pass
            else:
                langs = {n: document.field(n, "lang") for n in document.node_ids()}
                nodes = {n: lang if isinstance(lang, str) else "?" for n, lang in langs.items()}
                edges, positions = document.edges(), document.positions()
        canvas = self.query_one(GraphCanvas)
        canvas.border_title = f"{run.pipeline} · {run.run_id[:12]}"
        canvas.show_graph(nodes, edges, positions)
        if nodes:
            canvas.select(next(iter(nodes)))
        canvas.focus()

    def on_run_event_received(self, message: RunEventReceived) -> None:
        event = message.event
        if isinstance(event, NodeStateChanged):
            show_node_event(event, self.query_one(GraphCanvas), self.query_one(LogPanel))
        else:
            self.sub_title = f"run {self.run_id[:12]} · {describe_run_state(event)}"

    def on_run_ended(self, message: RunEnded) -> None:
        if message.error:
            self.notify(message.error, severity="error", timeout=10)

    @on(GraphCanvas.NodeSelected)
    def _node_selected(self, message: GraphCanvas.NodeSelected) -> None:
        self.query_one(LogPanel).show(message.node_id)

    def action_show_output(self) -> None:
        """Show the selected node's output (a table as a table) from this run."""
        node_id = self.query_one(GraphCanvas).selected
        if node_id is None:
            self.notify("select a node first (arrow keys)", timeout=4)
            return
        open_output(self, self.agent, self.run_id, node_id)

    def action_cancel_run(self) -> None:
        """Ask the agent to cancel this run."""
        self.cancel()

    @work(thread=True, group="cancel")
    def cancel(self) -> None:
        from omnix.tui.session import AgentSession

        try:
            with AgentSession(self.agent) as session:
                session.cancel(self.run_id)
        except AgentError as exc:
            self.post_message(RunEnded(str(exc)))
