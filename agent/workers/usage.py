"""What one attempt cost a worker process, read from the OS (/proc), for any language.

CPU is user plus system time of the worker and of the children it waited for, in clock
ticks (10 ms on Linux). Peak memory is the worker's high-water mark of resident memory,
reset before the attempt (`clear_refs`), so it is the attempt's own peak, not the worker's
lifetime one. Where /proc cannot be read (another OS), the numbers are None, never guessed.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True, slots=True)
class AttemptCost:
    """The resources one attempt used in its worker."""

    cpu_s: float | None
    peak_rss_bytes: int | None
    bytes_in: int
    bytes_out: int


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of `pid` and its waited-for children, in seconds."""
    try:
        stat = open(f"/proc/{pid}/stat").read()  # noqa: SIM115 - one read
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    # After the command: state is field 3; utime, stime, cutime, cstime are 14-17.
    return sum(int(value) for value in fields[11:15]) / _TICKS


def reset_peak_rss(pid: int) -> None:
    """Start `pid`'s resident-memory high-water mark again from its current size."""
    with contextlib.suppress(OSError), open(f"/proc/{pid}/clear_refs", "w") as file:
        file.write("5")


def peak_rss_bytes(pid: int) -> int | None:
    """`pid`'s resident-memory high-water mark since the last reset."""
    try:
        with open(f"/proc/{pid}/status") as file:
            for line in file:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None
