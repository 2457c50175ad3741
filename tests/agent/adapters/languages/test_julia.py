"""Julia, as far as a machine without julia allows (Debian does not package it): the adapter
finds julia on PATH or where configured, says how to install it when it is missing, and
starts worker.jl without the user's startup file. Running worker.jl needs julia itself."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from omnix.agent.adapters.base import AdapterUnavailable
from omnix.agent.adapters.external import Runtime
from omnix.agent.adapters.julia.adapter import WORKER_SCRIPT, JuliaAdapter


async def test_a_missing_julia_says_where_to_get_it(tmp_path: Path) -> None:
    adapter = JuliaAdapter(str(tmp_path / "julia"))
    with pytest.raises(AdapterUnavailable) as caught:
        await adapter.start()
    assert "julia not found" in str(caught.value)
    assert "https://julialang.org/downloads/" in str(caught.value)


async def test_a_julia_that_does_not_report_a_version_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "julia"
    broken.write_text("#!/bin/sh\necho 'segmentation fault' >&2\nexit 139\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(AdapterUnavailable, match=r"does not work .*segmentation fault"):
        await JuliaAdapter(str(broken)).version()


def test_the_worker_runs_without_the_users_startup_file() -> None:
    spec = JuliaAdapter().runtime_spec(Runtime("/opt/julia/bin/julia", "1.10.4"))
    assert spec["command"] == [
        "/opt/julia/bin/julia",
        "--startup-file=no",
        "--history-file=no",
        str(WORKER_SCRIPT),
    ]
    assert spec["kind"] == "warm" and spec["language"] == "julia"
    assert os.path.isfile(WORKER_SCRIPT)
