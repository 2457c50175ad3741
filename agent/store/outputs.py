"""Kept node outputs as files beside the database: `outputs/<run id>/<node id>.json`.

An output can be tens of megabytes of JSON. In SQLite it would be written twice (WAL,
then checkpoint), read back whole into one string and encoded again for every reader;
as a file it is written once, streamed to readers in parts straight from the page cache,
and never held by the agent. The database records which outputs exist and their sizes
(`node_states.output_bytes`); a file is complete before the row that names it commits,
so a row never points at a half-written file. With the store's `fsync`, files are synced
before that commit too, to survive power loss as the database does.
"""

from __future__ import annotations

import shutil
from collections.abc import Generator, Iterable
from pathlib import Path

from omnix.agent.workers.files import sync_folder

_SUFFIX = ".json"


class OutputFiles:
    """The folder of kept outputs; every method is blocking (call it in a thread)."""

    def __init__(self, root: Path, *, fsync: bool = False) -> None:
        self.root = root
        self.fsync = fsync
        """Whether files are synced to disk before the rows naming them commit."""

    def path(self, run_id: str, node_id: str) -> Path:
        """Where one node's output lives. Run ids are hex and node ids identifiers, so
        neither can leave the folder."""
        return self.root / run_id / f"{node_id}{_SUFFIX}"

    def sync(self, run_id: str) -> None:
        """With `fsync`: make the names of a run's written outputs durable."""
        folder = self.root / run_id
        if self.fsync and folder.is_dir():
            sync_folder(folder)

    def folder(self, run_id: str) -> Path:
        """The run's folder of outputs, made if missing."""
        folder = self.root / run_id
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return folder

    def chunks(self, run_id: str, node_id: str, chunk_bytes: int) -> Generator[bytes, None, None]:
        """One output in parts of at most `chunk_bytes`; OSError when the file is gone."""
        with open(self.path(run_id, node_id), "rb") as file:
            while part := file.read(chunk_bytes):
                yield part

    def read(self, run_id: str, node_id: str) -> str:
        """One output whole, as text."""
        return self.path(run_id, node_id).read_text(encoding="utf-8")

    def read_bytes(self, run_id: str, node_id: str) -> bytes:
        """One output whole, as its UTF-8 bytes."""
        return self.path(run_id, node_id).read_bytes()

    def remove(self, run_ids: Iterable[str]) -> None:
        """Remove the outputs of runs (those that have none are skipped)."""
        for run_id in run_ids:
            shutil.rmtree(self.root / run_id, ignore_errors=True)
