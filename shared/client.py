"""The one gRPC client of an agent: address resolution, deadlines, auto-start of a local
agent, and the sentence a gRPC error becomes. Used by the TUI, `omnix` and `omnix-agent`.

Addresses are `unix:/path`, `host:port` or `ssh://user@host[:port][/path/agent.sock]`
(omnix.shared.remote.ssh). Precedence: the `--agent` flag, `$OMNIX_AGENT`,
`agent` in `~/.config/omnix/client.toml`, then the local default: the socket in the state
directory of `omnix.shared.paths` (`~/.local/share/omnix/agent.sock` for a user). Only the
local default auto-starts an agent (like tmux starts its server): a named address that does
not answer is an error to report.

TCP agents want a token: `$OMNIX_TOKEN`, else the session `omnix login` stored for that
address (omnix.shared.sessions), else `token` in the client config; and, beyond
loopback, TLS: `$OMNIX_TLS_CA` or `tls_ca` names the PEM file of the CA that signed the
agent's certificate.
"""

from __future__ import annotations

import codecs
import os
import re
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from omnix.shared.paths import default_state_dir, socket_path
from omnix.shared.sessions import credentials_path, session_for
from omnix.v1 import (
    agent_pb2,
    agent_pb2_grpc,
    license_pb2_grpc,
    pipeline_pb2,
    pipeline_pb2_grpc,
    run_pb2,
    run_pb2_grpc,
    schedule_pb2_grpc,
    security_pb2_grpc,
    usage_pb2_grpc,
)

if TYPE_CHECKING:
    from omnix.shared.remote.ssh import SshTunnel

DEFAULT_TIMEOUT_S = 10.0
WATCH_TIMEOUT_S = 7 * 24 * 3600.0
"""A WatchRun deadline too: a stream left open by a vanished client must end some day."""
AUTOSTART_TIMEOUT_S = 15.0
RECONNECT_FIRST_S = 0.25
RECONNECT_MAX_S = 4.0
RECONNECT_LIMIT_S = 60.0
"""How long a watch over SSH keeps making a dropped link again before it gives up."""
MAX_MESSAGE = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class OutputHead:
    """The start of a node's output as JSON text, whether it is the whole of it, and the
    whole output's size in bytes."""

    text: str
    complete: bool
    total_bytes: int


class AgentUnreachable(Exception):
    """No agent answers at the address; the message names it and says what to do."""


def default_address() -> str:
    """The local agent's socket: the address that auto-starts an agent."""
    return f"unix:{socket_path(default_state_dir())}"


def describe_rpc_error(exc: grpc.RpcError) -> str:
    """The sentence a failed call becomes: the agent's own words and the status name.

    A gRPC error raised before the call reached an agent may lack `code()`/`details()`.
    """
    code = exc.code() if hasattr(exc, "code") else None
    details = exc.details() if hasattr(exc, "details") else ""
    name = code.name if isinstance(code, grpc.StatusCode) else "ERROR"
    return f"{details or str(exc) or 'no detail'} [{name}]"


def client_config_path() -> Path:
    """`$XDG_CONFIG_HOME/omnix/client.toml` (default `~/.config/omnix/client.toml`)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "omnix" / "client.toml"


@dataclass(frozen=True, slots=True)
class AgentAddress:
    """Where the agent is and how to reach it."""

    target: str
    token: str = ""
    tls_ca: str = ""
    """PEM file of the CA that signed a TCP agent's certificate; empty for plaintext."""
    autostart: bool = False
    """True only for the local default: the client may start the agent itself."""

    @property
    def unix_socket(self) -> Path | None:
        """The socket path of a `unix:` address, else None."""
        return Path(self.target[len("unix:") :]) if self.target.startswith("unix:") else None


REMOTE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True, slots=True)
class Remote:
    """A named agent of the client config: ``[remotes.prod] agent = "ssh://deploy@prod-1"``
    (with an optional `token` and `tls_ca` of its own)."""

    name: str
    agent: str
    token: str = ""
    tls_ca: str = ""


def named_remotes(config: dict[str, Any], path: Path) -> dict[str, Remote]:
    """The `[remotes.*]` tables of the client config."""
    table = config.get("remotes", {})
    if not isinstance(table, dict):
        raise AgentUnreachable(f"{path}: `remotes` must be tables: [remotes.NAME] agent = ...")
    remotes = {}
    for name, entry in table.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("agent"), str):
            raise AgentUnreachable(f'{path}: [remotes.{name}] needs agent = "ADDRESS"')
        remotes[name] = Remote(
            name, entry["agent"], str(entry.get("token", "")), str(entry.get("tls_ca", ""))
        )
    return remotes


def load_client_config() -> tuple[dict[str, Any], Path]:
    """The client config (empty when there is none) and its path."""
    path = client_config_path()
    if not path.exists():
        return {}, path
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), path
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AgentUnreachable(f"{path}: cannot read the client config: {exc}") from None


def resolve_address(flag: str | None = None) -> AgentAddress:
    """The agent address by precedence: flag, $OMNIX_AGENT, client config, local default."""
    config, path = load_client_config()
    token = os.environ.get("OMNIX_TOKEN") or str(config.get("token", ""))
    tls_ca = os.environ.get("OMNIX_TLS_CA") or str(config.get("tls_ca", ""))
    remotes = named_remotes(config, path)
    for candidate in (flag, os.environ.get("OMNIX_AGENT"), config.get("agent")):
        if candidate:
            target = str(candidate)
            if target in remotes:
                remote = remotes[target]
                target = remote.agent
                token = remote.token or token
                tls_ca = remote.tls_ca or tls_ca
            elif REMOTE_NAME.fullmatch(target) and ":" not in target:
                known = ", ".join(sorted(remotes)) or "none"
                raise AgentUnreachable(
                    f"no remote named {target!r} in {path} (remotes: {known}); add "
                    f'[remotes.{target}] agent = "ssh://user@host", or give an address'
                )
            if target.startswith("unix:"):
                target = "unix:" + str(Path(target[5:]).expanduser().absolute())
                tls = ""  # A unix socket is local: TLS adds nothing.
            elif target.startswith("ssh://"):
                tls = ""  # SSH encrypts and authenticates the server already.
            else:
                tls = tls_ca
            return AgentAddress(
                target,
                _with_session(token, target, path),
                tls,
                autostart=target == default_address(),
            )
    target = default_address()
    return AgentAddress(target, _with_session(token, target, path), autostart=True)


def _with_session(token: str, target: str, config_path: Path) -> str:
    """$OMNIX_TOKEN first; then the session of `omnix login` to this agent; then the
    configured token."""
    if os.environ.get("OMNIX_TOKEN"):
        return token
    session = session_for(credentials_path(config_path), target)
    return session.token if session is not None else token


class _Silence:
    """Calls `on_silence` once the stream has been waited on for `limit_s` without a message
    (time the consumer spends on a message does not count)."""

    def __init__(self, limit_s: float, on_silence: Callable[[], object]) -> None:
        self._limit_s = limit_s
        self._on_silence = on_silence
        self._since: float | None = None
        self._done = threading.Event()
        self.fired = False
        threading.Thread(target=self._watch, name="omnix-stream-silence", daemon=True).start()

    def waiting(self) -> None:
        self._since = time.monotonic()

    def received(self) -> None:
        self._since = None

    def stop(self) -> None:
        self._done.set()

    def _watch(self) -> None:
        while not self._done.wait(min(self._limit_s / 4, 1.0)):
            since = self._since
            if since is not None and time.monotonic() - since > self._limit_s:
                self.fired = True
                self._on_silence()
                return


class AgentClient:
    """One connection to one agent. Every call has a deadline; use as a context manager."""

    def __init__(self, address: AgentAddress, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.address = address
        self.timeout_s = timeout_s
        options = [
            ("grpc.max_receive_message_length", MAX_MESSAGE),
            ("grpc.max_send_message_length", MAX_MESSAGE),
        ]
        self.on_link: Callable[[str], None] | None = None
        """Told when an SSH link drops and when it is made again (see `watch`)."""
        self._tunnel: SshTunnel | None = None
        if address.target.startswith("ssh://"):
            # Loaded only for SSH: paramiko is a noticeable part of a command's start.
            from omnix.shared.remote.ssh import SshError, SshTarget, SshTunnel

            try:
                self._tunnel = SshTunnel(SshTarget.parse(address.target))
            except SshError as exc:
                raise AgentUnreachable(str(exc)) from None
            target = f"unix:{self._tunnel.socket_path}"
            # The local end is always there: a dropped link is remade at once, not after
            # gRPC's default reconnect backoff of seconds.
            quick = [
                ("grpc.initial_reconnect_backoff_ms", 100),
                ("grpc.max_reconnect_backoff_ms", 1000),
            ]
            self._channel = grpc.insecure_channel(target, options=[*options, *quick])
        elif address.tls_ca:
            try:
                root = Path(address.tls_ca).read_bytes()
            except OSError as exc:
                raise AgentUnreachable(f"cannot read the CA file {address.tls_ca}: {exc}") from None
            credentials = grpc.ssl_channel_credentials(root_certificates=root)
            self._channel = grpc.secure_channel(address.target, credentials, options=options)
        else:
            self._channel = grpc.insecure_channel(address.target, options=options)
        self.pipelines = pipeline_pb2_grpc.PipelineServiceStub(self._channel)
        self.runs = run_pb2_grpc.RunServiceStub(self._channel)
        self.schedules = schedule_pb2_grpc.ScheduleServiceStub(self._channel)
        self.agent = agent_pb2_grpc.AgentServiceStub(self._channel)
        self.license = license_pb2_grpc.LicenseServiceStub(self._channel)
        self.usage = usage_pb2_grpc.UsageServiceStub(self._channel)
        self.security = security_pb2_grpc.SecurityServiceStub(self._channel)
        self.secrets = security_pb2_grpc.SecretServiceStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)

    def __enter__(self) -> AgentClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the channel (and the SSH connection of an ssh:// address)."""
        self._channel.close()
        if self._tunnel is not None:
            self._tunnel.close()

    @property
    def metadata(self) -> list[tuple[str, str]]:
        """The call metadata: the token, when there is one."""
        return [("authorization", f"Bearer {self.address.token}")] if self.address.token else []

    def call(self, method: Any, request: Any, *, timeout_s: float | None = None) -> Any:
        """A unary call with the deadline and the token; connection failures become
        `AgentUnreachable`, other errors stay `grpc.RpcError` for the caller to explain."""
        try:
            return method(request, timeout=timeout_s or self.timeout_s, metadata=self.metadata)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.UNAVAILABLE:
                raise self.unreachable(exc.details() or "") from None
            raise

    def watch(self, run_id: str, *, follow: bool = True) -> Iterator[run_pb2.WatchRunResponse]:
        """The run's events from its start, until it ends (or, without `follow`, until the
        recorded history is sent). A history has no overall deadline, only one on silence:
        it ends with an error when the agent sends nothing for `timeout_s`.

        Over SSH, a link that drops while following is made again with backoff (for up to
        `RECONNECT_LIMIT_S`) and the watch resumes after the last event it yielded: events
        carry their position in the run, so none is lost or repeated. `on_link` hears
        "reconnecting ..." and "reconnected"."""
        seen = 0
        delay = RECONNECT_FIRST_S
        lost_at: float | None = None
        while True:
            stream = self.runs.WatchRun(
                run_pb2.WatchRunRequest(run_id=run_id, history_only=not follow),
                timeout=WATCH_TIMEOUT_S,
                metadata=self.metadata,
            )
            try:
                for message in self._stream(stream, idle_s=None if follow else self.timeout_s):
                    if message.sequence and message.sequence <= seen:
                        continue  # sent before the link dropped
                    if lost_at is not None:
                        self._link("reconnected")
                        lost_at, delay = None, RECONNECT_FIRST_S
                    seen = message.sequence or seen
                    yield message
                return
            except AgentUnreachable as exc:
                if not (follow and self._tunnel is not None):
                    raise
                now = time.monotonic()
                lost_at = lost_at or now
                if now - lost_at > RECONNECT_LIMIT_S:
                    raise AgentUnreachable(
                        f"{exc}; gave up reconnecting after {RECONNECT_LIMIT_S:g}s"
                    ) from None
                self._link(f"link to {self.address.target} lost; reconnecting in {delay:g}s")
                time.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)

    def _link(self, state: str) -> None:
        if self.on_link is not None:
            self.on_link(state)

    def read_outputs(self, run_id: str, node_ids: Sequence[str] = ()) -> dict[str, str]:
        """Kept node outputs as JSON text by node (of `node_ids`, else every kept one),
        streamed in parts: no output is too large (see `watch` for the deadline)."""
        raw = self.read_output_bytes(run_id, node_ids)
        return {node_id: data.decode() for node_id, data in raw.items()}

    def read_output_bytes(self, run_id: str, node_ids: Sequence[str] = ()) -> dict[str, bytes]:
        """`read_outputs` as the UTF-8 bytes that arrived: what is only written out again
        need not be decoded."""
        stream = self.runs.ReadOutputs(
            run_pb2.ReadOutputsRequest(run_id=run_id, node_ids=list(node_ids)),
            timeout=WATCH_TIMEOUT_S,
            metadata=self.metadata,
        )
        parts: dict[str, list[bytes]] = {}
        for chunk in self._stream(stream, idle_s=self.timeout_s):
            parts.setdefault(chunk.node_id, []).append(chunk.data)
        return {node_id: b"".join(data) for node_id, data in parts.items()}

    def read_output_head(self, run_id: str, node_id: str, limit_bytes: int) -> OutputHead:
        """The start of one node's kept output: its first parts up to about `limit_bytes`,
        then the stream is dropped, so a view of a huge table costs only what it shows."""
        stream = self.runs.ReadOutputs(
            run_pb2.ReadOutputsRequest(run_id=run_id, node_ids=[node_id]),
            timeout=WATCH_TIMEOUT_S,
            metadata=self.metadata,
        )
        parts: list[bytes] = []
        size = total = 0
        for chunk in self._stream(stream, idle_s=self.timeout_s):
            parts.append(chunk.data)
            size, total = size + len(chunk.data), chunk.total_bytes
            if chunk.last or size >= limit_bytes:
                break
        stream.cancel()
        # A cut can fall inside a character: the decoder holds the partial one back.
        text = codecs.getincrementaldecoder("utf-8")().decode(b"".join(parts), final=False)
        return OutputHead(text, size >= total, total)

    def _stream(self, stream: Any, *, idle_s: float | None) -> Iterator[Any]:
        """A server stream's messages; cancelled when the agent is silent for `idle_s`."""
        watchdog = _Silence(idle_s, stream.cancel) if idle_s is not None else None
        messages = iter(stream)
        try:
            while True:
                if watchdog is not None:
                    watchdog.waiting()
                try:
                    message = next(messages)
                except StopIteration:
                    return
                finally:
                    if watchdog is not None:
                        watchdog.received()
                yield message
        except grpc.RpcError as exc:
            if watchdog is not None and watchdog.fired:
                raise AgentUnreachable(
                    f"the agent at {self.address.target} sent nothing for {idle_s:g}s; "
                    "is it overloaded? try again"
                ) from None
            if exc.code() == grpc.StatusCode.UNAVAILABLE:
                raise self.unreachable(exc.details() or "") from None
            raise
        finally:
            if watchdog is not None:
                watchdog.stop()
            stream.cancel()

    def health(self, timeout_s: float = 1.0, *, wait_for_ready: bool = False) -> bool:
        """Whether the agent's health service says SERVING; `grpc.RpcError` when no agent
        answers (its code says why: UNAVAILABLE, DEADLINE_EXCEEDED, ...)."""
        reply = self._health.Check(
            health_pb2.HealthCheckRequest(service=""),
            timeout=timeout_s,
            wait_for_ready=wait_for_ready,
        )
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)

    def is_serving(self, timeout_s: float = 1.0, *, wait_for_ready: bool = False) -> bool:
        """Whether an agent answers and its health service says SERVING."""
        try:
            return self.health(timeout_s, wait_for_ready=wait_for_ready)
        except grpc.RpcError:
            return False

    def unreachable(self, detail: str) -> AgentUnreachable:
        """The error to show when no agent answers: the address and what to do."""
        hint = (
            "start one with `omnix-agent serve`"
            if self.address.autostart
            else "check the address (--agent, $OMNIX_AGENT) and that the agent runs there"
        )
        reason = f" ({detail})" if detail else ""
        return AgentUnreachable(f"no agent answers at {self.address.target}{reason}: {hint}")

    def status(self) -> agent_pb2.GetStatusResponse:
        """The agent's GetStatus reply."""
        reply: agent_pb2.GetStatusResponse = self.call(
            self.agent.GetStatus, agent_pb2.GetStatusRequest()
        )
        return reply

    def deploy(
        self, source: str, path: str, files: dict[str, str] | None = None
    ) -> pipeline_pb2.DeployPipelineResponse:
        """Deploy pipeline text (and the files its `file:` nodes name) as a new version."""
        reply: pipeline_pb2.DeployPipelineResponse = self.call(
            self.pipelines.DeployPipeline,
            pipeline_pb2.DeployPipelineRequest(source=source, path=path, files=files or {}),
        )
        return reply


def connect(flag: str | None = None, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> AgentClient:
    """A client of a serving agent; starts the local default agent when none answers."""
    address = resolve_address(flag)
    client = AgentClient(address, timeout_s=timeout_s)
    if client.is_serving():
        return client
    if not address.autostart:
        client.close()
        raise client.unreachable("")
    try:
        start_local_agent(client)
    except BaseException:
        client.close()
        raise
    return client


def start_local_agent(client: AgentClient) -> None:
    """Start `omnix-agent serve` for the default state dir in the background, detached from
    this terminal, and wait (bounded) until its health service says SERVING."""
    socket_file = client.address.unix_socket
    assert socket_file is not None
    state_dir = socket_file.parent
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_path = state_dir / "agent.log"
    with open(log_path, "ab") as log_file:
        child = subprocess.Popen(
            [sys.executable, "-m", "omnix.agent", "serve", "--state-dir", str(state_dir)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            start_new_session=True,  # Its own session: no SIGHUP/SIGINT from this terminal.
            close_fds=True,
        )
    deadline = time.monotonic() + AUTOSTART_TIMEOUT_S
    while time.monotonic() < deadline:
        if client.is_serving(0.5, wait_for_ready=True):
            return
        # Another client may have started the agent first: then ours exits, theirs serves.
        if child.poll() is not None and not client.is_serving(0.5, wait_for_ready=True):
            tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
            raise AgentUnreachable(
                f"started an agent for {client.address.target} but it exited "
                f"(code {child.returncode}); {log_path} says:\n" + "\n".join(tail)
            )
    raise AgentUnreachable(
        f"started an agent for {client.address.target} but it was not serving after "
        f"{AUTOSTART_TIMEOUT_S:.0f}s; see {log_path}"
    )
