"""What the license is judged with, read from the agent's store: today's usage of each
counted limit and the newest timestamp the agent has recorded.

The SQL lives here once; the running agent asks its own store (`omnix.agent.licensing.gate`),
and `omnix-agent license show` without a running agent reads the store file read-only.
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from omnix.agent.config import DB_FILE
from omnix.shared.tiers import Limit

NEWEST_RECORDED_SQL = (
    "SELECT MAX(t) AS t FROM ("
    " SELECT MAX(created_at) AS t FROM runs"
    " UNION ALL SELECT MAX(finished_at) FROM runs"
    " UNION ALL SELECT MAX(updated_at) FROM pipelines"
    " UNION ALL SELECT MAX(recorded_at) FROM schedule_fires)"
)
"""The newest moment the agent wrote down: a clock set back before it does not revive an
expired license."""

RUNS_SINCE_SQL = "SELECT COUNT(*) AS n FROM runs WHERE created_at >= ?"
PIPELINES_SQL = "SELECT COUNT(*) AS n FROM pipelines"


def utc_midnight(now: datetime | None = None) -> datetime:
    """The start of today in UTC: per-day limits count from here."""
    moment = now or datetime.now(UTC)
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def as_moment(value: float | None) -> datetime | None:
    """A stored Unix timestamp as an aware datetime."""
    return None if value is None else datetime.fromtimestamp(float(value), UTC)


def read_store(state_dir: Path) -> tuple[dict[Limit, int], datetime | None] | None:
    """(today's usage, newest recorded timestamp) from the store file, opened read-only
    (nothing is created or migrated); None when there is no store to read."""
    path = state_dir / DB_FILE
    if not path.exists():
        return None
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return None
    with contextlib.closing(connection):
        try:
            runs = connection.execute(RUNS_SINCE_SQL, (utc_midnight().timestamp(),)).fetchone()[0]
            pipelines = connection.execute(PIPELINES_SQL).fetchone()[0]
            newest = connection.execute(NEWEST_RECORDED_SQL).fetchone()[0]
        except sqlite3.Error:
            return None
    usage = {Limit.EXECUTIONS_PER_DAY: int(runs), Limit.PIPELINES: int(pipelines)}
    return usage, as_moment(newest)
