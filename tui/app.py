"""The graph editor app: coordinates the document, the canvas and the panels.

The app owns the `PipelineDocument`; widgets only say what the user did (messages up)
and the app applies it to the document, then shows the result (attributes down).
Validation runs in a worker thread so typing and moving stay responsive.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from omnix.shared.pipeline import PipelineInvalid, Problem, known_languages, parse_pipeline
from omnix.tui.components.code_editor import CodeEditor
from omnix.tui.components.dialogs import AddNodeDialog, ConfirmDialog
from omnix.tui.components.graph import GraphCanvas
from omnix.tui.components.inspector import Inspector
from omnix.tui.components.problems import ProblemsPanel
from omnix.tui.document import PipelineDocument, Validation
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


class Validated(Message):
    """Validation of one version of the text finished."""

    def __init__(self, version: int, validation: Validation) -> None:
        super().__init__()
        self.version = version
        self.validation = validation


def problem_nodes(problems: Iterable[Problem], known: Iterable[str]) -> set[str]:
    """Nodes to flag on the graph: the ones problems name, and every member of a cycle."""
    ids = set(known)
    flagged: set[str] = set()
    for problem in problems:
        if problem.node in ids:
            flagged.add(problem.node)
        if problem.message.startswith("cycle:"):
            # The validator names the cycle's first node and spells the path `a -> b -> a`.
            path = problem.message[6:].replace("→", "->")
            flagged |= {part.strip() for part in path.split("->")} & ids
    return flagged


class EditorApp(App[None]):
    """`omnix edit FILE`: edit a pipeline as a graph, with live validation."""

    CSS_PATH = "omnix.tcss"
    TITLE = "omnix"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add_node", "Add"),
        Binding("c", "connect", "Connect"),
        Binding("d,delete", "delete", "Delete"),
        Binding("e", "edit_code", "Code"),
        Binding("enter", "enter", "Code/confirm", show=False),
        Binding("escape", "cancel_connect", "Cancel", show=False),
        Binding("ctrl+s", "save", "Save"),
        Binding("q", "quit_editor", "Quit"),
    ]

    def __init__(self, document: PipelineDocument) -> None:
        super().__init__()
        self.document = document
        self.validation: Validation | None = None
        self.connect_from: str | None = None
        self._version = 0

    # -- composition -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield GraphCanvas(id="graph")
            yield Inspector(id="inspector")
        yield ProblemsPanel(id="problems")
        yield Footer()

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
        path = self.document.path
        base_dir = path.parent if path.parent.is_dir() else None
        try:
            pipeline = parse_pipeline(text, path=str(path), base_dir=base_dir)
        except PipelineInvalid as exc:
            validation = Validation(None, tuple(exc.problems))
        else:
            validation = Validation(pipeline, ())
        self.post_message(Validated(version, validation))

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

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Add node  (a)", "Add a node after the selected one", self.action_add_node
        )
        yield SystemCommand(
            "Connect  (c)", "Connect the selected node to another", self.action_connect
        )
        yield SystemCommand("Delete  (d)", "Remove the selected node or edge", self.action_delete)
        yield SystemCommand(
            "Edit code  (e)", "Edit the selected node's code", self.action_edit_code
        )
        yield SystemCommand("Save  (ctrl+s)", "Write the pipeline file", self.action_save)
        yield SystemCommand("Fit  (f)", "Centre the graph", self.canvas.action_fit)
        yield SystemCommand(
            "Next edge  (])", "Select an edge of the selected node", self.canvas.action_next_edge
        )
        yield SystemCommand("Quit  (q)", "Leave the editor", self.action_quit_editor)


def _lang(value: object) -> str:
    return value if isinstance(value, str) else "?"
