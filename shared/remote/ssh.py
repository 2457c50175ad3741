"""`ssh://user@host[:port][/path/to/agent.sock]`: the agent's API through an SSH connection.

The client connects with the user's usual setup (keys from ~/.ssh and the SSH agent,
~/.ssh/config Host aliases, ~/.ssh/known_hosts) and refuses a host whose key is unknown or
has changed, saying what to check and how to trust it: there is no silent accept. gRPC
talks to a private unix socket in a temporary folder of this user; each connection to it
becomes an SSH session running ``omnix-agent dial-stdio --socket PATH`` on the server,
which joins its stdin and stdout to the agent's socket (as ``docker system dial-stdio``
does for Docker). A connection that drops is made again on the next call.

``?command=/opt/omnix/bin/omnix-agent`` names the remote command when `omnix-agent` is not
on the remote user's PATH.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import shlex
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import paramiko

DEFAULT_PORT = 22
CONNECT_TIMEOUT_S = 10.0
CHUNK = 256 * 1024


class SshError(Exception):
    """The SSH side failed: the message says what and what to do."""


@dataclass(frozen=True, slots=True)
class SshTarget:
    """A parsed `ssh://` address."""

    host: str
    user: str | None
    port: int | None
    socket: str | None
    """The agent's socket on the server; None: the remote user's default agent."""
    command: str = "omnix-agent"

    @classmethod
    def parse(cls, address: str) -> SshTarget:
        parts = urlsplit(address)
        if parts.scheme != "ssh" or not parts.hostname:
            raise SshError(
                f"{address!r} is not an ssh:// address (ssh://user@host[:port][/socket])"
            )
        try:
            port = parts.port
        except ValueError:
            raise SshError(f"{address!r}: the port is not a number") from None
        query = parse_qs(parts.query)
        return cls(
            host=parts.hostname,
            user=unquote(parts.username) if parts.username else None,
            port=port,
            socket=unquote(parts.path) if parts.path not in ("", "/") else None,
            command=query.get("command", ["omnix-agent"])[0],
        )

    def remote_command(self) -> str:
        """What runs on the server for each connection."""
        socket_args = ["--socket", self.socket] if self.socket else []
        return shlex.join([self.command, "dial-stdio", *socket_args])


def _ssh_dir() -> Path:
    return Path(os.path.expanduser("~/.ssh"))


def _fingerprint(key: paramiko.PKey) -> str:
    digest = base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode()
    return f"SHA256:{digest.rstrip('=')}"


class _Refuse(paramiko.MissingHostKeyPolicy):
    """An unknown host key is an error that names its fingerprint and how to trust it."""

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        raise SshError(
            f"the SSH host key of {hostname} is not in {_ssh_dir() / 'known_hosts'}: its "
            f"{key.get_name()} key is {_fingerprint(key)}. Check that fingerprint with the "
            f"server's administrator, then trust it: ssh-keyscan {_keyscan_args(hostname)} >> "
            "~/.ssh/known_hosts (or connect once with ssh and answer yes)"
        )


def _keyscan_args(known_as: str) -> str:
    if known_as.startswith("[") and "]:" in known_as:
        host, port = known_as[1:].split("]:", 1)
        return f"-p {port} {host}"
    return known_as


class SshTunnel:
    """An SSH connection to `target` and a local unix socket that leads to its agent."""

    def __init__(self, target: SshTarget) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._client: paramiko.SSHClient | None = None
        self._folder = Path(tempfile.mkdtemp(prefix="omnix-ssh-"))
        os.chmod(self._folder, 0o700)
        self.socket_path = self._folder / "agent.sock"
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(self.socket_path))
        self._listener.listen(8)
        self._closed = False
        self.connect()  # fail now, with the SSH error, rather than on the first call
        threading.Thread(target=self._accept, name="omnix-ssh-accept", daemon=True).start()

    def _config(self) -> tuple[str, int, str | None, list[str]]:
        """Host, port, user and identity files after ~/.ssh/config."""
        host, port, user, keys = self.target.host, self.target.port, self.target.user, []
        config_file = _ssh_dir() / "config"
        if config_file.exists():
            config = paramiko.SSHConfig.from_path(str(config_file)).lookup(host)
            host = config.get("hostname", host)
            port = port or (int(config["port"]) if "port" in config else None)
            user = user or config.get("user")
            keys = [os.path.expanduser(k) for k in config.get("identityfile", [])]
        return host, port or DEFAULT_PORT, user, [k for k in keys if os.path.exists(k)]

    def connect(self) -> paramiko.SSHClient:
        """The SSH connection, made (again) when there is none or it dropped."""
        with self._lock:
            transport = self._client.get_transport() if self._client is not None else None
            if transport is not None and transport.is_active():
                return self._client  # type: ignore[return-value]
            host, port, user, keys = self._config()
            client = paramiko.SSHClient()
            known_hosts = _ssh_dir() / "known_hosts"
            if known_hosts.exists():
                client.load_host_keys(str(known_hosts))
            client.set_missing_host_key_policy(_Refuse())
            shown = f"{user + '@' if user else ''}{host}:{port}"
            try:
                client.connect(
                    host,
                    port=port,
                    username=user or None,
                    key_filename=keys or None,  # type: ignore[arg-type]  # a list works too
                    timeout=CONNECT_TIMEOUT_S,
                    banner_timeout=CONNECT_TIMEOUT_S,
                    auth_timeout=CONNECT_TIMEOUT_S,
                )
            except paramiko.BadHostKeyException as exc:
                raise SshError(
                    f"the SSH host key of {shown} has CHANGED: known_hosts has "
                    f"{_fingerprint(exc.expected_key)}, the server sent {_fingerprint(exc.key)}. "
                    "Someone may be intercepting the connection. If the server was reinstalled "
                    f"and its administrator confirms the new key, remove the old one: "
                    f"ssh-keygen -R '{'[' + host + ']:' + str(port) if port != DEFAULT_PORT else host}'"
                ) from None
            except paramiko.AuthenticationException as exc:
                raise SshError(
                    f"SSH to {shown} refused the login ({exc}): check the user, and that one of "
                    "your keys (~/.ssh, the SSH agent, IdentityFile in ~/.ssh/config) is in the "
                    "server's authorized_keys"
                ) from None
            except (OSError, paramiko.SSHException) as exc:
                raise SshError(f"cannot reach {shown} over SSH: {exc}") from None
            self._client = client
            return client

    def _accept(self) -> None:
        while not self._closed:
            try:
                local, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(local,), daemon=True).start()

    def _serve(self, local: socket.socket) -> None:
        try:
            transport = self.connect().get_transport()
            assert transport is not None
            channel = transport.open_session(timeout=CONNECT_TIMEOUT_S)
            channel.exec_command(self.target.remote_command())
        except (SshError, paramiko.SSHException, OSError):
            local.close()
            return
        threading.Thread(target=_pump_to_channel, args=(local, channel), daemon=True).start()
        _pump_to_socket(channel, local)

    def close(self) -> None:
        """Stop listening, end the SSH connection and remove the private folder."""
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.close()
        if self._client is not None:
            self._client.close()
        shutil.rmtree(self._folder, ignore_errors=True)


def _pump_to_channel(local: socket.socket, channel: paramiko.Channel) -> None:
    try:
        while data := local.recv(CHUNK):
            channel.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError, EOFError):
            channel.shutdown_write()


def _pump_to_socket(channel: paramiko.Channel, local: socket.socket) -> None:
    try:
        while data := channel.recv(CHUNK):
            local.sendall(data)
    except OSError:
        pass
    finally:
        channel.close()
        with contextlib.suppress(OSError):
            local.shutdown(socket.SHUT_RDWR)
        local.close()
