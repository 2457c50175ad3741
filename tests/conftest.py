"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def _require_binary(name: str, install_hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"`{name}` is not on PATH ({install_hint})"
        if IN_CI:
            pytest.fail(f"{message}: .ci/run should have installed it")
        pytest.skip(message)
    return path


@pytest.fixture
def require_binary() -> Callable[[str, str], str]:
    """`require_binary("node", "apt-get install nodejs")`: the runtime's path. Skips locally
    when it is absent; fails in CI (CI=true), where `.ci/run` must have installed it."""
    return _require_binary
