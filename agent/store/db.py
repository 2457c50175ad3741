"""The agent's durable store: one SQLite file in WAL mode, one batched writer task.

Every write goes through `Store.write` / `Store.submit`, which queue it for the writer task.
The writer takes everything queued, runs it in one transaction and commits; only then does it
resolve the writers' futures and run their `on_durable` callbacks, in submission order. So a
state the agent acknowledges (a StartRun reply, a WatchRun event) is already on disk, and a
burst of node events costs one commit, not one per event (aiosqlite costs ~130 µs a call).
Reads use a second connection; WAL lets them run beside the writer.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite
from omnix.agent.errors import StoreClosed
from omnix.agent.store.outputs import OutputFiles
from omnix.agent.store.schema import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)

Op = tuple[str, Sequence[Any]]
"""One SQL statement and its parameters."""

OUTPUTS_DIR = "outputs"
"""The folder beside the database that holds kept node outputs."""
_MAX_BATCH = 2000


@dataclass(slots=True)
class _Item:
    ops: list[Op]
    future: asyncio.Future[None] | None
    on_durable: Callable[[], None] | None = None


@dataclass(slots=True)
class StoreHealth:
    """What `omnix-agent status` reports about the database."""

    ok: bool
    detail: str
    path: str
    size_bytes: int
    schema_version: int


@dataclass(slots=True)
class _Stats:
    batches: int = 0
    items: int = 0
    errors: list[str] = field(default_factory=list)


class Store:
    """The SQLite database of one agent. Open with `await Store.open(path)`."""

    def __init__(
        self,
        path: Path,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        *,
        fsync: bool = False,
    ):
        self.path = path
        self.outputs = OutputFiles(path.with_name(OUTPUTS_DIR), fsync=fsync)
        """Kept node outputs, as files beside the database."""
        self._writer = writer
        self._reader = reader
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.stats = _Stats()

    @classmethod
    async def open(cls, path: Path, *, fsync: bool = False) -> Store:
        """Open (creating) the database, migrate it forward and start the writer task."""
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await aiosqlite.connect(path, isolation_level=None)
        try:
            await writer.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a killed process; FULL also survives power loss.
            await writer.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
            await writer.execute("PRAGMA busy_timeout=5000")
            await _migrate(writer, path)
            reader = await aiosqlite.connect(path, isolation_level=None)
            await reader.execute("PRAGMA busy_timeout=5000")
            reader.row_factory = sqlite3.Row
        except BaseException:
            await writer.close()
            raise
        store = cls(path, writer, reader, fsync=fsync)
        store._task = asyncio.create_task(store._write_loop(), name="omnix-store-writer")
        return store

    async def close(self) -> None:
        """Write everything queued, stop the writer and close both connections."""
        if self._closed:
            return
        self._closed = True
        await self._queue.put(None)
        if self._task is not None:
            await self._task
        await self._reader.close()
        await self._writer.close()

    # -- writing -------------------------------------------------------------------------

    def submit(
        self, ops: Iterable[Op], *, on_durable: Callable[[], None] | None = None
    ) -> asyncio.Future[None]:
        """Queue `ops` to commit atomically; the future resolves once they are durable, after
        `on_durable` has run. Writes commit in the order they were submitted."""
        if self._closed:
            raise StoreClosed("the store is closed")
        future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Item(list(ops), future, on_durable))
        return future

    async def write(self, *ops: Op) -> None:
        """Commit `ops` atomically and return once they are durable."""
        await self.submit(ops)

    async def _write_loop(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < _MAX_BATCH and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            await self._commit_batch(batch)

    async def _commit_batch(self, batch: list[_Item]) -> None:
        try:
            await self._run_transaction([op for item in batch for op in item.ops])
        except Exception:
            # One bad write must not fail the others: retry each item on its own.
            for item in batch:
                try:
                    await self._run_transaction(item.ops)
                except Exception as exc:
                    log.exception("store write failed")
                    self.stats.errors.append(str(exc))
                    del self.stats.errors[:-10]
                    _settle(item, exc)
                else:
                    _settle(item, None)
            return
        self.stats.batches += 1
        self.stats.items += len(batch)
        for item in batch:
            _settle(item, None)

    async def _run_transaction(self, ops: list[Op]) -> None:
        # One hop to aiosqlite's thread for the whole transaction. aiosqlite has no public
        # call for "run these statements"; `_execute` is what each of its public methods
        # uses, and one hop instead of one per statement is most of the writer's speed.
        await self._writer._execute(_apply, self._writer._conn, ops)  # type: ignore[no-untyped-call]

    # -- reading -------------------------------------------------------------------------

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query on the reader connection."""
        async with self._reader.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        """The first row of a read-only query, or None."""
        async with self._reader.execute(sql, params) as cursor:
            row = await cursor.fetchone()
            return row if row is None or isinstance(row, sqlite3.Row) else None

    async def health(self) -> StoreHealth:
        """Quick health: the database answers, the schema is current, no recent write errors."""
        size = sum(
            p.stat().st_size
            for p in (self.path, self.path.with_name(self.path.name + "-wal"))
            if p.exists()
        )
        try:
            row = await self.fetch_one("SELECT MAX(version) AS v FROM schema_version")
            version = int(row["v"]) if row is not None else 0
        except sqlite3.Error as exc:
            return StoreHealth(False, f"database error: {exc}", str(self.path), size, 0)
        if self.stats.errors:
            detail = f"recent write errors: {self.stats.errors[-1]}"
            return StoreHealth(False, detail, str(self.path), size, version)
        detail = f"{self.stats.batches} write batches, {self.stats.items} writes"
        return StoreHealth(
            version == SCHEMA_VERSION and not self._closed, detail, str(self.path), size, version
        )


def _apply(connection: sqlite3.Connection, ops: list[Op]) -> None:
    """Run `ops` in one transaction (in the writer's thread)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        start = 0
        while start < len(ops):
            # Consecutive uses of one statement go through one executemany.
            end = start + 1
            while end < len(ops) and ops[end][0] == ops[start][0]:
                end += 1
            if end - start == 1:
                connection.execute(ops[start][0], ops[start][1])
            else:
                connection.executemany(ops[start][0], [op[1] for op in ops[start:end]])
            start = end
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _settle(item: _Item, error: Exception | None) -> None:
    if error is None and item.on_durable is not None:
        try:
            item.on_durable()
        except Exception:
            log.exception("callback after a durable write failed")
    if item.future is not None and not item.future.done():
        if error is None:
            item.future.set_result(None)
        else:
            item.future.set_exception(error)


def _statements(script: str) -> list[str]:
    """The statements of a migration, split where SQLite says one is complete (a trigger's
    body holds semicolons of its own)."""
    statements, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending.strip())
            pending = ""
    return statements


async def _migrate(db: aiosqlite.Connection, path: Path) -> None:
    await db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    async with db.execute("SELECT MAX(version) FROM schema_version") as cursor:
        row = await cursor.fetchone()
    current = int(row[0]) if row is not None and row[0] is not None else 0
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"{path}: schema version {current} is newer than this agent knows "
            f"({SCHEMA_VERSION}); upgrade omnix or use another --state-dir"
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        log.info("migrating %s to schema version %d", path, version)
        await db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(MIGRATIONS[version - 1]):
                await db.execute(statement)
            await db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise
