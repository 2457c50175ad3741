"""Secrets on a real agent: Team and up, set from a value never echoed back, sealed at rest,
given only to the nodes that name them, masked in everything the agent stores, and kept
through a master key rotation and a restart."""

from __future__ import annotations

import secrets as random_secrets
import sys
from pathlib import Path

import grpc
import pytest
from omnix.agent.security.vault import MASTER_FILE
from omnix.v1 import run_pb2, run_pb2_grpc, security_pb2

from .conftest import SecureAgent, StartAgent, auth

VALUE = "pw-" + random_secrets.token_urlsafe(24)


async def set_secret(secure: SecureAgent, name: str = "DB_PASSWORD", value: str = VALUE) -> None:
    await secure.secrets(tcp=False).SetSecret(
        security_pb2.SetSecretRequest(name=name, value=value), timeout=10
    )


def files_holding(folder: Path, needle: bytes) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


async def test_a_free_agent_refuses_secrets_naming_the_tier(start_agent: StartAgent) -> None:
    secure = await start_agent(tier=None, users=False)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await set_secret(secure)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "Team includes it" in (refused.value.details() or "")


async def test_a_free_agent_refuses_a_second_user_naming_the_tier(start_agent: StartAgent) -> None:
    secure = await start_agent(tier=None, users=False)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await secure.security(tcp=False).AddUser(
            security_pb2.AddUserRequest(name="bob", role="viewer"), timeout=10
        )
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "1 of 1 used on the Free tier; Team allows 5" in (refused.value.details() or "")


async def test_values_are_sealed_at_rest_and_listed_only_by_name(start_agent: StartAgent) -> None:
    secure = await start_agent()
    await set_secret(secure)
    listed = await secure.secrets(tcp=False).ListSecrets(
        security_pb2.ListSecretsRequest(), timeout=10
    )
    assert [(s.name, s.updated_by) for s in listed.secrets] == [
        ("DB_PASSWORD", secure.agent.daemon.security.accounts.owner().name)
    ]
    assert VALUE not in str(listed)
    assert files_holding(secure.state_dir, VALUE.encode()) == []


async def test_a_viewer_may_not_set_a_secret_and_a_developer_may_list_names(
    start_agent: StartAgent,
) -> None:
    secure = await start_agent()
    viewer = await secure.login("viewer")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await secure.secrets().SetSecret(
            security_pb2.SetSecretRequest(name="X", value="y"), metadata=auth(viewer), timeout=10
        )
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    developer = await secure.login("developer")
    listed = await secure.secrets().ListSecrets(
        security_pb2.ListSecretsRequest(), metadata=auth(developer), timeout=10
    )
    assert list(listed.secrets) == []


async def test_a_secret_reaches_its_node_and_never_the_stored_logs_or_outputs(
    start_agent: StartAgent,
) -> None:
    secure = await start_agent(real_engine=True)
    await set_secret(secure)
    source = """\
omnix: 1
name: uses-secret
nodes:
  - id: connect
    lang: python
    secrets: [DB_PASSWORD]
    code: |
      import os
      print("connecting with", os.environ["DB_PASSWORD"])
      {"dsn": "postgres://app:" + os.environ["DB_PASSWORD"] + "@db/app"}
  - id: other
    lang: python
    code: |
      import os
      "DB_PASSWORD" in os.environ
"""
    runs = run_pb2_grpc.RunServiceStub(secure.channel(tcp=False))
    started = await runs.StartRun(
        run_pb2.StartRunRequest(pipeline_source=source, source_path="/tmp/uses-secret.yaml"),
        timeout=10,
    )
    logs = ""
    async for event in runs.WatchRun(
        run_pb2.WatchRunRequest(run_id=started.run.run_id), timeout=60
    ):
        if event.HasField("log"):
            logs += event.log.text
    assert "connecting with ***" in logs
    chunks = [
        part.data
        async for part in runs.ReadOutputs(
            run_pb2.ReadOutputsRequest(run_id=started.run.run_id), timeout=30
        )
    ]
    outputs = b"".join(chunks).decode()
    assert "postgres://app:***@db/app" in outputs
    assert "false" in outputs  # the node that did not name it did not get it
    assert files_holding(secure.state_dir, VALUE.encode()) == []


async def test_rotating_the_master_key_keeps_every_secret_across_a_restart(
    start_agent: StartAgent,
) -> None:
    secure = await start_agent()
    await set_secret(secure)
    before = (secure.state_dir / MASTER_FILE).read_text()
    reply = await secure.secrets(tcp=False).RotateMasterKey(
        security_pb2.RotateMasterKeyRequest(), timeout=10
    )
    assert reply.old_key_id != reply.new_key_id
    assert (secure.state_dir / MASTER_FILE).read_text() != before
    assert secure.agent.daemon.security.secret("DB_PASSWORD") == VALUE
    await secure.agent.stop(0)
    again = await start_agent(tier=None, users=False, state_dir=secure.state_dir)
    assert again.agent.daemon.security.secret("DB_PASSWORD") == VALUE


async def test_a_wrong_master_key_stops_the_agent_with_a_clear_error(
    start_agent: StartAgent,
) -> None:
    secure = await start_agent()
    await set_secret(secure)
    await secure.agent.stop(0)
    import base64

    (secure.state_dir / MASTER_FILE).write_text(base64.b64encode(b"k" * 32).decode())
    from omnix.agent.errors import ConfigError

    with pytest.raises(ConfigError, match="is not the one the secrets were sealed with"):
        await start_agent(tier=None, users=False, state_dir=secure.state_dir)


async def test_omnix_agent_run_takes_secrets_from_the_same_store(
    start_agent: StartAgent, tmp_path: Path
) -> None:
    import asyncio

    secure = await start_agent()
    await set_secret(secure)
    pipeline = tmp_path / "local.yaml"
    pipeline.write_text(
        "omnix: 1\nname: local\nnodes:\n  - id: check\n    lang: python\n"
        "    secrets: [DB_PASSWORD]\n    code: |\n      import os\n"
        f"      os.environ['DB_PASSWORD'] == {VALUE!r}\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "omnix.agent",
        "run",
        str(pipeline),
        "--json",
        "--state-dir",
        str(secure.state_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert '"output": true' in out.decode()
