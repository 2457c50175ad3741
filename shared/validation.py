"""Turn pipeline text into a `Pipeline`, collecting every problem with its file, line and node.

Nothing runs until a file validates, so this module is strict: unknown keys are errors,
types are checked, and every reference is resolved. It reports all problems it can find
in one pass instead of stopping at the first.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from omnix.shared.duration import DurationError, parse_duration
from omnix.shared.params import ParamError, check_json_params
from omnix.shared.pipeline import (
    FORMAT_VERSION,
    Node,
    Pipeline,
    PipelineInvalid,
    Problem,
    Schedule,
)
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

PIPELINE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
NODE_ID = re.compile(r"[a-z_][a-z0-9_]*\Z")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
TOP_LEVEL_KEYS = ("omnix", "name", "description", "params", "schedule", "nodes", "ui")
SCHEDULE_KEYS = ("cron", "every", "timezone", "catchup", "max_active_runs")
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


@dataclass
class _Collector:
    """Problems found so far, located in one file."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, line: int, message: str, node: str | None = None) -> None:
        self.problems.append(Problem(self.file, line, message, node))


def _line_of_key(mapping: Any, key: str, default: int) -> int:
    """1-based line of `key` in a ruamel mapping."""
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (KeyError, AttributeError, TypeError):
        return default


def _line_of(value: Any, default: int) -> int:
    """1-based line where a ruamel mapping or sequence starts."""
    lc = getattr(value, "lc", None)
    if lc is None or lc.line is None:
        return default
    return int(lc.line) + 1


def _check_keys(
    mapping: CommentedMap, allowed: tuple[str, ...], where: str, out: _Collector, node: str | None
) -> None:
    for key in mapping:
        if key not in allowed:
            line = _line_of_key(mapping, key, _line_of(mapping, 1))
            hint = _closest(str(key), allowed)
            suggestion = f"; did you mean '{hint}'?" if hint else ""
            out.add(
                line,
                f"unknown key '{key}' in {where}{suggestion} (allowed: {', '.join(allowed)})",
                node,
            )


def _closest(word: str, candidates: tuple[str, ...]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return matches[0] if matches else None


def _parse_yaml(text: str, out: _Collector) -> Any:
    yaml = YAML(typ="rt")
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        out.add(line, f"YAML syntax error: {exc.problem or exc.context}")
    except YAMLError as exc:
        out.add(1, f"YAML error: {exc}")
    return None


def build_pipeline(
    text: str, *, path: str, base_dir: Path | None, languages: frozenset[str]
) -> Pipeline:
    """Validate `text`; return the `Pipeline` or raise `PipelineInvalid` with every problem."""
    out = _Collector(path)
    document = _parse_yaml(text, out)
    if out.problems:
        raise PipelineInvalid(out.problems)
    if not isinstance(document, CommentedMap):
        out.add(1, "a pipeline file is a YAML mapping with at least `omnix`, `name` and `nodes`")
        raise PipelineInvalid(out.problems)

    _check_keys(document, TOP_LEVEL_KEYS, "the pipeline", out, None)
    version = document.get("omnix")
    if version != FORMAT_VERSION:
        line = _line_of_key(document, "omnix", 1)
        shown = "missing" if "omnix" not in document else repr(version)
        out.add(line, f"`omnix:` must be {FORMAT_VERSION} (the format version), found {shown}")

    name = _pipeline_name(document, out)
    description = document.get("description", "")
    if not isinstance(description, str):
        out.add(_line_of_key(document, "description", 1), "`description` must be a string")
        description = ""
    params = _params(document, out)
    schedule = _schedule(document, out)
    if "ui" in document and not isinstance(document["ui"], dict):
        out.add(_line_of_key(document, "ui", 1), "`ui` must be a mapping (editor layout data)")
    nodes = _nodes(document, out, base_dir=base_dir, languages=languages)
    _check_graph(nodes, out)

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


def _pipeline_name(document: CommentedMap, out: _Collector) -> str:
    name = document.get("name")
    line = _line_of_key(document, "name", 1)
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


def _params(document: CommentedMap, out: _Collector) -> dict[str, Any]:
    params = document.get("params", {})
    if params is None:
        return {}
    if not isinstance(params, dict):
        out.add(_line_of_key(document, "params", 1), "`params` must be a mapping of name: default")
        return {}
    result: dict[str, Any] = {}
    for key, value in params.items():
        if not isinstance(key, str) or not ENV_NAME.match(key):
            out.add(_line_of_key(params, key, 1), f"bad param name {key!r}: use a variable name")
            continue
        plain = _plain(value)
        try:
            # Every language receives params as JSON: a YAML date or timestamp is refused
            # here, with its line, instead of failing (or being converted) at run time.
            check_json_params({key: plain})
        except ParamError as exc:
            out.add(_line_of_key(params, key, 1), str(exc))
            continue
        result[key] = plain
    return result


def _plain(value: Any) -> Any:
    """ruamel's round-trip containers and scalars as plain Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def _schedule(document: CommentedMap, out: _Collector) -> Schedule | None:
    if "schedule" not in document or document["schedule"] is None:
        return None
    raw = document["schedule"]
    line = _line_of_key(document, "schedule", 1)
    if not isinstance(raw, CommentedMap):
        out.add(line, "`schedule` must be a mapping with `cron:` or `every:`")
        return None
    _check_keys(raw, SCHEDULE_KEYS, "schedule", out, None)

    def at(key: str) -> int:
        return _line_of_key(raw, key, line)

    cron = raw.get("cron")
    every = raw.get("every")
    every_s: float | None = None
    if (cron is None) == (every is None):
        out.add(line, "a schedule needs exactly one of `cron:` and `every:`")
    if cron is not None:
        error = cron_error(cron)
        if error:
            out.add(at("cron"), error)
    if every is not None:
        try:
            every_s = parse_duration(every)
        except DurationError as exc:
            out.add(at("every"), f"bad `every`: {exc}")
    timezone = raw.get("timezone", "UTC")
    if not _valid_timezone(timezone):
        out.add(
            at("timezone"),
            f"unknown timezone {timezone!r}: use an IANA name such as Europe/Berlin or UTC",
        )
    catchup = raw.get("catchup", "last")
    if catchup not in ("all", "last", "none"):
        out.add(at("catchup"), f"bad `catchup` {catchup!r}: use all, last or none")
    max_active = raw.get("max_active_runs", 1)
    if isinstance(max_active, bool) or not isinstance(max_active, int) or max_active < 1:
        out.add(at("max_active_runs"), "`max_active_runs` must be a whole number >= 1")
        max_active = 1
    return Schedule(
        cron=str(cron) if cron is not None else None,
        every_s=every_s,
        timezone=str(timezone),
        catchup=catchup if catchup in ("all", "last", "none") else "last",
        max_active_runs=int(max_active),
    )


def cron_error(expression: object) -> str | None:
    """Why `expression` is not a standard 5-field cron expression, or None when it is."""
    from omnix.shared.cron import CronError, CronExpression

    if not isinstance(expression, str):
        return f'`cron` must be a string such as "0 6 * * 1-5", found {expression!r}'
    try:
        CronExpression(expression)
    except CronError as exc:
        return str(exc)
    return None


def _valid_timezone(name: object) -> bool:
    if not isinstance(name, str) or not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _nodes(
    document: CommentedMap, out: _Collector, *, base_dir: Path | None, languages: frozenset[str]
) -> list[Node]:
    raw_nodes = document.get("nodes")
    line = _line_of_key(document, "nodes", 1)
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
        node_line = _item_line(raw_nodes, index, line)
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


def _item_line(seq: CommentedSeq, index: int, default: int) -> int:
    try:
        return int(seq.lc.item(index)[0]) + 1
    except (KeyError, AttributeError, TypeError, IndexError):
        return default


def _node(
    raw: CommentedMap,
    line: int,
    out: _Collector,
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
            _line_of_key(raw, "id", line),
            f"bad node id {node_id!r}: use lower-case letters, digits and '_', "
            "starting with a letter or '_' (it becomes a variable name in every language)",
        )
        return None
    if node_id in RESERVED_IDS:
        out.add(
            _line_of_key(raw, "id", line),
            f"node id '{node_id}' is a reserved word in a node language; pick another name",
            node_id,
        )
        ok = False

    def at(key: str) -> int:
        return _line_of_key(raw, key, line)

    def problem(key: str, message: str) -> None:
        nonlocal ok
        ok = False
        out.add(at(key), message, node_id)

    _check_keys(raw, NODE_KEYS, f"node '{node_id}'", out, node_id)
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
        if lang != "sql":
            problem("connection", "`connection` only applies to sql nodes")
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
    raw: CommentedMap, node_id: str, line: int, out: _Collector, base_dir: Path | None
) -> tuple[str | None, str | None, int]:
    """The node's source and where it came from: (code, file, first line in the pipeline file)."""
    has_code, has_file = "code" in raw, "file" in raw
    if has_code == has_file:
        out.add(line, "a node needs exactly one of `code:` and `file:`", node_id)
        return None, None, 0
    if has_code:
        code = raw["code"]
        if not isinstance(code, str) or not code.strip():
            out.add(_line_of_key(raw, "code", line), "`code` must be non-empty text", node_id)
            return None, None, 0
        key_line = _line_of_key(raw, "code", line)
        # A block scalar (`code: |`) starts on the line after the key.
        starts_below = "\n" in code
        return code, None, key_line + 1 if starts_below else key_line
    file = raw["file"]
    file_line = _line_of_key(raw, "file", line)
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


def _check_graph(nodes: list[Node], out: _Collector) -> None:
    ids = {node.id for node in nodes}
    downstream: dict[str, list[str]] = {node.id: [] for node in nodes}
    for node in nodes:
        for upstream in node.needs:
            if upstream not in ids:
                hint = _closest(upstream, tuple(sorted(ids)))
                suggestion = f"; did you mean '{hint}'?" if hint else ""
                out.add(node.line, f"`needs` names no node: '{upstream}'{suggestion}", node.id)
            elif upstream != node.id:  # a self-need is reported on the node already
                downstream[upstream].append(node.id)
    if _is_acyclic(downstream):
        return
    _report_cycles(downstream, {node.id: node.line for node in nodes}, out)


def _is_acyclic(downstream: dict[str, list[str]]) -> bool:
    """Kahn's algorithm: cheap, and keeps networkx off the path of every valid file."""
    indegree = dict.fromkeys(downstream, 0)
    for targets in downstream.values():
        for target in targets:
            indegree[target] += 1
    ready = [node for node, degree in indegree.items() if degree == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for target in downstream[node]:
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    return seen == len(downstream)


def _report_cycles(
    downstream: dict[str, list[str]], lines: dict[str, int], out: _Collector
) -> None:
    import networkx as nx

    graph = nx.DiGraph([(a, b) for a, targets in downstream.items() for b in targets])
    reported: set[frozenset[str]] = set()
    for cycle in nx.simple_cycles(graph):
        members = frozenset(cycle)
        if members in reported:
            continue
        reported.add(members)
        start = min(cycle, key=lambda node_id: lines[node_id])
        turn = cycle.index(start)
        ordered = cycle[turn:] + cycle[:turn]
        path = " -> ".join([*ordered, ordered[0]])
        out.add(lines[start], f"cycle: {path}", start)
        if len(reported) >= 20:
            break
