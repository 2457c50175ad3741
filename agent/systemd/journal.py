"""The agent's own log lines: journald-friendly under systemd, timestamped elsewhere.

systemd sets JOURNAL_STREAM to the `device:inode` of the stderr it connected to the
journal. When our stderr is that stream, journald already stamps every line with the
time, unit and pid, so lines carry only a syslog priority prefix (`<4>`, which journald
turns into the entry's priority: `journalctl -p warning` works) and `logger: message`.
Anywhere else (a terminal, a user's auto-started agent, a file) lines start with a
timestamp and the level name.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from collections.abc import Mapping
from typing import TextIO

TIMESTAMPED = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_SYSLOG_PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}


def writes_to_journal(stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether `stream` is the journal stream systemd connected (JOURNAL_STREAM matches)."""
    device, _, inode = environ.get("JOURNAL_STREAM", "").partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        stat = os.fstat(stream.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return False
    return (stat.st_dev, stat.st_ino) == (int(device), int(inode))


class JournalFormatter(logging.Formatter):
    """`<priority>logger: message`, the priority repeated on every line of a traceback
    (journald makes each line an entry of its own)."""

    def __init__(self) -> None:
        super().__init__("%(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """The record's lines, each prefixed with its syslog priority."""
        priority = _SYSLOG_PRIORITY.get(
            record.levelno, 6 if record.levelno < logging.WARNING else 3
        )
        return "\n".join(f"<{priority}>{line}" for line in super().format(record).splitlines())


def configure_logging(
    level: int | str = logging.INFO,
    *,
    stream: TextIO | None = None,
    environ: Mapping[str, str] = os.environ,
) -> logging.Handler:
    """Send logs to `stream` (default stderr) in the format that suits it.

    The handler replaces the root logger's handlers (calling this again, on SIGHUP,
    does not duplicate lines); `level` ("info", logging.DEBUG, ...) applies to Omnix's
    own loggers, while libraries keep logging warnings only.
    """
    target = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(target)
    if writes_to_journal(target, environ):
        handler.setFormatter(JournalFormatter())
    else:
        handler.setFormatter(logging.Formatter(TIMESTAMPED))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("omnix").setLevel(level.upper() if isinstance(level, str) else level)
    return handler
