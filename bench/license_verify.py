"""Cost of licensing checks: verifying a key, loading entitlements from the state dir, a check.

Run: .venv/bin/python bench/license_verify.py
The floor is Python's own start-up (`python -c pass`); the agent verifies once at start and
may rebuild entitlements per run start, so both must stay far below it.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from omnix.agent.licensing.keyfile import LicenseStore
from omnix.shared.licensing import LicenseTerms, LicenseVerifier, sign_license
from omnix.shared.pipeline import Node, Pipeline
from omnix.shared.tiers import Tier


def per_call(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds per call over five rounds of `repeat` calls."""
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            fn()
        rounds.append((time.perf_counter() - started) / repeat)
    return statistics.median(rounds)


def interpreter_start() -> float:
    rounds = []
    for _ in range(10):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        rounds.append(time.perf_counter() - started)
    return statistics.median(rounds)


def main() -> None:
    signing = Ed25519PrivateKey.generate()
    now = datetime.now(UTC).replace(microsecond=0)
    key = sign_license(
        LicenseTerms("Acme Corporation", Tier.TEAM, now, now + timedelta(days=365)), signing
    )
    verifier = LicenseVerifier([signing.public_key()])
    pipeline = Pipeline("p", tuple(Node(f"n{i}", "python", "1") for i in range(20)))
    with tempfile.TemporaryDirectory() as state:
        store = LicenseStore(Path(state), verifier=verifier)
        store.install(key, now=now)
        entitlements = store.entitlements(now=now)
        results = {
            "verify a key": per_call(lambda: verifier.verify(key), 2_000),
            "load entitlements from the state dir": per_call(
                lambda: store.entitlements(now=now), 2_000
            ),
            "check_run_start (20 nodes)": per_call(
                lambda: entitlements.check_run_start(pipeline, runs_today=5), 20_000
            ),
            "default verifier (reads the packaged key)": per_call(LicenseVerifier, 2_000),
        }
    floor = interpreter_start()
    print(f"floor: python -c pass = {floor * 1e3:.1f} ms")
    for name, seconds in results.items():
        print(f"{name:45} {seconds * 1e6:8.1f} µs  ({floor / seconds:,.0f}x below the floor)")


if __name__ == "__main__":
    main()
