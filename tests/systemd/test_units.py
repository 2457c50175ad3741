"""The systemd units: systemd's own checks pass, and the settings the agent relies on are there.

`systemd-analyze verify` insists that ExecStart's binary exists, so the checks run on a
copy of each unit whose ExecStart points at a stub executable in a temporary folder;
nothing else in the unit changes.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

UNITS_DIR = Path(__file__).resolve().parents[2] / "systemd"
UNITS = ["omnix-agent.service", "omnix-agent@.service"]
INSTALLED_BINARY = "/usr/bin/omnix-agent"
SYSTEMD_HINT = "apt-get install systemd"


def settings(unit: str) -> list[tuple[str, str, str]]:
    """(section, key, value) for every setting of `unit`, in order; repeated keys kept."""
    section, found = "", []
    for raw in (UNITS_DIR / unit).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        found.append((section, key, value))
    return found


def value(unit: str, key: str) -> str:
    values = [v for _, k, v in settings(unit) if k == key]
    assert len(values) == 1, f"{unit}: expected one {key}=, found {values}"
    return values[0]


@pytest.fixture
def analyze(require_binary: Callable[[str, str], str]) -> str:
    return require_binary("systemd-analyze", SYSTEMD_HINT)


@pytest.fixture
def checkable_unit(tmp_path: Path) -> Callable[[str], Path]:
    """A copy of the unit whose ExecStart binary exists (a stub)."""
    stub = tmp_path / "bin" / "omnix-agent"
    stub.parent.mkdir()
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)

    def copy(unit: str) -> Path:
        text = (UNITS_DIR / unit).read_text(encoding="utf-8")
        assert INSTALLED_BINARY in text
        target = tmp_path / unit
        target.write_text(text.replace(INSTALLED_BINARY, str(stub)))
        return target

    return copy


@pytest.mark.parametrize("unit", UNITS)
def test_systemd_analyze_verify_reports_nothing(
    analyze: str, checkable_unit: Callable[[str], Path], unit: str
) -> None:
    result = subprocess.run(
        [analyze, "verify", str(checkable_unit(unit))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize("unit", UNITS)
def test_security_exposure_is_at_most_two(
    analyze: str, checkable_unit: Callable[[str], Path], unit: str
) -> None:
    result = subprocess.run(
        [analyze, "security", "--offline=true", "--no-pager", str(checkable_unit(unit))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match is not None, result.stdout + result.stderr
    assert float(match.group(1)) <= 2.0, result.stdout


@pytest.mark.parametrize("unit", UNITS)
def test_unit_is_a_notify_service_with_watchdog_restart_and_reload(unit: str) -> None:
    assert value(unit, "Type") == "notify"
    assert value(unit, "NotifyAccess") == "main"
    assert value(unit, "WatchdogSec").endswith("s")
    assert value(unit, "Restart") == "on-failure"
    assert value(unit, "ExecReload") == "kill -HUP $MAINPID"
    assert value(unit, "ExecStart").startswith(f"{INSTALLED_BINARY} serve ")
    assert value(unit, "RestartPreventExitStatus") == "2"  # bad config: do not loop
    assert value(unit, "User") == value(unit, "Group") == "omnix"


@pytest.mark.parametrize("unit", UNITS)
def test_unit_leaves_write_execute_memory_to_jit_runtimes(unit: str) -> None:
    assert "MemoryDenyWriteExecute" not in {key for _, key, _ in settings(unit)}


def test_single_unit_keeps_its_state_in_var_lib_omnix() -> None:
    unit = "omnix-agent.service"
    assert value(unit, "StateDirectory") == "omnix"
    assert value(unit, "ExecStart") == f"{INSTALLED_BINARY} serve --state-dir %S/omnix"


def test_template_gives_each_instance_its_own_config_state_and_socket() -> None:
    unit = "omnix-agent@.service"
    assert value(unit, "StateDirectory") == "omnix/%i"
    assert value(unit, "CacheDirectory") == "omnix/%i"
    exec_start = value(unit, "ExecStart")
    assert exec_start.endswith(" serve --config %E/omnix/%i.toml --state-dir %S/omnix/%i")


def test_template_differs_from_the_single_unit_only_in_per_instance_settings() -> None:
    per_instance = {
        "Description",
        "ExecStart",
        "StateDirectory",
        "CacheDirectory",
        "Environment",
    }
    single = [s for s in settings("omnix-agent.service") if s[1] not in per_instance]
    template = [s for s in settings("omnix-agent@.service") if s[1] not in per_instance]
    assert single == template


def test_sysusers_file_creates_the_user_the_units_run_as(
    require_binary: Callable[[str, str], str], tmp_path: Path
) -> None:
    sysusers = require_binary("systemd-sysusers", SYSTEMD_HINT)
    (tmp_path / "etc").mkdir()
    conf = UNITS_DIR / "omnix.sysusers.conf"
    subprocess.run(
        [sysusers, f"--root={tmp_path}", str(conf)], check=True, capture_output=True, timeout=60
    )
    passwd = (tmp_path / "etc" / "passwd").read_text()
    user = value("omnix-agent.service", "User")
    assert re.search(rf"^{user}:x:\d+:\d+:Omnix agent:/var/lib/omnix:", passwd, re.MULTILINE)
