"""Fixtures for the terminal UI tests: a pipeline file to edit and the editor on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from omnix.tui.app import EditorApp
from omnix.tui.document import PipelineDocument

EXAMPLE = Path(__file__).with_name("sales.yaml")


@pytest.fixture
def pipeline_file(tmp_path: Path) -> Path:
    """A copy of the documented example pipeline, safe to edit and save."""
    path = tmp_path / "sales.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.fixture
def editor(pipeline_file: Path) -> EditorApp:
    """The editor on the example pipeline (not started)."""
    return EditorApp(PipelineDocument.load(pipeline_file))
