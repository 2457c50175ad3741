"""Adapters: the built-ins, plugins through the `omnix.adapters` entry-point group, and
what a user sees when a language has no runtime."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from omnix.agent.adapters.base import AdapterUnavailable
from omnix.agent.adapters.julia.adapter import JuliaAdapter
from omnix.agent.adapters.python import PythonAdapter
from omnix.agent.adapters.registry import AdapterRegistry, adapter_targets
from omnix.agent.runs.engine import Engine
from omnix.shared.pipeline import Node, Pipeline, known_languages
from omnix.shared.status import NodeStatus, RunStatus

PLUGIN = '''
import json

from omnix.agent.adapters.base import NodeFailure, Value


class ShoutAdapter:
    """A toy language: the output is the node's code in capitals."""

    language = "shout"

    async def start(self):
        pass

    async def execute(self, task, log):
        log("stdout", "shouting\\n")
        if not task.node.code.strip():
            return NodeFailure("nothing to shout")
        return Value("json", json.dumps(task.node.code.strip().upper()).encode())

    async def close(self):
        pass
'''


@pytest.fixture
def shout_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed distribution declaring `shout = shout_adapter:ShoutAdapter`."""
    (tmp_path / "shout_adapter.py").write_text(PLUGIN)
    dist = tmp_path / "omnix_shout-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: omnix-shout\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        textwrap.dedent("""
            [omnix.adapters]
            shout = shout_adapter:ShoutAdapter
        """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))


def test_builtin_languages_resolve_to_their_adapters() -> None:
    assert isinstance(AdapterRegistry()["python"], PythonAdapter)


async def test_a_package_adds_a_language_with_an_entry_point(shout_plugin: None) -> None:
    assert adapter_targets()["shout"] == "shout_adapter:ShoutAdapter"
    assert "shout" in known_languages()
    pipeline = Pipeline(name="plugin", nodes=(Node(id="hello", lang="shout", code="hello"),))
    async with Engine() as engine:
        document = await engine.run(pipeline)
    assert document.nodes["hello"].output == "HELLO"


async def test_a_language_whose_runtime_is_missing_fails_its_nodes_saying_what_to_install(
    tmp_path: Path,
) -> None:
    pipeline = Pipeline(
        name="julia",
        nodes=(Node(id="stats", lang="julia", code="1"), Node(id="ok", lang="python", code="2")),
    )
    adapters = {"julia": JuliaAdapter(str(tmp_path / "julia")), "python": PythonAdapter()}
    async with Engine(adapters=adapters) as engine:
        document = await engine.run(pipeline)
    assert document.status is RunStatus.FAILED
    assert document.nodes["stats"].status is NodeStatus.FAILED
    error = document.nodes["stats"].error or ""
    assert "julia not found" in error and "https://julialang.org/downloads/" in error
    assert document.nodes["ok"].output == 2


def test_a_broken_entry_point_is_an_adapter_unavailable_error() -> None:
    registry = AdapterRegistry({"ghost": "no_such_module_xyz:Adapter"})
    with pytest.raises(AdapterUnavailable, match="cannot be imported"):
        registry["ghost"]


class _NeedsMissingLibrary(PythonAdapter):
    preload = ("omnix_library_that_is_not_installed",)
    install_hint = "pip install omnix-library-that-is-not-installed"


async def test_a_worker_missing_its_library_says_what_to_install() -> None:
    pipeline = Pipeline(name="missing", nodes=(Node(id="n", lang="python", code="1"),))
    async with Engine(adapters={"python": _NeedsMissingLibrary()}) as engine:
        document = await engine.run(pipeline)
    error = document.nodes["n"].error or ""
    assert "AdapterUnavailable" in error
    assert "No module named 'omnix_library_that_is_not_installed'" in error
    assert "pip install omnix-library-that-is-not-installed" in error
