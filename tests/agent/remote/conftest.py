"""A real OpenSSH server on a loopback port (Debian's openssh-server), started once per
session with a temporary host key and one authorized test key; and a client home whose
~/.ssh trusts it."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
SSHD = "/usr/sbin/sshd"


@dataclass(frozen=True)
class SshServer:
    port: int
    user: str
    host_key: Path
    """The server's public host key file."""
    client_key: Path
    """The private key the server authorizes."""
    root: Path

    def known_hosts_line(self) -> str:
        kind, key = self.host_key.read_text().split()[:2]
        return f"[127.0.0.1]:{self.port} {kind} {key}\n"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


@contextlib.contextmanager
def start_sshd() -> Iterator[SshServer]:
    """sshd on a free loopback port, in a temporary folder removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="omnix-sshd-"))
    os.chmod(root, 0o700)
    _keygen(root / "host_key")
    _keygen(root / "client_key")
    (root / "authorized_keys").write_text((root / "client_key.pub").read_text())
    os.chmod(root / "authorized_keys", 0o600)
    port = _free_port()
    user = os.environ.get("USER") or pwd.getpwuid(os.getuid()).pw_name
    config = root / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {root / 'host_key'}\n"
        f"AuthorizedKeysFile {root / 'authorized_keys'}\nPidFile {root / 'sshd.pid'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "StrictModes no\nPermitRootLogin prohibit-password\nAllowTcpForwarding no\n"
        "X11Forwarding no\nPrintMotd no\nAcceptEnv none\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
    server = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=open(root / "sshd.log", "wb"),  # noqa: SIM115
    )
    deadline = time.monotonic() + 20
    while True:  # sshd has no readiness signal: wait for its port
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"sshd did not start: {(root / 'sshd.log').read_text()}"
                ) from None
            time.sleep(0.05)
    try:
        yield SshServer(port, user, root / "host_key.pub", root / "client_key", root)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def sshd() -> Iterator[SshServer]:
    if not (os.path.exists(SSHD) and shutil.which("ssh-keygen")):
        message = "OpenSSH's sshd is not installed (apt-get install openssh-server)"
        if IN_CI:
            pytest.fail(f"{message}: .ci/run should have installed it")
        pytest.skip(message)
    if os.geteuid() != 0:
        # sshd needs its privilege-separation directory (/run/sshd) and a host it may log
        # in to as the user: root's, as in CI.
        message = "the ssh:// tests start sshd, which needs root"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    with start_sshd() as server:
        yield server


@pytest.fixture
def ssh_home(sshd: SshServer, tmp_path: Path) -> Path:
    """A HOME whose ~/.ssh has the test key and trusts the server's host key."""
    home = tmp_path / "home"
    ssh = home / ".ssh"
    ssh.mkdir(parents=True, mode=0o700)
    shutil.copy(sshd.client_key, ssh / "id_ed25519")
    os.chmod(ssh / "id_ed25519", 0o600)
    (ssh / "known_hosts").write_text(sshd.known_hosts_line())
    return home
