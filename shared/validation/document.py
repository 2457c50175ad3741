"""The whole file: format version, name, description, params, then the schedule, nodes
and graph checks of the other modules, into one `Pipeline` or every problem at once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from omnix.shared.params import ParamError, check_json_params
from omnix.shared.pipeline import (
    FORMAT_VERSION,
    Pipeline,
    PipelineInvalid,
)
from omnix.shared.validation.graph import check_graph
from omnix.shared.validation.located import (
    Collector,
    check_keys,
    line_of_key,
    parse_yaml,
    plain_value,
)
from omnix.shared.validation.nodes import ENV_NAME, parse_nodes
from omnix.shared.validation.schedule import parse_schedule
from ruamel.yaml.comments import CommentedMap

PIPELINE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")


TOP_LEVEL_KEYS = ("omnix", "name", "description", "params", "schedule", "nodes", "ui")


def build_pipeline(
    text: str, *, path: str, base_dir: Path | None, languages: frozenset[str]
) -> Pipeline:
    """Validate `text`; return the `Pipeline` or raise `PipelineInvalid` with every problem."""
    out = Collector(path)
    document = parse_yaml(text, out)
    if out.problems:
        raise PipelineInvalid(out.problems)
    if not isinstance(document, CommentedMap):
        out.add(1, "a pipeline file is a YAML mapping with at least `omnix`, `name` and `nodes`")
        raise PipelineInvalid(out.problems)

    check_keys(document, TOP_LEVEL_KEYS, "the pipeline", out, None)
    version = document.get("omnix")
    if version != FORMAT_VERSION:
        line = line_of_key(document, "omnix", 1)
        shown = "missing" if "omnix" not in document else repr(version)
        out.add(line, f"`omnix:` must be {FORMAT_VERSION} (the format version), found {shown}")

    name = _pipeline_name(document, out)
    description = document.get("description", "")
    if not isinstance(description, str):
        out.add(line_of_key(document, "description", 1), "`description` must be a string")
        description = ""
    params = _params(document, out)
    schedule = parse_schedule(document, out)
    if "ui" in document and not isinstance(document["ui"], dict):
        out.add(line_of_key(document, "ui", 1), "`ui` must be a mapping (editor layout data)")
    nodes = parse_nodes(document, out, base_dir=base_dir, languages=languages)
    check_graph(nodes, out)

    if out.problems:
        raise PipelineInvalid(sorted(out.problems, key=lambda problem: problem.line))
    return Pipeline(
        name=name,
        nodes=tuple(nodes),
        description=description,
        params=params,
        schedule=schedule,
        path=path,
        source=text,
    )


def _pipeline_name(document: CommentedMap, out: Collector) -> str:
    name = document.get("name")
    line = line_of_key(document, "name", 1)
    if name is None:
        out.add(1, "missing `name:` (a pipeline name like sales-report)")
        return ""
    if not isinstance(name, str) or not PIPELINE_NAME.match(name):
        out.add(
            line,
            f"bad pipeline name {name!r}: use lower-case letters, digits, '-' and '_', "
            "starting with a letter or digit",
        )
        return ""
    return name


def _params(document: CommentedMap, out: Collector) -> dict[str, Any]:
    params = document.get("params", {})
    if params is None:
        return {}
    if not isinstance(params, dict):
        out.add(line_of_key(document, "params", 1), "`params` must be a mapping of name: default")
        return {}
    result: dict[str, Any] = {}
    for key, value in params.items():
        if not isinstance(key, str) or not ENV_NAME.match(key):
            out.add(line_of_key(params, key, 1), f"bad param name {key!r}: use a variable name")
            continue
        plain = plain_value(value)
        try:
            # Every language receives params as JSON: a YAML date or timestamp is refused
            # here, with its line, instead of failing (or being converted) at run time.
            check_json_params({key: plain})
        except ParamError as exc:
            out.add(line_of_key(params, key, 1), str(exc))
            continue
        result[key] = plain
    return result
