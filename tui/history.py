"""Undo and redo over whole versions of a pipeline file's text.

Texts are small and round-tripping is exact, so a version is simply the text before an
edit; no per-operation inverse to get wrong.
"""

from __future__ import annotations


class EditHistory:
    """Versions before each edit (undo) and after each undo (redo)."""

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit
        self._undo: list[str] = []
        self._redo: list[str] = []

    def remember(self, text: str) -> None:
        """Record the text as it is just before an edit; a new edit forgets the redos."""
        if not self._undo or self._undo[-1] != text:
            self._undo.append(text)
            del self._undo[: -self.limit]
        self._redo.clear()

    def undo(self, current: str) -> str | None:
        """The text to go back to, or None when there is none."""
        return _step(self._undo, self._redo, current)

    def redo(self, current: str) -> str | None:
        """The text an undo went back from, or None when there is none."""
        return _step(self._redo, self._undo, current)


def _step(source: list[str], target: list[str], current: str) -> str | None:
    while source and source[-1] == current:
        source.pop()  # an edit that was refused changed nothing
    if not source:
        return None
    target.append(current)
    return source.pop()
