"""The Prometheus endpoint of a real agent, scraped and read by prometheus-client's own
parser; and the metrics' rules (bounded labels, lateness) on their own."""

from __future__ import annotations

import shutil
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from omnix.agent.config import load_config
from omnix.agent.errors import ConfigError
from omnix.agent.metrics.collect import OTHER, AgentGauges, AgentMetrics, LicenseUsage
from omnix.shared.events import NodeStateChanged, RunStateChanged
from omnix.shared.pipeline import Pipeline, parse_pipeline
from omnix.shared.status import NodeStatus, RunStatus
from omnix.v1 import agent_pb2, agent_pb2_grpc, run_pb2
from prometheus_client.parser import text_string_to_metric_families

from tests.agent.agents import RunningAgent, spawn_agent

PIPELINE = """\
omnix: 1
name: measured
nodes:
  - {id: numbers, lang: python, code: "import pandas as pd; pd.DataFrame({'n': [1, 2]})"}
  - {id: total, lang: sql, needs: [numbers], code: "SELECT SUM(n) AS s FROM numbers"}
"""
FAILING = 'omnix: 1\nname: broken\nnodes:\n  - {id: bad, lang: python, code: "1/0"}\n'

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    with urllib.request.urlopen(url, timeout=10) as reply:
        text = reply.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def run(agent: RunningAgent, source: str) -> None:
    request = run_pb2.StartRunRequest(pipeline_source=source, source_path="/m/p.yaml")
    agent.wait_for_run(agent.runs().StartRun(request, timeout=10).run.run_id, timeout_s=60)


@pytest.fixture(scope="module")
def metrics_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningAgent, str]]:
    """An agent serving metrics on a free loopback port, after one run that succeeded and
    one that failed; and its metrics URL as `omnix-agent status` reports it."""
    root = Path(tempfile.mkdtemp(prefix="ox", dir="/tmp"))
    config = root / "agent.toml"
    config.write_text('metrics_listen = "127.0.0.1:0"\n')
    agent = spawn_agent(root / "agent", "--config", str(config))
    try:
        run(agent, PIPELINE)
        run(agent, FAILING)
        yield agent, status(agent).metrics_url
    finally:
        agent.close()
        shutil.rmtree(root, ignore_errors=True)


def status(agent: RunningAgent) -> agent_pb2.GetStatusResponse:
    stub = agent_pb2_grpc.AgentServiceStub(agent.channel())
    reply: agent_pb2.GetStatusResponse = stub.GetStatus(agent_pb2.GetStatusRequest(), timeout=10)
    return reply


def eventually(check: Callable[[], bool], limit_s: float = 20) -> None:
    """Poll the endpoint (the agent's own refresh has no event a test can await)."""
    deadline = time.monotonic() + limit_s
    while not check():
        assert time.monotonic() < deadline, "not seen in time"
        time.sleep(0.1)


def test_runs_are_counted_by_pipeline_status_and_trigger(
    metrics_agent: tuple[RunningAgent, str],
) -> None:
    samples = scrape(metrics_agent[1])
    ok = {"pipeline": "measured", "status": "succeeded", "trigger": "manual"}
    failed = {"pipeline": "broken", "status": "failed", "trigger": "manual"}
    assert value(samples, "omnix_runs_total", **ok) == 1
    assert value(samples, "omnix_runs_total", **failed) == 1


def test_node_durations_are_a_histogram_by_pipeline_and_language(
    metrics_agent: tuple[RunningAgent, str],
) -> None:
    samples = scrape(metrics_agent[1])
    for lang in ("python", "sql"):
        labels = {"pipeline": "measured", "lang": lang}
        assert value(samples, "omnix_node_duration_seconds_count", **labels) == 1
        assert (value(samples, "omnix_node_duration_seconds_sum", **labels) or 0) > 0
        assert value(samples, "omnix_node_duration_seconds_bucket", le="+Inf", **labels) == 1
        assert value(samples, "omnix_nodes_total", status="succeeded", **labels) == 1
    assert value(samples, "omnix_node_queue_wait_seconds_count", lang="python") == 2
    assert value(samples, "omnix_run_duration_seconds_count", pipeline="measured") == 1


def test_gauges_show_queue_workers_and_license_use_against_the_limit(
    metrics_agent: tuple[RunningAgent, str],
) -> None:
    url = metrics_agent[1]
    eventually(lambda: value(scrape(url), "omnix_license_usage", limit="executions_per_day") == 2)
    samples = scrape(url)
    assert value(samples, "omnix_runs_queued") == 0 and value(samples, "omnix_runs_running") == 0
    assert (value(samples, "omnix_workers", lang="python") or 0) >= 1
    assert (value(samples, "omnix_license_limit", limit="executions_per_day") or 0) > 2


def test_status_names_the_metrics_url(metrics_agent: tuple[RunningAgent, str]) -> None:
    assert metrics_agent[1].startswith("http://127.0.0.1:")
    assert metrics_agent[1].endswith("/metrics") and not metrics_agent[1].endswith(":0/metrics")


def test_an_agent_without_metrics_listen_serves_none(agent: RunningAgent) -> None:
    assert status(agent).metrics_url == ""


def test_metrics_beyond_loopback_need_tls(tmp_path: Path) -> None:
    config = tmp_path / "agent.toml"
    config.write_text('metrics_listen = "0.0.0.0:9464"\n')
    with pytest.raises(ConfigError, match=r"metrics_listen '0\.0\.0\.0:9464' is not loopback"):
        load_config(str(config))


def metrics(pipeline_labels: int = 200) -> AgentMetrics:
    gauges = AgentGauges(lambda: 0, lambda: 0, dict, LicenseUsage)
    return AgentMetrics(gauges, pipeline_labels=pipeline_labels)


def one_node(name: str) -> Pipeline:
    return parse_pipeline(
        f"omnix: 1\nname: {name}\nnodes:\n  - {{id: a, lang: python, code: '1'}}\n"
    )


def test_pipeline_labels_are_capped_and_the_rest_counted_as_other() -> None:
    counted = metrics(pipeline_labels=2)
    for name in ("p1", "p2", "p3", "p4"):
        counted.observe(
            one_node(name), "manual", None, RunStateChanged("r", RunStatus.SUCCEEDED, 1.0)
        )
    values = {
        sample.labels["pipeline"]: sample.value
        for family in counted.registry.collect()
        if family.name == "omnix_runs"
        for sample in family.samples
        if sample.name == "omnix_runs_total"
    }
    assert values == {"p1": 1, "p2": 1, OTHER: 2}


def test_a_scheduled_run_records_how_late_it_started() -> None:
    counted = metrics()
    one = one_node("s")
    counted.observe(one, "schedule", 100.0, RunStateChanged("r", RunStatus.RUNNING, 100.75))
    counted.observe(one, "schedule", 100.0, NodeStateChanged("r", "a", NodeStatus.RUNNING, 1, 101))
    assert counted.registry.get_sample_value("omnix_scheduler_lateness_seconds_sum") == 0.75
    assert counted.registry.get_sample_value("omnix_scheduler_lateness_seconds_count") == 1
    running = {"pipeline": "s", "lang": "python", "status": "running"}
    assert counted.registry.get_sample_value("omnix_nodes_total", running) is None
