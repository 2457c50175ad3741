"""Alert rules as `agent.toml` writes them, checked, and what each one finds now.

    alerts = [
      { rule = "pipeline_failures", failures = 3 },                 # any pipeline
      { rule = "pipeline_failures", pipeline = "sales", failures = 1, severity = "critical" },
      { rule = "run_longer_than", seconds = 600 },
      { rule = "daily_executions", percent = 80 },                  # of the license's limit
      { rule = "cost_per_day", amount = "25.00" },                  # needs [prices]
    ]

Without `alerts`, the agent watches the daily execution limit at 80 % and 100 % (both
warnings). A rule's finding is keyed (by pipeline, by run): each key that holds is
an incident of its own.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from omnix.agent.alerts.anomaly import HISTORY, baseline, describe, is_anomalous
from omnix.agent.config import PriceTable
from omnix.agent.errors import ConfigError
from omnix.agent.metrics.cost import cost
from omnix.agent.store import metering
from omnix.agent.store.db import Store
from omnix.agent.store.usage import utc_midnight
from omnix.shared.status import RunStatus

Severity = Literal["warning", "critical"]
RULES = (
    "pipeline_failures",
    "run_longer_than",
    "daily_executions",
    "cost_per_day",
    "duration_anomaly",
)
_FIELDS: dict[str, dict[str, type]] = {
    "pipeline_failures": {"pipeline": str, "failures": int},
    "run_longer_than": {"pipeline": str, "seconds": float},
    "daily_executions": {"percent": float},
    "cost_per_day": {"amount": str},
    "duration_anomaly": {"pipeline": str},
}


@dataclass(frozen=True, slots=True)
class Rule:
    """One checked rule."""

    rule: str
    severity: Severity
    pipeline: str = ""
    failures: int = 1
    seconds: float = 0.0
    percent: float = 0.0
    amount: Decimal = Decimal(0)

    @property
    def name(self) -> str:
        """The rule as the alert names it: `pipeline_failures`, `daily_executions@80`."""
        detail = {
            "pipeline_failures": self.pipeline,
            "run_longer_than": f"{self.seconds:g}s",
            "daily_executions": f"{self.percent:g}%",
            "cost_per_day": str(self.amount),
            "duration_anomaly": self.pipeline,
        }[self.rule]
        return f"{self.rule}@{detail}" if detail else self.rule


DEFAULT_RULES = (
    Rule("daily_executions", "warning", percent=80),
    # A warning, as the status has it: runs are refused, the agent itself is sound.
    Rule("daily_executions", "warning", percent=100),
)


def parse_rules(entries: list[Any], source: str, prices: PriceTable | None) -> tuple[Rule, ...]:
    """The `alerts` list, checked; ConfigError says which entry is wrong and why."""
    if not entries:
        return DEFAULT_RULES
    rules = []
    for index, entry in enumerate(entries, 1):
        where = f"{source}: alerts entry {index}"
        if not isinstance(entry, Mapping):
            raise ConfigError(f'{where}: write it as {{ rule = "...", ... }}')
        kind = entry.get("rule")
        if kind not in RULES:
            raise ConfigError(f"{where}: rule must be one of {', '.join(RULES)}, not {kind!r}")
        fields = _FIELDS[kind]
        unknown = sorted(set(entry) - {"rule", "severity", *fields})
        if unknown:
            raise ConfigError(
                f"{where}: unknown key {unknown[0]!r} for {kind} "
                f"(known: severity, {', '.join(fields)})"
            )
        severity = entry.get("severity", "warning")
        if severity not in ("warning", "critical"):
            raise ConfigError(f"{where}: severity must be warning or critical")
        values: dict[str, Any] = {}
        for key, expected in fields.items():
            if key not in entry:
                continue
            value = entry[key]
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, expected) or isinstance(value, bool):
                raise ConfigError(f"{where}: {key} must be a {expected.__name__}")
            values[key] = value
        rule = _rule(kind, severity, values, where, prices)
        rules.append(rule)
    return tuple(rules)


def _rule(
    kind: str, severity: Severity, values: dict[str, Any], where: str, prices: PriceTable | None
) -> Rule:
    if kind == "pipeline_failures":
        failures = values.get("failures", 1)
        if failures < 1:
            raise ConfigError(f"{where}: failures must be >= 1")
        return Rule(kind, severity, pipeline=values.get("pipeline", ""), failures=failures)
    if kind == "run_longer_than":
        if values.get("seconds", 0) <= 0:
            raise ConfigError(f"{where}: seconds must be > 0")
        return Rule(kind, severity, pipeline=values.get("pipeline", ""), seconds=values["seconds"])
    if kind == "duration_anomaly":
        return Rule(kind, severity, pipeline=values.get("pipeline", ""))
    if kind == "daily_executions":
        if not 0 < values.get("percent", 0) <= 1000:
            raise ConfigError(f"{where}: percent must be > 0 (80 is 80 % of the limit)")
        return Rule(kind, severity, percent=values["percent"])
    if prices is None:
        raise ConfigError(f"{where}: cost_per_day needs a price table (prices = {{ ... }})")
    try:
        amount = Decimal(values.get("amount", ""))
    except InvalidOperation:
        raise ConfigError(f'{where}: amount must be a decimal amount such as "25.00"') from None
    if not amount.is_finite() or amount <= 0:
        raise ConfigError(f"{where}: amount must be > 0")
    return Rule(kind, severity, amount=amount)


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule that holds, for one key (a pipeline, a run), and what it found."""

    key: str
    message: str


@dataclass(frozen=True, slots=True)
class Facts:
    """What rules about the license are judged with (read by the monitor's caller)."""

    executions_today: int
    executions_limit: int | None
    prices: PriceTable | None


async def findings(
    rule: Rule, store: Store, facts: Facts, now: float | None = None
) -> list[Finding]:
    """Where `rule` holds now."""
    moment = time.time() if now is None else now
    if rule.rule == "pipeline_failures":
        return await _failures(rule, store)
    if rule.rule == "run_longer_than":
        return await _long_runs(rule, store, moment)
    if rule.rule == "duration_anomaly":
        return await _slow_runs(rule, store)
    if rule.rule == "daily_executions":
        limit = facts.executions_limit
        if limit is None or limit <= 0:
            return []
        used = facts.executions_today
        if used * 100 < rule.percent * limit:
            return []
        return [
            Finding(
                "executions_per_day",
                f"{used:,} of {limit:,} executions today ({used * 100 / limit:.0f} %, "
                f"alert at {rule.percent:g} %)",
            )
        ]
    return await _cost_today(rule, store, facts.prices, moment)


async def _failures(rule: Rule, store: Store) -> list[Finding]:
    only = "pipeline = ? AND" if rule.pipeline else ""
    rows = await store.fetch_all(
        "SELECT pipeline, status, run_id FROM (SELECT pipeline, status, run_id,"
        " ROW_NUMBER() OVER (PARTITION BY pipeline ORDER BY seq DESC) AS newest FROM runs"
        f" WHERE {only} status IN (?, ?)) WHERE newest <= ? ORDER BY pipeline, newest",
        [
            *([rule.pipeline] if rule.pipeline else []),
            str(RunStatus.SUCCEEDED),
            str(RunStatus.FAILED),
            rule.failures,
        ],
    )
    recent: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        recent.setdefault(row["pipeline"], []).append((row["status"], row["run_id"]))
    found = []
    for pipeline, runs in recent.items():
        if len(runs) == rule.failures and all(status == RunStatus.FAILED for status, _ in runs):
            times = "the last run" if rule.failures == 1 else f"the last {rule.failures} runs"
            found.append(Finding(pipeline, f"{times} of {pipeline} failed (newest: {runs[0][1]})"))
    return found


async def _slow_runs(rule: Rule, store: Store) -> list[Finding]:
    """Each pipeline's newest succeeded run, judged against the ones before it."""
    only = "pipeline = ? AND" if rule.pipeline else ""
    rows = await store.fetch_all(
        "SELECT pipeline, run_id, finished_at - started_at AS took FROM (SELECT pipeline,"
        " run_id, started_at, finished_at, ROW_NUMBER() OVER (PARTITION BY pipeline ORDER BY"
        f" seq DESC) AS newest FROM runs WHERE {only} status = ? AND started_at IS NOT NULL"
        " AND finished_at IS NOT NULL) WHERE newest <= ? ORDER BY pipeline, newest",
        [*([rule.pipeline] if rule.pipeline else []), str(RunStatus.SUCCEEDED), HISTORY + 1],
    )
    runs: dict[str, list[tuple[str, float]]] = {}
    for row in rows:
        runs.setdefault(row["pipeline"], []).append((row["run_id"], float(row["took"])))
    found = []
    for pipeline, recent in runs.items():
        (run_id, took), earlier = recent[0], [t for _, t in recent[1:]]
        base = baseline(earlier)
        if base is not None and is_anomalous(took, base):
            found.append(Finding(run_id, describe(f"run {run_id[:12]} of {pipeline}", took, base)))
    return found


async def _long_runs(rule: Rule, store: Store, now: float) -> list[Finding]:
    where = "AND pipeline = ?" if rule.pipeline else ""
    rows = await store.fetch_all(
        f"SELECT run_id, pipeline, started_at FROM runs WHERE status = ? {where}"
        " AND started_at IS NOT NULL AND started_at < ?",
        [str(RunStatus.RUNNING), *([rule.pipeline] if rule.pipeline else []), now - rule.seconds],
    )
    return [
        Finding(
            row["run_id"],
            f"run {row['run_id'][:12]} of {row['pipeline']} has been running for "
            f"{now - row['started_at']:.0f}s (alert after {rule.seconds:g}s)",
        )
        for row in rows
    ]


async def _cost_today(
    rule: Rule, store: Store, prices: PriceTable | None, now: float
) -> list[Finding]:
    if prices is None:
        return []
    midnight = utc_midnight(datetime.fromtimestamp(now, UTC)).timestamp()
    totals = await metering.usage_totals(store, "agent", since=midnight)
    spent = sum((cost(total, prices) for total in totals), Decimal(0))
    if spent < rule.amount:
        return []
    currency = f" {prices.currency}" if prices.currency else ""
    return [
        Finding("today", f"today's cost is {spent}{currency}, at or over {rule.amount}{currency}")
    ]
