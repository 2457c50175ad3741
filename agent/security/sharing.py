"""Who may do what to each deployed pipeline: its owner, the users it is shared with, and
the pipelines a scoped token is limited to.

A pipeline is owned by the user who first deployed it. Owners and Admins reach every
pipeline; anyone else reaches the pipelines they own and those shared with them, as a
viewer (see it, its runs, logs and outputs) or a developer (also run and deploy it). A
share never lifts a user above their own role, and a scoped token reaches only the
pipelines it names whatever its user may do. Kept in SQLite and mirrored in memory, so a
check is a dictionary lookup.

A pipeline the caller may not see answers as if it did not exist, so names do not leak.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterable
from dataclasses import dataclass

from omnix.agent.errors import BadRequest, Forbidden, NotFound
from omnix.agent.security.credentials import Principal
from omnix.agent.security.roles import Role
from omnix.agent.store.db import Store
from omnix.agent.store.pipelines import not_deployed


class Action(enum.Enum):
    """What a call does to one pipeline, and the share role it needs."""

    VIEW = ("see", Role.VIEWER)
    RUN = ("run", Role.DEVELOPER)
    DEPLOY = ("deploy", Role.DEVELOPER)
    MANAGE = ("share or delete", Role.OWNER)
    """Only the pipeline's owner, or an Admin."""

    def __init__(self, verb: str, needs: Role) -> None:
        self.verb = verb
        self.needs = needs


SHARE_ROLES = (Role.VIEWER, Role.DEVELOPER)


@dataclass(frozen=True, slots=True)
class Share:
    """One user's access to one pipeline."""

    user: str
    role: Role
    shared_by: str
    shared_at: float


def sees_everything(caller: Principal) -> bool:
    """Owners and Admins reach every pipeline, unless their token is scoped."""
    return caller.reach.rank >= Role.ADMIN.rank and not caller.pipelines


class Sharing:
    """Owners and shares of every pipeline of one agent. `await Sharing.open(store, ...)`."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.owners: dict[str, str] = {}
        self.shares: dict[str, dict[str, Share]] = {}

    @classmethod
    async def open(cls, store: Store, *, default_owner: str) -> Sharing:
        """Load owners and shares; pipelines deployed before there were users go to
        `default_owner` (the agent's Owner)."""
        sharing = cls(store)
        await store.write(("UPDATE pipelines SET owner = ? WHERE owner = ''", (default_owner,)))
        for row in await store.fetch_all("SELECT name, owner FROM pipelines"):
            sharing.owners[row["name"]] = row["owner"]
        for row in await store.fetch_all(
            "SELECT pipeline, user, role, shared_by, shared_at FROM pipeline_shares"
        ):
            sharing.shares.setdefault(row["pipeline"], {})[row["user"]] = Share(
                row["user"], Role(row["role"]), row["shared_by"], row["shared_at"]
            )
        return sharing

    # -- questions -----------------------------------------------------------------------

    def role_on(self, caller: Principal, pipeline: str) -> Role | None:
        """The role `caller` holds on `pipeline` (None: they may not see it). A pipeline
        not deployed (yet) is reachable by anyone whose token scope allows its name."""
        if caller.pipelines and pipeline not in caller.pipelines:
            return None
        if caller.reach.rank >= Role.ADMIN.rank:
            return caller.role
        owner = self.owners.get(pipeline)
        if owner is None or owner == caller.user:
            return caller.role
        share = self.shares.get(pipeline, {}).get(caller.user)
        return None if share is None else caller.role.at_most(share.role)

    def check(self, caller: Principal, pipeline: str, action: Action) -> None:
        """Return when `caller` may do `action` to `pipeline`: NotFound when they may not
        see it, Forbidden (saying what would allow it) when they see it but may not."""
        role = self.role_on(caller, pipeline)
        if role is None:
            if caller.pipelines and pipeline not in caller.pipelines:
                raise Forbidden(
                    f"this token is limited to {', '.join(sorted(caller.pipelines))}: "
                    f"it cannot {action.verb} {pipeline!r}"
                )
            if action is Action.DEPLOY:
                # Deploying needs to know the name is taken; nothing else is revealed.
                raise Forbidden(
                    f"the name {pipeline!r} belongs to a pipeline you may not deploy: pick "
                    "another name, or ask its owner or an admin to share it with you"
                )
            raise not_deployed(pipeline)
        if action is Action.MANAGE:
            if caller.reach.rank >= Role.ADMIN.rank or self.owners.get(pipeline) in (
                None,
                caller.user,
            ):
                return
            raise Forbidden(
                f"only {self.owners[pipeline]} (its owner) or an admin may {action.verb} "
                f"{pipeline!r}"
            )
        if role.rank < action.needs.rank:
            raise Forbidden(
                f"{caller.user} may {'see' if role is Role.VIEWER else role.value} "
                f"{pipeline!r} as {role}: to {action.verb} it needs developer (`omnix share "
                f"{pipeline} {caller.user} --role developer` by its owner or an admin)"
            )

    def visible(self, caller: Principal, names: Iterable[str]) -> list[str]:
        """Those of `names` that `caller` may see."""
        if sees_everything(caller):
            return list(names)
        return [name for name in names if self.role_on(caller, name) is not None]

    def reachable(self, caller: Principal) -> frozenset[str] | None:
        """The deployed pipelines `caller` may see (None: all of them)."""
        if sees_everything(caller):
            return None
        return frozenset(self.visible(caller, self.owners))

    def may_see_run(self, caller: Principal, pipeline: str, version: int, started_by: str) -> bool:
        """A run is seen by whoever started it and, for a run of a deployed version, by
        whoever sees its pipeline."""
        if sees_everything(caller):
            return True
        if started_by == caller.user and (not caller.pipelines or pipeline in caller.pipelines):
            return True
        return (
            version > 0 and pipeline in self.owners and self.role_on(caller, pipeline) is not None
        )

    def shared_with(self, pipeline: str) -> list[Share]:
        """The pipeline's shares, by user name."""
        return sorted(self.shares.get(pipeline, {}).values(), key=lambda s: s.user)

    # -- changes (the store first, then memory) ------------------------------------------

    def deployed(self, pipeline: str, owner: str) -> None:
        """Note the owner of a pipeline deployed for the first time."""
        self.owners.setdefault(pipeline, owner)

    def deleted(self, pipeline: str) -> None:
        """Forget a deleted pipeline (its rows went with it)."""
        self.owners.pop(pipeline, None)
        self.shares.pop(pipeline, None)

    def user_removed(self, user: str) -> None:
        """Forget the shares of a removed user (their rows went with them)."""
        for shares in self.shares.values():
            shares.pop(user, None)

    async def share(self, pipeline: str, user: str, role: Role, *, by: str) -> Share:
        """Share `pipeline` with `user` as viewer or developer (again: change the role)."""
        if role not in SHARE_ROLES:
            raise BadRequest(
                f"share as viewer or developer, not {role}: owners and admins already "
                "reach every pipeline"
            )
        if self.owners.get(pipeline) == user:
            raise BadRequest(f"{user} owns {pipeline!r} already")
        share = Share(user, role, by, time.time())
        await self._store.write(
            (
                "INSERT INTO pipeline_shares (pipeline, user, role, shared_by, shared_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (pipeline, user) DO UPDATE SET "
                "role = excluded.role, shared_by = excluded.shared_by, "
                "shared_at = excluded.shared_at",
                (pipeline, user, role.value, by, share.shared_at),
            )
        )
        self.shares.setdefault(pipeline, {})[user] = share
        return share

    async def unshare(self, pipeline: str, user: str) -> None:
        """Stop sharing `pipeline` with `user`; NotFound when it was not shared with them."""
        if user not in self.shares.get(pipeline, {}):
            raise NotFound(f"{pipeline!r} is not shared with {user}")
        await self._store.write(
            ("DELETE FROM pipeline_shares WHERE pipeline = ? AND user = ?", (pipeline, user))
        )
        del self.shares[pipeline][user]
