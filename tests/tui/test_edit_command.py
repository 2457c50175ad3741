"""`omnix edit FILE` refuses files it cannot open with a message, not a traceback."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from omnix.tui.cli import main


def test_a_missing_file_is_a_clear_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["edit", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "nope.yaml: no such file" in result.output
    assert "Traceback" not in result.output


def test_a_file_that_is_not_yaml_is_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("nodes: [a\n")
    result = CliRunner().invoke(main, ["edit", str(path)])
    assert result.exit_code == 2
    assert f"{path}:2: YAML syntax error:" in result.output
    assert "<unicode string>" not in result.output and len(result.output.splitlines()) == 1


def test_edit_is_listed_in_the_help() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "edit" in result.output
