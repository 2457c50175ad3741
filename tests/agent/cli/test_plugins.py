"""`omnix-agent plugins`: what is installed in the omnix.adapters group and what is enabled."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_the_shipped_postgres_connector_is_listed_and_disabled_on_free(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "omnix.agent", "plugins", "--json", "--state-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["tier"] == "free" and document["custom_connectors_limit"] == 0
    postgres = next(p for p in document["plugins"] if p["language"] == "postgres")
    assert postgres["target"] == "omnix.agent.connectors.postgres.adapter:PostgresAdapter"
    assert postgres["distribution"] == "omnix" and not postgres["enabled"]
    assert "the Free tier enables 0 custom connectors; Team enables it" in postgres["problem"]
