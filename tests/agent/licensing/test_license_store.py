"""The installed key in the state directory: verified before writing, read at start, never deleted."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

import pytest
from omnix.agent.errors import LicenseNotInstallable
from omnix.agent.licensing.keyfile import LICENSE_FILE, LicenseStore
from omnix.shared.license_status import LicenseState
from omnix.shared.licensing import InvalidLicenseKey, LicenseVerifier
from omnix.shared.tiers import Tier

from .conftest import EXPIRES, NOW, Issue


@pytest.fixture
def store(tmp_path: Path, verifier: LicenseVerifier) -> LicenseStore:
    return LicenseStore(tmp_path / "state", verifier=verifier)


def test_nothing_installed_means_free(store: LicenseStore) -> None:
    status = store.status(now=NOW)
    assert (status.state, status.tier) == (LicenseState.ABSENT, Tier.FREE)


def test_an_installed_key_is_stored_canonically_and_loaded(
    store: LicenseStore, issue: Issue
) -> None:
    key = issue(tier=Tier.BUSINESS)
    store.install(f"  {key}\n", now=NOW)
    assert store.path.read_text() == key + "\n"
    assert store.entitlements(now=NOW).tier is Tier.BUSINESS


def test_the_state_directory_is_created_private(store: LicenseStore, issue: Issue) -> None:
    store.install(issue(), now=NOW)
    assert store.state_dir.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in store.state_dir.iterdir()] == [LICENSE_FILE]  # no temp file left


def test_installing_replaces_the_previous_key(store: LicenseStore, issue: Issue) -> None:
    store.install(issue(tier=Tier.TEAM), now=NOW)
    store.install(issue(tier=Tier.ENTERPRISE), now=NOW)
    assert store.status(now=NOW).tier is Tier.ENTERPRISE


def test_a_bad_key_is_refused_and_the_installed_one_kept(store: LicenseStore, issue: Issue) -> None:
    good = issue(tier=Tier.TEAM)
    store.install(good, now=NOW)
    with pytest.raises(InvalidLicenseKey):
        store.install(good[:-1] + "Q", now=NOW)
    assert store.path.read_text() == good + "\n"


def test_an_expired_key_is_refused_at_install(store: LicenseStore, issue: Issue) -> None:
    with pytest.raises(LicenseNotInstallable, match="expired at 2028-01-01 00:00 UTC"):
        store.install(issue(), now=EXPIRES)
    assert not store.path.exists()


def test_install_judges_expiry_against_the_newest_recorded_time(
    store: LicenseStore, issue: Issue
) -> None:
    with pytest.raises(LicenseNotInstallable):
        store.install(issue(), now=NOW, newest_recorded=EXPIRES + timedelta(days=1))


def test_an_expiring_key_installs(store: LicenseStore, issue: Issue) -> None:
    status = store.install(issue(), now=EXPIRES - timedelta(days=3))
    assert status.state is LicenseState.EXPIRING


def test_a_malformed_stored_key_means_free_with_a_warning_and_is_kept(
    store: LicenseStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.state_dir.mkdir()
    store.path.write_text("OMNIX-T-GARBAGE\n")
    with caplog.at_level(logging.WARNING):
        status = store.status(now=NOW)
    assert (status.state, status.tier) == (LicenseState.INVALID, Tier.FREE)
    assert "not valid" in caplog.text and str(store.path) in caplog.text
    assert store.path.read_text() == "OMNIX-T-GARBAGE\n"


def test_an_expired_stored_key_means_free_and_is_kept(
    store: LicenseStore, issue: Issue, caplog: pytest.LogCaptureFixture
) -> None:
    key = issue(tier=Tier.TEAM)
    store.install(key, now=NOW)
    with caplog.at_level(logging.WARNING):
        ent = store.entitlements(now=EXPIRES)
    assert ent.tier is Tier.FREE and "expired" in caplog.text
    assert store.path.read_text() == key + "\n"
    assert store.entitlements(now=NOW).tier is Tier.TEAM  # a corrected clock restores it


def test_a_stored_key_that_is_not_text_means_free(store: LicenseStore) -> None:
    store.state_dir.mkdir()
    store.path.write_bytes(b"\xff\xfe\x00")
    status = store.status(now=NOW)
    assert status.state is LicenseState.INVALID
    assert status.problem is not None and "cannot be read" in status.problem


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_stored_key_means_free(store: LicenseStore, issue: Issue) -> None:
    store.install(issue(), now=NOW)
    store.path.chmod(0)
    try:
        assert store.status(now=NOW).state is LicenseState.INVALID
    finally:
        store.path.chmod(0o644)
