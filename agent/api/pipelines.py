"""PipelineService: deploy, list, get, delete and share pipelines."""

from __future__ import annotations

from typing import Any

import grpc
from omnix.agent.api import access, convert
from omnix.agent.api.errors import unary
from omnix.agent.daemon import Daemon
from omnix.agent.errors import BadRequest
from omnix.agent.security.roles import Role
from omnix.agent.security.sharing import Action
from omnix.agent.store.pipelines import PipelineRecord
from omnix.v1 import pipeline_pb2

Context = grpc.aio.ServicerContext[Any, Any]


def _name(value: str) -> str:
    if not value:
        raise BadRequest("name is empty: give a deployed pipeline's name")
    return value


class PipelineServicer:
    """The servicer; registered with the generated add_*_to_server function."""

    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon

    def _message(self, record: PipelineRecord) -> pipeline_pb2.Pipeline:
        return convert.pipeline_message(
            record,
            scheduled=self._daemon.is_scheduled(record.name),
            shares=self._daemon.security.sharing.shared_with(record.name),
        )

    @unary
    async def DeployPipeline(
        self, request: pipeline_pb2.DeployPipelineRequest, context: Context
    ) -> pipeline_pb2.DeployPipelineResponse:
        if not request.source.strip():
            raise BadRequest("source is empty: send the pipeline file's text")
        record, version = await self._daemon.deploy(
            request.source, request.path, dict(request.files), caller=access.caller()
        )
        return pipeline_pb2.DeployPipelineResponse(pipeline=self._message(record), version=version)

    @unary
    async def ListPipelines(
        self, request: pipeline_pb2.ListPipelinesRequest, context: Context
    ) -> pipeline_pb2.ListPipelinesResponse:
        listed = await self._daemon.list_pipelines()
        seen = access.visible(self._daemon, [p.name for p in listed])
        return pipeline_pb2.ListPipelinesResponse(
            pipelines=[self._message(p) for p in listed if p.name in seen]
        )

    @unary
    async def GetPipeline(
        self, request: pipeline_pb2.GetPipelineRequest, context: Context
    ) -> pipeline_pb2.GetPipelineResponse:
        name = _name(request.name)
        access.pipeline(self._daemon, name, Action.VIEW)
        record, versions = await self._daemon.pipeline_versions(name)
        return pipeline_pb2.GetPipelineResponse(
            pipeline=self._message(record),
            versions=[convert.version_message(v) for v in versions],
        )

    @unary
    async def DeletePipeline(
        self, request: pipeline_pb2.DeletePipelineRequest, context: Context
    ) -> pipeline_pb2.DeletePipelineResponse:
        name = _name(request.name)
        access.pipeline(self._daemon, name, Action.MANAGE)
        await self._daemon.delete(name)
        return pipeline_pb2.DeletePipelineResponse()

    @unary
    async def SharePipeline(
        self, request: pipeline_pb2.SharePipelineRequest, context: Context
    ) -> pipeline_pb2.SharePipelineResponse:
        name = _name(request.name)
        caller = access.pipeline(self._daemon, name, Action.MANAGE)
        record = (await self._daemon.pipeline_versions(name))[0]  # NotFound
        user = self._daemon.security.accounts.user(request.user)  # NotFound naming users
        try:
            role = Role.parse(request.role or "viewer")
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        await self._daemon.security.sharing.share(name, user.name, role, by=caller.user)
        return pipeline_pb2.SharePipelineResponse(pipeline=self._message(record))

    @unary
    async def UnsharePipeline(
        self, request: pipeline_pb2.UnsharePipelineRequest, context: Context
    ) -> pipeline_pb2.UnsharePipelineResponse:
        name = _name(request.name)
        access.pipeline(self._daemon, name, Action.MANAGE)
        record = (await self._daemon.pipeline_versions(name))[0]
        await self._daemon.security.sharing.unshare(name, request.user)
        return pipeline_pb2.UnsharePipelineResponse(pipeline=self._message(record))
