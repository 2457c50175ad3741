"""The agent's TOML configuration and where its state lives."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from omnix.agent.config import (
    AgentConfig,
    field_docs,
    load_config,
    render_default_config,
    resolve_state_dir,
)
from omnix.agent.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.toml"
    path.write_text(text)
    return path


def test_every_config_field_is_documented() -> None:
    assert all(doc.strip() for doc in field_docs().values()), field_docs()


def test_the_rendered_default_config_is_valid_toml_with_every_key(tmp_path: Path) -> None:
    text = render_default_config()
    uncommented = "\n".join(
        line[2:] for line in text.splitlines() if re.match(r"# [a-z_]+ = ", line)
    )
    keys = set(tomllib.loads(uncommented))
    assert keys == set(field_docs())
    assert load_config(write(tmp_path, uncommented)) == AgentConfig(
        source=str(tmp_path / "agent.toml")
    )


def test_an_unknown_key_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown key 'max_runs'"):
        load_config(write(tmp_path, "max_runs = 3\n"))


def test_a_wrongly_typed_value_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="max_concurrent_runs must be a int"):
        load_config(write(tmp_path, 'max_concurrent_runs = "four"\n'))


def test_plaintext_tcp_beyond_loopback_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not loopback"):
        load_config(write(tmp_path, 'listen = ["0.0.0.0:7443"]\n'))


def test_plaintext_tcp_on_loopback_is_allowed(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'listen = ["127.0.0.1:7443", "[::1]:7443"]\n'))
    assert config.tcp_listeners() == ["127.0.0.1:7443", "[::1]:7443"]


def test_a_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")


def test_state_dir_precedence_flag_then_config_then_the_default_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMNIX_STATE_DIR", str(tmp_path / "default"))
    configured = AgentConfig(state_dir=str(tmp_path / "conf"))
    assert resolve_state_dir(str(tmp_path / "flag"), configured) == tmp_path / "flag"
    assert resolve_state_dir(None, configured) == tmp_path / "conf"
    assert resolve_state_dir(None, AgentConfig()) == tmp_path / "default"
