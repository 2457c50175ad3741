"""Every RPC, for every role and every kind of bad credential, over a real TCP listener: each gets
exactly what the policy says, PERMISSION_DENIED or UNAUTHENTICATED, never UNKNOWN, and each
refusal is a row of the audit log."""

from __future__ import annotations

import time

import grpc
import pytest
from google.protobuf import descriptor_pool, message_factory
from omnix.agent.security.credentials import new_token
from omnix.agent.security.roles import POLICY, Permission, Role, allows
from omnix.v1 import (
    agent_pb2_grpc,
    license_pb2_grpc,
    pipeline_pb2_grpc,
    run_pb2_grpc,
    schedule_pb2_grpc,
    security_pb2_grpc,
    usage_pb2_grpc,
)

from .conftest import SecureAgent, StartAgent, auth

STUBS = {
    "AgentService": agent_pb2_grpc.AgentServiceStub,
    "LicenseService": license_pb2_grpc.LicenseServiceStub,
    "PipelineService": pipeline_pb2_grpc.PipelineServiceStub,
    "RunService": run_pb2_grpc.RunServiceStub,
    "ScheduleService": schedule_pb2_grpc.ScheduleServiceStub,
    "UsageService": usage_pb2_grpc.UsageServiceStub,
    "SecurityService": security_pb2_grpc.SecurityServiceStub,
    "SecretService": security_pb2_grpc.SecretServiceStub,
}
DENIALS = {grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED}
# Calls whose success would end the credentials the matrix goes on using.
SKIP_ALLOWED = {"Logout", "RotateMasterKey"}


async def call(channel: grpc.aio.Channel, method: str, token: str | None) -> grpc.StatusCode:
    """The status a call with an empty request gets (streams are read to the end)."""
    service, name = method.strip("/").split("/")
    stub = STUBS[service.rsplit(".", 1)[-1]](channel)
    rpc = getattr(stub, name)
    descriptor = _request_type(service, name)
    metadata = auth(token) if token is not None else None
    try:
        response = rpc(descriptor(), metadata=metadata, timeout=10)
        if hasattr(response, "__aiter__"):
            async for _ in response:
                pass
        else:
            await response
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def _request_type(service: str, name: str) -> type:
    method = descriptor_pool.Default().FindServiceByName(service).methods_by_name[name]
    return message_factory.GetMessageClass(method.input_type)


@pytest.mark.parametrize("role", [role.value for role in Role])
async def test_each_role_gets_exactly_what_the_policy_says(
    start_agent: StartAgent, role: str
) -> None:
    secure = await start_agent()
    user = secure.agent.daemon.security.accounts.owner().name if role == "owner" else role
    token = await secure.login(user)
    channel = secure.channel()
    for method, rule in sorted(POLICY.items()):
        name = method.rsplit("/", 1)[-1]
        allowed = allows(Role(role), rule.permission)
        if allowed and name in SKIP_ALLOWED:
            continue
        code = await call(channel, method, token)
        assert code != grpc.StatusCode.UNKNOWN, method
        if allowed:
            assert code not in DENIALS, (method, code)
        else:
            assert code == grpc.StatusCode.PERMISSION_DENIED, (method, code)


async def agent_and_bad_credentials(start_agent: StartAgent) -> tuple[SecureAgent, dict[str, str]]:
    other = await start_agent()
    other_token = await other.login("developer")
    secure = await start_agent()
    accounts = secure.agent.daemon.security.accounts
    developer = accounts.user("developer")
    expired, _ = await accounts.create_token(
        developer, "old", Role.DEVELOPER, time.time() - 1, peer="test"
    )
    revoked_token = await secure.login("developer")
    session = accounts.authenticate(revoked_token)
    await accounts.revoke(accounts.credential(session.credential, "session"), by="test")
    return secure, {
        "expired": expired,
        "revoked": revoked_token,
        "other agent's": other_token,
        "malformed": "omx_not-a-token",
        "forged": new_token("token")[0],
        "none": "",
    }


async def test_bad_credentials_are_unauthenticated_on_every_rpc_and_audited(
    start_agent: StartAgent,
) -> None:
    secure, credentials = await agent_and_bad_credentials(start_agent)
    channel = secure.channel()
    audit = secure.agent.daemon.security.audit
    assert audit is not None
    before = len(await audit.entries(limit=100_000))
    refusals = 0
    for label, token in credentials.items():
        for method, rule in sorted(POLICY.items()):
            code = await call(channel, method, token or None)
            if rule.permission is Permission.PUBLIC:
                assert code not in DENIALS | {grpc.StatusCode.UNKNOWN}, (label, method, code)
                continue
            assert code == grpc.StatusCode.UNAUTHENTICATED, (label, method, code)
            refusals += 1
    rows = (await audit.entries(limit=100_000))[before:]
    assert sum(row.result == "unauthenticated" for row in rows) == refusals


async def test_each_permission_refusal_is_audited_with_who_what_and_where(
    start_agent: StartAgent,
) -> None:
    secure = await start_agent()
    token = await secure.login("viewer")
    code = await call(secure.channel(), "/omnix.v1.PipelineService/DeletePipeline", token)
    assert code == grpc.StatusCode.PERMISSION_DENIED
    audit = secure.agent.daemon.security.audit
    assert audit is not None
    row = (await audit.entries(limit=1))[-1]
    assert (row.actor, row.action, row.result) == ("viewer", "DeletePipeline", "denied")
    assert row.via.startswith("session ")
    assert row.peer.startswith("ipv4:127.0.0.1:")
    assert "needs the developer role" in row.detail
