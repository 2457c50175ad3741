"""PipelineService: deploy, list, get and delete pipelines."""

from __future__ import annotations

from typing import Any

import grpc
from omnix.agent.api import convert
from omnix.agent.api.errors import unary
from omnix.agent.daemon import Daemon
from omnix.agent.errors import BadRequest
from omnix.v1 import pipeline_pb2

Context = grpc.aio.ServicerContext[Any, Any]


class PipelineServicer:
    """The servicer; registered with the generated add_*_to_server function."""

    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon

    @unary
    async def DeployPipeline(
        self, request: pipeline_pb2.DeployPipelineRequest, context: Context
    ) -> pipeline_pb2.DeployPipelineResponse:
        if not request.source.strip():
            raise BadRequest("source is empty: send the pipeline file's text")
        record, version = await self._daemon.deploy(
            request.source, request.path, dict(request.files)
        )
        return pipeline_pb2.DeployPipelineResponse(
            pipeline=convert.pipeline_message(
                record, scheduled=self._daemon.is_scheduled(record.name)
            ),
            version=version,
        )

    @unary
    async def ListPipelines(
        self, request: pipeline_pb2.ListPipelinesRequest, context: Context
    ) -> pipeline_pb2.ListPipelinesResponse:
        listed = await self._daemon.list_pipelines()
        return pipeline_pb2.ListPipelinesResponse(
            pipelines=[
                convert.pipeline_message(p, scheduled=self._daemon.is_scheduled(p.name))
                for p in listed
            ]
        )

    @unary
    async def GetPipeline(
        self, request: pipeline_pb2.GetPipelineRequest, context: Context
    ) -> pipeline_pb2.GetPipelineResponse:
        if not request.name:
            raise BadRequest("name is empty: give a deployed pipeline's name")
        record, versions = await self._daemon.pipeline_versions(request.name)
        return pipeline_pb2.GetPipelineResponse(
            pipeline=convert.pipeline_message(
                record, scheduled=self._daemon.is_scheduled(record.name)
            ),
            versions=[convert.version_message(v) for v in versions],
        )

    @unary
    async def DeletePipeline(
        self, request: pipeline_pb2.DeletePipelineRequest, context: Context
    ) -> pipeline_pb2.DeletePipelineResponse:
        if not request.name:
            raise BadRequest("name is empty: give a deployed pipeline's name")
        await self._daemon.delete(request.name)
        return pipeline_pb2.DeletePipelineResponse()
