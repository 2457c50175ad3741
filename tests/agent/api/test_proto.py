"""The checked-in omnix.v1 code is what the .proto files generate, and the protos lint."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PROTO = ROOT / "proto"


def test_generated_code_matches_the_proto_files(tmp_path: Path) -> None:
    subprocess.run(
        ["sh", str(PROTO / "generate.sh"), str(tmp_path)],
        check=True,
        env={**os.environ, "PYTHON": sys.executable},
    )
    generated = sorted(p.name for p in (tmp_path / "omnix" / "v1").iterdir())
    assert generated, "generate.sh produced nothing"
    stale = [
        name
        for name in generated
        if not filecmp.cmp(tmp_path / "omnix" / "v1" / name, PROTO / "omnix" / "v1" / name, False)
    ]
    assert not stale, f"regenerate with proto/generate.sh and commit: {stale}"


def test_protos_pass_buf_lint_standard() -> None:
    buf = shutil.which("buf") or shutil.which("buf", path=str(Path(sys.executable).parent))
    if buf is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("buf is not installed (pip install buf-bin)")
        pytest.skip("buf is not installed (pip install buf-bin)")
    result = subprocess.run([buf, "lint"], cwd=PROTO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
