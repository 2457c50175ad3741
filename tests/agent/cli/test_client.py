"""The client's address resolution, token and TLS, against real agents where it talks."""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from omnix.shared.client import (
    AgentAddress,
    AgentClient,
    AgentUnreachable,
    default_address,
    resolve_address,
)
from omnix.v1 import agent_pb2

from tests.agent.agents import RunningAgent, environment, spawn_agent


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("OMNIX_STATE_DIR", str(tmp_path / "state"))
    for name in ("OMNIX_AGENT", "OMNIX_TOKEN", "OMNIX_TLS_CA"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def write_client_config(home: Path, text: str) -> None:
    path = home / "config" / "omnix" / "client.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text)


def test_the_default_is_the_local_socket_and_may_auto_start(isolated: Path) -> None:
    address = resolve_address(None)
    assert address.target == f"unix:{isolated}/state/agent.sock"
    assert address.target == default_address() and address.autostart


def test_precedence_is_flag_then_environment_then_config(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_client_config(isolated, 'agent = "config-host:1"\ntoken = "from-config"\n')
    assert resolve_address(None).target == "config-host:1"
    assert resolve_address(None).token == "from-config"
    monkeypatch.setenv("OMNIX_AGENT", "env-host:2")
    assert resolve_address(None).target == "env-host:2"
    assert resolve_address("flag-host:3").target == "flag-host:3"
    assert not resolve_address("flag-host:3").autostart


def test_a_relative_unix_address_is_made_absolute(isolated: Path) -> None:
    assert resolve_address("unix:~/a.sock").target == f"unix:{isolated}/a.sock"


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key (the cert is its own CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "agent.crt", directory / "agent.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls_agent() -> Iterator[tuple[RunningAgent, Path]]:
    """An agent with a TLS listener on loopback, and its certificate (its own CA)."""
    path = Path(tempfile.mkdtemp(prefix="ox", dir="/tmp"))
    cert, key = self_signed(path)
    config = path / "agent.toml"
    config.write_text(f'tls_cert = "{cert}"\ntls_key = "{key}"\n')
    agent = spawn_agent(path / "a", "--config", str(config), tcp=True)
    yield agent, cert
    agent.close()
    shutil.rmtree(path, ignore_errors=True)


def test_a_tls_listener_serves_a_client_that_trusts_its_ca_and_sends_the_token(
    tls_agent: tuple[RunningAgent, Path],
) -> None:
    agent, cert = tls_agent
    address = AgentAddress(agent.tcp_address, agent.token, tls_ca=str(cert))
    with AgentClient(address) as client:
        assert client.status().store.ok


def test_a_tls_listener_refuses_plaintext(tls_agent: tuple[RunningAgent, Path]) -> None:
    agent, _ = tls_agent
    plaintext = AgentAddress(agent.tcp_address, agent.token)
    with AgentClient(plaintext) as client, pytest.raises(AgentUnreachable):
        client.call(client.agent.GetStatus, agent_pb2.GetStatusRequest(), timeout_s=2)


def test_status_checks_a_tls_listener_with_its_ca(tls_agent: tuple[RunningAgent, Path]) -> None:
    agent, cert = tls_agent
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "omnix-agent"),
            "status",
            "--address",
            agent.tcp_address,
            "--state-dir",
            str(agent.state_dir),
            "--tls-ca",
            str(cert),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment(),
    )
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("OMNIX OK - ")
