"""`omnix-agent license issue | install | show`: make, install and inspect license keys."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import NoReturn

import click
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from omnix.agent.entitlements import Entitlements
from omnix.agent.license_report import format_report, license_report
from omnix.agent.license_store import LicenseNotInstallable, LicenseStore
from omnix.shared.license_status import LicenseState
from omnix.shared.licensing import (
    InvalidLicenseKey,
    LicenseTerms,
    LicenseTermsInvalid,
    sign_license,
    vendor_keys,
)
from omnix.shared.tiers import Limit, Tier, spec

USAGE_ERROR = 2


def default_state_dir() -> Path:
    """The agent's state directory: systemd's StateDirectory=, /var/lib/omnix for root, else
    the user's data directory (ARCHITECTURE §5)."""
    systemd_dirs = os.environ.get("STATE_DIRECTORY")
    if systemd_dirs:
        return Path(systemd_dirs.split(":")[0])
    if os.geteuid() == 0:
        return Path("/var/lib/omnix")
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "omnix"


def _fail(message: str, *, hint: str) -> NoReturn:
    click.echo(f"error: {message}\n  what to do: {hint}", err=True)
    sys.exit(USAGE_ERROR)


state_dir_option = click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Agent state directory (default: $STATE_DIRECTORY, /var/lib/omnix as root, "
    "else ~/.local/share/omnix).",
)


@click.group(name="license")
def command() -> None:
    """Issue, install and show license keys (docs/licensing.md)."""


@command.command()
@click.option(
    "--signing-key",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Ed25519 private key (PEM, PKCS#8, unencrypted) to sign with.",
)
@click.option(
    "--tier", required=True, type=click.Choice([t.value for t in Tier], case_sensitive=False)
)
@click.option("--customer", required=True, help="Customer name (at most 64 bytes of UTF-8).")
@click.option(
    "--expires",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day (UTC) the license holds; it expires at the following midnight UTC.",
)
@click.option("--seats", type=click.IntRange(min=1), default=None, help="Users allowed.")
def issue(
    signing_key: Path, tier: str, customer: str, expires: datetime, seats: int | None
) -> None:
    """Sign a license and print its key. Only keys signed by the Omnix vendor key are trusted."""
    private_key = _load_signing_key(signing_key)
    chosen = Tier(tier.lower())
    users = spec(chosen).limit(Limit.USERS)
    if seats is not None and users is not None and seats > users:
        _fail(
            f"the {chosen.title} tier allows at most {users} users, not {seats}",
            hint="lower --seats or choose a higher --tier",
        )
    issued = datetime.now(UTC).replace(microsecond=0)
    ends = datetime.combine(date(expires.year, expires.month, expires.day), time(), UTC)
    ends += timedelta(days=1)
    if ends <= issued:
        _fail(f"--expires {expires:%Y-%m-%d} is already past", hint="give a future date")
    try:
        terms = LicenseTerms(customer, chosen, issued, ends, seats)
    except LicenseTermsInvalid as exc:
        _fail(str(exc), hint="fix --customer, --expires or --seats")
    click.echo(sign_license(terms, private_key))
    vendor = {k.public_bytes_raw() for k in vendor_keys()}
    if private_key.public_key().public_bytes_raw() not in vendor:
        click.echo(
            "note: this key is not the Omnix vendor key; omnix-agent will refuse the license",
            err=True,
        )


def _load_signing_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except TypeError:
        _fail(f"{path} is encrypted", hint="give an unencrypted PEM private key")
    except (ValueError, OSError) as exc:
        _fail(f"{path} is not a readable PEM private key ({exc})", hint="give an Ed25519 PEM key")
    if not isinstance(key, Ed25519PrivateKey):
        _fail(
            f"{path} is not an Ed25519 key",
            hint="generate one with `openssl genpkey -algorithm ed25519`",
        )
    return key


@command.command()
@click.argument("key")
@state_dir_option
def install(key: str, state_dir: Path | None) -> None:
    """Verify KEY and install it for this agent ("-" reads the key from stdin)."""
    text = sys.stdin.read() if key == "-" else key
    store = LicenseStore(state_dir or default_state_dir())
    previous = store.status(now=datetime.now(UTC)).license
    try:
        status = store.install(text, now=datetime.now(UTC))
    except InvalidLicenseKey as exc:
        _fail(f"the license key is not valid: {exc.reason}", hint=exc.hint)
    except LicenseNotInstallable as exc:
        _fail(str(exc), hint="ask Omnix for a renewed key and install that")
    except OSError as exc:
        _fail(f"cannot write {store.path}: {exc}", hint="check --state-dir and its permissions")
    click.echo(f"installed in {store.path}: {status.summary()}")
    new = status.license
    if previous is not None and new is not None and previous.fingerprint != new.fingerprint:
        click.echo(
            f"replaced the {previous.tier.title} license for {previous.terms.customer} "
            f"(id {previous.terms.license_id})"
        )
    if status.state is LicenseState.EXPIRING:
        click.echo("warning: this license expires within 14 days", err=True)


@command.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@state_dir_option
def show(as_json: bool, state_dir: Path | None) -> None:
    """Show the license in force: tier, customer, seats, expiry, features and limits."""
    store = LicenseStore(state_dir or default_state_dir())
    entitlements = Entitlements(store.status(now=datetime.now(UTC)))
    if as_json:
        click.echo(json.dumps(license_report(entitlements, store.path), indent=2))
    else:
        click.echo(format_report(entitlements, store.path))
