"""A real agent (daemon, store, unix socket and a loopback TCP listener) in this process, so
a throwaway license key can be trusted, with a Team license and one user per role."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from omnix.agent.config import AgentConfig
from omnix.agent.server import Agent
from omnix.shared.tiers import Tier
from omnix.v1 import security_pb2, security_pb2_grpc

from tests.agent.licenses import Issue

ADMIN_TOKEN = "the-state-dirs-admin-token"
PASSWORD = "correct horse battery"
ROLES = ("viewer", "developer", "admin", "owner")


@dataclass
class SecureAgent:
    """The agent, its TCP address, and channels to it."""

    state_dir: Path
    agent: Agent
    tcp: str
    channels: list[grpc.aio.Channel] = field(default_factory=list)

    def channel(self, *, tcp: bool = True) -> grpc.aio.Channel:
        target = self.tcp if tcp else f"unix:{self.state_dir / 'agent.sock'}"
        channel = grpc.aio.insecure_channel(target)
        self.channels.append(channel)
        return channel

    def security(self, *, tcp: bool = True) -> Any:
        return security_pb2_grpc.SecurityServiceStub(self.channel(tcp=tcp))

    def secrets(self, *, tcp: bool = True) -> Any:
        return security_pb2_grpc.SecretServiceStub(self.channel(tcp=tcp))

    async def login(self, user: str, password: str = PASSWORD) -> str:
        reply = await self.security().Login(
            security_pb2.LoginRequest(user=user, password=password), timeout=10
        )
        token: str = reply.token
        return token


def auth(token: str) -> list[tuple[str, str]]:
    """Call metadata carrying `token`."""
    return [("authorization", f"Bearer {token}")]


StartAgent = Callable[..., Awaitable[SecureAgent]]


@pytest.fixture
async def start_agent(trust_throwaway_key: None, issue: Issue) -> AsyncIterator[StartAgent]:
    """`await start_agent(tier=Tier.TEAM, users=True, real_engine=False, **config)`."""
    started: list[SecureAgent] = []
    folders: list[Path] = []

    async def start(
        *,
        tier: Tier | None = Tier.TEAM,
        users: bool = True,
        real_engine: bool = False,
        state_dir: Path | None = None,
        **settings: Any,
    ) -> SecureAgent:
        if state_dir is None:
            state_dir = Path(tempfile.mkdtemp(prefix="ox", dir="/tmp"))
            folders.append(state_dir)
        config = AgentConfig(listen=["127.0.0.1:0"], **settings)
        agent = Agent(
            config, state_dir, engine=None if real_engine else _NoEngine(), token=ADMIN_TOKEN
        )
        addresses = await agent.start()
        secure = SecureAgent(state_dir, agent, next(a for a in addresses if a.startswith("127.")))
        started.append(secure)
        if tier is not None:
            await agent.daemon.license.install(issue(tier=tier, seats=20))
        if users:
            local = secure.security(tcp=False)
            for role in ("viewer", "developer", "admin"):
                await local.AddUser(
                    security_pb2.AddUserRequest(name=role, role=role, password=PASSWORD),
                    timeout=10,
                )
            owner = agent.daemon.security.accounts.owner().name
            await local.SetUserPassword(
                security_pb2.SetUserPasswordRequest(name=owner, password=PASSWORD), timeout=10
            )
        return secure

    yield start
    for secure in started:
        for channel in secure.channels:
            await channel.close(None)
        await secure.agent.stop(0)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


class _NoEngine:
    """Tests of the policy start no runs; the real engine's warm worker would only cost time."""

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no run is started in these tests")

    async def warm(self, language: str) -> None:
        return None

    async def close(self) -> None:
        return None
