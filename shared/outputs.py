"""The outputs a run prints without `--json`: those of its final nodes, tables cut short.

Shared by `omnix run` (through an agent) and `omnix-agent run` (in-process), so both print
the same thing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum

from omnix.shared.pipeline import Pipeline
from omnix.shared.rundoc import RunDocument

SHOWN_ROWS = 20


class KeepOutputs(StrEnum):
    """Which node outputs a run turns into JSON and keeps. Converting a large table costs
    time and memory, so a run keeps only what its client will show."""

    ALL = "all"
    """Every node's output (`--json`)."""
    FINAL = "final"
    """The final nodes' outputs (those no other node needs): what a plain run prints."""
    NONE = "none"

    def selection(self, pipeline: Pipeline, nodes: Sequence[str] = ()) -> bool | frozenset[str]:
        """The engine's `include_outputs` argument for `pipeline`; `nodes`, when given, are
        the ones to keep instead (`--output NODE`)."""
        if nodes:
            return frozenset(nodes)
        if self is KeepOutputs.ALL:
            return True
        if self is KeepOutputs.NONE:
            return False
        return final_node_ids(pipeline)


class UnknownNode(ValueError):
    """An output asked for by a node id the pipeline does not have."""


def check_output_nodes(pipeline: Pipeline, nodes: Sequence[str]) -> None:
    """Raise `UnknownNode` naming the ids in `nodes` that are not nodes of `pipeline`."""
    known = [node.id for node in pipeline.nodes]
    unknown = [node_id for node_id in nodes if node_id not in known]
    if unknown:
        listed = ", ".join(repr(node_id) for node_id in unknown)
        raise UnknownNode(
            f"--output {listed}: no such node in pipeline {pipeline.name!r}; "
            f"its nodes are {', '.join(known)}"
        )


def final_node_ids(pipeline: Pipeline) -> frozenset[str]:
    """The nodes no other node needs."""
    needed = {upstream for node in pipeline.nodes for upstream in node.needs}
    return frozenset(node.id for node in pipeline.nodes if node.id not in needed)


def final_output_lines(pipeline: Pipeline, document: RunDocument) -> list[str]:
    """One `node: output` line per succeeded node that nothing else needs."""
    final = final_node_ids(pipeline)
    return output_lines(document, [node.id for node in pipeline.nodes if node.id in final])


def output_lines(document: RunDocument, node_ids: list[str]) -> list[str]:
    """One `node: output` line per succeeded node of `node_ids`, tables cut short."""
    lines = []
    for node_id in node_ids:
        result = document.nodes.get(node_id)
        if result is None or result.status != "succeeded":
            continue
        output = result.value
        more = ""
        if isinstance(output, list) and len(output) > SHOWN_ROWS:
            more = f"\n  ... {len(output) - SHOWN_ROWS} more (use --json for everything)"
            output = output[:SHOWN_ROWS]
        text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
        lines.append(f"{node_id}: {text}{more}")
    return lines
