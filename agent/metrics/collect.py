"""Metrics named and labelled per the Prometheus conventions, on a registry of their own.

Run events feed counters and histograms as they become durable; gauges (queue depth,
workers, license usage) are read from the agent when scraped. Label values come from
bounded sets: languages, statuses and triggers are closed lists, and pipeline names are
capped at `MAX_PIPELINE_LABELS` distinct values (later ones are counted as "other"), so a
stream of one-off pipelines cannot grow the series without bound.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from omnix.shared.events import NodeStateChanged, RunEvent, RunStateChanged
from omnix.shared.pipeline import Pipeline
from omnix.shared.status import NodeStatus, RunStatus
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

MAX_PIPELINE_LABELS = 200
"""Distinct pipeline label values before the rest are counted as `other`."""
OTHER = "other"

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
"""Seconds, from a warm worker's few milliseconds to an hour-long node."""
LATENESS_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


@dataclass(frozen=True, slots=True)
class AgentGauges:
    """What the agent holds now, read at each scrape (callables run on the scrape thread,
    so they read plain attributes only)."""

    queued_runs: Callable[[], int]
    running_runs: Callable[[], int]
    workers: Callable[[], Mapping[str, int]]
    """Live workers by language."""
    license: Callable[[], LicenseUsage]


@dataclass(frozen=True, slots=True)
class LicenseUsage:
    """Today's use of the license's counted limits (None: unlimited)."""

    executions_today: int = 0
    executions_limit: int | None = None
    pipelines: int = 0
    pipelines_limit: int | None = None


@dataclass
class _Labels:
    """Pipeline names as label values, capped."""

    limit: int = MAX_PIPELINE_LABELS
    seen: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def pipeline(self, name: str) -> str:
        with self.lock:
            if name in self.seen:
                return name
            if len(self.seen) < self.limit:
                self.seen.add(name)
                return name
        return OTHER


class AgentMetrics:
    """The agent's metrics; `observe` takes each durable run event."""

    def __init__(self, gauges: AgentGauges, *, pipeline_labels: int = MAX_PIPELINE_LABELS):
        self.registry = CollectorRegistry(auto_describe=True)
        self._labels = _Labels(pipeline_labels)
        self.runs = Counter(
            "omnix_runs",
            "Runs that ended, by pipeline, final status and trigger.",
            ["pipeline", "status", "trigger"],
            registry=self.registry,
        )
        self.nodes = Counter(
            "omnix_nodes",
            "Node attempts that ended, by pipeline, language and final status.",
            ["pipeline", "lang", "status"],
            registry=self.registry,
        )
        self.node_duration = Histogram(
            "omnix_node_duration_seconds",
            "Wall time of a node's last attempt, from when its code started in a worker.",
            ["pipeline", "lang"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.queue_wait = Histogram(
            "omnix_node_queue_wait_seconds",
            "Time a node's last attempt waited for a run slot and a worker.",
            ["lang"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.run_duration = Histogram(
            "omnix_run_duration_seconds",
            "Wall time of a run, from start to its final state.",
            ["pipeline"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.lateness = Histogram(
            "omnix_scheduler_lateness_seconds",
            "How long after its scheduled time a scheduled run started.",
            buckets=LATENESS_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_GaugeCollector(gauges))
        self._started: dict[str, float] = {}

    def observe(
        self, pipeline: Pipeline, trigger: str, scheduled_for: float | None, event: RunEvent
    ) -> None:
        """Count one durable run event of `pipeline`."""
        if isinstance(event, NodeStateChanged):
            if not event.status.is_final or event.status is NodeStatus.CANCELLED:
                return
            name = self._labels.pipeline(pipeline.name)
            lang = _lang(pipeline, event.node_id)
            self.nodes.labels(name, lang, str(event.status)).inc()
            if event.duration_s is not None:
                self.node_duration.labels(name, lang).observe(event.duration_s)
            if event.queue_wait_s is not None:
                self.queue_wait.labels(lang).observe(event.queue_wait_s)
        elif isinstance(event, RunStateChanged):
            if event.status is RunStatus.RUNNING:
                self._started[event.run_id] = event.at
                if scheduled_for is not None:
                    self.lateness.observe(max(0.0, event.at - scheduled_for))
                return
            if event.status.is_final:
                name = self._labels.pipeline(pipeline.name)
                self.runs.labels(name, str(event.status), _trigger(trigger)).inc()
                started = self._started.pop(event.run_id, None)
                if started is not None:
                    self.run_duration.labels(name).observe(max(0.0, event.at - started))


def _lang(pipeline: Pipeline, node_id: str) -> str:
    try:
        return pipeline.node(node_id).lang
    except KeyError:
        return "unknown"


def _trigger(trigger: str) -> str:
    return trigger if trigger in ("manual", "schedule", "backfill") else "other"


class _GaugeCollector(Collector):
    """The gauges, read from the agent when scraped."""

    def __init__(self, gauges: AgentGauges) -> None:
        self._gauges = gauges

    def describe(self) -> Iterator[Metric]:
        """The families without values: registering must not read the agent yet."""
        yield GaugeMetricFamily("omnix_runs_queued", "Runs waiting for a run worker.")
        yield GaugeMetricFamily("omnix_runs_running", "Runs executing now.")
        yield GaugeMetricFamily("omnix_workers", "Live worker processes.", labels=["lang"])
        for name in ("omnix_license_usage", "omnix_license_limit"):
            yield GaugeMetricFamily(name, "License use and limits.", labels=["limit"])

    def collect(self) -> Iterator[Metric]:
        gauges = self._gauges
        yield GaugeMetricFamily(
            "omnix_runs_queued", "Runs waiting for a run worker.", value=gauges.queued_runs()
        )
        yield GaugeMetricFamily(
            "omnix_runs_running", "Runs executing now.", value=gauges.running_runs()
        )
        workers = GaugeMetricFamily(
            "omnix_workers", "Live worker processes, by language.", labels=["lang"]
        )
        for lang, count in sorted(gauges.workers().items()):
            workers.add_metric([lang], count)
        yield workers
        usage = gauges.license()
        used = GaugeMetricFamily(
            "omnix_license_usage",
            "Today's use of each counted license limit.",
            labels=["limit"],
        )
        used.add_metric(["executions_per_day"], usage.executions_today)
        used.add_metric(["pipelines"], usage.pipelines)
        yield used
        limit = GaugeMetricFamily(
            "omnix_license_limit",
            "Each counted license limit; absent when unlimited.",
            labels=["limit"],
        )
        if usage.executions_limit is not None:
            limit.add_metric(["executions_per_day"], usage.executions_limit)
        if usage.pipelines_limit is not None:
            limit.add_metric(["pipelines"], usage.pipelines_limit)
        yield limit
