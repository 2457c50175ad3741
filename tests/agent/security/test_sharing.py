"""Per-pipeline access on a real agent over TCP: a pipeline belongs to its first deployer,
others see it only when it is shared with them (as viewer or developer), runs follow their
pipeline or their starter, a scoped token reaches only its pipelines, and what a caller
may not see answers as if it did not exist."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from omnix.agent.security.sharing import Sharing
from omnix.v1 import (
    pipeline_pb2,
    pipeline_pb2_grpc,
    run_pb2,
    run_pb2_grpc,
    schedule_pb2,
    schedule_pb2_grpc,
    security_pb2,
    status_pb2,
)

from .conftest import PASSWORD, SecureAgent, StartAgent, auth


def source(name: str, *, schedule: bool = False) -> str:
    cron = "schedule: {cron: '0 3 * * *'}\n" if schedule else ""
    return f"omnix: 1\nname: {name}\n{cron}nodes:\n  - id: one\n    lang: python\n    code: '1'\n"


@dataclass
class As:
    """The pipeline, run and schedule services as one user (a token's metadata on each)."""

    user: str
    token: str
    secure: SecureAgent

    def _stub(self, cls: Any) -> Any:
        return cls(self.secure.channel())

    @property
    def meta(self) -> list[tuple[str, str]]:
        return auth(self.token)

    async def deploy(self, name: str, **kw: bool) -> pipeline_pb2.DeployPipelineResponse:
        stub = self._stub(pipeline_pb2_grpc.PipelineServiceStub)
        request = pipeline_pb2.DeployPipelineRequest(source=source(name, **kw), path=f"{name}.y")
        reply: pipeline_pb2.DeployPipelineResponse = await stub.DeployPipeline(
            request, metadata=self.meta, timeout=10
        )
        return reply

    async def names(self) -> list[str]:
        stub = self._stub(pipeline_pb2_grpc.PipelineServiceStub)
        reply = await stub.ListPipelines(
            pipeline_pb2.ListPipelinesRequest(), metadata=self.meta, timeout=10
        )
        return [p.name for p in reply.pipelines]

    async def get(self, name: str) -> pipeline_pb2.Pipeline:
        stub = self._stub(pipeline_pb2_grpc.PipelineServiceStub)
        reply = await stub.GetPipeline(
            pipeline_pb2.GetPipelineRequest(name=name), metadata=self.meta, timeout=10
        )
        pipeline: pipeline_pb2.Pipeline = reply.pipeline
        return pipeline

    async def share(self, name: str, user: str, role: str) -> pipeline_pb2.Pipeline:
        stub = self._stub(pipeline_pb2_grpc.PipelineServiceStub)
        reply = await stub.SharePipeline(
            pipeline_pb2.SharePipelineRequest(name=name, user=user, role=role),
            metadata=self.meta,
            timeout=10,
        )
        pipeline: pipeline_pb2.Pipeline = reply.pipeline
        return pipeline

    async def unshare(self, name: str, user: str) -> None:
        stub = self._stub(pipeline_pb2_grpc.PipelineServiceStub)
        await stub.UnsharePipeline(
            pipeline_pb2.UnsharePipelineRequest(name=name, user=user),
            metadata=self.meta,
            timeout=10,
        )

    async def delete(self, name: str) -> None:
        stub = self._stub(pipeline_pb2_grpc.PipelineServiceStub)
        await stub.DeletePipeline(
            pipeline_pb2.DeletePipelineRequest(name=name), metadata=self.meta, timeout=10
        )

    async def start(self, name: str = "", inline: str = "") -> str:
        stub = self._stub(run_pb2_grpc.RunServiceStub)
        request = (
            run_pb2.StartRunRequest(pipeline_source=inline)
            if inline
            else run_pb2.StartRunRequest(pipeline_name=name)
        )
        reply = await stub.StartRun(request, metadata=self.meta, timeout=10)
        run_id: str = reply.run.run_id
        return run_id

    async def finish(self, run_id: str) -> None:
        stub = self._stub(run_pb2_grpc.RunServiceStub)
        async for _ in stub.WatchRun(
            run_pb2.WatchRunRequest(run_id=run_id), metadata=self.meta, timeout=60
        ):
            pass

    async def get_run(self, run_id: str) -> run_pb2.Run:
        stub = self._stub(run_pb2_grpc.RunServiceStub)
        reply = await stub.GetRun(
            run_pb2.GetRunRequest(run_id=run_id), metadata=self.meta, timeout=10
        )
        run: run_pb2.Run = reply.run
        return run

    async def run_ids(self) -> list[str]:
        stub = self._stub(run_pb2_grpc.RunServiceStub)
        reply = await stub.ListRuns(run_pb2.ListRunsRequest(), metadata=self.meta, timeout=10)
        return [r.run_id for r in reply.runs]

    async def scheduled(self) -> list[str]:
        stub = self._stub(schedule_pb2_grpc.ScheduleServiceStub)
        reply = await stub.ListSchedules(
            schedule_pb2.ListSchedulesRequest(), metadata=self.meta, timeout=10
        )
        return [s.pipeline_name for s in reply.schedules]

    async def pause(self, name: str) -> None:
        stub = self._stub(schedule_pb2_grpc.ScheduleServiceStub)
        await stub.PauseSchedule(
            schedule_pb2.PauseScheduleRequest(pipeline_name=name), metadata=self.meta, timeout=10
        )


async def as_user(secure: SecureAgent, user: str) -> As:
    return As(user, await secure.login(user), secure)


async def team(start_agent: StartAgent, *, real_engine: bool = False) -> dict[str, As]:
    """An agent with the conftest's users plus a second developer, each logged in."""
    secure = await start_agent(real_engine=real_engine)
    await secure.security(tcp=False).AddUser(
        security_pb2.AddUserRequest(name="dev2", role="developer", password=PASSWORD), timeout=10
    )
    return {u: await as_user(secure, u) for u in ("viewer", "developer", "dev2", "admin")}


async def refused(call: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


async def test_the_first_deployer_owns_a_pipeline_that_others_do_not_see(
    start_agent: StartAgent,
) -> None:
    users = await team(start_agent)
    reply = await users["developer"].deploy("sales")
    assert reply.pipeline.owner == "developer"
    assert await users["developer"].names() == ["sales"]
    assert await users["admin"].names() == ["sales"]
    assert await users["dev2"].names() == []
    assert await users["viewer"].names() == []
    hidden = await refused(users["dev2"].get("sales"))
    assert hidden.code() == grpc.StatusCode.NOT_FOUND
    missing = await refused(users["dev2"].get("no-such"))
    assert hidden.details() == (missing.details() or "").replace("no-such", "sales")


async def test_a_viewer_share_shows_the_pipeline_but_does_not_let_it_run(
    start_agent: StartAgent,
) -> None:
    users = await team(start_agent)
    await users["developer"].deploy("sales")
    shared = await users["developer"].share("sales", "dev2", "viewer")
    assert [(s.user, s.role, s.shared_by) for s in shared.shares] == [
        ("dev2", "viewer", "developer")
    ]
    assert (await users["dev2"].get("sales")).owner == "developer"
    denied = await refused(users["dev2"].start("sales"))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "omnix share sales dev2 --role developer" in (denied.details() or "")
    redeploy = await refused(users["dev2"].deploy("sales"))
    assert redeploy.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_developer_share_lets_the_user_deploy_but_ownership_stays(
    start_agent: StartAgent,
) -> None:
    users = await team(start_agent)
    await users["developer"].deploy("sales")
    await users["developer"].share("sales", "dev2", "developer")
    reply = await users["dev2"].deploy("sales")
    assert (reply.version, reply.pipeline.owner) == (2, "developer")


async def test_deploying_over_a_pipeline_not_shared_says_the_name_is_taken(
    start_agent: StartAgent,
) -> None:
    users = await team(start_agent)
    await users["developer"].deploy("sales")
    taken = await refused(users["dev2"].deploy("sales"))
    assert taken.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "pick another name" in (taken.details() or "")
    assert (await users["admin"].get("sales")).latest_version == 1


async def test_only_the_owner_or_an_admin_shares_deletes_and_unshares(
    start_agent: StartAgent,
) -> None:
    users = await team(start_agent)
    await users["developer"].deploy("sales")
    await users["developer"].share("sales", "dev2", "developer")
    denied = await refused(users["dev2"].share("sales", "viewer", "viewer"))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "only developer (its owner) or an admin" in (denied.details() or "")
    assert (await refused(users["dev2"].delete("sales"))).code() == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    await users["admin"].unshare("sales", "dev2")
    assert await users["dev2"].names() == []
    await users["admin"].delete("sales")
    assert await users["developer"].names() == []


async def test_a_share_never_lifts_a_user_above_their_role(start_agent: StartAgent) -> None:
    users = await team(start_agent)
    await users["developer"].deploy("sales")
    await users["developer"].share("sales", "viewer", "developer")
    assert await users["viewer"].names() == ["sales"]
    denied = await refused(users["viewer"].start("sales"))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_sharing_as_admin_or_with_an_unknown_user_is_a_clear_error(
    start_agent: StartAgent,
) -> None:
    users = await team(start_agent)
    await users["developer"].deploy("sales")
    too_much = await refused(users["developer"].share("sales", "dev2", "admin"))
    assert too_much.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "viewer or developer" in (too_much.details() or "")
    nobody = await refused(users["developer"].share("sales", "carol", "viewer"))
    assert nobody.code() == grpc.StatusCode.NOT_FOUND
    assert "no user named 'carol'" in (nobody.details() or "")


async def test_schedules_of_pipelines_not_shared_are_not_listed_or_paused(
    start_agent: StartAgent,
) -> None:
    users = await team(start_agent)
    await users["developer"].deploy("nightly", schedule=True)
    assert await users["developer"].scheduled() == ["nightly"]
    assert await users["dev2"].scheduled() == []
    assert (await refused(users["dev2"].pause("nightly"))).code() == grpc.StatusCode.NOT_FOUND
    await users["developer"].share("nightly", "dev2", "developer")
    await users["dev2"].pause("nightly")


async def test_runs_are_seen_by_their_starter_and_by_those_who_see_the_pipeline(
    start_agent: StartAgent,
) -> None:
    users = await team(start_agent, real_engine=True)
    dev, dev2 = users["developer"], users["dev2"]
    await dev.deploy("sales")
    deployed_run = await dev.start("sales")
    await dev.finish(deployed_run)
    inline_run = await dev2.start(inline=source("scratch"))
    await dev2.finish(inline_run)
    assert (await dev.get_run(deployed_run)).started_by == "developer"
    assert await dev2.run_ids() == [inline_run]
    assert await dev.run_ids() == [deployed_run]
    assert set(await users["admin"].run_ids()) == {deployed_run, inline_run}
    hidden = await refused(dev2.get_run(deployed_run))
    assert hidden.code() == grpc.StatusCode.NOT_FOUND
    await dev.share("sales", "viewer", "viewer")
    assert (await users["viewer"].get_run(deployed_run)).status == status_pb2.RUN_STATUS_SUCCEEDED
    assert await users["viewer"].run_ids() == [deployed_run]


async def test_a_scoped_token_reaches_only_its_pipelines(start_agent: StartAgent) -> None:
    users = await team(start_agent)
    dev = users["developer"]
    await dev.deploy("sales")
    await dev.deploy("hr")
    made = await dev.secure.security().CreateToken(
        security_pb2.CreateTokenRequest(name="ci", pipelines=["sales"]),
        metadata=dev.meta,
        timeout=10,
    )
    assert list(made.credential.pipelines) == ["sales"]
    ci = As("developer", made.token, dev.secure)
    assert await ci.names() == ["sales"]
    await ci.deploy("sales")
    denied = await refused(ci.get("hr"))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "limited to sales" in (denied.details() or "")
    assert (await refused(ci.deploy("new-one"))).code() == grpc.StatusCode.PERMISSION_DENIED
    wider = await refused(
        ci.secure.security().CreateToken(
            security_pb2.CreateTokenRequest(name="wider", pipelines=["hr"]),
            metadata=ci.meta,
            timeout=10,
        )
    )
    assert wider.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_scoped_admin_token_is_limited_too(start_agent: StartAgent) -> None:
    users = await team(start_agent)
    await users["developer"].deploy("sales")
    await users["developer"].deploy("hr")
    admin = users["admin"]
    made = await admin.secure.security().CreateToken(
        security_pb2.CreateTokenRequest(name="report", role="viewer", pipelines=["hr"]),
        metadata=admin.meta,
        timeout=10,
    )
    assert await As("admin", made.token, admin.secure).names() == ["hr"]


async def test_removing_a_user_removes_their_shares(start_agent: StartAgent) -> None:
    users = await team(start_agent)
    await users["developer"].deploy("sales")
    await users["developer"].share("sales", "dev2", "viewer")
    await (
        users["admin"]
        .secure.security()
        .RemoveUser(
            security_pb2.RemoveUserRequest(name="dev2"), metadata=users["admin"].meta, timeout=10
        )
    )
    assert list((await users["developer"].get("sales")).shares) == []
    store = users["admin"].secure.agent.daemon.store
    assert await store.fetch_all("SELECT * FROM pipeline_shares") == []


async def test_shares_are_audited(start_agent: StartAgent) -> None:
    users = await team(start_agent)
    await users["developer"].deploy("sales")
    await users["developer"].share("sales", "dev2", "viewer")
    await refused(users["dev2"].share("sales", "viewer", "viewer"))
    store = users["admin"].secure.agent.daemon.store
    query = "SELECT actor, action, target, result FROM audit_log WHERE action = 'SharePipeline'"
    rows = await store.fetch_all(query)
    for _ in range(1000):  # the refusal reaches the client before its row is appended
        if len(rows) == 3:
            break
        await asyncio.sleep(0.01)
        rows = await store.fetch_all(query)
    assert [tuple(r) for r in rows] == [
        ("developer", "SharePipeline", "name=sales user=dev2 role=viewer", "allowed"),
        ("dev2", "SharePipeline", "name=sales user=viewer role=viewer", "allowed"),
        (
            "dev2",
            "SharePipeline",
            "name=sales user=viewer role=viewer",
            "failed: PERMISSION_DENIED",
        ),
    ]


async def test_pipelines_deployed_before_there_were_users_belong_to_the_owner(
    start_agent: StartAgent,
) -> None:
    users = await team(start_agent)
    await users["developer"].deploy("legacy")
    store = users["admin"].secure.agent.daemon.store
    await store.write(("UPDATE pipelines SET owner = '' WHERE name = 'legacy'", ()))
    sharing = await Sharing.open(store, default_owner="boss")
    assert sharing.owners == {"legacy": "boss"}
    row = await store.fetch_one("SELECT owner FROM pipelines WHERE name = 'legacy'")
    assert row is not None and row["owner"] == "boss"
