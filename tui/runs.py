"""A pipeline run on an agent, seen as the engine's own events.

The editor's run worker uses this from a thread: start a run of the editor's text, read its
events until it ends, cancel it. Errors reaching or using the agent become one
`RunUnavailable` whose message a person can act on. Nothing here knows about Textual.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any

import grpc
from omnix.shared.events import RunEvent
from omnix.tui.client import AgentClient, AgentUnreachable, connect
from omnix.tui.wire import event_from_message
from omnix.v1 import run_pb2


class RunUnavailable(Exception):
    """The run could not be started, followed or cancelled; the message says why."""


def _explain(exc: grpc.RpcError) -> RunUnavailable:
    code = exc.code() if hasattr(exc, "code") else None
    details = exc.details() if hasattr(exc, "details") else str(exc)
    name = code.name if isinstance(code, grpc.StatusCode) else "ERROR"
    return RunUnavailable(f"the agent refused: {details} [{name}]")


class RemoteRun:
    """One connection to the agent for starting, watching and cancelling a run."""

    def __init__(self, agent: str | None = None) -> None:
        self.agent = agent
        self.run_id: str | None = None
        self._client: AgentClient | None = None

    def __enter__(self) -> RemoteRun:
        try:
            self._client = connect(self.agent)
        except AgentUnreachable as exc:
            raise RunUnavailable(str(exc)) from None
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._client is not None:
            self._client.close()

    @property
    def client(self) -> AgentClient:
        if self._client is None:
            raise RuntimeError("use RemoteRun as a context manager")
        return self._client

    def start(self, source: str, path: str, params: Mapping[str, Any] | None = None) -> str:
        """Start a run of this pipeline text; returns the run id."""
        request = run_pb2.StartRunRequest(
            pipeline_source=source,
            source_path=path,
            params={key: json.dumps(value) for key, value in (params or {}).items()},
        )
        try:
            reply = self.client.call(self.client.runs.StartRun, request)
        except AgentUnreachable as exc:
            raise RunUnavailable(str(exc)) from None
        except grpc.RpcError as exc:
            raise _explain(exc) from None
        self.run_id = str(reply.run.run_id)
        return self.run_id

    def events(self) -> Iterator[RunEvent]:
        """The started run's events, from its start until it ends."""
        if self.run_id is None:
            raise RuntimeError("start the run first")
        try:
            for message in self.client.watch(self.run_id):
                event = event_from_message(message)
                if event is not None:
                    yield event
        except AgentUnreachable as exc:
            raise RunUnavailable(str(exc)) from None
        except grpc.RpcError as exc:
            raise _explain(exc) from None

    def cancel(self, run_id: str) -> None:
        """Ask the agent to cancel a run; its state change arrives as an event."""
        try:
            self.client.call(self.client.runs.CancelRun, run_pb2.CancelRunRequest(run_id=run_id))
        except AgentUnreachable as exc:
            raise RunUnavailable(str(exc)) from None
        except grpc.RpcError as exc:
            raise _explain(exc) from None
