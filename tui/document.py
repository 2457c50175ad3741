"""The editable pipeline document: a pipeline file held in ruamel.yaml's round-trip mode.

Every edit touches only the YAML nodes it must, so saving keeps comments, key order,
quoting and layout of everything else. Node positions the user chose live under the
top-level `ui:` mapping (`ui: {positions: {node_id: [x, y]}}`), which validation ignores.
Nothing here knows about Textual.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnix.shared.pipeline import Pipeline, PipelineInvalid, Problem, parse_pipeline
from omnix.shared.validation.located import yaml_error
from omnix.shared.validation.nodes import NODE_ID
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

EDITABLE_FIELDS = ("lang", "code", "retries", "timeout", "requires")


class DocumentError(Exception):
    """The file cannot be opened for editing at all (missing, unreadable, not YAML)."""


@dataclass(frozen=True, slots=True)
class Validation:
    """The outcome of validating the document's current text."""

    pipeline: Pipeline | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return self.pipeline is not None and not self.problems


def _guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) indentation as the file uses it, so edits match it.

    Defaults to the style of the format's documentation: `nodes:` then `  - id: ...`.
    """
    mapping, sequence, offset = 0, 0, -1
    previous_indent = -1
    previous_opens_block = False
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        if previous_opens_block and indent >= previous_indent:
            if stripped.startswith("- ") and offset < 0:
                offset = indent - previous_indent
                rest = stripped[2:]
                sequence = offset + 2 + (len(rest) - len(rest.lstrip(" ")))
            elif indent > previous_indent and not stripped.startswith("-") and not mapping:
                mapping = indent - previous_indent
        content = stripped[2:].lstrip(" ") if stripped.startswith("- ") else stripped
        previous_opens_block = re.match(r"[^#]*:\s*(#.*)?$", content) is not None
        previous_indent = indent
        if mapping and offset >= 0:
            break
    mapping = mapping or 2
    if offset < 0:
        return mapping, mapping + 2, 2
    return mapping, max(sequence, offset + 2), offset


def _yaml(mapping: int, sequence: int, offset: int) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines the user wrote
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


class PipelineDocument:
    """A pipeline file being edited; every mutation keeps untouched text byte-for-byte."""

    def __init__(self, text: str, path: str | Path = "<new>") -> None:
        self.path = Path(path)
        self._yaml = _yaml(*_guess_indent(text))
        try:
            data = self._yaml.load(text)
        except YAMLError as exc:
            line, message = yaml_error(exc)
            raise DocumentError(
                f"{self.path}:{line}: {message}; fix it in a text editor, then open it again"
            ) from None
        if data is None:
            data = CommentedMap()
        if not isinstance(data, CommentedMap):
            raise DocumentError(f"{self.path}: a pipeline file is a YAML mapping at the top level")
        nodes = data.get("nodes")
        if nodes is not None and not isinstance(nodes, CommentedSeq):
            raise DocumentError(f"{self.path}: `nodes` must be a list of nodes to be edited")
        self.data: CommentedMap = data
        self.saved_text = text
        self.dirty = False

    # -- loading and saving ------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path) -> PipelineDocument:
        """Open a pipeline file; `DocumentError` says why when it cannot be edited."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DocumentError(f"{path}: no such file (create it, or check the path)") from None
        except IsADirectoryError:
            raise DocumentError(f"{path}: is a directory, not a pipeline file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise DocumentError(f"{path}: cannot read the file: {exc}") from None
        return cls(text, path)

    def dumps(self) -> str:
        """The document's current text."""
        stream = io.StringIO()
        self._yaml.dump(self.data, stream)
        return stream.getvalue()

    def save(self, path: str | Path | None = None) -> None:
        """Write the document back (to `path` when given, making it the document's path)."""
        if path is not None:
            self.path = Path(path)
        text = self.dumps()
        self.path.write_text(text, encoding="utf-8")
        self.saved_text = text
        self.dirty = False

    def reset_to(self, text: str) -> None:
        """Replace the content with an earlier version of the text (undo, redo)."""
        earlier = PipelineDocument(text, self.path)
        self.data, self._yaml = earlier.data, earlier._yaml
        self.dirty = text != self.saved_text

    def validate(self) -> Validation:
        """Validate the current text with the same validator `omnix validate` uses."""
        return validate_text(self.dumps(), self.path)

    # -- reading -----------------------------------------------------------------------

    def _nodes(self) -> CommentedSeq:
        nodes = self.data.get("nodes")
        if nodes is None:
            nodes = CommentedSeq()
            self.data["nodes"] = nodes
        assert isinstance(nodes, CommentedSeq)
        return nodes

    def _node_maps(self) -> Iterator[CommentedMap]:
        for item in self.data.get("nodes") or ():
            if isinstance(item, CommentedMap) and isinstance(item.get("id"), str):
                yield item

    def node_ids(self) -> list[str]:
        """Ids of the nodes in file order, each once (a duplicate is a validation problem)."""
        return list(dict.fromkeys(str(node["id"]) for node in self._node_maps()))

    def node(self, node_id: str) -> CommentedMap:
        """The YAML mapping of the first node with this id."""
        for node in self._node_maps():
            if node["id"] == node_id:
                return node
        raise KeyError(node_id)

    def needs(self, node_id: str) -> list[str]:
        """Upstream ids of a node as written (a single string counts as one)."""
        needs = self.node(node_id).get("needs")
        if isinstance(needs, str):
            return [needs]
        if isinstance(needs, list):
            return [str(n) for n in needs]
        return []

    def edges(self) -> list[tuple[str, str]]:
        """(upstream, downstream) pairs between existing nodes, in file order."""
        ids = set(self.node_ids())
        pairs: list[tuple[str, str]] = []
        for node_id in self.node_ids():
            pairs.extend((up, node_id) for up in self.needs(node_id) if up in ids)
        return list(dict.fromkeys(pairs))

    def code_mentioning(self, name: str) -> list[str]:
        """Nodes whose inline code mentions `name` as a whole word."""
        word = re.compile(rf"\b{re.escape(name)}\b")
        return [
            str(node["id"])
            for node in self._node_maps()
            if isinstance(node.get("code"), str) and word.search(node["code"])
        ]

    def field(self, node_id: str, key: str) -> Any:
        """A node's raw value for `key`, or None."""
        return self.node(node_id).get(key)

    # -- editing nodes -----------------------------------------------------------------

    def _changed(self) -> None:
        self.dirty = True

    def check_new_id(self, node_id: str) -> None:
        """Raise ValueError unless `node_id` is a well-formed id not yet in use."""
        if not NODE_ID.match(node_id):
            raise ValueError(
                f"'{node_id}' is not a valid id: use lowercase letters, digits and _, "
                "starting with a letter or _"
            )
        if node_id in self.node_ids():
            raise ValueError(f"a node named '{node_id}' already exists")

    def add_node(
        self, node_id: str, lang: str, code: str = "", needs: tuple[str, ...] = ()
    ) -> None:
        """Append a node with this id and language."""
        self.check_new_id(node_id)
        node = CommentedMap()
        node["id"] = node_id
        node["lang"] = lang
        if needs:
            node["needs"] = _flow_list(needs)
        node["code"] = _code_scalar(code)
        self._nodes().append(node)
        self._changed()

    def remove_node(self, node_id: str) -> None:
        """Delete a node, the edges other nodes have to it, and its stored position."""
        nodes = self._nodes()
        index = next(i for i, item in enumerate(nodes) if item is self.node(node_id))
        del nodes[index]
        for other in self.node_ids():
            if node_id in self.needs(other):
                self.disconnect(node_id, other)
        positions = self._positions(create=False)
        if positions is not None and node_id in positions:
            del positions[node_id]
        self._changed()

    def connect(self, upstream: str, downstream: str) -> None:
        """Make `downstream` need `upstream` (no-op when it already does)."""
        self.node(upstream)
        node = self.node(downstream)
        if upstream == downstream:
            raise ValueError(f"a node cannot need itself ('{upstream}')")
        needs = node.get("needs")
        if needs is None:
            node.insert(_key_index(node, after=("lang", "id")), "needs", _flow_list([upstream]))
        elif isinstance(needs, str):
            if needs == upstream:
                return
            node["needs"] = _flow_list([needs, upstream])
        elif isinstance(needs, list):
            if upstream in needs:
                return
            needs.append(upstream)
        else:
            raise ValueError(f"node '{downstream}': `needs` is neither a list nor an id")
        self._changed()

    def disconnect(self, upstream: str, downstream: str) -> None:
        """Remove `upstream` from `downstream`'s needs (dropping an emptied `needs:`)."""
        node = self.node(downstream)
        needs = node.get("needs")
        if isinstance(needs, str) and needs == upstream:
            del node["needs"]
        elif isinstance(needs, list) and upstream in needs:
            while upstream in needs:
                needs.remove(upstream)
            if not needs:
                del node["needs"]
        else:
            raise KeyError(f"'{downstream}' does not need '{upstream}'")
        self._changed()

    def rename(self, old: str, new: str) -> None:
        """Change a node's id and every `needs` and position that names it."""
        if old == new:
            return
        self.check_new_id(new)
        self.node(old)["id"] = new
        for node in self._node_maps():
            needs = node.get("needs")
            if isinstance(needs, str) and needs == old:
                node["needs"] = new
            elif isinstance(needs, list):
                for i, upstream in enumerate(needs):
                    if upstream == old:
                        needs[i] = new
        positions = self._positions(create=False)
        if positions is not None and old in positions:
            index = list(positions).index(old)
            positions.insert(index, new, positions.pop(old))
        self._changed()

    def set_field(self, node_id: str, key: str, value: Any) -> None:
        """Set lang/code/retries/timeout/requires; None removes the key."""
        if key not in EDITABLE_FIELDS:
            raise ValueError(f"'{key}' is not an editable field ({', '.join(EDITABLE_FIELDS)})")
        node = self.node(node_id)
        if value is None:
            if key in node:
                del node[key]
                self._changed()
            return
        if key == "code":
            value = _code_scalar(str(value))
        elif key == "requires":
            value = _flow_list([str(tag) for tag in value])
        if node.get(key) == value and not isinstance(value, LiteralScalarString):
            return
        if key in node:
            node[key] = value
        else:
            node.insert(_key_index(node, after=("needs", "lang", "id")), key, value)
        self._changed()

    # -- positions under `ui:` -------------------------------------------------------------

    def _positions(self, *, create: bool) -> CommentedMap | None:
        ui = self.data.get("ui")
        if not isinstance(ui, CommentedMap):
            if not create:
                return None
            ui = CommentedMap()
            self.data["ui"] = ui
        positions = ui.get("positions")
        if not isinstance(positions, CommentedMap):
            if not create:
                return None
            positions = CommentedMap()
            ui["positions"] = positions
        return positions

    def positions(self) -> dict[str, tuple[int, int]]:
        """Positions the user placed nodes at, in character cells."""
        result: dict[str, tuple[int, int]] = {}
        for node_id, value in (self._positions(create=False) or {}).items():
            if (
                isinstance(value, list)
                and len(value) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            ):
                result[str(node_id)] = (int(value[0]), int(value[1]))
        return result

    def set_position(self, node_id: str, x: int, y: int) -> None:
        """Remember where the user put a node."""
        self.node(node_id)
        positions = self._positions(create=True)
        assert positions is not None
        positions[node_id] = _flow_list([max(0, x), max(0, y)])
        self._changed()


def validate_text(text: str, path: Path) -> Validation:
    """Validate pipeline text as if it were the file at `path` (which need not exist yet)."""
    base_dir = path.parent if path.parent.is_dir() else None
    try:
        pipeline = parse_pipeline(text, path=str(path), base_dir=base_dir)
    except PipelineInvalid as exc:
        return Validation(None, tuple(exc.problems))
    return Validation(pipeline, ())


def problem_nodes(problems: Iterable[Problem], known: Iterable[str]) -> set[str]:
    """Nodes to flag on the graph: the ones problems name, and every member of a cycle."""
    ids = set(known)
    flagged: set[str] = set()
    for problem in problems:
        if problem.node in ids:
            flagged.add(problem.node)
        if problem.message.startswith("cycle:"):
            # The validator names the cycle's first node and spells the path `a -> b -> a`.
            path = problem.message[6:].replace("→", "->")
            flagged |= {part.strip() for part in path.split("->")} & ids
    return flagged


def _flow_list(items: Any) -> CommentedSeq:
    seq = CommentedSeq(list(items))
    seq.fa.set_flow_style()
    return seq


_TRAILING_BLANK_LINES = re.compile(r"(?:\n[ \t]*)+\Z")


def _code_scalar(code: str) -> str:
    # Multi-line code reads best as a literal block (`code: |`), as users write it. Blank
    # lines at the end mean nothing to any language; kept, they would be saved as `|+`
    # and a document end marker (`...`) no one wrote.
    code = _TRAILING_BLANK_LINES.sub("", code)
    if "\n" in code:
        block: str = LiteralScalarString(code + "\n")
        return block
    return code


def _key_index(node: CommentedMap, after: tuple[str, ...]) -> int:
    """Where a new key goes: right after the first of `after` present, else at the end."""
    keys = list(node)
    for key in after:
        if key in keys:
            return keys.index(key) + 1
    return len(keys)
