"""The SQLite store: migrations, the batched writer, durability order, isolation of bad writes."""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path

import pytest
from omnix.agent.store.db import Store
from omnix.agent.store.schema import SCHEMA_VERSION


async def test_a_new_store_is_migrated_to_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "agent.db")
    await store.close()
    db = sqlite3.connect(tmp_path / "agent.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION


async def test_a_store_from_a_newer_agent_is_refused(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "agent.db")
    await store.write(("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION + 1,)))
    await store.close()
    with pytest.raises(RuntimeError, match="newer than this agent knows"):
        await Store.open(tmp_path / "agent.db")


async def test_a_burst_of_writes_commits_in_few_batches_in_submission_order(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "agent.db")
    order: list[int] = []
    futures = [
        store.submit(
            [
                (
                    "INSERT INTO logs (run_id, seq, at, node_id, stream, text) VALUES (?,?,?,?,?,?)",
                    ("r", i, 0.0, "n", "stdout", str(i)),
                )
            ],
            on_durable=functools.partial(order.append, i),
        )
        for i in range(500)
    ]
    for future in futures:
        await future
    assert order == list(range(500))
    assert store.stats.batches <= 3
    rows = await store.fetch_all("SELECT COUNT(*) AS n FROM logs")
    assert rows[0]["n"] == 500
    await store.close()


async def test_a_failing_write_fails_alone(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "agent.db")
    good = store.submit(
        [("INSERT INTO logs VALUES (?,?,?,?,?,?)", ("r", 1, 0.0, "n", "stdout", "a"))]
    )
    bad = store.submit([("INSERT INTO no_such_table VALUES (?)", (1,))])
    also_good = store.submit(
        [("INSERT INTO logs VALUES (?,?,?,?,?,?)", ("r", 2, 0.0, "n", "stdout", "b"))]
    )
    await good
    await also_good
    with pytest.raises(sqlite3.OperationalError):
        await bad
    assert not (await store.health()).ok
    await store.close()


async def test_acknowledged_writes_are_there_after_reopening(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "agent.db")
    await store.write(
        ("INSERT INTO logs VALUES (?,?,?,?,?,?)", ("r", 1, 0.0, "n", "stdout", "kept"))
    )
    await store.close()
    reopened = await Store.open(tmp_path / "agent.db")
    row = await reopened.fetch_one("SELECT text FROM logs")
    assert row is not None and row["text"] == "kept"
    assert (await reopened.health()).ok
    await reopened.close()


async def test_a_database_of_an_older_schema_is_migrated_forward_keeping_its_rows(
    tmp_path: Path,
) -> None:
    from omnix.agent.store.schema import MIGRATIONS

    db = sqlite3.connect(tmp_path / "agent.db")
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    db.executescript(MIGRATIONS[0])
    db.execute("INSERT INTO schema_version VALUES (1)")
    db.execute("INSERT INTO pipeline_versions VALUES ('p', 1, 'src', 'sha', 'p.yaml', 0.0)")
    db.commit()
    db.close()
    store = await Store.open(tmp_path / "agent.db")
    row = await store.fetch_one("SELECT source, files_json FROM pipeline_versions")
    assert row is not None and (row["source"], row["files_json"]) == ("src", "{}")
    assert (await store.health()).schema_version == SCHEMA_VERSION
    await store.close()
