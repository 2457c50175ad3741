"""`omnix usage [--by pipeline|node|day|agent|lang|run] [--since T] [--until T] [--json|--csv]`:
what node attempts used, from the agent's usage records."""

from __future__ import annotations

import csv
import json
import sys
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import click
from omnix.tui.cli.agent_options import agent_client, agent_option
from omnix.tui.cli.times import Since
from omnix.v1 import usage_pb2

GROUPINGS = {
    "pipeline": usage_pb2.USAGE_GROUPING_PIPELINE,
    "node": usage_pb2.USAGE_GROUPING_NODE,
    "day": usage_pb2.USAGE_GROUPING_DAY,
    "agent": usage_pb2.USAGE_GROUPING_AGENT,
    "lang": usage_pb2.USAGE_GROUPING_LANG,
    "run": usage_pb2.USAGE_GROUPING_RUN,
}
FIELDS = (
    "runs",
    "attempts",
    "failed_attempts",
    "wall_ms",
    "queue_wait_ms",
    "cpu_ms",
    "peak_rss_bytes",
    "bytes_in",
    "bytes_out",
    "log_bytes",
    "memory_byte_ms",
    "rows_in",
    "rows_out",
)


@click.command()
@click.option(
    "--by",
    type=click.Choice(list(GROUPINGS)),
    default="pipeline",
    show_default=True,
    help="Sum per pipeline, per node, per UTC day, per agent, per language or per run.",
)
@click.option("--since", type=Since(), help="From then: 2026-11-01, 2026-11-01T06:00, 2h, 7d.")
@click.option("--until", type=Since(), help="Up to then (same forms).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of rows.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV with a header row.")
@agent_option
def command(
    by: str,
    since: float | None,
    until: float | None,
    as_json: bool,
    as_csv: bool,
    agent: str | None,
) -> None:
    """Show what node attempts used (wall and CPU time, peak memory, rows and bytes in and
    out, log bytes), summed per pipeline or as --by says, largest CPU first."""
    if as_json and as_csv:
        raise click.UsageError("give --json or --csv, not both")
    request = usage_pb2.GetUsageRequest(group_by=GROUPINGS[by], since=since or 0, until=until or 0)
    with agent_client(agent) as client:
        reply = client.call(client.usage.GetUsage, request)
    names = list(reply.key_names)
    priced = reply.priced
    fields = [*FIELDS, "cost", "currency"] if priced else list(FIELDS)
    rows: list[dict[str, Any]] = [
        {
            **dict(zip(names, row.key, strict=True)),
            **{field: getattr(row, field) for field in FIELDS},
            # Decimal text, never a float: totals add up to the last digit.
            **({"cost": row.cost, "currency": reply.currency} if priced else {}),
        }
        for row in reply.rows
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=[*names, *fields], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return
    if not rows:
        click.echo("no usage recorded in that range", err=True)
        return
    _table(names, rows, reply.currency if priced else None)


def _table(names: list[str], rows: list[dict[str, Any]], currency: str | None) -> None:
    headers = [
        *names,
        "runs",
        "attempts",
        "failed",
        "wall",
        "queued",
        "cpu",
        "peak mem",
        "rows out",
        "out",
    ]
    if currency is not None:
        headers.append(f"cost {currency}".strip())
    cells = [
        [
            *(str(row[name]) for name in names),
            str(row["runs"]),
            str(row["attempts"]),
            str(row["failed_attempts"]),
            _seconds(row["wall_ms"]),
            _seconds(row["queue_wait_ms"]),
            _seconds(row["cpu_ms"]),
            _bytes(row["peak_rss_bytes"]),
            f"{row['rows_out']:,}",
            _bytes(row["bytes_out"]),
            *([_cents(row["cost"])] if currency is not None else []),
        ]
        for row in rows
    ]
    if currency is not None:
        total = sum((Decimal(row["cost"]) for row in rows), Decimal(0))
        cells.append(["total", *([""] * (len(headers) - 2)), _cents(str(total))])
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    keys = len(names)

    def line(values: list[str]) -> str:
        return "  ".join(
            v.ljust(w) if i < keys else v.rjust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    click.echo(line(headers))
    for row_cells in cells:
        click.echo(line(row_cells))


def _cents(amount: str) -> str:
    return str(Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.3f}s"


def _bytes(count: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} B"
