"""Only the vendor key shipped in the package is trusted; nothing outside the code adds one."""

from __future__ import annotations

import ast
import base64
import os
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from omnix.shared import license_status, licensing
from omnix.shared.licensing import vendor_keys

from .conftest import Issue

# The vendor's public key (SubjectPublicKeyInfo, DER, base64), restated so that a swapped
# package resource fails here.
VENDOR_SPKI = "MCowBQYDK2VwAyEAk5t1iW3s7lQAUji7SuaYMoWFB1kCHZhQMNsCtuCdMTM="
TIMEOUT = 60
AGENT = Path(sys.executable).with_name("omnix-agent")  # the installed console script


def _spki(key: Ed25519PublicKey) -> str:
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def test_the_default_verifier_trusts_exactly_the_packaged_vendor_key() -> None:
    assert [_spki(k) for k in vendor_keys()] == [VENDOR_SPKI]


def test_the_licensing_modules_read_no_environment() -> None:
    for module in (licensing, license_status):
        tree = ast.parse(Path(module.__file__ or "").read_text())
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        imported = {
            a.name
            for n in ast.walk(tree)
            if isinstance(n, ast.Import | ast.ImportFrom)
            for a in n.names
        }
        assert not {"environ", "getenv", "os"} & (names | imported), module.__name__


def _agent(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AGENT), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def test_settings_naming_a_key_do_not_make_it_trusted(
    tmp_path: Path, issue: Issue, signing_key: Ed25519PrivateKey
) -> None:
    """Every plausible way to point the agent at a key: env vars, config files, files in the
    state directory. A key signed with that key is still refused by the real agent CLI."""
    pem = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pem_file = tmp_path / "trusted.pub.pem"
    pem_file.write_bytes(pem)
    state = tmp_path / "state"
    state.mkdir()
    for name in ("vendor.pub.pem", "trusted_keys.pem", "omnix-vendor-ed25519.pub.pem"):
        (state / name).write_bytes(pem)
    config = f'[license]\ntrusted_keys = ["{pem_file}"]\npublic_key = "{pem_file}"\n'
    home = tmp_path / "home"
    for folder in (home / ".config" / "omnix", tmp_path / "xdg" / "omnix", tmp_path):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "agent.toml").write_text(config)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIX")}
    env |= {"HOME": str(home), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    for name in (
        "OMNIX_LICENSE_PUBLIC_KEY",
        "OMNIX_LICENSE_KEY",
        "OMNIX_TRUSTED_KEYS",
        "OMNIX_VENDOR_KEY",
        "OMNIX_PUBLIC_KEY",
        "OMNIX_LICENSE_PUBKEY",
        "OMNIX_CONFIG",
    ):
        env[name] = str(pem_file)
    env["OMNIX_VENDOR_KEY_PEM"] = pem.decode()
    key = issue()

    installed = _agent(["license", "install", key, "--state-dir", str(state)], env, tmp_path)

    assert installed.returncode == 2, installed.stderr
    assert "not signed by Omnix" in installed.stderr
    assert not (state / "license.key").exists()


def test_a_planted_key_file_signed_by_another_key_runs_as_free(
    tmp_path: Path, issue: Issue
) -> None:
    (tmp_path / "license.key").write_text(issue() + "\n")
    shown = _agent(
        ["license", "show", "--json", "--state-dir", str(tmp_path)], dict(os.environ), tmp_path
    )
    assert shown.returncode == 0, shown.stderr
    assert '"tier": "free"' in shown.stdout and '"state": "invalid"' in shown.stdout
