"""The open-core tier table (ARCHITECTURE §6): the single source of truth for what each tier allows.

Everything that enforces or shows a limit reads `TIERS`; nothing else states a number.
`None` in a limit means "no limit".
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from omnix.shared.pipeline import BUILTIN_LANGUAGES


class Tier(enum.Enum):
    """A product tier, in price order (compare with `rank`)."""

    FREE = "free"
    TEAM = "team"
    BUSINESS = "business"
    ENTERPRISE = "enterprise"

    @property
    def title(self) -> str:
        """The name shown to people: "Free", "Team", ..."""
        return self.value.capitalize()

    @property
    def letter(self) -> str:
        """The letter after `OMNIX-` in a license key: F, T, B or E."""
        return self.value[0].upper()

    @property
    def rank(self) -> int:
        """0 for Free up to 3 for Enterprise: a higher rank costs more and allows at least as much."""
        return _ORDER.index(self)

    @classmethod
    def from_letter(cls, letter: str) -> Tier:
        """The tier a key letter stands for; `ValueError` for anything but F, T, B or E."""
        for tier in cls:
            if tier.letter == letter:
                return tier
        raise ValueError(f"unknown tier letter {letter!r} (expected one of F, T, B, E)")


_ORDER = tuple(Tier)


class Limit(enum.Enum):
    """A counted quota. The value is the label used in messages."""

    USERS = "users"
    PIPELINES = "pipelines"
    EXECUTIONS_PER_DAY = "executions per day"
    CUSTOM_CONNECTORS = "custom connectors"


class Feature(enum.Enum):
    """A capability a tier either has or lacks. The value is the label used in messages."""

    DISTRIBUTED_EXECUTION = "distributed execution"
    TEAM_COLLABORATION = "team collaboration"
    SECRETS = "secrets"
    SSO = "SSO"


ALL_LANGUAGES: frozenset[str] = frozenset({"*"})
"""Marker for "every language", built-in or added by an adapter plugin (Enterprise)."""


@dataclass(frozen=True, slots=True)
class TierSpec:
    """What one tier allows."""

    tier: Tier
    limits: Mapping[Limit, int | None]
    """Every `Limit` appears; `None` means unlimited."""
    languages: frozenset[str]
    """Built-in languages the tier may run, or `ALL_LANGUAGES`."""
    features: frozenset[Feature]

    def limit(self, limit: Limit) -> int | None:
        """The tier's ceiling for `limit`, `None` when unlimited."""
        return self.limits[limit]

    def allows_count(self, limit: Limit, count: int) -> bool:
        """Whether `count` of `limit` fit in this tier (`count` includes the one being added)."""
        ceiling = self.limits[limit]
        return ceiling is None or count <= ceiling

    def allows_language(self, language: str) -> bool:
        """Whether a node in `language` may run. A language that is not built in comes from an
        adapter plugin, so it needs a tier that allows custom connectors at all."""
        if self.languages is ALL_LANGUAGES or language in self.languages:
            return True
        if language in BUILTIN_LANGUAGES:
            return False
        return self.limits[Limit.CUSTOM_CONNECTORS] != 0

    def has(self, feature: Feature) -> bool:
        """Whether the tier includes `feature`."""
        return feature in self.features


def _spec(
    tier: Tier,
    *,
    users: int | None,
    pipelines: int | None,
    executions_per_day: int | None,
    custom_connectors: int | None,
    languages: frozenset[str],
    features: frozenset[Feature],
) -> TierSpec:
    limits = {
        Limit.USERS: users,
        Limit.PIPELINES: pipelines,
        Limit.EXECUTIONS_PER_DAY: executions_per_day,
        Limit.CUSTOM_CONNECTORS: custom_connectors,
    }
    return TierSpec(tier, MappingProxyType(limits), languages, features)


_FREE_LANGUAGES = frozenset({"python", "javascript", "sql"})
_TEAM_LANGUAGES = _FREE_LANGUAGES | {"r", "julia"}
_BUSINESS_LANGUAGES = _TEAM_LANGUAGES | {"scala", "go"}
_TEAM_FEATURES = frozenset(
    {Feature.DISTRIBUTED_EXECUTION, Feature.TEAM_COLLABORATION, Feature.SECRETS}
)
_BUSINESS_FEATURES = _TEAM_FEATURES | {Feature.SSO}

# The table. Pipelines are unlimited on Free but capped at 100 on Team, as the product
# defines it: Free is held back by executions per day instead.
TIERS: Mapping[Tier, TierSpec] = MappingProxyType(
    {
        Tier.FREE: _spec(
            Tier.FREE,
            users=1,
            pipelines=None,
            executions_per_day=100,
            custom_connectors=0,
            languages=_FREE_LANGUAGES,
            features=frozenset(),
        ),
        Tier.TEAM: _spec(
            Tier.TEAM,
            users=5,
            pipelines=100,
            executions_per_day=1_000,
            custom_connectors=5,
            languages=_TEAM_LANGUAGES,
            features=_TEAM_FEATURES,
        ),
        Tier.BUSINESS: _spec(
            Tier.BUSINESS,
            users=20,
            pipelines=None,
            executions_per_day=10_000,
            custom_connectors=20,
            languages=_BUSINESS_LANGUAGES,
            features=_BUSINESS_FEATURES,
        ),
        Tier.ENTERPRISE: _spec(
            Tier.ENTERPRISE,
            users=None,
            pipelines=None,
            executions_per_day=None,
            custom_connectors=None,
            languages=ALL_LANGUAGES,
            features=frozenset(Feature),
        ),
    }
)


def spec(tier: Tier) -> TierSpec:
    """The table row for `tier`."""
    return TIERS[tier]


def cheapest_tier(allows: Callable[[TierSpec], bool], *, above: Tier | None = None) -> Tier | None:
    """The cheapest tier (ranked above `above`, when given) for which `allows` holds, or None."""
    for tier in _ORDER:
        if above is not None and tier.rank <= above.rank:
            continue
        if allows(TIERS[tier]):
            return tier
    return None


def cheapest_tier_with_feature(feature: Feature, *, above: Tier | None = None) -> Tier | None:
    """The cheapest tier that includes `feature`."""
    return cheapest_tier(lambda row: row.has(feature), above=above)


def cheapest_tier_for_language(language: str, *, above: Tier | None = None) -> Tier | None:
    """The cheapest tier that may run nodes in `language`."""
    return cheapest_tier(lambda row: row.allows_language(language), above=above)


def cheapest_tier_for_count(limit: Limit, count: int, *, above: Tier | None = None) -> Tier | None:
    """The cheapest tier in which `count` of `limit` fit."""
    return cheapest_tier(lambda row: row.allows_count(limit, count), above=above)


def format_limit(value: int | None) -> str:
    """A limit as people read it: "1,000" or "unlimited"."""
    return "unlimited" if value is None else f"{value:,}"
