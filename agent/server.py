"""The agent process: its gRPC servers and `Agent`, the one owner of its lifecycle.

`AgentServer` binds the unix socket in the state dir and optional TCP listeners; `Agent`
starts, drains, reloads and stops the daemon and its servers in order.

Two `grpc.aio` servers share the servicers and the one policy interceptor: on the unix socket
(mode 0600) a call without a token is the agent's own OS user, every TCP call needs a token
(plaintext only on loopback, TLS otherwise).
Both serve the standard health service and server reflection, so grpcurl works.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from omnix.agent.api.auth import PolicyInterceptor
from omnix.agent.api.decoding import DecodeErrorInterceptor
from omnix.agent.api.license import LicenseServicer
from omnix.agent.api.pipelines import PipelineServicer
from omnix.agent.api.runs import RunServicer
from omnix.agent.api.schedules import ScheduleServicer
from omnix.agent.api.security import SecretServicer, SecurityServicer
from omnix.agent.api.status import AgentServicer
from omnix.agent.api.usage import UsageServicer
from omnix.agent.config import (
    MIB,
    PID_FILE,
    AgentConfig,
    ensure_admin_token,
    load_config,
    reply_limit_bytes,
)
from omnix.agent.daemon import Daemon
from omnix.agent.errors import AlreadyRunning, ConfigError
from omnix.agent.runs.manager import PipelineRunner
from omnix.agent.systemd import notify as sdnotify
from omnix.agent.systemd.journal import configure_logging
from omnix.shared.paths import socket_path
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
    security_pb2,
    security_pb2_grpc,
    usage_pb2,
    usage_pb2_grpc,
)

log = logging.getLogger(__name__)
lifecycle_log = logging.getLogger("omnix.agent")
"""Start, drain, reload and stop lines: under the agent's own name in the journal."""
SERVICE_NAMES = (
    pipeline_pb2.DESCRIPTOR.services_by_name["PipelineService"].full_name,
    run_pb2.DESCRIPTOR.services_by_name["RunService"].full_name,
    schedule_pb2.DESCRIPTOR.services_by_name["ScheduleService"].full_name,
    agent_pb2.DESCRIPTOR.services_by_name["AgentService"].full_name,
    license_pb2.DESCRIPTOR.services_by_name["LicenseService"].full_name,
    usage_pb2.DESCRIPTOR.services_by_name["UsageService"].full_name,
    security_pb2.DESCRIPTOR.services_by_name["SecurityService"].full_name,
    security_pb2.DESCRIPTOR.services_by_name["SecretService"].full_name,
)


class AgentServer:
    """The servers of one `Daemon`; `start()` binds, `stop(grace)` drains."""

    def __init__(self, daemon: Daemon, config: AgentConfig) -> None:
        self._daemon = daemon
        self._config = config
        self._servers: list[grpc.aio.Server] = []
        self._health: list[Any] = []  # grpc_health.v1.health.aio.HealthServicer
        self.socket = socket_path(daemon.state_dir)

    def _options(self) -> list[tuple[str, Any]]:
        receive = self._config.max_message_mb * MIB
        return [
            ("grpc.max_receive_message_length", receive),
            ("grpc.max_send_message_length", reply_limit_bytes(self._config)),
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
        usage_pb2_grpc.add_UsageServiceServicer_to_server(UsageServicer(self._daemon), server)
        security_pb2_grpc.add_SecurityServiceServicer_to_server(
            SecurityServicer(self._daemon), server
        )
        security_pb2_grpc.add_SecretServiceServicer_to_server(SecretServicer(self._daemon), server)
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
        security = self._daemon.security
        unix_server = self._build([PolicyInterceptor(security, local=True)])
        unix_server.add_insecure_port(f"unix:{self.socket}")
        tcp = self._config.tcp_listeners()
        if tcp:
            tcp_server = self._build([PolicyInterceptor(security, local=False)])
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


class Agent:
    """One agent: the daemon and its servers, owned together. `start` opens the store and
    binds, `drain` stops taking work and lets runs finish, `stop(grace)` shuts everything
    in order, `reload` re-reads the config file. The command line only wires signals to it.

        agent = Agent(config, state_dir, config_path=path)
        await agent.start()
        ...                      # SIGHUP: agent.reload(); SIGTERM: await agent.stop()
    """

    def __init__(
        self,
        config: AgentConfig,
        state_dir: Path,
        *,
        config_path: str | None = None,
        extra_listen: Sequence[str] = (),
        engine: PipelineRunner | None = None,
        token: str | None = None,
    ) -> None:
        """`config_path` is re-read on `reload`; `extra_listen` (from --listen) is added to
        every reading. `engine` and `token` replace the real engine and the state dir's admin
        token (tests)."""
        self.config = config
        self.state_dir = state_dir
        self._config_path = config_path
        self._extra_listen = list(extra_listen)
        self._token = token
        self.daemon = Daemon(config, state_dir, engine=engine)
        self._server: AgentServer | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._pid_file = state_dir / PID_FILE
        self.addresses: list[str] = []

    async def start(self) -> list[str]:
        """Open the store, recover runs, bind every listener, tell systemd we are ready;
        returns the addresses served."""
        token = self._token if self._token is not None else ensure_admin_token(self.state_dir)
        self.daemon.admin_token = token
        await self.daemon.start()
        self._server = AgentServer(self.daemon, self.config)
        try:
            self.addresses = await self._server.start()
        except BaseException:
            await self.daemon.stop(0)
            raise
        self._pid_file.write_text(f"{os.getpid()}\n", encoding="utf-8")
        served = ", ".join(self.addresses)
        lifecycle_log.info("serving on %s (state in %s)", served, self.state_dir)
        sdnotify.notify(sdnotify.READY, sdnotify.status(f"serving on {served}"))
        self._watchdog = asyncio.create_task(sdnotify.run_watchdog(), name="omnix-watchdog")
        return self.addresses

    async def drain(self, grace_s: float | None = None) -> None:
        """Stop being routed to and let running nodes finish for `grace_s` (default: the
        config's drain grace); the servers stay up meanwhile so watchers see every run end."""
        grace = self.config.drain_grace_s if grace_s is None else grace_s
        lifecycle_log.info("draining: running nodes get %.1fs", grace)
        sdnotify.notify(sdnotify.STOPPING, sdnotify.status("draining runs"))
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._server is not None:
            await self._server.mark_not_serving()
        await self.daemon.drain(grace)

    async def stop(self, grace_s: float | None = None) -> None:
        """Drain (see `drain`), then close the servers, the engine and the store."""
        await self.drain(grace_s)
        if self._server is not None:
            await self._server.stop(1.0)
        await self.daemon.stop(0)
        with contextlib.suppress(FileNotFoundError):
            self._pid_file.unlink()
        if self._watchdog is not None:
            await asyncio.gather(self._watchdog, return_exceptions=True)
        lifecycle_log.info("stopped")

    def reload(self) -> AgentConfig | None:
        """Re-read the config file: settings that apply live take effect, the others are
        named in a warning (they need a restart). Returns the new reading, or None when the
        file is wrong (the running configuration is kept)."""
        try:
            fresh = load_config(self._config_path)
        except ConfigError as exc:
            lifecycle_log.error("reload failed, keeping the running configuration: %s", exc)
            return None
        sdnotify.notify(sdnotify.RELOADING, f"MONOTONIC_USEC={time.monotonic_ns() // 1000}")
        fresh.listen = [*fresh.listen, *self._extra_listen]
        configure_logging(fresh.log_level)
        restart_needed = self.daemon.reconfigure(fresh)
        if restart_needed:
            lifecycle_log.warning(
                "reloaded; these changes apply after a restart: %s", ", ".join(restart_needed)
            )
        else:
            lifecycle_log.info("configuration reloaded")
        sdnotify.notify(sdnotify.READY)
        return fresh
