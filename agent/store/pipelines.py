"""What is deployed: pipelines, their versions and their schedules' fires, as typed records
and the SQL that reads and writes them (writers return `Op` lists for `Store.submit`)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass, field

from omnix.agent.errors import NotFound
from omnix.agent.store.db import Op, Store


@dataclass(slots=True)
class PipelineRecord:
    """A deployed pipeline."""

    name: str
    description: str
    latest_version: int
    created_at: float
    updated_at: float
    schedule_paused: bool
    owner: str = ""
    """The user who first deployed it ('' for a pipeline deployed before there were users)."""


@dataclass(slots=True)
class VersionRecord:
    """One deployed version of a pipeline, with its text."""

    pipeline: str
    version: int
    source: str
    source_sha256: str
    path: str
    deployed_at: float
    files: dict[str, str] = field(default_factory=dict)
    """The files `file:` nodes name, by path as written."""


# -- pipelines -----------------------------------------------------------------------------


def not_deployed(name: str) -> NotFound:
    """The error for a pipeline name that is not deployed (or that the caller may not see:
    the same words, so that names do not leak)."""
    return NotFound(f"no pipeline named {name!r} is deployed (omnix deploy FILE deploys one)")


async def get_pipeline(store: Store, name: str) -> PipelineRecord:
    """A deployed pipeline; NotFound when there is none."""
    row = await store.fetch_one("SELECT * FROM pipelines WHERE name = ?", (name,))
    if row is None:
        raise not_deployed(name)
    return _pipeline(row)


async def list_pipelines(store: Store) -> list[PipelineRecord]:
    """Every deployed pipeline, by name."""
    return [_pipeline(r) for r in await store.fetch_all("SELECT * FROM pipelines ORDER BY name")]


async def list_versions(store: Store, name: str) -> list[VersionRecord]:
    """A pipeline's versions, oldest first."""
    rows = await store.fetch_all(
        "SELECT * FROM pipeline_versions WHERE pipeline = ? ORDER BY version", (name,)
    )
    return [_version(r) for r in rows]


async def get_version(store: Store, name: str, version: int = 0) -> VersionRecord:
    """The given version of a pipeline; 0 for the newest."""
    if version:
        row = await store.fetch_one(
            "SELECT * FROM pipeline_versions WHERE pipeline = ? AND version = ?", (name, version)
        )
    else:
        row = await store.fetch_one(
            "SELECT * FROM pipeline_versions WHERE pipeline = ? ORDER BY version DESC LIMIT 1",
            (name,),
        )
    if row is None:
        what = f"version {version} of pipeline {name!r}" if version else f"pipeline {name!r}"
        raise NotFound(f"no {what} is deployed")
    return _version(row)


def deploy_ops(
    name: str,
    description: str,
    source: str,
    path: str,
    version: int,
    files: dict[str, str] | None = None,
    owner: str = "",
) -> list[Op]:
    """Store `source` as `version` of pipeline `name` (the caller picks version = latest + 1);
    `owner` becomes its owner when this is its first version."""
    now = time.time()
    digest = hashlib.sha256(source.encode()).hexdigest()
    return [
        (
            "INSERT INTO pipelines (name, description, latest_version, created_at, updated_at,"
            " owner) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
            " description = excluded.description, latest_version = excluded.latest_version,"
            " updated_at = excluded.updated_at",
            (name, description, version, now, now, owner),
        ),
        (
            "INSERT INTO pipeline_versions (pipeline, version, source, source_sha256, path,"
            " deployed_at, files_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (name, version, source, digest, path, now, json.dumps(files or {})),
        ),
    ]


def delete_pipeline_ops(name: str) -> list[Op]:
    """Remove a pipeline and its versions (its runs keep their own copy of the text)."""
    return [
        ("DELETE FROM pipeline_versions WHERE pipeline = ?", (name,)),
        ("DELETE FROM pipeline_shares WHERE pipeline = ?", (name,)),
        ("DELETE FROM pipelines WHERE name = ?", (name,)),
    ]


def pause_schedule_ops(name: str, paused: bool) -> list[Op]:
    """Remember whether a pipeline's schedule is paused."""
    return [("UPDATE pipelines SET schedule_paused = ? WHERE name = ?", (int(paused), name))]


def _pipeline(row: sqlite3.Row) -> PipelineRecord:
    return PipelineRecord(
        row["name"],
        row["description"],
        row["latest_version"],
        row["created_at"],
        row["updated_at"],
        bool(row["schedule_paused"]),
        row["owner"],
    )


def _version(row: sqlite3.Row) -> VersionRecord:
    return VersionRecord(
        row["pipeline"],
        row["version"],
        row["source"],
        row["source_sha256"],
        row["path"],
        row["deployed_at"],
        json.loads(row["files_json"]),
    )


# -- schedules -----------------------------------------------------------------------------


def fire_ops(
    pipeline: str, scheduled_for: float, outcome: str, run_id: str | None, reason: str = ""
) -> list[Op]:
    """Record a scheduled fire ("fired") or a fire time that produced no run ("missed")."""
    return [
        (
            "INSERT OR IGNORE INTO schedule_fires (pipeline, scheduled_for, outcome, recorded_at,"
            " run_id, reason) VALUES (?, ?, ?, ?, ?, ?)",
            (pipeline, scheduled_for, outcome, time.time(), run_id, reason),
        )
    ]


@dataclass(frozen=True, slots=True)
class UnfiredFire:
    """A fire time that started no run, and why."""

    pipeline: str
    scheduled_for: float
    recorded_at: float
    outcome: str
    reason: str


async def unfired_fires(store: Store, pipeline: str, limit: int) -> list[UnfiredFire]:
    """Missed and refused fire times (of `pipeline`, when named), newest first."""
    where = "outcome != 'fired'" + (" AND pipeline = ?" if pipeline else "")
    rows = await store.fetch_all(
        "SELECT pipeline, scheduled_for, recorded_at, outcome, reason FROM schedule_fires"
        f" WHERE {where} ORDER BY scheduled_for DESC LIMIT ?",
        (*([pipeline] if pipeline else []), limit),
    )
    return [
        UnfiredFire(r["pipeline"], r["scheduled_for"], r["recorded_at"], r["outcome"], r["reason"])
        for r in rows
    ]


async def last_fire(store: Store, pipeline: str) -> float | None:
    """The latest fire time recorded for a pipeline, fired or missed."""
    row = await store.fetch_one(
        "SELECT MAX(scheduled_for) AS t FROM schedule_fires WHERE pipeline = ?", (pipeline,)
    )
    return float(row["t"]) if row is not None and row["t"] is not None else None
