"""`omnix-agent license issue | install | show`: make, install and inspect license keys."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import NoReturn

import click
import grpc
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from omnix.agent.config import DB_FILE, load_config, resolve_state_dir
from omnix.agent.errors import ConfigError, LicenseNotInstallable
from omnix.agent.licensing.entitlements import Entitlements
from omnix.agent.licensing.keyfile import LICENSE_FILE, LicenseStore
from omnix.agent.licensing.report import LicenseReport, format_document, license_report
from omnix.agent.licensing.wire import report_from_message
from omnix.agent.store.usage import read_store
from omnix.shared.client import AgentAddress, AgentClient
from omnix.shared.license_status import LicenseState
from omnix.shared.licensing import (
    InvalidLicenseKey,
    LicenseTerms,
    LicenseTermsInvalid,
    sign_license,
    vendor_keys,
)
from omnix.shared.paths import socket_path
from omnix.shared.tiers import Limit, Tier, spec
from omnix.v1 import license_pb2

USAGE_ERROR = 2
CALL_S = 5.0


def state_dir_from_option(flag: Path | None) -> Path:
    """The state dir by the one rule every agent command uses (`resolve_state_dir`)."""
    try:
        return resolve_state_dir(str(flag) if flag else None, load_config(None))
    except ConfigError as exc:
        _fail(str(exc), hint="fix the config file, or name the state dir with --state-dir")


def _fail(message: str, *, hint: str) -> NoReturn:
    click.echo(f"error: {message}\n  what to do: {hint}", err=True)
    sys.exit(USAGE_ERROR)


state_dir_option = click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Agent state directory (default: state_dir in the config, $OMNIX_STATE_DIR, "
    "$STATE_DIRECTORY, /var/lib/omnix as root, else ~/.local/share/omnix).",
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
    """Verify KEY and install it for this agent ("-" reads the key from stdin).

    Through the running agent when one answers on the state dir's socket (it takes effect at
    once), else into the state dir for the agent's next start."""
    text = sys.stdin.read() if key == "-" else key
    state = state_dir_from_option(state_dir)
    with running_agent(state) as client:
        if client is not None and _install_through_agent(client, text, state):
            return
        agent_running = client is not None
    store = LicenseStore(state)
    usage = read_store(state)
    newest = usage[1] if usage is not None else None
    previous = store.status(now=datetime.now(UTC), newest_recorded=newest).license
    try:
        status = store.install(text, now=datetime.now(UTC), newest_recorded=newest)
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
    if agent_running:
        click.echo(
            "note: the running agent could not take the key itself; restart it "
            "(omnix-agent stop, then start it again) for the license to take effect",
            err=True,
        )


def _install_through_agent(client: AgentClient, key: str, state_dir: Path) -> bool:
    """Install `key` through the agent; False when the agent cannot take it (an older agent
    without LicenseService, or one shutting down), so the caller writes the file instead."""
    try:
        reply = client.license.InstallLicense(
            license_pb2.InstallLicenseRequest(key=key), timeout=CALL_S
        )
    except grpc.RpcError as exc:
        if exc.code() in (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.UNAVAILABLE):
            return False
        hint = (
            "ask Omnix for a renewed key and install that"
            if exc.code() == grpc.StatusCode.FAILED_PRECONDITION
            else "copy the whole key as issued and try again"
        )
        _fail(f"the agent refused the key: {exc.details()}", hint=hint)
    info = reply.license
    click.echo(
        f"installed through the running agent, in force now ({state_dir / LICENSE_FILE}): "
        f"{info.message}"
    )
    if reply.replaced:
        click.echo(f"replaced {reply.replaced}")
    if info.state == license_pb2.LICENSE_STATE_EXPIRING:
        click.echo("warning: this license expires within 14 days", err=True)
    return True


@command.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@state_dir_option
def show(as_json: bool, state_dir: Path | None) -> None:
    """Show the license in force: tier, customer, seats, expiry, features, limits and today's
    usage (from the running agent when one answers, else read from its store file)."""
    state = state_dir_from_option(state_dir)
    report: LicenseReport | None = None
    with running_agent(state) as client:
        if client is not None:
            report = _report_from_agent(client, state)
    if report is None:
        report = _report_from_files(state)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        click.echo(format_document(report))


def _report_from_agent(client: AgentClient, state_dir: Path) -> LicenseReport | None:
    try:
        reply = client.license.GetLicense(license_pb2.GetLicenseRequest(), timeout=CALL_S)
    except grpc.RpcError:
        return None  # An older agent without the service, or one going away: read the files.
    return report_from_message(
        reply.license,
        str(state_dir / LICENSE_FILE),
        usage_source=f"the running agent at unix:{socket_path(state_dir)}",
    )


def _report_from_files(state_dir: Path) -> LicenseReport:
    store = LicenseStore(state_dir)
    read = read_store(state_dir)
    usage, newest = read if read is not None else (None, None)
    entitlements = Entitlements(store.status(now=datetime.now(UTC), newest_recorded=newest))
    source = (
        f"the store file {state_dir / DB_FILE} (read-only; no agent answers)"
        if read is not None
        else "none (no agent answers and there is no store)"
    )
    return dataclasses.replace(license_report(entitlements, store.path, usage), usage_source=source)


@contextlib.contextmanager
def running_agent(state_dir: Path) -> Iterator[AgentClient | None]:
    """A client of the agent serving `state_dir`'s socket, or None when none answers."""
    socket = socket_path(state_dir)
    if not socket.exists():
        yield None
        return
    with AgentClient(AgentAddress(f"unix:{socket}"), timeout_s=CALL_S) as client:
        yield client if client.is_serving(CALL_S) else None
