"""Real agents on real sockets (`omnix-agent serve` subprocesses in temporary state dirs),
and a real engine in this process with real worker processes."""

from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from omnix.agent.runs.engine import Engine
from omnix.shared import licensing
from omnix.shared.licensing import LicenseTerms, LicenseVerifier, sign_license
from omnix.shared.pipeline import Pipeline, parse_pipeline
from omnix.shared.tiers import Tier

from tests.agent.agents import AgentFactory, RunningAgent, spawn_agent
from tests.agent.licenses import EXPIRES, ISSUED, Issue


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A temporary directory with a short path: unix socket paths are limited to 107 bytes."""
    path = Path(tempfile.mkdtemp(prefix="ox", dir="/tmp"))
    yield path
    if not os.environ.get("OMNIX_KEEP_TMP"):
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def agent_factory(short_tmp: Path) -> Iterator[AgentFactory]:
    """Starts agents (default state dir: a fresh one) and stops them all at teardown."""
    started: list[RunningAgent] = []

    def start(
        state_dir: Path | None = None,
        *args: str,
        tcp: bool = False,
        env: dict[str, str] | None = None,
    ) -> RunningAgent:
        agent = spawn_agent(
            state_dir or short_tmp / f"agent{len(started)}", *args, tcp=tcp, env=env
        )
        started.append(agent)
        return agent

    yield start
    for agent in started:
        agent.close()


@pytest.fixture
def agent(agent_factory: AgentFactory) -> RunningAgent:
    """One serving agent on a unix socket."""
    return agent_factory()


@pytest.fixture
def tcp_agent(agent_factory: AgentFactory) -> RunningAgent:
    """One serving agent on a unix socket and a loopback TCP port."""
    return agent_factory(tcp=True)


@pytest.fixture(scope="session")
def module_agent() -> Iterator[RunningAgent]:
    """One agent (unix socket and loopback TCP) shared by the tests that do not need their
    own: each uses its own pipeline names and leaves no schedule behind."""
    path = Path(tempfile.mkdtemp(prefix="ox", dir="/tmp"))
    agent = spawn_agent(path / "agent", tcp=True)
    yield agent
    agent.close()
    shutil.rmtree(path, ignore_errors=True)


# -- an engine in this process, with real worker processes ----------------------------


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


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    """A throwaway key pair standing in for the vendor's, made fresh for each test session."""
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def verifier(signing_key: Ed25519PrivateKey) -> LicenseVerifier:
    """A verifier that trusts the throwaway key (and only it)."""
    return LicenseVerifier([signing_key.public_key()])


@pytest.fixture(scope="session")
def issue(signing_key: Ed25519PrivateKey) -> Issue:
    """`issue(tier=..., customer=..., seats=..., issued=..., expires=...)` -> a signed key."""

    def make(
        tier: Tier = Tier.TEAM,
        customer: str = "Acme",
        seats: int | None = None,
        issued: datetime = ISSUED,
        expires: datetime = EXPIRES,
    ) -> str:
        return sign_license(LicenseTerms(customer, tier, issued, expires, seats), signing_key)

    return make


@pytest.fixture
def trust_throwaway_key(monkeypatch: pytest.MonkeyPatch, signing_key: Ed25519PrivateKey) -> None:
    """Make the default verifier trust the throwaway key, in this process only."""
    monkeypatch.setattr(licensing, "vendor_keys", lambda: (signing_key.public_key(),))
