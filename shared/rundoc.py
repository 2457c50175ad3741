"""The run document: the one JSON shape `--json` prints for a run (ARCHITECTURE §4)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from omnix.shared.status import NodeStatus, RunStatus

JsonValue = Any
"""A value `json.dumps` accepts; tables are lists of row objects."""


@dataclass(slots=True)
class NodeResult:
    status: NodeStatus = NodeStatus.PENDING
    attempts: int = 0
    duration_s: float | None = None
    output: JsonValue = None
    error: str | None = None

    def to_json(self, *, with_output: bool = True) -> dict[str, JsonValue]:
        doc: dict[str, JsonValue] = {
            "status": str(self.status),
            "attempts": self.attempts,
            "duration_s": self.duration_s,
        }
        if with_output:
            doc["output"] = self.output
        doc["error"] = self.error
        return doc


@dataclass(slots=True)
class RunDocument:
    run_id: str
    pipeline: str
    status: RunStatus = RunStatus.QUEUED
    nodes: dict[str, NodeResult] = field(default_factory=dict)

    def to_json(self, *, with_output: bool = True) -> dict[str, JsonValue]:
        return {
            "run_id": self.run_id,
            "pipeline": self.pipeline,
            "status": str(self.status),
            "nodes": {
                node_id: result.to_json(with_output=with_output)
                for node_id, result in self.nodes.items()
            },
        }

    def dumps(self, *, with_output: bool = True) -> str:
        return json.dumps(self.to_json(with_output=with_output), ensure_ascii=False)
