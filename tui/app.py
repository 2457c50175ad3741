"""The graph editor app: coordinates the document, the canvas and the panels.

The app owns the `PipelineDocument`; widgets only say what the user did (messages up)
and the app applies it to the document, then shows the result (attributes down).
Validation runs in a worker thread so typing and moving stay responsive.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from omnix.shared.pipeline import known_languages
from omnix.shared.status import RunStatus
from omnix.tui.components.code_editor import CodeEditor
from omnix.tui.components.dialogs import AddNodeDialog, ConfirmDialog
from omnix.tui.components.graph import GraphCanvas
from omnix.tui.components.inspector import Inspector
from omnix.tui.components.log_panel import LogPanel
from omnix.tui.components.problems import ProblemsPanel
from omnix.tui.document import PipelineDocument, Validation, problem_nodes, validate_text
from omnix.tui.history import EditHistory
from omnix.tui.palette import fit_palette
from omnix.tui.run_control import RunControl
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header

STARTER_CODE = {
    "python": "# upstream outputs are variables named after their nodes\nNone\n",
    "javascript": "// upstream outputs are variables named after their nodes\nnull\n",
    "sql": "SELECT 1 AS one\n",
    "r": "# upstream outputs are variables named after their nodes\nNULL\n",
    "julia": "# upstream outputs are variables named after their nodes\nnothing\n",
    "scala": "// upstream outputs are values named after their nodes\nnull\n",
    "go": "// upstream outputs are variables named after their nodes\nreturn nil, nil\n",
}
"""A new node's code: valid in its language, its output null. The order is the add-node
list's (the built-ins as the tier table lists them, then plugins by name)."""


INSPECTOR_DELAY_S = 0.08

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
    ("Show output  (o)", "Show the selected node's output from the last run", "show_output"),
    ("Undo  (ctrl+z)", "Undo the last edit", "undo"),
    ("Redo  (ctrl+y)", "Redo the last edit undone", "redo"),
    ("Quit  (q)", "Leave the editor", "quit_editor"),
]
"""Every editor action in the command palette, with the key that does it."""


class Validated(Message):
    """Validation of one version of the text finished."""

    def __init__(self, version: int, validation: Validation) -> None:
        super().__init__()
        self.version = version
        self.validation = validation


class EditorApp(RunControl):
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
        # Off the footer, which is full at 80 columns; the palette (^p) lists it.
        Binding("o", "show_output", "Output", show=False),
        Binding("q", "quit_editor", "Quit"),
        Binding("ctrl+z", "undo", "Undo", show=False),
        Binding("ctrl+y", "redo", "Redo", show=False),
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
        self._inspector_timer: Timer | None = None
        self.history = EditHistory()
        fit_palette(self)

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

    def on_mount(self) -> None:
        self.canvas.border_title = self.document.path.name
        nodes = self.document.node_ids()
        if nodes:
            # Selected before the first drawing, so the inspector is filled once; emptying
            # it first would restyle the whole form twice (disabled, then enabled again).
            self.canvas.selected = nodes[0]
        else:
            self.query_one(Inspector).clear()
        self.refresh_document()
        if nodes:
            self.canvas.select(nodes[0])
        self.canvas.focus()

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
        inspectors = self.query(Inspector)
        if not inspectors:
            return  # a late timer while a dialog is up or the app is closing
        inspector = inspectors.first()
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
        selected = self.canvas.selected
        log = self.query_one(LogPanel)
        if selected is not None and selected != log.node_id:
            log.show(selected)
        # Filling the inspector re-lays out a dozen widgets: while the arrow keys repeat,
        # only the box highlight follows each press and the form catches up once they stop.
        if self._inspector_timer is not None:
            self._inspector_timer.stop()
        if selected is not None and selected == self.query_one(Inspector).node_id:
            return  # the form shows this node already
        self._inspector_timer = self.set_timer(INSPECTOR_DELAY_S, self._show_selection)

    @on(GraphCanvas.NodeMoved)
    def _node_moved(self, message: GraphCanvas.NodeMoved) -> None:
        self._remember()
        self.document.set_position(message.node_id, message.x, message.y)
        self.sub_title = f"{self.document.path} •"

    @on(Inspector.FieldChanged)
    def _field_changed(self, message: Inspector.FieldChanged) -> None:
        self._remember()
        try:
            if message.field == "id":
                self.document.rename(message.node_id, str(message.value))
                self.canvas.selected = str(message.value)
                stale = self.document.code_mentioning(message.node_id)
                if stale:
                    # Upstream outputs are variables named after their nodes: code may still
                    # use the old name, and only the author can tell a variable from a word.
                    self.notify(
                        f"renamed to '{message.value}'; the code of {', '.join(stale)} "
                        f"still mentions '{message.node_id}'",
                        severity="warning",
                    )
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
        order = list(STARTER_CODE)
        languages = sorted(
            known_languages(),
            key=lambda lang: (order.index(lang) if lang in order else len(order), lang),
        )
        upstream = self.canvas.selected

        def added(result: tuple[str, str] | None) -> None:
            if result is None:
                return
            node_id, lang = result
            needs = (upstream,) if upstream else ()
            self._remember()
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
        self._remember()
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
            self._remember()
            self.document.disconnect(*edge)
            self.notify(f"removed edge {edge[0]} → {edge[1]}")
        elif node_id is not None:
            neighbours = self.document.needs(node_id)
            self._remember()
            self.document.remove_node(node_id)
            self.canvas.selected = neighbours[0] if neighbours else None
            self.notify(f"removed node {node_id}")
        else:
            return
        self.refresh_document()
        if self.canvas.selected is None and self.document.node_ids():
            self.canvas.select(self.document.node_ids()[0])

    def action_edit_code(self) -> None:
        """Edit the selected node's code in a syntax-highlighted editor (a `file:` node's
        code is edited in that file, written when the editor closes)."""
        node_id = self.canvas.selected
        if node_id is None:
            return
        lang = _lang(self.document.field(node_id, "lang"))
        source = self.document.field(node_id, "file")
        if isinstance(source, str):
            self._edit_code_file(node_id, lang, self.document.path.parent / source)
            return
        code = self.document.field(node_id, "code")
        code = code if isinstance(code, str) else ""

        def edited(text: str | None) -> None:
            if text is not None and text != code and node_id in self.document.node_ids():
                self._remember()
                self.document.set_field(node_id, "code", text)
                self.refresh_document()

        self.push_screen(CodeEditor(node_id, lang, code), edited)

    def _edit_code_file(self, node_id: str, lang: str, path: Path) -> None:
        try:
            code = path.read_text(encoding="utf-8") if path.exists() else ""
        except (OSError, UnicodeDecodeError) as exc:
            self.notify(f"cannot read {path}: {exc}", severity="error")
            return

        def edited(text: str | None) -> None:
            if text is None or text == code:
                return
            try:
                path.write_text(text, encoding="utf-8")
            except OSError as exc:
                self.notify(f"cannot write {path}: {exc}", severity="error")
                return
            self.notify(f"wrote {path.name}")
            self.refresh_document()

        self.push_screen(CodeEditor(node_id, f"{lang} · {path.name}", code, lang), edited)

    def _remember(self) -> None:
        """Keep the text as it is before an edit, for undo."""
        self.history.remember(self.document.dumps())

    def action_undo(self) -> None:
        """Go back to the text before the last edit."""
        self._restore(self.history.undo(self.document.dumps()), "nothing to undo")

    def action_redo(self) -> None:
        """Re-apply the last edit undone."""
        self._restore(self.history.redo(self.document.dumps()), "nothing to redo")

    def _restore(self, text: str | None, empty: str) -> None:
        if text is None:
            self.notify(empty, severity="warning")
            return
        self.document.reset_to(text)
        self.refresh_document()

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
        for title, help_text, action in PALETTE:
            target = self.canvas if action in ("fit", "next_edge") else self
            yield SystemCommand(title, help_text, getattr(target, f"action_{action}"))


def _lang(value: object) -> str:
    return value if isinstance(value, str) else "?"
