"""RunService: start, inspect, list, cancel and watch runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
from omnix.agent.api import access, convert
from omnix.agent.api.errors import streaming, unary
from omnix.agent.api.params import decode_params
from omnix.agent.daemon import Daemon
from omnix.agent.errors import BadRequest
from omnix.agent.security.sharing import Action
from omnix.shared.outputs import KeepOutputs
from omnix.v1 import run_pb2

Context = grpc.aio.ServicerContext[Any, Any]
MAX_PAGE = 1000


MAX_NODE_IDS = 10_000


def _run_id(value: str) -> str:
    if not value:
        raise BadRequest("run_id is empty: give a run id (omnix runs lists them)")
    if len(value) > 100 or not value.isalnum():
        raise BadRequest(f"run_id {value[:100]!r} is not a run id (letters and digits)")
    return value


_KEEP_OUTPUTS: dict[int, KeepOutputs] = {
    run_pb2.KEEP_OUTPUTS_UNSPECIFIED: KeepOutputs.FINAL,
    run_pb2.KEEP_OUTPUTS_FINAL: KeepOutputs.FINAL,
    run_pb2.KEEP_OUTPUTS_ALL: KeepOutputs.ALL,
    run_pb2.KEEP_OUTPUTS_NONE: KeepOutputs.NONE,
}


def _keep_outputs(value: int) -> KeepOutputs:
    try:
        return _KEEP_OUTPUTS[value]
    except KeyError:
        raise BadRequest(f"keep_outputs {value} is not a KeepOutputs value") from None


class RunServicer:
    """The servicer; registered with the generated add_*_to_server function."""

    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon

    @unary
    async def StartRun(
        self, request: run_pb2.StartRunRequest, context: Context
    ) -> run_pb2.StartRunResponse:
        params = decode_params(request.params)
        keep = _keep_outputs(request.keep_outputs)
        which = request.WhichOneof("pipeline")
        caller = access.caller()
        if which == "pipeline_name" and request.pipeline_name:
            access.pipeline(self._daemon, request.pipeline_name, Action.RUN)
            run = await self._daemon.start_deployed(
                request.pipeline_name,
                request.version,
                params,
                keep_outputs=keep,
                output_nodes=list(request.output_nodes),
                started_by=caller.user,
            )
        elif which == "pipeline_source" and request.pipeline_source.strip():
            run = await self._daemon.start_inline(
                request.pipeline_source,
                request.source_path,
                params,
                dict(request.files),
                keep_outputs=keep,
                output_nodes=list(request.output_nodes),
                started_by=caller.user,
                scope=caller.pipelines,
            )
        else:
            raise BadRequest("set pipeline_name (a deployed pipeline) or pipeline_source")
        return run_pb2.StartRunResponse(run=convert.run_message(run))

    @unary
    async def GetRun(
        self, request: run_pb2.GetRunRequest, context: Context
    ) -> run_pb2.GetRunResponse:
        run_id = await access.run(self._daemon, _run_id(request.run_id), Action.VIEW)
        run = await self._daemon.get_run(run_id, with_outputs=request.include_outputs)
        return run_pb2.GetRunResponse(run=convert.run_message(run))

    @unary
    async def ListRuns(
        self, request: run_pb2.ListRunsRequest, context: Context
    ) -> run_pb2.ListRunsResponse:
        if request.page_size < 0 or request.page_size > MAX_PAGE:
            raise BadRequest(f"page_size must be between 0 and {MAX_PAGE}, not {request.page_size}")
        runs = await self._daemon.list_runs(
            request.pipeline_name, request.page_size or 100, access.run_scope(self._daemon)
        )
        return run_pb2.ListRunsResponse(runs=[convert.run_message(r) for r in runs])

    @unary
    async def CancelRun(
        self, request: run_pb2.CancelRunRequest, context: Context
    ) -> run_pb2.CancelRunResponse:
        run_id = await access.run(self._daemon, _run_id(request.run_id), Action.RUN)
        run = await self._daemon.cancel_run(run_id)
        return run_pb2.CancelRunResponse(run=convert.run_message(run))

    @streaming
    async def ReadOutputs(
        self, request: run_pb2.ReadOutputsRequest, context: Context
    ) -> AsyncIterator[run_pb2.ReadOutputsResponse]:
        if len(request.node_ids) > MAX_NODE_IDS:
            raise BadRequest(f"at most {MAX_NODE_IDS} node ids, not {len(request.node_ids)}")
        run_id = await access.run(self._daemon, _run_id(request.run_id), Action.VIEW)
        async for node_id, data, last, total in self._daemon.read_outputs(
            run_id, list(request.node_ids)
        ):
            yield run_pb2.ReadOutputsResponse(
                node_id=node_id, data=data, last=last, total_bytes=total
            )

    @streaming
    async def WatchRun(
        self, request: run_pb2.WatchRunRequest, context: Context
    ) -> AsyncIterator[run_pb2.WatchRunResponse]:
        run_id = await access.run(self._daemon, _run_id(request.run_id), Action.VIEW)
        async for item in self._daemon.watch_run(run_id, follow=not request.history_only):
            yield convert.event_message(item)
