"""`omnix-agent license issue | install | show`, in-process and as the real console script."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from omnix.agent.cli import main
from omnix.shared.tiers import Tier

from .conftest import Issue

AGENT = Path(sys.executable).with_name("omnix-agent")
TIMEOUT = 60
NEXT_YEAR = (date.today() + timedelta(days=365)).isoformat()


def _pem(
    key: Ed25519PrivateKey | ec.EllipticCurvePrivateKey, password: bytes | None = None
) -> bytes:
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


@pytest.fixture
def key_file(tmp_path: Path, signing_key: Ed25519PrivateKey) -> Path:
    path = tmp_path / "signing.pem"
    path.write_bytes(_pem(signing_key))
    return path


def agent(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def issue_cli(key_file: Path, *extra: str, tier: str = "team", expires: str = NEXT_YEAR) -> Result:
    return agent(
        "license",
        "issue",
        "--signing-key",
        str(key_file),
        "--tier",
        tier,
        "--customer",
        "Acme",
        "--expires",
        expires,
        *extra,
    )


@pytest.mark.usefixtures("trust_throwaway_key")
def test_issue_install_show_round_trip(key_file: Path, tmp_path: Path) -> None:
    issued = issue_cli(key_file, "--seats", "5")
    assert issued.exit_code == 0, issued.output
    key = issued.stdout.strip()
    assert key.startswith("OMNIX-T-")

    installed = agent("license", "install", key, "--state-dir", str(tmp_path / "state"))
    assert installed.exit_code == 0, installed.output
    assert "Team license for Acme" in installed.stdout

    shown = agent("license", "show", "--json", "--state-dir", str(tmp_path / "state"))
    report = json.loads(shown.stdout)
    assert (report["tier"], report["state"], report["customer"], report["seats"]) == (
        "team",
        "valid",
        "Acme",
        5,
    )
    assert (
        report["expires"] == f"{date.fromisoformat(NEXT_YEAR) + timedelta(days=1)}T00:00:00+00:00"
    )
    assert report["days_left"] in (364, 365)
    assert report["limits"] == {
        "users": 5,
        "pipelines": 100,
        "executions per day": 1000,
        "custom connectors": 5,
    }
    assert report["features"] == {
        "distributed execution": True,
        "team collaboration": True,
        "secrets": True,
        "SSO": False,
    }
    assert report["languages"] == ["javascript", "julia", "python", "r", "sql"]


@pytest.mark.usefixtures("trust_throwaway_key")
def test_show_as_text_lists_tier_customer_expiry_features_and_limits(
    key_file: Path, tmp_path: Path
) -> None:
    key = issue_cli(key_file, tier="business").stdout.strip()
    agent("license", "install", key, "--state-dir", str(tmp_path))
    text = agent("license", "show", "--state-dir", str(tmp_path)).stdout
    assert "Tier:         Business — Business license for Acme" in text
    assert "days left" in text and "Customer:     Acme" in text
    assert "Features:     distributed execution, team collaboration, secrets, SSO" in text
    assert "  executions per day   10,000" in text and "  pipelines            unlimited" in text


@pytest.mark.usefixtures("trust_throwaway_key")
def test_install_reads_the_key_from_stdin(key_file: Path, tmp_path: Path) -> None:
    key = issue_cli(key_file).stdout
    installed = agent("license", "install", "-", "--state-dir", str(tmp_path), stdin=key)
    assert installed.exit_code == 0, installed.output


def test_show_without_a_license_is_free(tmp_path: Path) -> None:
    report = json.loads(agent("license", "show", "--json", "--state-dir", str(tmp_path)).stdout)
    assert (report["tier"], report["state"], report["customer"]) == ("free", "absent", None)
    assert report["limits"]["executions per day"] == 100


def test_installing_garbage_says_what_is_wrong_and_what_to_do(tmp_path: Path) -> None:
    result = agent("license", "install", "omnix-t-abcde", "--state-dir", str(tmp_path))
    assert result.exit_code == 2
    assert "error: the license key is not valid: it contains lower-case letters" in result.stderr
    assert "what to do: copy the whole key again" in result.stderr


@pytest.mark.usefixtures("trust_throwaway_key")
def test_installing_an_expired_key_is_refused(tmp_path: Path, issue: Issue) -> None:
    result = agent("license", "install", issue(), "--state-dir", str(tmp_path))
    assert result.exit_code == 0  # the conftest key expires in 2028
    expired = issue(expires=datetime(2026, 11, 2, tzinfo=UTC))
    result = agent("license", "install", expired, "--state-dir", str(tmp_path))
    assert result.exit_code == 2
    assert "expired at 2026-11-02 00:00 UTC" in result.stderr


def test_issue_refuses_more_seats_than_the_tier_allows(key_file: Path) -> None:
    result = issue_cli(key_file, "--seats", "6")
    assert result.exit_code == 2
    assert "the Team tier allows at most 5 users, not 6" in result.stderr


def test_issue_refuses_a_past_expiry(key_file: Path) -> None:
    result = issue_cli(key_file, expires="2020-01-01")
    assert result.exit_code == 2 and "already past" in result.stderr


def test_issue_refuses_an_encrypted_signing_key(tmp_path: Path) -> None:
    path = tmp_path / "locked.pem"
    path.write_bytes(_pem(Ed25519PrivateKey.generate(), password=b"secret"))
    result = issue_cli(path)
    assert result.exit_code == 2 and "is encrypted" in result.stderr


def test_issue_refuses_a_key_that_is_not_ed25519(tmp_path: Path) -> None:
    path = tmp_path / "ec.pem"
    path.write_bytes(_pem(ec.generate_private_key(ec.SECP256R1())))
    result = issue_cli(path)
    assert result.exit_code == 2 and "is not an Ed25519 key" in result.stderr


def test_issue_refuses_a_file_that_is_not_a_key(tmp_path: Path) -> None:
    path = tmp_path / "notes.pem"
    path.write_text("hello")
    result = issue_cli(path)
    assert result.exit_code == 2 and "not a readable PEM private key" in result.stderr


def test_the_real_agent_refuses_a_key_not_signed_by_the_vendor(
    key_file: Path, tmp_path: Path
) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(AGENT), *args], capture_output=True, text=True, timeout=TIMEOUT)

    issued = run(
        "license",
        "issue",
        "--signing-key",
        str(key_file),
        "--tier",
        "enterprise",
        "--customer",
        "Mallory",
        "--expires",
        NEXT_YEAR,
    )
    assert issued.returncode == 0, issued.stderr
    assert "not the Omnix vendor key; omnix-agent will refuse the license" in issued.stderr

    installed = run("license", "install", issued.stdout.strip(), "--state-dir", str(tmp_path))

    assert installed.returncode == 2
    assert "error: the license key is not valid: it is not signed by Omnix" in installed.stderr
    assert "only keys issued by Omnix are accepted" in installed.stderr
    assert not (tmp_path / "license.key").exists()
    shown = run("license", "show", "--json", "--state-dir", str(tmp_path))
    assert json.loads(shown.stdout)["tier"] == "free"


def test_license_is_a_registered_agent_command() -> None:
    result = agent("license", "--help")
    assert result.exit_code == 0
    assert all(verb in result.stdout for verb in ("issue", "install", "show"))


@pytest.mark.usefixtures("trust_throwaway_key")
def test_show_reports_an_expired_license_as_free_and_keeps_it(tmp_path: Path, issue: Issue) -> None:
    key = issue(expires=datetime(2026, 11, 2, tzinfo=UTC))
    (tmp_path / "license.key").write_text(key + "\n")
    text = agent("license", "show", "--state-dir", str(tmp_path)).stdout
    assert "Tier:         Free — the Team license for Acme expired at 2026-11-02 00:00 UTC" in text
    assert "(expired)" in text
    assert (tmp_path / "license.key").read_text() == key + "\n"


@pytest.mark.usefixtures("trust_throwaway_key")
def test_installing_over_a_license_says_which_one_it_replaced(tmp_path: Path, issue: Issue) -> None:
    first = issue(tier=Tier.TEAM)
    agent("license", "install", first, "--state-dir", str(tmp_path))
    result = agent("license", "install", issue(tier=Tier.BUSINESS), "--state-dir", str(tmp_path))
    assert "replaced the Team license for Acme" in result.stdout
