"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import shutil
import tempfile
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


def pytest_configure(config: pytest.Config) -> None:
    """No test reaches the machine's agent: the default state directory (root's is
    /var/lib/omnix) points into a temporary folder unless a test names its own."""
    if "OMNIX_STATE_DIR" not in os.environ:
        os.environ["OMNIX_STATE_DIR"] = _SESSION_STATE.setdefault(
            "dir", tempfile.mkdtemp(prefix="omnix-state-")
        )
    # Compiled node code (Go binaries, Scala classes) goes to the session's own cache too.
    if "OMNIX_CACHE_DIR" not in os.environ:
        os.environ["OMNIX_CACHE_DIR"] = _SESSION_STATE.setdefault(
            "cache", tempfile.mkdtemp(prefix="omnix-cache-")
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    for key in ("dir", "cache"):
        if key in _SESSION_STATE:
            shutil.rmtree(_SESSION_STATE.pop(key), ignore_errors=True)


_SESSION_STATE: dict[str, str] = {}
