"""Where the daemon applies the license: deploys and run starts are checked against the
tier in force (`omnix.agent.licensing.entitlements`), with counts taken from the store."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from omnix.agent.store.db import Store
from omnix.agent.store.usage import (
    NEWEST_RECORDED_SQL,
    PIPELINES_SQL,
    RUNS_SINCE_SQL,
    as_moment,
    utc_midnight,
)
from omnix.shared.pipeline import Pipeline
from omnix.shared.tiers import Limit

if TYPE_CHECKING:
    from omnix.agent.licensing.entitlements import Entitlements
    from omnix.agent.licensing.keyfile import LicenseStore
    from omnix.shared.license_status import LicenseStatus

_RECHECK_S = 60.0
"""How long a judged license is reused: expiry is judged in days, an install changes the
key file's mtime (which invalidates at once)."""


class LicenseGate:
    """The tier in force for one agent and the checks made before deploys and runs."""

    def __init__(self, state_dir: Path, store: Store) -> None:
        self._state_dir = state_dir
        self._licenses: LicenseStore | None = None
        self._store = store
        self._cached: tuple[float, float, Entitlements] | None = None

    async def entitlements(self) -> Entitlements:
        """The current entitlements, judged at most once a minute or after an install."""
        if self._licenses is None:
            # Loaded on first use: licensing pulls in cryptography (~6 MiB), which an idle
            # agent does without.
            from omnix.agent.licensing.keyfile import LicenseStore

            self._licenses = LicenseStore(self._state_dir)
        try:
            mtime = self._licenses.path.stat().st_mtime
        except OSError:
            mtime = 0.0
        now = time.monotonic()
        if self._cached is not None:
            judged, seen_mtime, cached = self._cached
            if seen_mtime == mtime and now - judged < _RECHECK_S:
                return cached
        entitlements = self._licenses.entitlements(
            now=datetime.now(UTC), newest_recorded=await self._newest_recorded()
        )
        self._cached = (now, mtime, entitlements)
        return entitlements

    async def check_deploy(self, pipeline: Pipeline) -> None:
        """Raise `LimitExceeded` when a new pipeline would exceed the pipeline limit."""
        row = await self._store.fetch_one(
            "SELECT COUNT(*) AS n, SUM(name = ?) AS same FROM pipelines", (pipeline.name,)
        )
        count = int(row["n"]) if row is not None else 0
        exists = bool(row is not None and row["same"])
        (await self.entitlements()).check_deploy(pipeline, count, replaces_existing=exists)

    async def check_run_start(self, pipeline: Pipeline) -> None:
        """Raise when the tier cannot run the pipeline's languages or today's runs are used up
        (days in UTC)."""
        (await self.entitlements()).check_run_start(pipeline, await self._runs_today())

    async def usage(self) -> dict[Limit, int]:
        """Today's use of each limit the agent counts (runs started today, pipelines)."""
        row = await self._store.fetch_one(PIPELINES_SQL)
        pipelines = int(row["n"]) if row is not None else 0
        return {Limit.EXECUTIONS_PER_DAY: await self._runs_today(), Limit.PIPELINES: pipelines}

    async def install(self, key: str) -> tuple[LicenseStatus, LicenseStatus | None]:
        """Verify and store `key` (judged like every other check, clock rollback included);
        it is in force for the next check. Returns (the new status, the previous one).

        Raises `InvalidLicenseKey` or `LicenseNotInstallable`; the stored key is then untouched."""
        previous = (await self.entitlements()).status
        assert self._licenses is not None  # set by entitlements()
        licenses = self._licenses
        now, newest = datetime.now(UTC), await self._newest_recorded()
        # Verifying and the fsyncs of the atomic write are blocking: off the event loop.
        status = await asyncio.to_thread(
            lambda: licenses.install(key, now=now, newest_recorded=newest)
        )
        self._cached = None
        return status, previous

    async def _runs_today(self) -> int:
        row = await self._store.fetch_one(RUNS_SINCE_SQL, (utc_midnight().timestamp(),))
        return int(row["n"]) if row is not None else 0

    async def _newest_recorded(self) -> datetime | None:
        # A clock turned back must not revive an expired license: the store remembers time.
        row = await self._store.fetch_one(NEWEST_RECORDED_SQL)
        return as_moment(row["t"]) if row is not None else None
