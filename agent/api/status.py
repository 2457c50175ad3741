"""AgentService: the agent's own status."""

from __future__ import annotations

from typing import Any

import grpc
from omnix.agent.api.errors import unary
from omnix.agent.api.schedules import schedule_message
from omnix.agent.daemon import Daemon
from omnix.v1 import agent_pb2

Context = grpc.aio.ServicerContext[Any, Any]


class AgentServicer:
    """The servicer; registered with the generated add_*_to_server function."""

    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon

    @unary
    async def GetStatus(
        self, request: agent_pb2.GetStatusRequest, context: Context
    ) -> agent_pb2.GetStatusResponse:
        status = await self._daemon.status()
        return agent_pb2.GetStatusResponse(
            version=status.version,
            uptime_s=status.uptime_s,
            listen_addresses=status.listen_addresses,
            metrics_url=status.metrics_url,
            alerts=[
                agent_pb2.Alert(
                    rule=alert.rule,
                    key=alert.key,
                    severity=alert.severity,
                    message=alert.message,
                    fired_at=alert.fired_at,
                )
                for alert in status.alerts
            ],
            languages=[
                agent_pb2.LanguageSupport(
                    language=item.language,
                    version=item.version,
                    problem=item.problem,
                    licensed=item.licensed,
                    tier_needed=item.tier_needed,
                )
                for item in status.languages
            ],
            pipelines=status.pipelines,
            schedules=[schedule_message(s) for s in self._daemon.schedules()],
            running_runs=status.running_runs,
            queued_runs=status.queued_runs,
            store=agent_pb2.StoreHealth(
                ok=status.store.ok,
                detail=status.store.detail,
                path=status.store.path,
                size_bytes=status.store.size_bytes,
                schema_version=status.store.schema_version,
            ),
            license_tier=status.license_tier,
            pid=status.pid,
            state_dir=status.state_dir,
        )
