"""Shell completion, as README documents it: click's protocol through the installed scripts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    ("program", "variable", "typed", "expected"),
    [
        ("omnix", "_OMNIX_COMPLETE", "omnix pi", "plain,pipelines"),
        ("omnix-agent", "_OMNIX_AGENT_COMPLETE", "omnix-agent sta", "plain,status"),
    ],
)
def test_bash_completion_completes_command_names(
    program: str, variable: str, typed: str, expected: str
) -> None:
    env = dict(os.environ, COMP_WORDS=typed, COMP_CWORD="1", **{variable: "bash_complete"})
    result = subprocess.run(
        [str(BIN / program)], capture_output=True, text=True, env=env, timeout=30
    )
    assert result.stdout.split() == [expected]
