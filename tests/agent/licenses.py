"""License keys for tests: a throwaway signing key pair, trusted in this process only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

ISSUED = datetime(2026, 11, 1, tzinfo=UTC)
EXPIRES = datetime(2028, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

Issue = Callable[..., str]
