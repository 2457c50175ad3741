"""The `nodes:` list: ids that are variables in every language, a known lang, code or file,
needs, retries, timeouts, requires, secrets and env."""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable
from pathlib import Path

from omnix.shared.duration import DurationError, parse_duration
from omnix.shared.pipeline import (
    BUILTIN_LANGUAGES,
    Node,
)
from omnix.shared.validation.located import (
    Collector,
    check_keys,
    item_line,
    line_of_key,
)
from ruamel.yaml.comments import CommentedMap, CommentedSeq

NODE_ID = re.compile(r"[a-z_][a-z0-9_]*\Z")


ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


NODE_KEYS = (
    "id",
    "lang",
    "code",
    "file",
    "needs",
    "retries",
    "retry_backoff",
    "timeout",
    "requires",
    "secrets",
    "env",
    "connection",
)


# A node id becomes a variable in every language, so it must not be a reserved word in any.
RESERVED_IDS = frozenset(
    {"params", "inputs", "omnix"}
    | set(keyword.kwlist)
    | set(keyword.softkwlist)
    | {  # JavaScript
        "arguments", "await", "break", "case", "catch", "class", "const", "continue",
        "debugger", "default", "delete", "do", "else", "enum", "eval", "export", "extends",
        "false", "finally", "for", "function", "if", "implements", "import", "in",
        "instanceof", "interface", "let", "new", "null", "package", "private", "protected",
        "public", "return", "static", "super", "switch", "this", "throw", "true", "try",
        "typeof", "undefined", "var", "void", "while", "with", "yield",
    }
    | {  # R and Julia
        "repeat", "next", "na", "nan", "inf", "begin", "end", "module", "baremodule",
        "quote", "local", "global", "macro", "mutable", "struct", "abstract", "primitive",
        "type", "using", "export", "where", "do", "let",
    }
    | {  # Scala and Go
        "def", "object", "trait", "val", "sealed", "override", "lazy", "implicit", "match",
        "forsome", "chan", "defer", "fallthrough", "func", "go", "goto", "map", "range",
        "select", "var", "nil", "iota",
    }
    | {  # SQL words that would need quoting as table names
        "select", "from", "where", "group", "order", "by", "table", "join", "on", "as",
        "union", "limit", "having", "values", "insert", "update", "create", "drop",
    }
)  # fmt: skip


def parse_nodes(
    document: CommentedMap, out: Collector, *, base_dir: Path | None, languages: frozenset[str]
) -> list[Node]:
    raw_nodes = document.get("nodes")
    line = line_of_key(document, "nodes", 1)
    if raw_nodes is None:
        out.add(line if "nodes" in document else 1, "missing `nodes:` (a list of nodes)")
        return []
    if not isinstance(raw_nodes, CommentedSeq):
        out.add(line, "`nodes` must be a list of nodes")
        return []
    if not raw_nodes:
        out.add(line, "the pipeline has no nodes")
        return []

    nodes: list[Node] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_nodes):
        node_line = item_line(raw_nodes, index, line)
        if not isinstance(raw, CommentedMap):
            out.add(node_line, f"node #{index + 1} must be a mapping with `id`, `lang` and `code`")
            continue
        node = _node(raw, node_line, out, base_dir=base_dir, languages=languages)
        if node is None:
            continue
        if node.id in seen:
            out.add(
                node_line, f"duplicate node id (first defined on line {seen[node.id]})", node.id
            )
            continue
        seen[node.id] = node_line
        nodes.append(node)
    return nodes


def _node(
    raw: CommentedMap,
    line: int,
    out: Collector,
    *,
    base_dir: Path | None,
    languages: frozenset[str],
) -> Node | None:
    node_id = raw.get("id")
    ok = True
    if node_id is None:
        out.add(line, "node has no `id`")
        return None
    if not isinstance(node_id, str) or not NODE_ID.match(node_id):
        out.add(
            line_of_key(raw, "id", line),
            f"bad node id {node_id!r}: use lower-case letters, digits and '_', "
            "starting with a letter or '_' (it becomes a variable name in every language)",
        )
        return None
    if node_id in RESERVED_IDS:
        out.add(
            line_of_key(raw, "id", line),
            f"node id '{node_id}' is a reserved word in a node language; pick another name",
            node_id,
        )
        ok = False

    def at(key: str) -> int:
        return line_of_key(raw, key, line)

    def problem(key: str, message: str) -> None:
        nonlocal ok
        ok = False
        out.add(at(key), message, node_id)

    check_keys(raw, NODE_KEYS, f"node '{node_id}'", out, node_id)
    if any(key not in NODE_KEYS for key in raw):
        ok = False

    lang = raw.get("lang")
    if lang is None:
        problem("id", "missing `lang` (one of " + ", ".join(sorted(languages)) + ")")
    elif lang not in languages:
        problem("lang", f"unknown language {lang!r}; known: {', '.join(sorted(languages))}")

    code, file, code_line = _code(raw, node_id, line, out, base_dir)
    if code is None:
        ok = False

    needs = _string_list(raw, "needs", problem, NODE_ID, "node ids")
    requires = _string_list(raw, "requires", problem, None, "capability tags")
    secrets = _string_list(raw, "secrets", problem, ENV_NAME, "secret names")
    if node_id in needs:
        problem("needs", "a node cannot need itself")

    retries = _number(raw, "retries", 0, problem, integer=True, minimum=0)
    backoff = _number(raw, "retry_backoff", 1.0, problem, integer=False, minimum=0)
    timeout = _timeout(raw, problem)
    env = _env(raw, problem)
    connection = raw.get("connection")
    if connection is not None:
        if lang in BUILTIN_LANGUAGES and lang != "sql":
            problem("connection", "`connection` only applies to sql nodes and connector nodes")
        elif lang != "sql":
            # A connector's own business (a PostgreSQL URL, ...): it checks it when it runs.
            if not isinstance(connection, str) or not connection.strip():
                problem("connection", "`connection` must be a non-empty string")
        elif not isinstance(connection, str) or not connection.startswith("sqlite:"):
            problem(
                "connection", "`connection` must look like sqlite:PATH (PATH relative to the file)"
            )
        elif base_dir is not None and not (base_dir / connection[len("sqlite:") :]).is_file():
            problem("connection", f"no SQLite file at {connection[len('sqlite:') :]!r}")

    # A node with problems still takes part in the graph checks, so that one bad field does
    # not also report every `needs` that names it; the pipeline is not built either way.
    del ok
    return Node(
        id=node_id,
        lang=str(lang or ""),
        code=str(code or ""),
        file=file,
        needs=needs,
        retries=int(retries),
        retry_backoff=float(backoff),
        timeout=timeout,
        requires=requires,
        secrets=secrets,
        env=env,
        connection=str(connection) if connection is not None else None,
        line=line,
        code_line=code_line,
    )


def _code(
    raw: CommentedMap, node_id: str, line: int, out: Collector, base_dir: Path | None
) -> tuple[str | None, str | None, int]:
    """The node's source and where it came from: (code, file, first line in the pipeline file)."""
    has_code, has_file = "code" in raw, "file" in raw
    if has_code == has_file:
        out.add(line, "a node needs exactly one of `code:` and `file:`", node_id)
        return None, None, 0
    if has_code:
        code = raw["code"]
        if not isinstance(code, str) or not code.strip():
            out.add(line_of_key(raw, "code", line), "`code` must be non-empty text", node_id)
            return None, None, 0
        key_line = line_of_key(raw, "code", line)
        # A block scalar (`code: |`) starts on the line after the key.
        starts_below = "\n" in code
        return code, None, key_line + 1 if starts_below else key_line
    file = raw["file"]
    file_line = line_of_key(raw, "file", line)
    if not isinstance(file, str) or not file:
        out.add(file_line, "`file` must be a path relative to the pipeline file", node_id)
        return None, None, 0
    source = (base_dir or Path.cwd()) / file
    try:
        return source.read_text(encoding="utf-8"), file, 0
    except FileNotFoundError:
        out.add(file_line, f"`file` {file!r} does not exist (looked for {source})", node_id)
    except (OSError, UnicodeDecodeError) as exc:
        out.add(file_line, f"cannot read `file` {file!r}: {exc}", node_id)
    return None, None, 0


def _string_list(
    raw: CommentedMap,
    key: str,
    problem: Callable[[str, str], None],
    pattern: re.Pattern[str] | None,
    what: str,
) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problem(key, f"`{key}` must be a list of {what}")
        return ()
    bad = [item for item in value if pattern is not None and not pattern.match(item)]
    if bad:
        problem(key, f"bad {what} in `{key}`: {', '.join(map(repr, bad))}")
        return ()
    return tuple(str(item) for item in value)


def _number(
    raw: CommentedMap,
    key: str,
    default: float,
    problem: Callable[[str, str], None],
    *,
    integer: bool,
    minimum: float,
) -> float:
    value = raw.get(key, default)
    kinds: tuple[type[int] | type[float], ...] = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value < minimum:
        kind = "a whole number" if integer else "a number"
        problem(key, f"`{key}` must be {kind} >= {minimum:g}, found {value!r}")
        return default
    return float(value)


def _timeout(raw: CommentedMap, problem: Callable[[str, str], None]) -> float | None:
    value = raw.get("timeout")
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except DurationError as exc:
            problem("timeout", f"bad `timeout`: {exc}")
            return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        problem("timeout", f"`timeout` must be seconds > 0 or a duration like 5m, found {value!r}")
        return None
    return float(value)


def _env(raw: CommentedMap, problem: Callable[[str, str], None]) -> dict[str, str]:
    value = raw.get("env")
    if value is None:
        return {}
    if not isinstance(value, dict):
        problem("env", "`env` must be a mapping of NAME: value")
        return {}
    env: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not ENV_NAME.match(key):
            problem("env", f"bad environment variable name {key!r}")
        elif isinstance(item, dict | list) or item is None:
            problem("env", f"`env.{key}` must be a string, number or boolean")
        else:
            env[key] = str(item).lower() if isinstance(item, bool) else str(item)
    return env
