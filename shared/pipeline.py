"""The pipeline model: what a pipeline file (ARCHITECTURE §2) means once it validates.

`load_pipeline` / `parse_pipeline` return a `Pipeline` or raise `PipelineInvalid` with
every problem found, each naming the file, the line and the node.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import networkx as nx


FORMAT_VERSION = 1
BUILTIN_LANGUAGES = ("python", "javascript", "sql", "r", "julia", "scala", "go")
CatchUp = Literal["all", "last", "none"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a pipeline file, located well enough to fix it."""

    file: str
    line: int
    message: str
    node: str | None = None

    def __str__(self) -> str:
        where = f"node '{self.node}': " if self.node else ""
        line = f":{self.line}" if self.line > 0 else ""  # 0: the file as a whole
        return f"{self.file}{line}: {where}{self.message}"


class PipelineInvalid(Exception):
    """The file does not validate; `problems` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a deployed pipeline fires: exactly one of `cron` and `every_s`."""

    cron: str | None = None
    every_s: float | None = None
    timezone: str = "UTC"
    catchup: CatchUp = "last"
    max_active_runs: int = 1


@dataclass(frozen=True, slots=True)
class Node:
    """One step of a pipeline. `code` holds the source even when it came from `file`."""

    id: str
    lang: str
    code: str
    file: str | None = None
    needs: tuple[str, ...] = ()
    retries: int = 0
    retry_backoff: float = 1.0
    timeout: float | None = None
    requires: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    connection: str | None = None
    line: int = 0
    code_line: int = 0
    """Line of the pipeline file where the node's inline code starts (0 for `file:`)."""


@dataclass(frozen=True, slots=True)
class Pipeline:
    name: str
    nodes: tuple[Node, ...]
    description: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    schedule: Schedule | None = None
    path: str = "<string>"
    source: str = ""
    """The file's text as it was loaded: what `omnix deploy` stores and versions."""

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def graph(self) -> nx.DiGraph:
        """Edges point downstream: upstream -> node."""
        # Imported here: networkx costs ~14 MiB of memory, which an idle agent (budget
        # 60 MiB) should not pay before it validates a pipeline.
        import networkx as nx

        graph = nx.DiGraph()
        for node in self.nodes:
            graph.add_node(node.id)
            for upstream in node.needs:
                graph.add_edge(upstream, node.id)
        return graph

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(node.lang for node in self.nodes)


def load_pipeline(path: str | Path, *, languages: frozenset[str] | None = None) -> Pipeline:
    """Read and validate a pipeline file; raise `PipelineInvalid` listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PipelineInvalid([Problem(str(path), 0, "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PipelineInvalid([Problem(str(path), 0, f"cannot read the file: {exc}")]) from None
    return parse_pipeline(text, path=str(path), base_dir=path.parent, languages=languages)


def parse_pipeline(
    text: str,
    *,
    path: str = "<string>",
    base_dir: Path | None = None,
    languages: frozenset[str] | None = None,
) -> Pipeline:
    """Validate pipeline text. `base_dir` resolves `file:`; `languages` defaults to the installed ones."""
    from omnix.shared.validation import build_pipeline

    return build_pipeline(
        text,
        path=path,
        base_dir=base_dir,
        languages=languages if languages is not None else known_languages(),
    )


def known_languages() -> frozenset[str]:
    """Built-in languages plus those added by packages in the `omnix.adapters` entry-point group."""
    from importlib.metadata import entry_points

    return frozenset(BUILTIN_LANGUAGES) | {ep.name for ep in entry_points(group="omnix.adapters")}
