"""Fixtures for the terminal UI tests: a pipeline file, the editor on it, a real agent."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from omnix.tui.app import EditorApp
from omnix.tui.document import PipelineDocument

from tests.agent.agents import RunningAgent, spawn_agent

EXAMPLE = Path(__file__).with_name("sales.yaml")


@pytest.fixture(autouse=True)
def truecolor_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps see a truecolor terminal whatever the machine's TERM, so snapshots do not
    depend on where they run; tests of other terminals set their own."""
    monkeypatch.setenv("COLORTERM", "truecolor")


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


@pytest.fixture(scope="session")
def agent() -> Iterator[RunningAgent]:
    """A real agent for the TUI to talk to, shared by the session's tests (starting one
    costs seconds); stopped and reaped at the end."""
    # A short path: unix socket paths are limited to 107 bytes.
    path = Path(tempfile.mkdtemp(prefix="oxtui", dir="/tmp"))
    running = spawn_agent(path / "agent")
    try:
        yield running
    finally:
        running.close()
        shutil.rmtree(path, ignore_errors=True)
