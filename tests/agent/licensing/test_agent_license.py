"""The license in a real agent (daemon, store and gRPC server on a unix socket) running in
this process, so a throwaway signing key can be trusted: installing takes effect at once,
expiry is judged against the store's newest timestamp, status warns before expiry."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest
from click.testing import CliRunner, Result
from omnix.agent.cli import main
from omnix.agent.config import AgentConfig
from omnix.agent.server import Agent
from omnix.agent.store.db import Store
from omnix.shared.tiers import Tier
from omnix.v1 import agent_pb2, agent_pb2_grpc, license_pb2, license_pb2_grpc

from .conftest import Issue

T = TypeVar("T")
DAY = timedelta(days=1)


class InProcessAgent:
    """A started agent (daemon and servers) in this process, and an aio channel to its socket."""

    def __init__(self, state_dir: Path, agent: Agent) -> None:
        self.state_dir = state_dir
        self.agent = agent
        self.daemon = agent.daemon
        self.channel = grpc.aio.insecure_channel(f"unix:{state_dir / 'agent.sock'}")
        self.license = license_pb2_grpc.LicenseServiceStub(self.channel)

    async def info(self) -> license_pb2.LicenseInfo:
        reply = await self.license.GetLicense(license_pb2.GetLicenseRequest(), timeout=10)
        info: license_pb2.LicenseInfo = reply.license
        return info


@pytest.fixture
async def state_dir() -> AsyncIterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="ox", dir="/tmp"))  # short: a unix socket lives here
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
async def start_agent(
    state_dir: Path, trust_throwaway_key: None
) -> AsyncIterator[Callable[[], Any]]:
    started: list[InProcessAgent] = []

    async def start() -> InProcessAgent:
        agent = Agent(AgentConfig(), state_dir, engine=_NoEngine(), token="test-token")
        await agent.start()
        started.append(InProcessAgent(state_dir, agent))
        return started[-1]

    yield start
    for agent in started:
        await agent.channel.close(None)
        await agent.agent.stop(0)


class _NoEngine:
    """These tests start no runs; the real engine's warm worker would only cost time."""

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no run is started in these tests")

    async def warm(self, language: str) -> None:
        return None

    async def close(self) -> None:
        return None


async def record_run_at(state_dir: Path, moment: datetime, count: int = 1) -> None:
    """`count` runs the agent recorded at `moment`, written into the store before it starts."""
    store = await Store.open(state_dir / "agent.db")
    try:
        await store.write(
            *(
                (
                    "INSERT INTO runs (run_id, pipeline, version, source, source_path, status,"
                    " params_json, trigger, created_at) VALUES"
                    " (?, 'p', 0, '', '', 'succeeded', '{}', 'manual', ?)",
                    (f"recorded{index}", moment.timestamp()),
                )
                for index in range(count)
            )
        )
    finally:
        await store.close()


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


async def in_thread(call: Callable[[], T]) -> T:
    # The CLI's blocking gRPC calls must not block the loop serving them.
    return await asyncio.to_thread(call)


async def test_installing_over_grpc_takes_effect_at_once(
    start_agent: Callable[[], Any], issue: Issue
) -> None:
    agent: InProcessAgent = await start_agent()
    assert (await agent.info()).tier == "free"
    now = datetime.now(UTC).replace(microsecond=0)
    key = issue(tier=Tier.BUSINESS, issued=now - DAY, expires=now + 200 * DAY)
    reply = await agent.license.InstallLicense(
        license_pb2.InstallLicenseRequest(key=key), timeout=10
    )
    assert reply.license.tier == "business" and reply.replaced == ""
    info = await agent.info()
    assert (info.tier, info.state, info.customer) == (
        "business",
        license_pb2.LICENSE_STATE_VALID,
        "Acme",
    )
    status = await agent_pb2_grpc.AgentServiceStub(agent.channel).GetStatus(
        agent_pb2.GetStatusRequest(), timeout=10
    )
    assert status.license_tier == "business"
    assert (agent.state_dir / "license.key").read_text().strip() == key


async def test_license_install_goes_through_the_running_agent(
    start_agent: Callable[[], Any], issue: Issue
) -> None:
    agent: InProcessAgent = await start_agent()
    now = datetime.now(UTC).replace(microsecond=0)
    first = issue(tier=Tier.TEAM, issued=now - DAY, expires=now + 200 * DAY)
    second = issue(tier=Tier.ENTERPRISE, issued=now - DAY, expires=now + 200 * DAY)
    state = str(agent.state_dir)
    await in_thread(lambda: cli("license", "install", first, "--state-dir", state))
    result = await in_thread(lambda: cli("license", "install", second, "--state-dir", state))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("installed through the running agent, in force now")
    assert "replaced the Team license for Acme" in result.stdout
    assert (await agent.info()).tier == "enterprise"


async def test_expiry_is_judged_against_the_newest_recorded_run_not_a_clock_set_back(
    start_agent: Callable[[], Any], issue: Issue, state_dir: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    # The license expires in 10 days, but the agent already recorded a run 30 days ahead:
    # the clock has been set back since, and that must not keep the license alive.
    key = issue(tier=Tier.TEAM, issued=now - 30 * DAY, expires=now + 10 * DAY)
    (state_dir / "license.key").write_text(key + "\n")
    await record_run_at(state_dir, now + 30 * DAY)
    agent: InProcessAgent = await start_agent()
    info = await agent.info()
    assert info.state == license_pb2.LICENSE_STATE_EXPIRED and info.tier == "free"
    assert info.judged_at >= (now + 30 * DAY).timestamp()
    assert "expired" in info.message and "running on the Free tier" in info.message
    # Installing it again is refused as expired too, and the key file is kept as it was.
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await agent.license.InstallLicense(license_pb2.InstallLicenseRequest(key=key), timeout=10)
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert (state_dir / "license.key").read_text() == key + "\n"


async def test_status_warns_from_14_days_before_expiry(
    start_agent: Callable[[], Any], issue: Issue, state_dir: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    key = issue(tier=Tier.TEAM, issued=now - DAY, expires=now + 5 * DAY + timedelta(hours=1))
    (state_dir / "license.key").write_text(key + "\n")
    agent: InProcessAgent = await start_agent()
    assert (await agent.info()).state == license_pb2.LICENSE_STATE_EXPIRING
    started = time.monotonic()
    result = await in_thread(lambda: cli("status", "--state-dir", str(state_dir)))
    assert time.monotonic() - started < 30
    assert result.exit_code == 1, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("OMNIX WARNING - license expiring: Team license for Acme")
    assert "(5 days left); renew it soon" in first and " runs_today=0;;;0;1000" in first


async def test_status_warns_when_the_daily_executions_are_used_up(
    start_agent: Callable[[], Any], state_dir: Path
) -> None:
    await record_run_at(state_dir, datetime.now(UTC), count=100)  # the Free tier's day
    await start_agent()
    result = await in_thread(lambda: cli("status", "--state-dir", str(state_dir)))
    assert result.exit_code == 1, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("OMNIX WARNING - license limit reached: executions per day 100 of 100")
    assert " runs_today=100;;;0;100" in first
