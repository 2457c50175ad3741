"""`omnix-agent status`: what `systemctl status` would show, with Nagios exit codes.

The first line is always the Nagios plugin form (`OMNIX OK - ... | perfdata`). Exit codes:
0 OK, 1 WARNING (a warning alert fires, the store is unhealthy, the queue is long, the
license expires within 14 days or no longer holds, or a license limit such as the daily
executions is used up), 2 CRITICAL (a critical alert fires, or unreachable or not
serving), 3 UNKNOWN (the agent answered, but not as expected: refused the token, ...).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click
import grpc
from omnix.agent.config import TOKEN_FILE, load_config, resolve_state_dir
from omnix.agent.errors import ConfigError
from omnix.shared.client import AgentAddress, AgentClient, AgentUnreachable, describe_rpc_error
from omnix.shared.paths import socket_path
from omnix.v1 import agent_pb2, license_pb2

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
LABELS = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL", UNKNOWN: "UNKNOWN"}
LICENSE_WARNINGS = ("expiring", "expired", "invalid")
"""License states that make the status a WARNING: expiring within 14 days, or no longer
holding (the agent runs as Free). No license at all is the Free tier working as meant."""


def _token(state_dir: Path) -> str:
    token = os.environ.get("OMNIX_TOKEN", "")
    if token:
        return token
    try:
        return (state_dir / TOKEN_FILE).read_text().strip()
    except OSError:
        return ""


@dataclass(frozen=True, slots=True)
class AlertSummary:
    """An alert firing on the agent."""

    rule: str
    key: str
    severity: str
    message: str
    fired_at: float


@dataclass(frozen=True, slots=True)
class LimitUse:
    """Today's use of one license limit; `allowed` is None when unlimited."""

    used: int
    allowed: int | None


@dataclass(frozen=True, slots=True)
class LicenseSummary:
    """The license in force as the agent reports it."""

    tier: str
    state: str
    message: str
    days_left: int | None
    usage: dict[str, LimitUse]


@dataclass(frozen=True, slots=True)
class StoreSummary:
    """The agent's SQLite store."""

    ok: bool
    detail: str
    path: str
    size_bytes: int
    schema_version: int


@dataclass(frozen=True, slots=True)
class ScheduleSummary:
    """One scheduled pipeline; `next_fire_at` in epoch seconds, None when there is none."""

    pipeline: str
    paused: bool
    next_fire_at: float | None


@dataclass(frozen=True, slots=True)
class LanguageSummary:
    """A language the agent knows: its runtime's version, or why it cannot run."""

    language: str
    version: str
    problem: str
    licensed: bool
    tier_needed: str


@dataclass(frozen=True, slots=True)
class StatusDetails:
    """What an agent that answered reports; `--json` prints it field by field."""

    address: str
    version: str
    pid: int
    uptime_s: float
    state_dir: str
    listen_addresses: list[str]
    metrics_url: str
    alerts: list[AlertSummary]
    languages: list[LanguageSummary]
    pipelines: int
    running_runs: int
    queued_runs: int
    license_tier: str
    license: LicenseSummary | None
    """None from an agent without LicenseService."""
    store: StoreSummary
    schedules: list[ScheduleSummary]
    latency_ms: float


def probe(
    address: str, token: str, timeout_s: float, tls_ca: str = ""
) -> tuple[int, str, StatusDetails | None]:
    """(exit code, summary, details) for the agent at `address`."""
    started = time.monotonic()
    tls = "" if address.startswith("unix:") else tls_ca
    try:
        client = AgentClient(AgentAddress(address, token, tls), timeout_s=timeout_s)
    except AgentUnreachable as exc:
        return UNKNOWN, str(exc), None
    with client:
        try:
            serving = client.health(timeout_s)
        except grpc.RpcError as exc:
            return CRITICAL, f"no agent answers at {address} ({exc.code().name})", None
        if not serving:
            return CRITICAL, f"agent at {address} is not serving (draining?)", None
        try:
            reply = client.agent.GetStatus(
                agent_pb2.GetStatusRequest(), timeout=timeout_s, metadata=client.metadata
            )
        except grpc.RpcError as exc:
            message = f"agent at {address} refused GetStatus: {describe_rpc_error(exc)}"
            return UNKNOWN, message, None
        license = _license(client, timeout_s)
    latency_ms = (time.monotonic() - started) * 1000
    details = StatusDetails(
        address=address,
        version=reply.version,
        pid=reply.pid,
        uptime_s=round(reply.uptime_s, 3),
        state_dir=reply.state_dir,
        listen_addresses=list(reply.listen_addresses),
        metrics_url=reply.metrics_url,
        alerts=[
            AlertSummary(a.rule, a.key, a.severity, a.message, a.fired_at) for a in reply.alerts
        ],
        languages=[
            LanguageSummary(x.language, x.version, x.problem, x.licensed, x.tier_needed)
            for x in reply.languages
        ],
        pipelines=reply.pipelines,
        running_runs=reply.running_runs,
        queued_runs=reply.queued_runs,
        license_tier=reply.license_tier,
        license=license,
        store=StoreSummary(
            ok=reply.store.ok,
            detail=reply.store.detail,
            path=reply.store.path,
            size_bytes=reply.store.size_bytes,
            schema_version=reply.store.schema_version,
        ),
        schedules=[
            ScheduleSummary(
                pipeline=s.pipeline_name, paused=s.paused, next_fire_at=s.next_fire_at or None
            )
            for s in reply.schedules
        ],
        latency_ms=round(latency_ms, 2),
    )
    return OK, "", details


def _license(client: AgentClient, timeout_s: float) -> LicenseSummary | None:
    """The license in force and today's usage, or None from an agent without LicenseService."""
    try:
        info = client.license.GetLicense(
            license_pb2.GetLicenseRequest(), timeout=timeout_s, metadata=client.metadata
        ).license
    except grpc.RpcError:
        return None
    return LicenseSummary(
        tier=info.tier,
        state=license_pb2.LicenseState.Name(info.state).removeprefix("LICENSE_STATE_").lower(),
        message=info.message,
        days_left=info.days_left if info.HasField("days_left") else None,
        usage={
            limit.name: LimitUse(
                used=limit.used, allowed=limit.allowed if limit.HasField("allowed") else None
            )
            for limit in info.limits
            if limit.HasField("used")
        },
    )


def evaluate(details: StatusDetails, warn_queued: int) -> tuple[int, str]:
    """WARNING when the store is unhealthy, the queue reaches `warn_queued`, or the license
    expires within 14 days or no longer holds (the agent degraded to Free); else OK."""
    critical = [alert for alert in details.alerts if alert.severity == "critical"]
    if critical:
        more = f" (+{len(details.alerts) - 1} more alerts)" if len(details.alerts) > 1 else ""
        return CRITICAL, f"alert {critical[0].rule}: {critical[0].message}{more}"
    if not details.store.ok:
        return WARNING, f"store unhealthy: {details.store.detail}"
    if details.queued_runs >= warn_queued:
        return WARNING, f"{details.queued_runs} runs queued"
    license = details.license
    if license is not None and license.state in LICENSE_WARNINGS:
        return WARNING, f"license {license.state}: {license.message}"
    if license is not None:
        for name, use in license.usage.items():
            if use.allowed is not None and use.used >= use.allowed:
                return WARNING, (
                    f"license limit reached: {name} {use.used:,} of {use.allowed:,}; new runs "
                    f"and scheduled fires are refused until it resets or a higher tier is "
                    f"installed (tier {license.tier})"
                )
    if details.alerts:
        first = details.alerts[0]
        more = f" (+{len(details.alerts) - 1} more)" if len(details.alerts) > 1 else ""
        return WARNING, f"alert {first.rule}: {first.message}{more}"
    return OK, (
        f"agent {details.version} up {details.uptime_s:.0f}s, "
        f"{details.running_runs} running, {details.queued_runs} queued"
    )


def perfdata(details: StatusDetails | None) -> str:
    """The Nagios performance data after `|`; license usage as `runs_today=USED;;;0;LIMIT`
    (the maximum left out when unlimited)."""
    if details is None:
        return ""
    text = (
        f" | running={details.running_runs} queued={details.queued_runs}"
        f" pipelines={details.pipelines} uptime={details.uptime_s}s"
        f" latency={details.latency_ms}ms store_bytes={details.store.size_bytes}B"
    )
    if details.license is not None:
        runs = details.license.usage.get("executions per day")
        if runs is not None:
            allowed = "" if runs.allowed is None else str(runs.allowed)
            text += f" runs_today={runs.used};;;0;{allowed}"
    return text


def license_line(license: LicenseSummary | None) -> str:
    """The `license:` line of the text form."""
    if license is None:
        return "unknown (the agent does not report it)"
    used = ", ".join(
        f"{name} {u.used:,}" + ("" if u.allowed is None else f" of {u.allowed:,}")
        for name, u in license.usage.items()
    )
    return f"{license.tier} ({license.state}) - {license.message}" + (
        f"; today: {used}" if used else ""
    )


@click.command()
@click.option("--address", help="unix:/path or host:port (default: the state dir's socket).")
@click.option("--state-dir", help="The agent's state dir, to find its socket and token.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML config.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--nagios", is_flag=True, help="Print only the one-line Nagios form.")
@click.option("--timeout", default=5.0, show_default=True, help="Seconds per call.")
@click.option("--warn-queued", default=100, show_default=True, help="WARNING at this queue.")
@click.option(
    "--tls-ca",
    envvar="OMNIX_TLS_CA",
    default="",
    help="PEM CA of a TLS listener's certificate (default: $OMNIX_TLS_CA).",
)
def command(
    address: str | None,
    state_dir: str | None,
    config_path: str | None,
    as_json: bool,
    nagios: bool,
    timeout: float,
    warn_queued: int,
    tls_ca: str,
) -> None:
    """Is the agent up, and how is it? Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."""
    try:
        state = resolve_state_dir(state_dir, load_config(config_path))
    except ConfigError as exc:
        click.echo(f"OMNIX UNKNOWN - {exc}")
        sys.exit(UNKNOWN)
    target = address or f"unix:{socket_path(state)}"
    code, summary, details = probe(target, _token(state), timeout, tls_ca)
    if details is not None:
        code, summary = evaluate(details, warn_queued)
    if as_json:
        fields = dataclasses.asdict(details) if details is not None else {}
        click.echo(json.dumps({"status": LABELS[code], "summary": summary, **fields}))
        sys.exit(code)
    click.echo(f"OMNIX {LABELS[code]} - {summary}{perfdata(details)}")
    if details is not None and not nagios:
        _print_details(details)
    sys.exit(code)


def _language(item: LanguageSummary) -> str:
    text = f"{item.language} {item.version}".rstrip()
    return text if item.licensed else f"{text} (needs {item.tier_needed or 'another tier'})"


def _print_details(details: StatusDetails) -> None:
    click.echo(f"  address:    {details.address} (pid {details.pid})")
    click.echo(f"  listening:  {', '.join(details.listen_addresses)}")
    if details.metrics_url:
        click.echo(f"  metrics:    {details.metrics_url}")
    for alert in details.alerts:
        click.echo(f"  alert:      {alert.severity} {alert.rule}: {alert.message}")
    click.echo(f"  state dir:  {details.state_dir}")
    store = details.store
    click.echo(
        f"  store:      {'ok' if store.ok else 'NOT OK'} - {store.detail} "
        f"({store.size_bytes} bytes, schema {store.schema_version})"
    )
    click.echo(f"  pipelines:  {details.pipelines}")
    runs = [item for item in details.languages if not item.problem]
    if runs:
        click.echo("  languages:  " + ", ".join(_language(item) for item in runs))
    for item in details.languages:
        if item.problem:
            click.echo(f"  cannot run: {item.language} - {item.problem}")
    click.echo(f"  runs:       {details.running_runs} running, {details.queued_runs} queued")
    click.echo(f"  license:    {license_line(details.license)}")
    for schedule in details.schedules:
        when = schedule.next_fire_at
        next_fire = (
            "paused"
            if schedule.paused
            else time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(when))
            if when
            else "-"
        )
        click.echo(f"  schedule:   {schedule.pipeline} next {next_fire}")
