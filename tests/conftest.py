"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import shutil

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_binary(name: str, install_hint: str) -> str:
    """Path of a runtime a test needs: skip locally when it is absent, fail in CI, where
    `.ci/run` must have installed it."""
    path = shutil.which(name)
    if path is None:
        message = f"`{name}` is not on PATH ({install_hint})"
        if IN_CI:
            pytest.fail(f"{message}: .ci/run should have installed it")
        pytest.skip(message)
    return path
