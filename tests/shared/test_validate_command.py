"""`omnix validate`: exit 0 for valid files, 2 with FILE:LINE: messages otherwise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

VALID = "omnix: 1\nname: ok\nnodes:\n  - {id: a, lang: python, code: '1'}\n"
INVALID = "omnix: 1\nname: bad\nnodes:\n  - {id: a, lang: python, code: '1', needs: [b]}\n"


def omnix(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from omnix.tui.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )


def test_valid_files_exit_zero(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(VALID)
    result = omnix("validate", str(tmp_path / "ok.yaml"))
    assert result.returncode == 0 and "ok (ok, 1 nodes)" in result.stdout


def test_invalid_file_exits_two_with_file_line_messages(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(VALID)
    (tmp_path / "bad.yaml").write_text(INVALID)
    result = omnix("validate", str(tmp_path / "ok.yaml"), str(tmp_path / "bad.yaml"))
    assert result.returncode == 2
    assert f"{tmp_path / 'bad.yaml'}:4: node 'a': `needs` names no node: 'b'" in result.stderr


def test_validating_a_valid_file_imports_no_heavy_library(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(VALID)
    code = (
        "import sys\nfrom omnix.tui.cli import main\n"
        "try:\n    main(['validate', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
        "heavy = {'textual', 'grpc', 'pandas', 'networkx'} & {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "ok.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip().endswith("[]"), result.stdout + result.stderr


def test_a_node_whose_runtime_is_missing_is_a_warning_naming_node_language_and_install(
    tmp_path: Path,
) -> None:
    """Julia is not installed on this machine (Debian does not package it); the file stays
    valid, since the agent that runs it may have julia."""
    pipeline = tmp_path / "stats.yaml"
    pipeline.write_text(
        "omnix: 1\nname: stats\nnodes:\n  - {id: a, lang: python, code: '1'}\n"
        "  - id: fit\n    lang: julia\n    code: '1 + 1'\n"
    )
    result = omnix("validate", str(pipeline))
    assert result.returncode == 0
    assert (
        f"{pipeline}:5: warning: node 'fit' is julia: julia is not installed on this machine: "
        "install Julia 1.6 or newer from https://julialang.org/downloads/"
    ) in result.stderr
    assert "node 'a'" not in result.stderr
