"""The run document: the one JSON shape `--json` prints for a run (ARCHITECTURE §4)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from omnix.shared.status import NodeStatus, RunStatus

JsonValue = Any
"""A value `json.dumps` accepts; tables are lists of row objects."""


@dataclass(slots=True)
class NodeResult:
    status: NodeStatus = NodeStatus.PENDING
    attempts: int = 0
    duration_s: float | None = None
    """Wall time of the last attempt, from when its code started in a worker."""
    queue_wait_s: float | None = None
    """Seconds the last attempt waited for a run slot and a worker before its code started."""
    output: JsonValue = None
    error: str | None = None
    output_text: str | bytes | None = None
    """The output as JSON text (or its UTF-8 bytes, as read from an agent), when it was
    kept as text: a million-row table stays one string instead of a million dicts, and
    `RunDocument.dumps` and `write` splice it in as it is."""
    output_bytes: int | None = None
    """The output's size, when the agent wrote it to its store as a file instead."""

    @property
    def value(self) -> JsonValue:
        """The output as a value, whether it was kept as a value or as text."""
        if self.output is None and self.output_text is not None:
            return json.loads(self.output_text)
        return self.output

    def to_json(self, *, with_output: bool = True) -> dict[str, JsonValue]:
        doc: dict[str, JsonValue] = {
            "status": str(self.status),
            "attempts": self.attempts,
            "duration_s": self.duration_s,
            "queue_wait_s": self.queue_wait_s,
        }
        if with_output:
            doc["output"] = self.value
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
        """The document as JSON text; outputs kept as text are spliced in unparsed."""
        return "".join(
            part if isinstance(part, str) else part.decode()
            for part in self._parts(with_output=with_output)
        )

    def write(self, stream: BinaryIO) -> None:
        """Write the document as UTF-8 JSON to `stream`; outputs kept as bytes go out as
        they are, never decoded or copied into one text."""
        for part in self._parts(with_output=True):
            stream.write(part.encode() if isinstance(part, str) else part)

    def _parts(self, *, with_output: bool) -> list[str | bytes]:
        """The document's JSON in pieces: its own fields as text, and between them each
        output kept as text or bytes, spliced in unparsed."""
        doc = self.to_json(with_output=False)
        spliced: dict[str, str | bytes] = {}
        if with_output:
            for index, (node_id, result) in enumerate(self.nodes.items()):
                node = doc["nodes"][node_id]
                node.pop("error")
                if result.output_text is not None and result.output is None:
                    # A marker no encoded value can contain: json.dumps escapes NUL.
                    marker = f"\x00omnix-output-{index}\x00"
                    node["output"] = marker
                    spliced[json.dumps(marker)] = result.output_text
                else:
                    node["output"] = result.output
                node["error"] = result.error
        rest = json.dumps(doc, ensure_ascii=False)
        parts: list[str | bytes] = []
        for quoted, output in spliced.items():
            before, rest = rest.split(quoted, 1)
            parts += [before, output]
        parts.append(rest)
        return parts
