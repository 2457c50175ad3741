"""Go specifics: builds cached by code hash, panics at the node's line, standard imports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from omnix.agent.runs.engine import Engine
from omnix.agent.workers.child.external.runtimes import go_source
from omnix.shared.pipeline import Pipeline
from omnix.shared.status import RunStatus

from tests.agent.adapters.languages.conftest import node_yaml

ASYNC = pytest.mark.asyncio(loop_scope="module")
Make = Callable[[str], Pipeline]


@pytest.fixture
def go(require_binary: Callable[[str, str], str]) -> str:
    return require_binary("go", "apt-get install golang-go")


def binaries() -> set[str]:
    import os

    folder = Path(os.environ["OMNIX_CACHE_DIR"]) / "go" / "bin"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


@ASYNC
async def test_a_node_whose_code_did_not_change_does_not_recompile(
    engine: Engine, make_pipeline: Make, go: str
) -> None:
    text = "omnix: 1\nname: cached\nnodes:\n" + node_yaml("n", "go", "return 6 * 7, nil")
    first = await engine.run(make_pipeline(text))
    assert first.nodes["n"].output == 42, first.dumps()
    built = binaries()
    again = await engine.run(make_pipeline(text))
    assert again.nodes["n"].output == 42
    assert binaries() == built  # nothing new was built
    changed = await engine.run(make_pipeline(text.replace("6 * 7", "6 * 8")))
    assert changed.nodes["n"].output == 48
    assert len(binaries() - built) == 1


@ASYNC
async def test_a_panic_names_the_line_of_the_node(
    engine: Engine, make_pipeline: Make, go: str
) -> None:
    code = "var rows []int\n_ = rows\nreturn rows[3], nil"
    document = await engine.run(
        make_pipeline("omnix: 1\nname: panics\nnodes:\n" + node_yaml("p", "go", code))
    )
    assert document.status is RunStatus.FAILED
    error = document.nodes["p"].error or ""
    assert "panic: runtime error: index out of range [3] with length 0 (line 3)" in error


@ASYNC
async def test_standard_packages_are_imported_for_the_node_and_its_own_imports_kept(
    engine: Engine, make_pipeline: Make, go: str
) -> None:
    code = 'import "unicode/utf8"\n\nwords := strings.Fields("a bé c")\nreturn utf8.RuneCountInString(strings.Join(words, "")), nil'
    document = await engine.run(
        make_pipeline("omnix: 1\nname: imports\nnodes:\n" + node_yaml("w", "go", code))
    )
    assert document.nodes["w"].output == 4, document.dumps()


def test_the_generated_source_keeps_the_node_line_numbers() -> None:
    source = go_source(
        "n",
        'import "os"\nx := strings.ToUpper("a")\nreturn x, nil',
        [{"name": "up", "kind": "table"}],
    )
    lines = source.splitlines()
    directive = lines.index("//line n.go:1")
    assert lines[directive + 1] == ""  # the hoisted import leaves its line blank
    assert lines[directive + 2] == 'x := strings.ToUpper("a")'
    assert 'import "os"' in lines and 'import "strings"' in lines
    assert '\tup := in.Table("up")' in lines


def test_a_variable_named_like_a_package_is_not_imported_as_one() -> None:
    source = go_source(
        "n", 'url := struct{ Path string }{"/x"}\nreturn url.Path + strings.ToUpper("a"), nil', []
    )
    assert 'import "net/url"' not in source and 'import "strings"' in source
