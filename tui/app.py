"""The graph editor app: coordinates the document, the canvas and the panels.

The app owns the `PipelineDocument`; widgets only say what the user did (messages up)
and the app applies it to the document, then shows the result (attributes down).
Validation runs in a worker thread so typing and moving stay responsive.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from omnix.shared.events import NodeStateChanged, RunEvent
from omnix.shared.pipeline import known_languages
from omnix.shared.status import NodeStatus, RunStatus
from omnix.tui.components.code_editor import CodeEditor
from omnix.tui.components.dialogs import AddNodeDialog, ConfirmDialog
from omnix.tui.components.graph import GraphCanvas
from omnix.tui.components.inspector import Inspector
from omnix.tui.components.log_panel import LogPanel
from omnix.tui.components.problems import ProblemsPanel
from omnix.tui.components.run_events import (
    RunEnded,
    RunEventReceived,
    describe_run_state,
    relay,
    show_node_event,
)
from omnix.tui.document import PipelineDocument, Validation, problem_nodes, validate_text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header

STARTER_CODE = {
    "python": "# upstream outputs are variables named after their nodes\nNone\n",
    "javascript": "// upstream outputs are variables named after their nodes\nnull\n",
    "sql": "SELECT 1 AS one\n",
}


PALETTE = [
    ("Add node  (a)", "Add a node after the selected one", "add_node"),
    ("Connect  (c)", "Connect the selected node to another", "connect"),
    ("Delete  (d)", "Remove the selected node or edge", "delete"),
    ("Edit code  (e)", "Edit the selected node's code", "edit_code"),
    ("Save  (ctrl+s)", "Write the pipeline file", "save"),
    ("Fit  (f)", "Centre the graph", "fit"),
    ("Next edge  (])", "Select an edge of the selected node", "next_edge"),
    ("Run  (r)", "Run the pipeline on the agent", "run"),
    ("Cancel run  (x)", "Cancel the run in progress", "cancel_run"),
    ("Quit  (q)", "Leave the editor", "quit_editor"),
]
"""Every editor action in the command palette, with the key that does it."""


class Validated(Message):
    """Validation of one version of the text finished."""

    def __init__(self, version: int, validation: Validation) -> None:
        super().__init__()
        self.version = version
        self.validation = validation


class EditorApp(App[None]):
    """`omnix edit FILE`: edit a pipeline as a graph, with live validation."""

    CSS_PATH = "omnix.tcss"
    TITLE = "omnix"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add_node", "Add"),
        Binding("c", "connect", "Connect"),
        Binding("d,delete", "delete", "Del"),
        Binding("e", "edit_code", "Code"),
        Binding("enter", "enter", "Code/confirm", show=False),
        Binding("escape", "cancel_connect", "Cancel", show=False),
        Binding("ctrl+s", "save", "Save"),
        Binding("r", "run", "Run"),
        Binding("x", "cancel_run", "Stop"),
        Binding("q", "quit_editor", "Quit"),
    ]

    def __init__(self, document: PipelineDocument, agent: str | None = None) -> None:
        super().__init__()
        self.document = document
        self.agent = agent
        self.run_id: str | None = None
        self._run_status: RunStatus | None = None
        self.validation: Validation | None = None
        self.connect_from: str | None = None
        self._version = 0

    # -- composition -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield GraphCanvas(id="graph")
            yield Inspector(id="inspector")
        with Horizontal(id="bottom"):
            yield ProblemsPanel(id="problems")
            yield LogPanel(id="log")
        yield Footer(compact=True)

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

    def on_mount(self) -> None:
        self.canvas.border_title = self.document.path.name
        self.query_one(Inspector).clear()
        self.refresh_document()
        nodes = self.document.node_ids()
        if nodes:
            self.canvas.select(nodes[0])
        self.canvas.focus()

    @property
    def canvas(self) -> GraphCanvas:
        return self.query_one(GraphCanvas)

    # -- showing the document --------------------------------------------------------

    def refresh_document(self) -> None:
        """Redraw the graph from the document and start validating it."""
        doc = self.document
        nodes = {node_id: _lang(doc.field(node_id, "lang")) for node_id in doc.node_ids()}
        flagged = problem_nodes(self.validation.problems, nodes) if self.validation else set()
        self.canvas.show_graph(nodes, doc.edges(), doc.positions(), flagged)
        self.sub_title = f"{doc.path}{' •' if doc.dirty else ''}"
        self._show_selection()
        self._version += 1
        self.validate(self._version, doc.dumps())

    def _show_selection(self) -> None:
        inspector = self.query_one(Inspector)
        selected = self.canvas.selected
        log = self.query_one(LogPanel)
        if selected != log.node_id and selected is not None:
            log.show(selected)
        if selected is not None:
            node = self.document.node(selected)
            inspector.show_node(selected, dict(node), self.document.needs(selected))
        elif self.canvas.selected_edge is not None:
            inspector.show_edge(self.canvas.selected_edge)
        else:
            inspector.clear()

    @work(thread=True, exclusive=True, group="validate")
    def validate(self, version: int, text: str) -> None:
        """Validate one version of the text off the UI thread."""
        self.post_message(Validated(version, validate_text(text, self.document.path)))

    def on_validated(self, message: Validated) -> None:
        if message.version != self._version:
            return  # an older text; a newer validation is on its way
        self.validation = message.validation
        self.query_one(ProblemsPanel).show_problems(message.validation.problems)
        self.canvas.set_problems(problem_nodes(message.validation.problems, self.canvas.looks))

    # -- messages from the widgets ---------------------------------------------------

    @on(GraphCanvas.NodeSelected)
    @on(GraphCanvas.EdgeSelected)
    def _selection_changed(self) -> None:
        self._show_selection()

    @on(GraphCanvas.NodeMoved)
    def _node_moved(self, message: GraphCanvas.NodeMoved) -> None:
        self.document.set_position(message.node_id, message.x, message.y)
        self.sub_title = f"{self.document.path} •"

    @on(Inspector.FieldChanged)
    def _field_changed(self, message: Inspector.FieldChanged) -> None:
        try:
            if message.field == "id":
                self.document.rename(message.node_id, str(message.value))
                self.canvas.selected = str(message.value)
            else:
                self.document.set_field(message.node_id, message.field, message.value)
        except (ValueError, KeyError) as exc:
            self.notify(str(exc).strip("'\""), severity="error")
            return
        self.refresh_document()

    @on(ProblemsPanel.ProblemChosen)
    def _problem_chosen(self, message: ProblemsPanel.ProblemChosen) -> None:
        self.canvas.select(message.node_id)
        self.canvas.focus()

    # -- actions ---------------------------------------------------------------------

    def action_add_node(self) -> None:
        """Ask for a language and an id, then add the node (downstream of the selection)."""
        languages = sorted(known_languages(), key=lambda lang: (lang not in STARTER_CODE, lang))
        upstream = self.canvas.selected

        def added(result: tuple[str, str] | None) -> None:
            if result is None:
                return
            node_id, lang = result
            needs = (upstream,) if upstream else ()
            self.document.add_node(node_id, lang, STARTER_CODE.get(lang, ""), needs=needs)
            self.canvas.selected = node_id
            self.refresh_document()
            self.canvas.select(node_id)

        self.push_screen(AddNodeDialog(languages, set(self.document.node_ids())), added)

    def action_connect(self) -> None:
        """Start connecting the selected node to a downstream one picked with the arrows."""
        source = self.canvas.selected
        if source is None:
            self.notify("select the upstream node first", severity="warning")
            return
        self.connect_from = source
        self.canvas.mark(source)
        self.sub_title = f"connect {source} → ?  (arrows pick, Enter connects, Escape cancels)"

    def action_enter(self) -> None:
        """Enter confirms a connection being made, otherwise opens the code editor."""
        if self.connect_from is None:
            self.action_edit_code()
            return
        source, target = self.connect_from, self.canvas.selected
        self.action_cancel_connect()
        if target is None or target == source:
            self.notify("pick a different node to connect to", severity="warning")
            return
        self.document.connect(source, target)
        self.refresh_document()
        self.notify(f"{source} → {target}")

    def action_cancel_connect(self) -> None:
        """Leave connect mode without changing anything."""
        if self.connect_from is not None:
            self.connect_from = None
            self.canvas.mark(None)
            self.sub_title = f"{self.document.path}{' •' if self.document.dirty else ''}"

    def action_delete(self) -> None:
        """Remove the selected edge, or the selected node with its edges."""
        edge = self.canvas.selected_edge
        node_id = self.canvas.selected
        if edge is not None:
            self.document.disconnect(*edge)
            self.notify(f"removed edge {edge[0]} → {edge[1]}")
        elif node_id is not None:
            neighbours = self.document.needs(node_id)
            self.document.remove_node(node_id)
            self.canvas.selected = neighbours[0] if neighbours else None
            self.notify(f"removed node {node_id}")
        else:
            return
        self.refresh_document()
        if self.canvas.selected is None and self.document.node_ids():
            self.canvas.select(self.document.node_ids()[0])

    def action_edit_code(self) -> None:
        """Edit the selected node's code in a syntax-highlighted editor."""
        node_id = self.canvas.selected
        if node_id is None:
            return
        code = self.document.field(node_id, "code")
        code = code if isinstance(code, str) else ""
        lang = _lang(self.document.field(node_id, "lang"))

        def edited(text: str | None) -> None:
            if text is not None and text != code and node_id in self.document.node_ids():
                self.document.set_field(node_id, "code", text)
                self.refresh_document()

        self.push_screen(CodeEditor(node_id, lang, code), edited)

    def action_save(self) -> None:
        """Write the file; saving an invalid pipeline is allowed, with a warning."""
        try:
            self.document.save()
        except OSError as exc:
            self.notify(f"cannot save {self.document.path}: {exc}", severity="error")
            return
        self.sub_title = str(self.document.path)
        problems = self.validation.problems if self.validation else ()
        if problems:
            self.notify(
                f"saved {self.document.path.name} with {len(problems)} problem(s): "
                "it will not run until they are fixed",
                severity="warning",
            )
        else:
            self.notify(f"saved {self.document.path.name}")

    def action_quit_editor(self) -> None:
        """Quit, asking first when there are unsaved changes."""
        if not self.document.dirty:
            self.exit()
            return

        def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.exit()

        self.push_screen(
            ConfirmDialog("Unsaved changes. Quit without saving?", "Quit", "Stay"), answered
        )

    # -- running on the agent --------------------------------------------------------

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
        self.canvas.clear_states()
        for node_id in self.canvas.looks:
            self.canvas.set_state(node_id, NodeStatus.PENDING)
        log = self.query_one(LogPanel)
        log.reset()
        log.show(self.canvas.selected)
        self.query_one("#bottom").add_class("-run")
        self.run_id, self.run_status = None, RunStatus.QUEUED
        self.sub_title = f"{self.document.path} · run queued"
        self.watch_run(self.document.dumps(), str(self.document.path))

    @work(thread=True, exclusive=True, group="run")
    def watch_run(self, source: str, path: str) -> None:
        """Start a run on the agent and relay its events until it ends."""
        from omnix.tui.session import AgentError, AgentSession

        try:
            with AgentSession(self.agent) as session:
                self.run_id = session.start_source(source, path)
                for event in session.events(self.run_id):
                    self.deliver(event)
        except AgentError as exc:
            self.post_message(RunEnded(str(exc)))
            return
        self.post_message(RunEnded())

    def deliver(self, event: RunEvent) -> None:
        """Show one run event; safe to call from the worker thread."""
        relay(event, self, self.query_one(LogPanel))

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

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help_text, action in PALETTE:
            target = self.canvas if action in ("fit", "next_edge") else self
            yield SystemCommand(title, help_text, getattr(target, f"action_{action}"))


def _lang(value: object) -> str:
    return value if isinstance(value, str) else "?"
