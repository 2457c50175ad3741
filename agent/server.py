"""The agent's gRPC servers: the unix socket in the state dir and optional TCP listeners.

Two `grpc.aio` servers share the servicers: the unix socket (mode 0600) needs no token,
every TCP listener requires the admin token (plaintext only on loopback, TLS otherwise).
Both serve the standard health service and server reflection, so grpcurl works.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from omnix.agent.api.auth import TokenAuthInterceptor
from omnix.agent.api.decoding import DecodeErrorInterceptor
from omnix.agent.api.license import LicenseServicer
from omnix.agent.api.pipelines import PipelineServicer
from omnix.agent.api.runs import RunServicer
from omnix.agent.api.schedules import ScheduleServicer
from omnix.agent.api.status import AgentServicer
from omnix.agent.config import AgentConfig, socket_path
from omnix.agent.daemon import Daemon
from omnix.agent.errors import AlreadyRunning, ConfigError
from omnix.v1 import (
    agent_pb2,
    agent_pb2_grpc,
    license_pb2,
    license_pb2_grpc,
    pipeline_pb2,
    pipeline_pb2_grpc,
    run_pb2,
    run_pb2_grpc,
    schedule_pb2,
    schedule_pb2_grpc,
)

log = logging.getLogger(__name__)
MIB = 1024 * 1024
SERVICE_NAMES = (
    pipeline_pb2.DESCRIPTOR.services_by_name["PipelineService"].full_name,
    run_pb2.DESCRIPTOR.services_by_name["RunService"].full_name,
    schedule_pb2.DESCRIPTOR.services_by_name["ScheduleService"].full_name,
    agent_pb2.DESCRIPTOR.services_by_name["AgentService"].full_name,
    license_pb2.DESCRIPTOR.services_by_name["LicenseService"].full_name,
)


class AgentServer:
    """The servers of one `Daemon`; `start()` binds, `stop(grace)` drains."""

    def __init__(self, daemon: Daemon, config: AgentConfig, token: str) -> None:
        self._daemon = daemon
        self._config = config
        self._token = token
        self._servers: list[grpc.aio.Server] = []
        self._health: list[Any] = []  # grpc_health.v1.health.aio.HealthServicer
        self.socket = socket_path(daemon.state_dir)

    def _options(self) -> list[tuple[str, Any]]:
        receive = self._config.max_message_mb * MIB
        return [
            ("grpc.max_receive_message_length", receive),
            ("grpc.max_send_message_length", max(64 * MIB, 4 * receive)),
            # Without this a second agent could bind the same port and split the traffic.
            ("grpc.so_reuseport", 0),
        ]

    def _build(self, interceptors: list[Any]) -> grpc.aio.Server:
        server = grpc.aio.server(
            interceptors=[*interceptors, DecodeErrorInterceptor()], options=self._options()
        )
        pipeline_pb2_grpc.add_PipelineServiceServicer_to_server(
            PipelineServicer(self._daemon), server
        )
        run_pb2_grpc.add_RunServiceServicer_to_server(RunServicer(self._daemon), server)
        schedule_pb2_grpc.add_ScheduleServiceServicer_to_server(
            ScheduleServicer(self._daemon), server
        )
        agent_pb2_grpc.add_AgentServiceServicer_to_server(AgentServicer(self._daemon), server)
        license_pb2_grpc.add_LicenseServiceServicer_to_server(LicenseServicer(self._daemon), server)
        health_servicer = health.aio.HealthServicer()  # type: ignore[attr-defined]
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        self._health.append(health_servicer)
        reflection.enable_server_reflection(
            (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), server
        )
        self._servers.append(server)
        return server

    async def start(self) -> list[str]:
        """Bind every listener and report SERVING; returns the addresses served."""
        _clear_stale_socket(self.socket)
        addresses = [f"unix:{self.socket}"]
        unix_server = self._build([])
        unix_server.add_insecure_port(f"unix:{self.socket}")
        tcp = self._config.tcp_listeners()
        if tcp:
            tcp_server = self._build([TokenAuthInterceptor(self._token)])
            credentials = self._credentials()
            for address in tcp:
                try:
                    if credentials is None:
                        port = tcp_server.add_insecure_port(address)
                    else:
                        port = tcp_server.add_secure_port(address, credentials)
                except RuntimeError as exc:
                    raise ConfigError(f"cannot listen on {address}: {exc}") from None
                host = address.rpartition(":")[0]
                addresses.append(f"{host}:{port}")
        for server in self._servers:
            await server.start()
        os.chmod(self.socket, 0o600)
        for servicer in self._health:
            for name in ("", *SERVICE_NAMES):
                await servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
        self._daemon.listen_addresses = addresses
        return addresses

    def _credentials(self) -> grpc.ServerCredentials | None:
        if not (self._config.tls_cert and self._config.tls_key):
            return None
        try:
            key = Path(self._config.tls_key).read_bytes()
            cert = Path(self._config.tls_cert).read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read the TLS certificate or key: {exc}") from None
        return grpc.ssl_server_credentials([(key, cert)])

    async def mark_not_serving(self) -> None:
        """Tell health checkers to stop routing here (draining)."""
        for servicer in self._health:
            await servicer.enter_graceful_shutdown()

    async def stop(self, grace_s: float) -> None:
        """Stop accepting calls; calls in progress get `grace_s` to finish."""
        for server in self._servers:
            await server.stop(grace_s)
        with contextlib.suppress(FileNotFoundError):
            self.socket.unlink()


def _clear_stale_socket(path: Path) -> None:
    """Remove a socket left by a dead agent; refuse when a live one answers on it."""
    if not path.exists():
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(1.0)
        probe.connect(str(path))
    except OSError:
        path.unlink()
        return
    finally:
        probe.close()
    raise AlreadyRunning(f"an agent already serves unix:{path} (omnix-agent stop stops it)")
