"""Alerts: each rule fires once per incident and clears when its condition ends; the
command sink gets every change as JSON on stdin, the webhook gets it POSTed, with retries
when the receiver fails; `omnix-agent status` is WARNING or CRITICAL while one fires."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import pytest_asyncio
from omnix.agent.alerts.rules import DEFAULT_RULES, Facts, Rule, findings, parse_rules
from omnix.agent.alerts.sinks import post_webhook
from omnix.agent.config import PriceTable
from omnix.agent.errors import ConfigError
from omnix.agent.store import metering
from omnix.agent.store.db import Store
from omnix.agent.store.metering import NodeUsage

from tests.agent.agents import AgentFactory, RunningAgent, environment

OMNIX = Path(sys.executable).with_name("omnix")
AGENT = Path(sys.executable).with_name("omnix-agent")
FAILING = 'omnix: 1\nname: nightly\nnodes:\n  - {id: a, lang: python, code: "1/0"}\n'
PASSING = 'omnix: 1\nname: nightly\nnodes:\n  - {id: a, lang: python, code: "1"}\n'


class Receiver(BaseHTTPRequestHandler):
    """A webhook receiver on loopback that fails its first `failures` requests."""

    failures = 0
    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).bodies.append(body)
        status = 500 if len(type(self).bodies) <= type(self).failures else 204
        self.send_response(status)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[Receiver]]]:
    handler = type("Handler", (Receiver,), {"bodies": [], "failures": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    server.shutdown()
    server.server_close()


def eventually(check: Callable[[], bool], limit_s: float = 20) -> None:
    """Poll what the agent wrote (its deliveries run on their own, with no event to await)."""
    deadline = time.monotonic() + limit_s
    while not check():
        assert time.monotonic() < deadline, "not seen in time"
        time.sleep(0.05)


def run(agent: RunningAgent, tmp_path: Path, source: str) -> None:
    path = tmp_path / "nightly.yaml"
    path.write_text(source)
    subprocess.run(
        [str(OMNIX), "run", str(path), "--agent", agent.address],
        capture_output=True,
        env=environment(),
        timeout=60,
    )


def status(agent: RunningAgent) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AGENT), "status", "--state-dir", str(agent.state_dir)],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=30,
    )


def test_a_failing_pipeline_fires_once_and_clears_when_it_succeeds(
    agent_factory: AgentFactory, tmp_path: Path, receiver: tuple[str, type[Receiver]]
) -> None:
    url, handler = receiver
    sink = tmp_path / "alerts.jsonl"
    script = tmp_path / "sink.sh"
    script.write_text(f"#!/bin/sh\ncat >> {sink}\necho >> {sink}\n")
    script.chmod(0o755)
    config = tmp_path / "agent.toml"
    config.write_text(
        'alerts = [ { rule = "pipeline_failures", failures = 2, severity = "critical" } ]\n'
        f'alert_command = ["{script}"]\nalert_webhook = "{url}"\nalert_check_s = 0.2\n'
    )
    agent = agent_factory(None, "--config", str(config))

    def delivered() -> list[dict[str, Any]]:
        return [json.loads(line) for line in sink.read_text().splitlines()] if sink.exists() else []

    run(agent, tmp_path, FAILING)
    assert status(agent).returncode == 0  # one failure of the two the rule asks for
    run(agent, tmp_path, FAILING)
    eventually(lambda: len(delivered()) == 1)
    fired = delivered()[0]
    assert (fired["state"], fired["rule"], fired["key"]) == (
        "firing",
        "pipeline_failures",
        "nightly",
    )
    assert "the last 2 runs of nightly failed" in fired["message"]
    checked = status(agent)
    assert checked.returncode == 2 and "alert pipeline_failures" in checked.stdout
    run(agent, tmp_path, FAILING)  # the same incident: no second alert
    run(agent, tmp_path, PASSING)
    eventually(lambda: len(delivered()) == 2)
    assert [a["state"] for a in delivered()] == ["firing", "cleared"]
    assert delivered()[1]["cleared_at"] >= delivered()[1]["fired_at"]
    assert status(agent).returncode == 0
    eventually(lambda: len(handler.bodies) == 2)
    assert [body["state"] for body in handler.bodies] == ["firing", "cleared"]


async def test_a_webhook_that_fails_is_retried_until_it_answers(
    receiver: tuple[str, type[Receiver]],
) -> None:
    url, handler = receiver
    handler.failures = 2
    attempts = await post_webhook(url, {"state": "firing"}, delays=(0.01, 0.01, 0.01))
    assert attempts == 3 and handler.bodies == [{"state": "firing"}] * 3


async def test_a_webhook_that_never_answers_gives_up_after_its_retries(
    receiver: tuple[str, type[Receiver]],
) -> None:
    url, handler = receiver
    handler.failures = 100
    assert await post_webhook(url, {"state": "firing"}, delays=(0.01, 0.01)) == 0
    assert len(handler.bodies) == 3


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "agent.db")
    yield opened
    await opened.close()


async def seed_run(store: Store, run_id: str, status: str, started_at: float) -> None:
    await store.write(
        (
            "INSERT INTO runs (run_id, pipeline, version, source, source_path, status,"
            " params_json, trigger, created_at, started_at) VALUES"
            " (?, 'etl', 0, '', '', ?, '{}', 'manual', ?, ?)",
            (run_id, status, started_at, started_at),
        )
    )


async def test_a_run_longer_than_the_limit_is_found_until_it_ends(store: Store) -> None:
    rule = Rule("run_longer_than", "warning", seconds=600)
    now = 10_000.0
    await seed_run(store, "long1", "running", now - 601)
    await seed_run(store, "short", "running", now - 10)
    facts = Facts(0, None, None)
    found = await findings(rule, store, facts, now)
    assert [f.key for f in found] == ["long1"] and "running for 601s" in found[0].message
    await store.write(("UPDATE runs SET status = 'succeeded' WHERE run_id = 'long1'", ()))
    assert await findings(rule, store, facts, now) == []


async def test_the_daily_limit_alerts_at_its_percent(store: Store) -> None:
    warning, critical = DEFAULT_RULES
    assert (warning.percent, critical.percent) == (80, 100)
    assert await findings(warning, store, Facts(79, 100, None)) == []
    assert [f.key for f in await findings(warning, store, Facts(80, 100, None))] == [
        "executions_per_day"
    ]
    assert await findings(critical, store, Facts(99, 100, None)) == []
    assert await findings(warning, store, Facts(10_000, None, None)) == []  # unlimited


async def test_a_cost_budget_alerts_once_todays_cost_reaches_it(store: Store) -> None:
    prices = PriceTable("EUR", Decimal("0.01"), Decimal(0), Decimal(0))
    rule = Rule("cost_per_day", "critical", amount=Decimal("0.05"))
    now = time.time()
    record = NodeUsage("r", "etl", "a", "python", 1, "a1", now, 10, 0, 4_000, 0, 0, 0, 0, "ok")
    await store.write(*metering.usage_ops(record))  # 4 CPU-seconds: 0.04 EUR
    assert await findings(rule, store, Facts(0, None, prices), now) == []
    await store.write(*metering.usage_ops(record))  # 0.08 EUR
    found = await findings(rule, store, Facts(0, None, prices), now)
    assert found[0].message == "today's cost is 0.080000 EUR, at or over 0.05 EUR"


def test_rules_are_checked_with_what_is_wrong_and_where() -> None:
    assert parse_rules([], "agent.toml", None) == DEFAULT_RULES
    with pytest.raises(ConfigError, match="alerts entry 1: rule must be one of"):
        parse_rules([{"rule": "disk_full"}], "agent.toml", None)
    with pytest.raises(ConfigError, match="alerts entry 2: unknown key 'secs' for run_longer"):
        parse_rules([{"rule": "run_longer_than", "seconds": 1}, {"rule": "run_longer_than",
                     "secs": 5}], "agent.toml", None)  # fmt: skip
    with pytest.raises(ConfigError, match="cost_per_day needs a price table"):
        parse_rules([{"rule": "cost_per_day", "amount": "5"}], "agent.toml", None)
    with pytest.raises(ConfigError, match="severity must be warning or critical"):
        parse_rules([{"rule": "pipeline_failures", "severity": "page"}], "agent.toml", None)
