"""The alert monitor: judges every rule, opens an incident when a condition begins and
closes it when it ends, so each alert fires once per incident; delivers both."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from omnix.agent.alerts import sinks
from omnix.agent.alerts.rules import Facts, Rule, findings
from omnix.agent.store.db import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Incident:
    """An alert that is firing (or was): which rule, for what, since when."""

    rule: str
    key: str
    severity: str
    message: str
    fired_at: float
    cleared_at: float | None = None

    def to_json(self, state: str) -> dict[str, Any]:
        return {
            "state": state,
            "rule": self.rule,
            "key": self.key,
            "severity": self.severity,
            "message": self.message,
            "fired_at": self.fired_at,
            "cleared_at": self.cleared_at,
        }


class AlertMonitor:
    """Checks `rules` when asked (`check`) and every `interval_s` (`run`)."""

    def __init__(
        self,
        store: Store,
        rules: Sequence[Rule],
        facts: Callable[[], Awaitable[Facts]],
        *,
        command: Sequence[str] = (),
        webhook: str = "",
        interval_s: float = 15.0,
        webhook_delays_s: Sequence[float] = sinks.WEBHOOK_DELAYS_S,
    ) -> None:
        self._store = store
        self._rules = list(rules)
        self._facts = facts
        self._command = list(command)
        self._webhook = webhook
        self._interval_s = interval_s
        self._webhook_delays_s = webhook_delays_s
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._deliveries: set[asyncio.Task[None]] = set()

    def poke(self) -> None:
        """Check again soon (a run ended)."""
        self._wake.set()

    async def run(self) -> None:
        """Check now, then whenever poked or `interval_s` passed; until cancelled."""
        while True:
            try:
                await self.check()
            except Exception as exc:  # Alerting must never take the agent down.
                log.warning("checking alert rules failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval_s)
            self._wake.clear()

    async def check(self) -> list[Incident]:
        """Judge every rule; open and close incidents; the ones firing now."""
        async with self._lock:
            facts = await self._facts()
            now = time.time()
            open_rows = await self._store.fetch_all(
                "SELECT rule, key, severity, message, fired_at FROM alerts WHERE cleared_at IS NULL"
            )
            current = {(r["rule"], r["key"]): Incident(**dict(r)) for r in open_rows}
            holding: set[tuple[str, str]] = set()
            for rule in self._rules:
                for found in await findings(rule, self._store, facts, now):
                    ident = (rule.name, found.key)
                    holding.add(ident)
                    if ident not in current:
                        incident = Incident(rule.name, found.key, rule.severity, found.message, now)
                        await self._store.write(
                            (
                                "INSERT INTO alerts (rule, key, severity, message, fired_at)"
                                " VALUES (?, ?, ?, ?, ?)",
                                (
                                    incident.rule,
                                    incident.key,
                                    incident.severity,
                                    incident.message,
                                    now,
                                ),
                            )
                        )
                        current[ident] = incident
                        log.warning("alert %s (%s): %s", rule.name, rule.severity, found.message)
                        self._deliver(incident.to_json("firing"))
            for ident, incident in list(current.items()):
                if ident in holding:
                    continue
                await self._store.write(
                    (
                        "UPDATE alerts SET cleared_at = ? WHERE rule = ? AND key = ?"
                        " AND cleared_at IS NULL",
                        (now, incident.rule, incident.key),
                    )
                )
                del current[ident]
                log.info("alert %s cleared: %s", incident.rule, incident.key)
                self._deliver(dataclasses.replace(incident, cleared_at=now).to_json("cleared"))
            return sorted(current.values(), key=lambda i: i.fired_at)

    async def firing(self) -> list[Incident]:
        """The incidents open now, oldest first."""
        rows = await self._store.fetch_all(
            "SELECT rule, key, severity, message, fired_at FROM alerts WHERE cleared_at IS NULL"
            " ORDER BY fired_at"
        )
        return [Incident(**dict(row)) for row in rows]

    def _deliver(self, alert: dict[str, Any]) -> None:
        if self._command:
            self._track(sinks.run_command(self._command, alert))
        if self._webhook:
            self._track(sinks.post_webhook(self._webhook, alert, self._webhook_delays_s))

    def _track(self, delivery: Awaitable[object]) -> None:
        async def deliver() -> None:
            await delivery

        task = asyncio.create_task(deliver())
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def close(self) -> None:
        """Let deliveries under way finish (briefly), then stop them."""
        if self._deliveries:
            _, pending = await asyncio.wait(self._deliveries, timeout=2)
            for task in pending:
                task.cancel()
