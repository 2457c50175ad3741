"""The code editor screen: a node's code in a TextArea highlighted for its language."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static, TextArea

# TextArea's names for the languages it can highlight (when tree-sitter grammars exist).
HIGHLIGHT = {
    "python": "python",
    "javascript": "javascript",
    "sql": "sql",
    "r": "r",
    "julia": "julia",
    "scala": "java",  # no Scala grammar ships with Textual; Java's is the closest
    "go": "go",
}


def highlight_language(lang: str, available: set[str]) -> str | None:
    """The TextArea language for a node language, or None when no grammar is installed."""
    name = HIGHLIGHT.get(lang)
    return name if name in available else None


class CodeEditor(Screen[str | None]):
    """Edits one node's code; ctrl+s or Escape keeps the text, ctrl+g discards it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: the TextArea would otherwise take Escape to leave focus.
        Binding("escape", "done", "Done", priority=True),
        Binding("ctrl+s", "done", "Done", show=False, priority=True),
        Binding("ctrl+g", "discard", "Discard changes"),
    ]

    def __init__(self, node_id: str, title: str, code: str, lang: str | None = None) -> None:
        super().__init__()
        self.node_id = node_id
        self.title_text = title
        self.lang = lang or title
        self.code = code

    def compose(self) -> ComposeResult:
        yield Static(f" {self.node_id} · {self.title_text}", id="code-title")
        area = TextArea.code_editor(self.code, id="code", soft_wrap=False)
        language = highlight_language(self.lang, set(area.available_languages))
        if language is not None:
            area.language = language
        yield area
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_done(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def action_discard(self) -> None:
        self.dismiss(None)
