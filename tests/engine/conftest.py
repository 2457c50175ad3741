"""Fixtures for the engine tests: a real engine with real worker processes."""

from __future__ import annotations

import textwrap
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from omnix.agent.runs.engine import Engine
from omnix.shared.pipeline import Pipeline, parse_pipeline


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def engine() -> AsyncIterator[Engine]:
    """One engine per test module: its warm workers are the thing under test."""
    async with Engine(max_parallel=4) as shared:
        yield shared


@pytest.fixture
def make_pipeline(tmp_path: Path) -> Callable[[str], Pipeline]:
    """Validate pipeline YAML (dedented) written as `tmp_path/pipeline.yaml`."""

    def make(text: str) -> Pipeline:
        path = tmp_path / "pipeline.yaml"
        source = textwrap.dedent(text)
        path.write_text(source)
        return parse_pipeline(source, path=str(path), base_dir=tmp_path)

    return make


def _is_gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    # A zombie has exited; only its parent's bookkeeping is left.
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


@pytest.fixture
def wait_gone() -> Callable[[int], bool]:
    """`wait_gone(pid)`: True once the process has exited (polls /proc for up to 5 s: there is
    no event to await for a process that is not our child)."""

    def wait(pid: int, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _is_gone(pid):
                return True
            time.sleep(0.02)
        return _is_gone(pid)

    return wait
