"""Every error of the agent's core, in one module with no heavy imports.

The API turns them into status codes in one place (`omnix.agent.api.errors`); the command
line prints their messages. Each message says what is wrong and what to do next.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from omnix.shared.tiers import Feature, Limit, Tier


class BadRequest(Exception):
    """The request itself is wrong; the message says which field and what is expected."""


class NotFound(Exception):
    """The named pipeline, version, run or schedule does not exist."""


class NotScheduled(NotFound):
    """The pipeline has no schedule here."""

    def __init__(self, pipeline: str) -> None:
        super().__init__(f"pipeline {pipeline!r} has no schedule on this agent")
        self.pipeline = pipeline


class Unauthenticated(Exception):
    """The caller's credentials prove nothing (wrong password, unknown token)."""


class Forbidden(Exception):
    """The caller is known but may not do this (PERMISSION_DENIED)."""


class TooManyAttempts(Exception):
    """Too many failed attempts; the message says when to try again."""


class TooLarge(Exception):
    """A reply would exceed what one message carries; the message names the streaming call."""


class Unavailable(Exception):
    """A feature the request needs is not available on this agent (FAILED_PRECONDITION)."""


class ShuttingDown(Exception):
    """The agent is draining and takes no new runs."""


class ConfigError(Exception):
    """The configuration file is wrong; the message names the file, the key and the fix."""


class AlreadyRunning(Exception):
    """Another agent already serves this state dir's socket."""


class StoreClosed(Exception):
    """The store was closed; nothing more can be written."""


class EntitlementError(Exception):
    """Something the tier in force does not allow. `upgrade` is the cheapest tier that does."""

    def __init__(self, message: str, *, tier: Tier, upgrade: Tier | None) -> None:
        self.tier = tier
        self.upgrade = upgrade
        super().__init__(message)


class LimitExceeded(EntitlementError):
    """A counted limit (executions per day, pipelines, users, custom connectors) is reached."""

    def __init__(self, message: str, *, limit: Limit, tier: Tier, upgrade: Tier | None) -> None:
        self.limit = limit
        super().__init__(message, tier=tier, upgrade=upgrade)


class FeatureUnavailable(EntitlementError):
    """A feature, or a language some nodes use, is not part of the tier in force."""

    def __init__(
        self,
        message: str,
        *,
        tier: Tier,
        upgrade: Tier | None,
        feature: Feature | None = None,
        nodes: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.feature = feature
        self.nodes = nodes
        """(node id, language) pairs the tier cannot run, for a language refusal."""
        super().__init__(message, tier=tier, upgrade=upgrade)


class LicenseNotInstallable(ValueError):
    """A key that verifies but cannot be installed (it has already expired)."""
