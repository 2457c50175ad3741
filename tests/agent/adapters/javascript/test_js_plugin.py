"""The example third-party adapter package (examples/omnix-adapter-shell), installed for real."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]
PACKAGE = REPO / "examples" / "omnix-adapter-shell"

# Runs in a fresh interpreter that sees the installed package: the entry point must be
# found through package metadata, exactly as for a user who pip-installed it.
PROBE = r"""
import asyncio, json, sys
from omnix.agent.runs.engine import Engine
from omnix.agent.adapters.registry import AdapterRegistry
from omnix.shared.pipeline import known_languages, parse_pipeline

SOURCE = '''
omnix: 1
name: plugin-demo
params: {greeting: hello}
nodes:
  - id: totals
    lang: javascript
    code: "[{region: 'north', total: 15}, {region: 'south', total: 20}]"
  - id: summary
    lang: javascript
    needs: [totals]
    code: "({regions: totals.map(r => r.region), sum: totals.reduce((s, r) => s + r.total, 0)})"
  - id: shout
    lang: shell
    needs: [summary]
    code: |
      echo "checking" >&2
      printf '%s %s' "$params_greeting" "$summary" | tr a-z A-Z
  - id: table_in
    lang: shell
    needs: [totals]
    code: echo never
'''

async def main():
    registry = AdapterRegistry()
    adapter = registry["shell"]
    pipeline = parse_pipeline(SOURCE)
    logs = []
    async with Engine(adapters=registry) as engine:
        doc = await engine.run(pipeline, on_event=lambda e: logs.append([e.node_id, e.text]) if hasattr(e, "text") else None)
    print(json.dumps({
        "known": sorted(known_languages()),
        "adapter": type(adapter).__module__ + "." + type(adapter).__name__,
        "doc": doc.to_json(),
        "logs": logs,
    }))

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example package pip-installed (with its entry point metadata) into a folder."""
    site = tmp_path_factory.mktemp("plugin-site")
    build = tmp_path_factory.mktemp("plugin-build")
    # Building offline needs a setuptools that writes wheels itself (>= 70.1) or `wheel`;
    # without one, pip fetches the build backend into an isolated environment (slower).
    offline = importlib.util.find_spec("setuptools.command.bdist_wheel") is not None or (
        importlib.util.find_spec("wheel") is not None
    )
    isolation = ["--no-build-isolation"] if offline else []
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            *isolation,
            "--no-cache-dir",
            "--target",
            str(site),
            str(PACKAGE),
        ],
        check=True,
        timeout=120,
        env={**os.environ, "TMPDIR": str(build), "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    return site


def run_probe(site: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, env=env
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_installed_package_adds_its_language_and_runs_nodes_through_the_engine(
    require_binary: Callable[[str, str], str], plugin_site: Path
) -> None:
    require_binary("node", "apt-get install nodejs")
    result = run_probe(plugin_site)
    assert "shell" in result["known"]  # type: ignore[operator]
    assert result["adapter"] == "omnix_adapter_shell.ShellAdapter"
    nodes = result["doc"]["nodes"]  # type: ignore[index]
    assert nodes["summary"]["output"] == {"regions": ["north", "south"], "sum": 35}
    assert nodes["shout"]["status"] == "succeeded", nodes["shout"]
    assert nodes["shout"]["output"] == 'HELLO {"REGIONS":["NORTH","SOUTH"],"SUM":35}'
    assert ["shout", "checking"] in result["logs"]  # type: ignore[operator]
    assert nodes["table_in"]["status"] == "failed"
    assert "reads JSON values only" in nodes["table_in"]["error"]


def test_language_is_unknown_without_the_package() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from omnix.shared.pipeline import known_languages; print('shell' in known_languages())",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.stdout.strip() == "False"
