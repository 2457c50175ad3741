"""One rule for the default state directory, used by every command."""

from __future__ import annotations

from pathlib import Path

from omnix.shared.paths import default_state_dir

USER = 1000
ROOT = 0


def test_omnix_state_dir_comes_first() -> None:
    env = {"OMNIX_STATE_DIR": "/srv/omnix", "STATE_DIRECTORY": "/var/lib/omnix", "HOME": "/h"}
    assert default_state_dir(env, euid=ROOT) == Path("/srv/omnix")


def test_the_state_dir_defaults_to_systemds_state_directory() -> None:
    env = {"STATE_DIRECTORY": "/var/lib/omnix:/var/lib/other", "HOME": "/home/ann"}
    assert default_state_dir(env, euid=USER) == Path("/var/lib/omnix")


def test_the_state_dir_of_a_user_agent_is_in_their_data_dir() -> None:
    assert default_state_dir({"HOME": "/home/ann"}, euid=USER) == Path(
        "/home/ann/.local/share/omnix"
    )
    xdg = {"HOME": "/home/ann", "XDG_DATA_HOME": "/data/ann"}
    assert default_state_dir(xdg, euid=USER) == Path("/data/ann/omnix")


def test_root_without_systemd_uses_var_lib_omnix() -> None:
    assert default_state_dir({"HOME": "/root"}, euid=ROOT) == Path("/var/lib/omnix")
