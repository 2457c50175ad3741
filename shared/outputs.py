"""The outputs a run prints without `--json`: those of its final nodes, tables cut short.

Shared by `omnix run` (through an agent) and `omnix-agent run` (in-process), so both print
the same thing."""

from __future__ import annotations

import json

from omnix.shared.pipeline import Pipeline
from omnix.shared.rundoc import RunDocument

SHOWN_ROWS = 20


def final_output_lines(pipeline: Pipeline, document: RunDocument) -> list[str]:
    """One `node: output` line per succeeded node that nothing else needs."""
    needed = {upstream for node in pipeline.nodes for upstream in node.needs}
    lines = []
    for node in pipeline.nodes:
        result = document.nodes.get(node.id)
        if result is None or node.id in needed or result.status != "succeeded":
            continue
        output = result.output
        more = ""
        if isinstance(output, list) and len(output) > SHOWN_ROWS:
            more = f"\n  ... {len(output) - SHOWN_ROWS} more (use --json for everything)"
            output = output[:SHOWN_ROWS]
        text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
        lines.append(f"{node.id}: {text}{more}")
    return lines
