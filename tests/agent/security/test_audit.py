"""The audit chain: changes and refusals become rows; any edit, deletion, reordering or cut
of the tail is found and the first bad row named; a change that cannot be audited does not
happen."""

from __future__ import annotations

import json
import sqlite3

import grpc
import pytest
from omnix.agent.security.audit import HEAD_FILE, row_hash
from omnix.v1 import pipeline_pb2, pipeline_pb2_grpc, security_pb2

from .conftest import SecureAgent, StartAgent, auth

PIPELINE = """\
omnix: 1
name: audited
nodes:
  - {id: one, lang: python, code: "1"}
"""


async def agent_with_rows(start_agent: StartAgent, rows: int = 12) -> SecureAgent:
    secure = await start_agent()
    token = await secure.login("viewer")
    pipelines = pipeline_pb2_grpc.PipelineServiceStub(secure.channel())
    for _ in range(rows):
        with pytest.raises(grpc.aio.AioRpcError):
            await pipelines.DeletePipeline(
                pipeline_pb2.DeletePipelineRequest(name="x"), metadata=auth(token), timeout=10
            )
    return secure


def tamper(secure: SecureAgent, *statements: str) -> None:
    """What an attacker with the database file does: drop the guards, then edit."""
    connection = sqlite3.connect(secure.state_dir / "agent.db")
    connection.execute("DROP TRIGGER IF EXISTS audit_no_update")
    connection.execute("DROP TRIGGER IF EXISTS audit_no_delete")
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    connection.close()


async def verdict(secure: SecureAgent) -> security_pb2.VerifyAuditResponse:
    reply: security_pb2.VerifyAuditResponse = await secure.security(tcp=False).VerifyAudit(
        security_pb2.VerifyAuditRequest(), timeout=30
    )
    return reply


async def test_an_untouched_log_verifies(start_agent: StartAgent) -> None:
    secure = await agent_with_rows(start_agent)
    reply = await verdict(secure)
    assert reply.ok, reply.problem
    assert reply.rows >= 12


async def test_an_edited_row_is_named(start_agent: StartAgent) -> None:
    secure = await agent_with_rows(start_agent)
    tamper(secure, "UPDATE audit_log SET actor = 'nobody' WHERE seq = 7")
    reply = await verdict(secure)
    assert (reply.ok, reply.first_bad_seq) == (False, 7)
    assert "edited" in reply.problem


async def test_a_deleted_row_is_named(start_agent: StartAgent) -> None:
    secure = await agent_with_rows(start_agent)
    tamper(secure, "DELETE FROM audit_log WHERE seq = 5")
    reply = await verdict(secure)
    assert (reply.ok, reply.first_bad_seq) == (False, 5)


async def test_two_swapped_rows_are_found(start_agent: StartAgent) -> None:
    secure = await agent_with_rows(start_agent)
    connection = sqlite3.connect(secure.state_dir / "agent.db")
    four, six = (
        connection.execute(
            "SELECT at, actor, via, peer, action, target, result, detail, prev_hash, hash "
            "FROM audit_log WHERE seq = ?",
            (seq,),
        ).fetchone()
        for seq in (4, 6)
    )
    connection.close()
    columns = "at, actor, via, peer, action, target, result, detail, prev_hash, hash"
    assignments = ", ".join(f"{name} = ?" for name in columns.split(", "))
    connection = sqlite3.connect(secure.state_dir / "agent.db")
    connection.execute("DROP TRIGGER audit_no_update")
    connection.execute(f"UPDATE audit_log SET {assignments} WHERE seq = 4", six)
    connection.execute(f"UPDATE audit_log SET {assignments} WHERE seq = 6", four)
    connection.commit()
    connection.close()
    reply = await verdict(secure)
    assert (reply.ok, reply.first_bad_seq) == (False, 4)


async def test_a_cut_tail_is_found_by_the_signed_head(start_agent: StartAgent) -> None:
    secure = await agent_with_rows(start_agent)
    last = (await verdict(secure)).rows
    tamper(secure, f"DELETE FROM audit_log WHERE seq > {last - 3}")
    reply = await verdict(secure)
    assert reply.ok is False
    assert "removed from the end" in reply.problem


async def test_a_chain_rewritten_with_fresh_hashes_is_found(start_agent: StartAgent) -> None:
    secure = await agent_with_rows(start_agent)
    connection = sqlite3.connect(secure.state_dir / "agent.db")
    connection.execute("DROP TRIGGER audit_no_update")
    rows = connection.execute(
        "SELECT seq, at, actor, via, peer, action, target, result, detail, prev_hash "
        "FROM audit_log ORDER BY seq"
    ).fetchall()
    prev = rows[2][9]
    for row in rows[2:]:
        fields = list(row)
        fields[2] = "someone-else" if row[0] == 3 else row[2]
        fields[9] = prev
        prev = row_hash(*fields)
        connection.execute(
            "UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (fields[2], fields[9], prev, row[0]),
        )
    connection.commit()
    connection.close()
    reply = await verdict(secure)
    assert reply.ok is False
    assert "rewritten" in reply.problem


async def test_a_forged_head_is_found(start_agent: StartAgent) -> None:
    secure = await agent_with_rows(start_agent)
    head_path = secure.state_dir / HEAD_FILE
    head = json.loads(head_path.read_text())
    head["seq"] -= 1
    head_path.write_text(json.dumps(head))
    reply = await verdict(secure)
    assert reply.ok is False
    assert "not signed" in reply.problem


async def test_a_change_that_cannot_be_audited_does_not_happen(start_agent: StartAgent) -> None:
    secure = await start_agent()
    connection = sqlite3.connect(secure.state_dir / "agent.db")
    connection.execute(
        "CREATE TRIGGER audit_broken BEFORE INSERT ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    connection.commit()
    connection.close()
    pipelines = pipeline_pb2_grpc.PipelineServiceStub(secure.channel(tcp=False))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await pipelines.DeployPipeline(
            pipeline_pb2.DeployPipelineRequest(source=PIPELINE, path="/tmp/audited.yaml"),
            timeout=10,
        )
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "nothing was changed" in (refused.value.details() or "")
    listed = await pipelines.ListPipelines(pipeline_pb2.ListPipelinesRequest(), timeout=10)
    assert list(listed.pipelines) == []


async def test_the_audit_command_lists_rows_as_json_and_verify_exits_1_on_tampering(
    start_agent: StartAgent,
) -> None:
    import asyncio

    from click.testing import CliRunner
    from omnix.agent.cli import main

    secure = await agent_with_rows(start_agent, rows=3)
    runner = CliRunner()
    state = ["--state-dir", str(secure.state_dir)]

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, list(args))
        return result.exit_code, result.output

    code, out = await asyncio.to_thread(invoke, "audit", "--json", "--user", "viewer", *state)
    rows = json.loads(out)
    assert code == 0 and rows and {row["actor"] for row in rows} == {"viewer"}
    assert all(len(row["hash"]) == 64 for row in rows)
    tamper(secure, "UPDATE audit_log SET result = 'ok' WHERE seq = 2")
    code, out = await asyncio.to_thread(invoke, "audit", "verify", *state)
    assert code == 1
    assert "TAMPERED at row 2" in out


def test_the_canonical_form_is_fixed_json() -> None:
    from omnix.agent.security.audit import canonical

    assert canonical(1, 1.5, "a", "socket", "unix:", "Deploy", "name=x", "ok", "", "0" * 64) == (
        b'[1,1.5,"a","socket","unix:","Deploy","name=x","ok","","' + b"0" * 64 + b'"]'
    )
