"""Where alerts go: a command that reads the alert as JSON on stdin, and a webhook that
gets it as a JSON POST, retried with backoff when the receiver fails."""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_S = 30.0
WEBHOOK_TIMEOUT_S = 10.0
WEBHOOK_DELAYS_S = (1.0, 2.0, 4.0, 8.0, 16.0)
"""Waits before each retry of a webhook that failed: five retries over about 31 s."""


async def run_command(argv: Sequence[str], alert: dict[str, Any]) -> bool:
    """Run `argv` with the alert as JSON on stdin; whether it exited 0 in time."""
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:
        log.warning("alert command %s did not start: %s", argv[0], exc)
        return False
    try:
        _, stderr = await asyncio.wait_for(
            process.communicate(json.dumps(alert).encode()), COMMAND_TIMEOUT_S
        )
    except TimeoutError:
        process.kill()
        await process.wait()
        log.warning("alert command %s ran past %gs and was killed", argv[0], COMMAND_TIMEOUT_S)
        return False
    if process.returncode != 0:
        log.warning(
            "alert command %s exited %s: %s",
            argv[0],
            process.returncode,
            stderr.decode(errors="replace").strip()[-500:],
        )
        return False
    return True


async def post_webhook(
    url: str, alert: dict[str, Any], delays: Sequence[float] = WEBHOOK_DELAYS_S
) -> int:
    """POST the alert to `url`, retrying after each of `delays` while the receiver fails
    (an error status or no answer); the number of attempts it took, 0 when all failed."""
    body = json.dumps(alert).encode()
    for attempt in range(1, len(delays) + 2):
        try:
            await asyncio.to_thread(_post, url, body)
        except (OSError, urllib.error.URLError) as exc:
            if attempt > len(delays):
                log.warning("alert webhook %s failed %d times; last: %s", url, attempt, exc)
                return 0
            await asyncio.sleep(delays[attempt - 1])
        else:
            return attempt
    return 0


def _post(url: str, body: bytes) -> None:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as reply:
        reply.read()
