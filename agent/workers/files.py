"""Writing a file so that it appears under its name only once it is whole.

Used by the agent's output store and by the table decoder worker, which writes a large
table's JSON straight to the store's file instead of sending it back through a pipe.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def write_whole(path: Path, parts: Iterable[bytes | memoryview], *, fsync: bool = False) -> int:
    """Write `parts` to `path` (aside first, then renamed over it); the bytes written.
    With `fsync`, the data is on disk before the rename."""
    partial = path.with_name(path.name + ".partial")
    size = 0
    with open(partial, "wb") as file:
        for part in parts:
            size += file.write(part)
        if fsync:
            file.flush()
            os.fsync(file.fileno())
    os.replace(partial, path)
    return size


def sync_folder(path: Path) -> None:
    """Make the names in a folder (a rename into it) durable."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
