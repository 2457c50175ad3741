"""One node, attempt by attempt: the retry loop, timeouts, backoff with jitter.

An attempt's outcome is the adapter's `Value` or a `NodeFailure`; whatever goes wrong
around the user's code (a timeout, a crashed worker, a missing runtime) is turned into a
`NodeFailure` whose message says what happened and what to do.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from omnix.agent.adapters.base import (
    Adapter,
    AdapterUnavailable,
    LogSink,
    NodeFailure,
    NodeTask,
    Value,
)
from omnix.shared.pipeline import Node

_RNG = random.Random()


@dataclass(frozen=True, slots=True)
class AttemptFailure:
    """A failed attempt and whether another attempt could help."""

    failure: NodeFailure
    retryable: bool = True
    timed_out: bool = False
    """The attempt ran past the node's timeout and was stopped."""


def backoff_delay(base: float, attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based): exponential, with jitter.

    The delay doubles each attempt (base, 2*base, 4*base, ...) and is drawn uniformly from
    the upper half of that ("equal jitter"), so retries of many nodes do not march in step
    while the wait still grows predictably.
    """
    ceiling = max(0.0, base) * 2.0 ** (attempt - 1)
    return ceiling / 2 + float((rng or _RNG).uniform(0, ceiling / 2))


async def run_attempts(
    node: Node,
    attempt: Callable[[int], Awaitable[Value | AttemptFailure]],
    log: LogSink,
    *,
    slots: asyncio.Semaphore,
    waiting: Callable[[int], None],
    starting: Callable[[int], None],
) -> Value | AttemptFailure:
    """Attempt `node` until it succeeds, fails for good, or has had `1 + node.retries` tries.

    Each attempt holds one of the run's `slots`; the backoff between attempts does not, so a
    node waiting to retry never keeps another from running. `waiting(n)` is called when
    attempt n is due (before it waits for a slot) and `starting(n)` once it holds one; the wait before a retry is logged on the node's stderr."""
    outcome: Value | AttemptFailure = AttemptFailure(NodeFailure("the node did not run"))
    for number in range(1, node.retries + 2):
        waiting(number)
        async with slots:
            starting(number)
            outcome = await attempt(number)
        if isinstance(outcome, Value) or not outcome.retryable or number > node.retries:
            break
        delay = backoff_delay(node.retry_backoff, number)
        first_line = outcome.failure.message.strip().splitlines()[:1]
        log(
            "stderr",
            f"[omnix] attempt {number} failed ({''.join(first_line)}); retrying in {delay:.2f}s\n",
        )
        await asyncio.sleep(delay)
    return outcome


async def run_attempt(
    adapter: Adapter, task: NodeTask, log: LogSink, timeout: float | None
) -> Value | AttemptFailure:
    """Run one attempt. On timeout the adapter's execute is cancelled, which kills the node's
    whole process tree (every adapter must do so on cancellation)."""
    try:
        if timeout is None:
            outcome = await adapter.execute(task, log)
        else:
            outcome = await asyncio.wait_for(adapter.execute(task, log), timeout)
    except TimeoutError:
        return AttemptFailure(
            NodeFailure(
                f"TimeoutError: the node ran longer than its timeout of {timeout:g}s and was "
                "stopped (its whole process tree was killed); raise `timeout:` if it needs longer"
            ),
            timed_out=True,
        )
    except AdapterUnavailable as exc:
        return AttemptFailure(NodeFailure(f"AdapterUnavailable: {exc}"), retryable=False)
    except Exception as exc:  # the adapter's own trouble; the message is all the user can act on
        return AttemptFailure(
            NodeFailure(f"the {task.node.lang} adapter failed: {type(exc).__name__}: {exc}")
        )
    if isinstance(outcome, NodeFailure):
        return AttemptFailure(outcome)
    return outcome
