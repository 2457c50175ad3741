"""Retry delays: exponential in the attempt, jittered so retries do not march in step."""

from __future__ import annotations

import random

from omnix.agent.runs.attempts import backoff_delay


def test_backoff_doubles_per_attempt_with_jitter_in_the_upper_half() -> None:
    rng = random.Random(7)
    for attempt, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0)):
        delays = [backoff_delay(1.0, attempt, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 4


def test_a_zero_base_retries_immediately() -> None:
    assert backoff_delay(0.0, 5) == 0.0
