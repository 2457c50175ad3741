"""Pipeline text plus the files its `file:` nodes name, validated on the agent.

A client sends a pipeline's text and, for each `file:` node, that file's text keyed by the
path as written. The agent never reads `file:` paths from its own disk: it writes the sent
files into a private temporary directory and validates against that, so a path outside it
(absolute, or climbing with `..`) is refused, and a file that was not sent is reported as
missing like on the client.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from omnix.agent.errors import BadRequest
from omnix.shared.pipeline import Pipeline, PipelineInvalid, Problem, parse_pipeline

MAX_FILES = 1000

Files = tuple[tuple[str, str], ...]
"""(path as written, text), sorted: hashable, so parses can be cached."""


def files_key(files: Mapping[str, str]) -> Files:
    """The canonical, hashable form of a files mapping, with every path checked."""
    if len(files) > MAX_FILES:
        raise BadRequest(f"at most {MAX_FILES} files per pipeline, got {len(files)}")
    for name in files:
        _check_relative(name)
    return tuple(sorted(files.items()))


def _check_relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or "\x00" in name:
        raise BadRequest(
            f"file {name[:200]!r}: `file:` paths must be relative to the pipeline file "
            "and stay below it"
        )
    return path


@functools.lru_cache(maxsize=64)
def parse_bundle(source: str, path: str, files: Files = ()) -> Pipeline:
    """Validate `source` with `files`; remembered, since validating a large pipeline costs far
    more than the bookkeeping of running it and the same text is run again and again.
    `Pipeline` is immutable, so sharing it is safe; invalid text raises every time."""
    with tempfile.TemporaryDirectory(prefix="omnix-bundle-") as scratch:
        base = Path(scratch)
        for name, text in files:
            target = base / _check_relative(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        pipeline = parse_pipeline(source, path=path, base_dir=base)
    escaped = [
        Problem(
            path,
            node.line,
            f"`file` {node.file!r} must be relative and stay below the pipeline file",
            node.id,
        )
        for node in pipeline.nodes
        if node.file is not None
        and (PurePosixPath(node.file).is_absolute() or ".." in PurePosixPath(node.file).parts)
    ]
    if escaped:
        raise PipelineInvalid(escaped)
    return pipeline
