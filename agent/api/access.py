"""Per-pipeline access for the servicers: the caller of the call in progress, checked
against the pipeline's owner and shares (`omnix.agent.security.sharing`).

The policy interceptor has already checked the caller's role for the method; this adds the
question of *which* pipelines and runs: a user sees what they own, what is shared with them
and the runs they started; Owners and Admins see everything.
"""

from __future__ import annotations

from omnix.agent.daemon import Daemon
from omnix.agent.errors import BadRequest, NotFound, Unauthenticated
from omnix.agent.security.credentials import Principal, current_caller
from omnix.agent.security.sharing import Action, sees_everything
from omnix.agent.store import runs as records
from omnix.agent.store.runs import RunScope


def caller() -> Principal:
    """The caller of the RPC in progress (the interceptor always sets one)."""
    who = current_caller()
    if who is None:
        raise Unauthenticated("this call needs an identity: log in with `omnix login`")
    return who


def pipeline(daemon: Daemon, name: str, action: Action) -> Principal:
    """Return the caller when they may do `action` to pipeline `name`; NotFound or
    Forbidden otherwise."""
    who = caller()
    daemon.security.sharing.check(who, name, action)
    return who


def visible(daemon: Daemon, names: list[str]) -> set[str]:
    """Those of `names` the caller may see."""
    return set(daemon.security.sharing.visible(caller(), names))


def pipelines(daemon: Daemon) -> frozenset[str] | None:
    """The deployed pipelines the caller sees (None: every one)."""
    return daemon.security.sharing.reachable(caller())


def run_scope(daemon: Daemon) -> RunScope | None:
    """The runs the caller sees, for listing (None: every run)."""
    who = caller()
    reachable = daemon.security.sharing.reachable(who)
    return None if reachable is None else RunScope(reachable, who.user)


async def run(daemon: Daemon, run_id: str, action: Action) -> str:
    """The full id of a run the caller may `action` (VIEW or RUN); NotFound for a run they
    may not see, as for one that does not exist."""
    who = caller()
    sharing = daemon.security.sharing
    try:
        full = await daemon.resolve_run_id(run_id)
    except BadRequest:
        if sees_everything(who):
            raise
        # The candidates may include runs the caller may not see: do not name them.
        raise BadRequest(f"run id {run_id!r} is ambiguous: give more of the id") from None
    name, version, started_by = await records.run_origin(daemon.store, full)
    if not sharing.may_see_run(who, name, version, started_by):
        raise NotFound(f"no run with id {run_id!r} (omnix runs lists them)")
    if action is not Action.VIEW and started_by != who.user:
        sharing.check(who, name, action)
    return full
