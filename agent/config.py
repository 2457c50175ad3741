"""The agent's configuration: a TOML file (`/etc/omnix/agent.toml`) read into `AgentConfig`.

Every field has a default, so an empty or missing file is a working configuration. Unknown
keys are errors: a typo must not silently fall back to a default.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import itertools
import os
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from omnix.agent.errors import ConfigError
from omnix.shared.paths import default_state_dir

DEFAULT_CONFIG_PATH = Path("/etc/omnix/agent.toml")
TOKEN_FILE = "admin.token"
PID_FILE = "agent.pid"
DB_FILE = "agent.db"


PRICE_KEYS = ("cpu_second", "gb_hour", "run")
PRICES_EXAMPLE = {"currency": "EUR", "cpu_second": "0.00002", "gb_hour": "0.005", "run": "0.001"}
"""An example price table, as `omnix-agent init` shows it."""


@dataclass(frozen=True, slots=True)
class PriceTable:
    """The `[prices]` table: exact decimal amounts in `currency`."""

    currency: str
    cpu_second: Decimal
    gb_hour: Decimal
    run: Decimal


@dataclass(slots=True)
class AgentConfig:
    """Settings of one agent, as read from its TOML file."""

    state_dir: str = ""
    """Where the agent keeps its database, socket and admin token. Empty: the rule of
    `omnix.shared.paths` ($OMNIX_STATE_DIR, systemd's $STATE_DIRECTORY, /var/lib/omnix for
    root, else ~/.local/share/omnix). `--state-dir` overrides it."""

    listen: list[str] = field(default_factory=list)
    """Extra TCP addresses (`host:port`) to serve on, besides the unix socket in the state dir.
    Plaintext is allowed on loopback only; other hosts need `tls_cert` and `tls_key`.
    Clients on TCP must send a token: a session (`omnix login`), an API token or the admin
    token."""

    tls_cert: str = ""
    """PEM certificate chain for TCP listeners. Empty: plaintext (loopback only)."""

    tls_key: str = ""
    """PEM private key matching `tls_cert`."""

    master_key_file: str = ""
    """The secrets master key (32 bytes in base64, one line, mode 0600). Empty: systemd's
    credential `omnix-master-key` when given (LoadCredential=), else `master.key` in the
    state dir, made on first use."""

    session_idle_s: float = 8 * 3600.0
    """A login session unused for this many seconds expires."""

    session_max_s: float = 7 * 86400.0
    """A login session expires this many seconds after `omnix login`, used or not."""

    sso: dict[str, Any] = field(default_factory=dict)
    """Single sign-on through an OpenID Connect provider (Business and up), an `[sso]`
    table: `issuer` (the provider's URL), `client_id` (a public client allowed the device
    authorization grant), `roles` (claim value to role, e.g. `{ "data-team" = "developer",
    "ops" = "admin" }`), and optionally `role_claim` ("groups"), `user_claim`
    ("preferred_username") and `scopes` ("openid profile email groups"). Empty: no SSO.
    See docs/security.md."""

    prices: dict[str, Any] = field(default_factory=dict)
    """What usage costs, for `omnix usage`: a `[prices]` table of decimal amounts, as
    strings for exactness: `currency = "EUR"`, `cpu_second` (per CPU-second of a node's
    worker), `gb_hour` (per GB of peak memory held for an hour of the node's wall time),
    `run` (per run). Empty: usage is reported without cost."""

    alerts: list[Any] = field(default_factory=list)
    """Alert rules, each an inline table: `{ rule = "pipeline_failures", failures = 3 }`,
    `{ rule = "run_longer_than", seconds = 600 }`, `{ rule = "daily_executions", percent =
    80 }`, `{ rule = "cost_per_day", amount = "25.00" }`; any may add `pipeline` (where it
    applies) and `severity` ("warning" or "critical"). Empty: the daily execution limit
    at 80 % and 100 % (warnings). See docs/usage.md."""

    alert_command: list[str] = field(default_factory=list)
    """A command run for each alert that fires or clears, with the alert as JSON on stdin."""

    alert_webhook: str = ""
    """A URL each alert that fires or clears is POSTed to as JSON (retried with backoff)."""

    alert_check_s: float = 15.0
    """How often alert rules are checked (also whenever a run ends)."""

    metrics_listen: str = ""
    """`host:port` for a Prometheus endpoint (`/metrics`). Empty: none. Plain HTTP on
    loopback only; with `tls_cert` and `tls_key` it is HTTPS and may listen beyond."""

    max_concurrent_runs: int = 4
    """Runs executing at once; further runs wait in the queue, oldest first."""

    max_parallel_nodes: int = 0
    """Nodes executing at once within one run; 0 lets the engine pick (CPU count)."""

    max_message_mb: int = 16
    """Largest request a client may send, in MiB; larger ones get RESOURCE_EXHAUSTED."""

    drain_grace_s: float = 10.0
    """On SIGTERM, how long running nodes may keep going before they are cancelled."""

    keep_runs_days: int = 30
    """Finished runs (their nodes, outputs, events and logs) older than this many days are
    removed, hourly and by `omnix-agent prune`; 0 keeps them forever. Today's runs are always
    kept: they are what the daily execution limit counts."""

    keep_runs_per_pipeline: int = 1000
    """At most this many finished runs of each pipeline are kept (the newest); 0: no cap."""

    durable_fsync: bool = False
    """False: every acknowledged state survives the agent being killed (SQLite WAL,
    synchronous=NORMAL). True: it also survives power loss (synchronous=FULL), at an fsync
    per write batch."""

    log_level: str = "info"
    """debug, info, warning or error; logs go to stderr (journald under systemd)."""

    source: str = ""
    """The file this configuration was read from; empty for the defaults. Not a TOML key."""

    def tcp_listeners(self) -> list[str]:
        """The TCP addresses, checked: plaintext only on loopback."""
        for address in self.listen:
            host = split_host_port(address)[0]
            if not (self.tls_cert and self.tls_key) and not is_loopback(host):
                raise ConfigError(
                    f"{self.source or 'config'}: listen address {address!r} is not loopback; "
                    "set tls_cert and tls_key to serve TCP beyond this machine"
                )
        return list(self.listen)

    def price_table(self) -> PriceTable | None:
        """The `[prices]` table, checked; None when no prices are set."""
        if not self.prices:
            return None
        where = f"{self.source or 'config'}: [prices]"
        unknown = sorted(set(self.prices) - {"currency", *PRICE_KEYS})
        if unknown:
            raise ConfigError(
                f"{where}: unknown key {unknown[0]!r} (known: currency, {', '.join(PRICE_KEYS)})"
            )
        currency = self.prices.get("currency", "")
        if not isinstance(currency, str):
            raise ConfigError(f'{where}: currency must be a string such as "EUR"')
        amounts: dict[str, Decimal] = {}
        for key in PRICE_KEYS:
            value = self.prices.get(key, "0")
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise ConfigError(f'{where}: {key} must be a decimal amount such as "0.0001"')
            try:
                amount = Decimal(str(value))
            except InvalidOperation:
                raise ConfigError(f"{where}: {key} = {value!r} is not a decimal amount") from None
            if not amount.is_finite() or amount < 0:
                raise ConfigError(f"{where}: {key} must be a finite amount >= 0, not {value!r}")
            amounts[key] = amount
        return PriceTable(currency, amounts["cpu_second"], amounts["gb_hour"], amounts["run"])

    def metrics_address(self) -> str | None:
        """The metrics endpoint's address, checked like `listen`; None when there is none."""
        if not self.metrics_listen:
            return None
        host = split_host_port(self.metrics_listen)[0]
        if not (self.tls_cert and self.tls_key) and not is_loopback(host):
            raise ConfigError(
                f"{self.source or 'config'}: metrics_listen {self.metrics_listen!r} is not "
                "loopback; set tls_cert and tls_key to serve metrics beyond this machine"
            )
        return self.metrics_listen


def split_host_port(address: str) -> tuple[str, int]:
    """`"127.0.0.1:7443"` or `"[::1]:7443"` -> host and port; ConfigError when malformed."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ConfigError(f"listen address {address!r} is not host:port (e.g. 127.0.0.1:7443)")
    return host.strip("[]"), int(port)


def is_loopback(host: str) -> bool:
    """True for localhost and loopback IP addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_KEYS = {f.name: f for f in dataclasses.fields(AgentConfig) if f.name != "source"}


def load_config(path: str | Path | None) -> AgentConfig:
    """Read `path`, or `/etc/omnix/agent.toml` when it exists and `path` is None, else defaults."""
    if path is None:
        if not DEFAULT_CONFIG_PATH.exists():
            return AgentConfig()
        path = DEFAULT_CONFIG_PATH
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return _from_mapping(data, str(path))


def _from_mapping(data: dict[str, Any], source: str) -> AgentConfig:
    config = AgentConfig(source=source)
    for key, value in data.items():
        spec = _KEYS.get(key)
        if spec is None:
            known = ", ".join(sorted(_KEYS))
            raise ConfigError(f"{source}: unknown key {key!r} (known keys: {known})")
        default = getattr(config, key)
        expected: type = type(default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or isinstance(value, bool) != isinstance(default, bool):
            raise ConfigError(
                f"{source}: {key} must be a {expected.__name__}, not {type(value).__name__}"
            )
        if key == "alerts":
            if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
                raise ConfigError(f'{source}: alerts must be a list of {{ rule = "...", ... }}')
        elif isinstance(value, list) and not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{source}: {key} must be a list of strings")
        setattr(config, key, value)
    if config.log_level not in ("debug", "info", "warning", "error"):
        raise ConfigError(f"{source}: log_level must be debug, info, warning or error")
    if config.session_idle_s <= 0 or config.session_max_s <= 0:
        raise ConfigError(f"{source}: session_idle_s and session_max_s must be > 0")
    if config.alert_check_s <= 0:
        raise ConfigError(f"{source}: alert_check_s must be > 0")
    if config.max_concurrent_runs < 1 or config.max_message_mb < 1:
        raise ConfigError(f"{source}: max_concurrent_runs and max_message_mb must be >= 1")
    config.tcp_listeners()
    config.metrics_address()
    config.price_table()
    return config


MIB = 1 << 20


def reply_limit_bytes(config: AgentConfig) -> int:
    """The largest message the agent sends: 64 MiB, or four times `max_message_mb`."""
    return max(64 * MIB, 4 * config.max_message_mb * MIB)


def resolve_state_dir(flag: str | None, config: AgentConfig) -> Path:
    """Precedence: `--state-dir`, the config's `state_dir`, then the one default rule of
    `omnix.shared.paths.default_state_dir` ($OMNIX_STATE_DIR, systemd's $STATE_DIRECTORY,
    /var/lib/omnix for root, ~/.local/share/omnix)."""
    if flag:
        return Path(flag).expanduser().absolute()
    if config.state_dir:
        return Path(config.state_dir).expanduser().absolute()
    return default_state_dir()


def field_docs() -> dict[str, str]:
    """Each TOML key's documentation: the docstring under its field in `AgentConfig`."""
    import ast
    import inspect
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(AgentConfig)))
    body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
    docs: dict[str, str] = {}
    for previous, node in itertools.pairwise(body):
        if (
            isinstance(previous, ast.AnnAssign)
            and isinstance(previous.target, ast.Name)
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            docs[previous.target.id] = inspect.cleandoc(node.value.value)
    return {key: docs.get(key, "") for key in _KEYS}


def render_default_config() -> str:
    """A TOML file listing every key with its documentation and default, commented out."""
    defaults = AgentConfig()
    lines = ["# Omnix agent configuration. Every key is optional; defaults are shown.", ""]
    for key, doc in field_docs().items():
        lines.extend(f"# {line}".rstrip() for line in doc.splitlines())
        lines.append(f"# {key} = {_toml_value(getattr(defaults, key))}")
        if key == "prices":  # An inline table: it may stand among the other keys.
            lines.append(f"# for example, prices = {_toml_value(PRICES_EXAMPLE)}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    return repr(value)


def ensure_admin_token(state_dir: Path) -> str:
    """The admin token in `admin.token` (mode 0600), created on first use."""
    import secrets

    path = state_dir / TOKEN_FILE
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token
