"""SSO against a real OpenID Connect provider on loopback (Authlib, see oidc_provider.py):
the device flow from `omnix login --sso` to a session, and every way an ID token can fail
to prove anything (expired, another audience or issuer, a key the provider does not
publish, no signature, no mapped group) refused with the right code and audited."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from omnix.shared import device_flow
from omnix.shared.tiers import Tier
from omnix.v1 import security_pb2

from tests.agent.agents import environment

from .conftest import SecureAgent, StartAgent, auth
from .oidc_provider import CLIENT_ID, Provider

ROLES = {"data": "developer", "ops": "admin", "readers": "viewer"}


@pytest.fixture
def provider() -> Iterator[Provider]:
    idp = Provider(users={"alice": ["data"], "olga": ["data", "ops"], "eve": ["marketing"]})
    idp.start()
    yield idp
    idp.stop()


async def sso_agent(
    start_agent: StartAgent, provider: Provider, tier: Tier = Tier.BUSINESS
) -> SecureAgent:
    return await start_agent(
        tier=tier,
        users=False,
        sso={"issuer": provider.url, "client_id": CLIENT_ID, "roles": ROLES},
    )


async def sso_login(secure: SecureAgent, id_token: str) -> security_pb2.LoginSsoResponse:
    reply: security_pb2.LoginSsoResponse = await secure.security().LoginSso(
        security_pb2.LoginSsoRequest(id_token=id_token), timeout=10
    )
    return reply


async def refused(secure: SecureAgent, id_token: str) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await sso_login(secure, id_token)
    return caught.value


async def test_an_id_token_makes_the_user_with_the_role_of_their_group(
    start_agent: StartAgent, provider: Provider
) -> None:
    secure = await sso_agent(start_agent, provider)
    reply = await sso_login(secure, provider.mint("alice"))
    assert (reply.user.name, reply.user.role, reply.user.created_by) == (
        "alice",
        "developer",
        "sso",
    )
    who = await secure.security().WhoAmI(
        security_pb2.WhoAmIRequest(), metadata=auth(reply.token), timeout=10
    )
    assert (who.user, who.role, who.via) == ("alice", "developer", "session")


async def test_the_strongest_mapped_group_wins_and_follows_the_provider(
    start_agent: StartAgent, provider: Provider
) -> None:
    secure = await sso_agent(start_agent, provider)
    assert (await sso_login(secure, provider.mint("olga"))).user.role == "admin"
    provider.users["olga"] = ["readers"]
    assert (await sso_login(secure, provider.mint("olga"))).user.role == "viewer"


async def test_a_user_in_no_mapped_group_is_refused_and_not_made(
    start_agent: StartAgent, provider: Provider
) -> None:
    secure = await sso_agent(start_agent, provider)
    denied = await refused(secure, provider.mint("eve"))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "none of their 'groups' (marketing) maps to a role" in (denied.details() or "")
    assert "eve" not in secure.agent.daemon.security.accounts.users


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"exp": 1_000_000}, "expired"),
        ({"aud": "another-app"}, "aud"),
        ({"iss": "https://evil.example"}, "iss"),
        ({"sub": None}, "sub"),
    ],
    ids=["expired", "other-audience", "other-issuer", "no-subject"],
)
async def test_a_token_whose_claims_do_not_hold_is_unauthenticated(
    start_agent: StartAgent, provider: Provider, claims: dict[str, Any], why: str
) -> None:
    secure = await sso_agent(start_agent, provider)
    denied = await refused(secure, provider.mint("alice", **claims))
    assert denied.code() == grpc.StatusCode.UNAUTHENTICATED
    assert why in (denied.details() or "")


async def test_a_token_signed_with_a_key_the_provider_does_not_publish_is_refused(
    start_agent: StartAgent, provider: Provider
) -> None:
    secure = await sso_agent(start_agent, provider)
    forged_same_kid = RSAKey.generate_key(2048, parameters={"kid": str(provider.key.kid)})
    denied = await refused(secure, provider.mint("alice", key=forged_same_kid))
    assert denied.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "signature does not verify" in (denied.details() or "")
    unknown_kid = RSAKey.generate_key(2048, parameters={"kid": "attacker"})
    denied = await refused(secure, provider.mint("alice", key=unknown_kid))
    assert denied.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "does not publish" in (denied.details() or "")


async def test_unsigned_and_symmetric_tokens_are_refused(
    start_agent: StartAgent, provider: Provider
) -> None:
    secure = await sso_agent(start_agent, provider)
    claims = {"iss": provider.url, "aud": CLIENT_ID, "sub": "x", "exp": 4_000_000_000}
    hs256 = jwt.encode({"alg": "HS256"}, claims, OctKey.generate_key(256))
    assert (await refused(secure, hs256)).code() == grpc.StatusCode.UNAUTHENTICATED
    header, payload, _ = provider.mint("alice").split(".")
    none_alg = (
        ".".join(
            base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
            for part in ({"alg": "none"}, claims)
        )
        + "."
    )
    for token in (none_alg, f"{header}.{payload}.", "not-a-jwt"):
        assert (await refused(secure, token)).code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_rotated_provider_key_is_fetched_once_it_is_used(
    start_agent: StartAgent, provider: Provider
) -> None:
    secure = await sso_agent(start_agent, provider)
    await sso_login(secure, provider.mint("alice"))  # the agent caches the JWKS now
    provider.rotate()
    assert (await sso_login(secure, provider.mint("alice"))).user.name == "alice"


async def test_sso_needs_business_and_an_sso_table(
    start_agent: StartAgent, provider: Provider
) -> None:
    team = await sso_agent(start_agent, provider, tier=Tier.TEAM)
    denied = await refused(team, provider.mint("alice"))
    assert denied.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "Business" in (denied.details() or "")
    plain = await start_agent(tier=Tier.BUSINESS, users=False)
    with pytest.raises(grpc.aio.AioRpcError) as unset:
        await plain.security().GetSsoConfig(security_pb2.GetSsoConfigRequest(), timeout=10)
    assert unset.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "[sso] table" in (unset.value.details() or "")


async def test_sso_logins_and_refusals_are_audited(
    start_agent: StartAgent, provider: Provider
) -> None:
    secure = await sso_agent(start_agent, provider)
    await sso_login(secure, provider.mint("alice"))
    await refused(secure, provider.mint("alice", aud="another-app"))
    store = secure.agent.daemon.store
    query = "SELECT result FROM audit_log WHERE action = 'LoginSso' ORDER BY seq"
    rows = await store.fetch_all(query)
    for _ in range(1000):  # the refusal reaches the client before its row is appended
        if len(rows) == 3:
            break
        await asyncio.sleep(0.01)
        rows = await store.fetch_all(query)
    assert [r["result"] for r in rows] == ["allowed", "allowed", "failed: UNAUTHENTICATED"]


def test_the_device_flow_reports_a_denied_sign_in(provider: Provider) -> None:
    grant = device_flow.authorize(f"{provider.url}/device_authorization", CLIENT_ID, "openid")

    def user_denies(seconds: float) -> None:
        provider.approve(grant.user_code, "alice", approved=False)

    with pytest.raises(device_flow.DeviceFlowError, match="denied"):
        device_flow.poll(f"{provider.url}/token", CLIENT_ID, grant, sleep=user_denies)


def test_the_device_flow_waits_while_the_approval_is_pending(provider: Provider) -> None:
    grant = device_flow.authorize(f"{provider.url}/device_authorization", CLIENT_ID, "openid")
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            provider.approve(grant.user_code, "alice")

    reply = device_flow.poll(f"{provider.url}/token", CLIENT_ID, grant, sleep=wait)
    assert waits == [1.0, 1.0, 1.0]
    assert jwt.decode(reply["id_token"], provider.key).claims["preferred_username"] == "alice"


async def test_omnix_login_sso_signs_in_through_the_browser_code(
    start_agent: StartAgent, provider: Provider, tmp_path: Path
) -> None:
    secure = await sso_agent(start_agent, provider)
    env = environment(XDG_CONFIG_HOME=str(tmp_path))
    login = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "omnix"),
        "login",
        "--sso",
        "--agent",
        secure.tcp,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert login.stderr is not None
    first = (await asyncio.wait_for(login.stderr.readline(), 30)).decode()
    assert first.startswith(f"To sign in, open {provider.url}/device and enter the code "), first
    user_code = first.rsplit(" ", 1)[-1].strip()
    approved = threading.Thread(target=provider.approve, args=(user_code, "alice"))
    approved.start()
    approved.join()
    out, err = await asyncio.wait_for(login.communicate(), 30)
    assert login.returncode == 0, err.decode()
    assert "as alice (developer)" in out.decode()
    assert "omxs_" not in out.decode() + err.decode()
    who = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "omnix"),
        "whoami",
        "--json",
        "--agent",
        secure.tcp,
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    shown, _ = await asyncio.wait_for(who.communicate(), 30)
    assert json.loads(shown)["user"] == "alice"
