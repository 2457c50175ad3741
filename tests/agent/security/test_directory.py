"""Users and credentials: roles cap tokens, sessions expire idle and absolutely, the last
owner stays, and lookups compare hashes, never texts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from omnix.agent.errors import BadRequest
from omnix.agent.security.directory import AuthFailure, Directory
from omnix.agent.security.roles import Role
from omnix.agent.store.db import Store


@pytest.fixture
async def directory(tmp_path: Path) -> AsyncIterator[Directory]:
    store = await Store.open(tmp_path / "agent.db")
    yield await Directory.open(store, owner="ops", session_idle_s=600, session_max_s=3600)
    await store.close()


async def test_the_first_start_makes_the_agents_os_user_the_owner(directory: Directory) -> None:
    owner = directory.local_user("ops")
    assert owner is not None and owner.role is Role.OWNER


async def test_a_session_expires_when_idle_and_at_its_absolute_limit(
    directory: Directory,
) -> None:
    await directory.add_user("ann", Role.DEVELOPER, password="pass-word-1", by="ops")
    token, session = await directory.login("ann", "pass-word-1", peer="test")
    start = session.created_at
    assert directory.authenticate(token, now=start + 500).user == "ann"
    assert directory.authenticate(token, now=start + 1000).user == "ann"  # used: idle resets
    with pytest.raises(AuthFailure, match="idle"):
        directory.authenticate(token, now=start + 1700)
    token, session = await directory.login("ann", "pass-word-1", peer="test")
    for minute in range(1, 60):
        directory.authenticate(token, now=session.created_at + minute * 60)
    with pytest.raises(AuthFailure, match="expired"):
        directory.authenticate(token, now=session.created_at + 3600)


async def test_a_token_never_holds_more_than_its_user(directory: Directory) -> None:
    viewer = await directory.add_user("vic", Role.VIEWER, password="", by="ops")
    with pytest.raises(BadRequest, match="cannot hold more than its user"):
        await directory.create_token(viewer, "ci", Role.ADMIN, None, peer="test")
    dev = await directory.add_user("dev", Role.DEVELOPER, password="", by="ops")
    token, _ = await directory.create_token(dev, "ci", Role.DEVELOPER, None, peer="test")
    await directory.set_role("dev", Role.VIEWER)
    assert directory.authenticate(token).role is Role.VIEWER


async def test_removing_a_user_revokes_their_credentials(directory: Directory) -> None:
    dev = await directory.add_user("dev", Role.DEVELOPER, password="", by="ops")
    token, _ = await directory.create_token(dev, "ci", Role.DEVELOPER, None, peer="test")
    assert await directory.remove_user("dev", by="ops") == 1
    with pytest.raises(AuthFailure, match="revoked"):
        directory.authenticate(token)


async def test_the_last_owner_cannot_be_removed_or_demoted(directory: Directory) -> None:
    with pytest.raises(BadRequest, match="last owner"):
        await directory.remove_user("ops", by="ops")
    with pytest.raises(BadRequest, match="last owner"):
        await directory.set_role("ops", Role.ADMIN)


async def test_a_token_with_a_changed_secret_is_unknown(directory: Directory) -> None:
    dev = await directory.add_user("dev", Role.DEVELOPER, password="", by="ops")
    token, _ = await directory.create_token(dev, "ci", Role.DEVELOPER, None, peer="test")
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(AuthFailure, match="not known"):
        directory.authenticate(forged)


async def test_users_and_credentials_survive_a_reopen(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "agent.db")
    first = await Directory.open(store, owner="ops", session_idle_s=600, session_max_s=3600)
    dev = await first.add_user("dev", Role.DEVELOPER, password="", by="ops")
    token, _ = await first.create_token(dev, "ci", Role.DEVELOPER, None, peer="test")
    await store.close()
    store = await Store.open(tmp_path / "agent.db")
    again = await Directory.open(store, owner="ops", session_idle_s=600, session_max_s=3600)
    assert again.authenticate(token).user == "dev"
    assert sorted(again.users) == ["dev", "ops"]
    await store.close()
