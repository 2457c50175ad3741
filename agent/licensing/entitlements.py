"""What this agent may do under its license: the one API features call before they act.

Limits are checked when a thing is created or started. The caller counts (runs today,
pipelines stored, users, connectors found) and passes the numbers in; every refusal names
the limit, the tier in force and the cheapest tier that lifts it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from omnix.agent.adapters.registry import plugin_languages
from omnix.agent.errors import FeatureUnavailable, LimitExceeded
from omnix.shared.license_status import LicenseState, LicenseStatus
from omnix.shared.pipeline import BUILTIN_LANGUAGES, Pipeline
from omnix.shared.tiers import (
    Feature,
    Limit,
    Tier,
    TierSpec,
    cheapest_tier_for_count,
    cheapest_tier_for_language,
    cheapest_tier_with_feature,
    format_limit,
    spec,
)

INSTALL_HINT = "install a license with `omnix-agent license install KEY`"


@dataclass(frozen=True, slots=True)
class Entitlements:
    """The tier in force and its checks, built from a license status (or `free()`)."""

    status: LicenseStatus | None = None

    @classmethod
    def free(cls) -> Entitlements:
        """The Free tier, as when no license is installed."""
        return cls(None)

    @property
    def tier(self) -> Tier:
        """The tier in force."""
        return Tier.FREE if self.status is None else self.status.tier

    @property
    def spec(self) -> TierSpec:
        """The tier table row in force."""
        return spec(self.tier)

    def limit(self, limit: Limit) -> int | None:
        """The ceiling for `limit` (None: unlimited); users are also capped by licensed seats."""
        ceiling = self.spec.limit(limit)
        license = self.status.in_force if self.status is not None else None
        if limit is Limit.USERS and license is not None:
            seats = license.terms.seats
            if seats is not None:
                ceiling = seats if ceiling is None else min(seats, ceiling)
        return ceiling

    def has(self, feature: Feature) -> bool:
        """Whether `feature` is part of the tier in force."""
        return self.spec.has(feature)

    def allows_language(self, language: str) -> bool:
        """Whether nodes in `language` may run."""
        return self.spec.allows_language(language)

    def require(self, feature: Feature) -> None:
        """Raise `FeatureUnavailable` unless `feature` is part of the tier in force."""
        if self.has(feature):
            return
        upgrade = cheapest_tier_with_feature(feature, above=self.tier)
        offer = f"{upgrade.title} includes it" if upgrade else "no tier includes it"
        raise FeatureUnavailable(
            f"{feature.value}: not included in the {self.tier.title} tier; {offer} — {self._hint()}",
            tier=self.tier,
            upgrade=upgrade,
            feature=feature,
        )

    def check_languages(self, pipeline: Pipeline, plugins: Sequence[str] | None = None) -> None:
        """Raise `FeatureUnavailable` naming every node whose language the tier cannot run,
        or `LimitExceeded` for a node whose custom connector is past the tier's limit.
        `plugins`: the installed plugin languages, in the order they are enabled
        (default: the entry points found now)."""
        refusal = self.language_refusal(pipeline)
        if refusal is not None:
            raise refusal
        self.check_connectors_enabled(pipeline, plugin_languages() if plugins is None else plugins)

    def enables_connector(self, position: int) -> bool:
        """Whether the plugin at `position` (from 1, in `plugin_languages()` order) is enabled."""
        ceiling = self.limit(Limit.CUSTOM_CONNECTORS)
        return ceiling is None or position <= ceiling

    def check_connectors_enabled(self, pipeline: Pipeline, plugins: Sequence[str]) -> None:
        """A tier that allows N custom connectors enables the first N installed plugins (by
        name); a node using one past them is refused, naming the tier that enables it."""
        for node in pipeline.nodes:
            if node.lang not in plugins:
                continue
            position = list(plugins).index(node.lang) + 1
            if self.enables_connector(position):
                continue
            ceiling = self.limit(Limit.CUSTOM_CONNECTORS) or 0
            upgrade = cheapest_tier_for_count(Limit.CUSTOM_CONNECTORS, position, above=self.tier)
            raise LimitExceeded(
                f"pipeline '{pipeline.name}': node '{node.id}' uses {node.lang}, custom connector "
                f"{position} of the {len(plugins)} installed ({', '.join(plugins)}); the "
                f"{self.tier.title} tier enables the first {ceiling:,}; "
                f"{self._offer(Limit.CUSTOM_CONNECTORS, upgrade)} — {self._hint()}",
                limit=Limit.CUSTOM_CONNECTORS,
                tier=self.tier,
                upgrade=upgrade,
            )

    def language_refusal(self, pipeline: Pipeline) -> FeatureUnavailable | None:
        """The error `check_languages` would raise, or None: for warning at deploy time that a
        stored pipeline will not run on this tier."""
        refused = tuple((n.id, n.lang) for n in pipeline.nodes if not self.allows_language(n.lang))
        if not refused:
            return None
        upgrade = self._upgrade_for_languages(lang for _, lang in refused)
        tier = self.tier.title
        if len(refused) == 1:
            node, lang = refused[0]
            origin = "," if lang in BUILTIN_LANGUAGES else ", a language from a custom connector,"
            offer = f"{upgrade.title} runs {lang}" if upgrade else f"no tier runs {lang}"
            what = f"pipeline '{pipeline.name}': node '{node}' uses {lang}{origin} which the {tier} tier does not run"
        else:
            listed = ", ".join(f"'{node}' uses {lang}" for node, lang in refused)
            offer = f"{upgrade.title} runs them all" if upgrade else "no tier runs them all"
            what = (
                f"pipeline '{pipeline.name}' needs languages the {tier} tier does not run: {listed}"
            )
        return FeatureUnavailable(
            f"{what}; {offer} — {self._hint()}", tier=self.tier, upgrade=upgrade, nodes=refused
        )

    def check_run_start(self, pipeline: Pipeline, runs_today: int) -> None:
        """Before starting a run: its languages, and `runs_today` (runs already started today,
        not counting this one) against executions per day."""
        self.check_languages(pipeline)
        self._check_room(Limit.EXECUTIONS_PER_DAY, runs_today)

    def check_deploy(
        self, pipeline: Pipeline, pipeline_count: int, *, replaces_existing: bool = False
    ) -> None:
        """Before storing a pipeline: `pipeline_count` (pipelines stored now) against the
        pipeline limit; a new version of a stored pipeline adds none. Languages are not checked
        here: a pipeline that needs a higher tier is stored but cannot start (warn with
        `language_refusal`)."""
        del pipeline  # only the count matters; the pipeline is named for the callers' sake
        if not replaces_existing:
            self._check_room(Limit.PIPELINES, pipeline_count)

    def check_add_user(self, user_count: int) -> None:
        """Before creating a user: `user_count` (users that exist now) against users/seats."""
        self._check_room(Limit.USERS, user_count)

    def check_custom_connectors(self, count: int) -> None:
        """Before loading adapter plugins: `count` (how many would load) against the limit."""
        ceiling = self.limit(Limit.CUSTOM_CONNECTORS)
        if ceiling is None or count <= ceiling:
            return
        upgrade = cheapest_tier_for_count(Limit.CUSTOM_CONNECTORS, count, above=self.tier)
        raise LimitExceeded(
            f"{Limit.CUSTOM_CONNECTORS.value}: {count:,} installed but the {self.tier.title} "
            f"tier allows {ceiling:,}; {self._offer(Limit.CUSTOM_CONNECTORS, upgrade)} — "
            f"{self._hint()}",
            limit=Limit.CUSTOM_CONNECTORS,
            tier=self.tier,
            upgrade=upgrade,
        )

    def _check_room(self, limit: Limit, used: int) -> None:
        """Raise unless one more fits next to the `used` that exist."""
        ceiling = self.limit(limit)
        if ceiling is None or used + 1 <= ceiling:
            return
        upgrade = cheapest_tier_for_count(limit, used + 1, above=self.tier)
        tier_ceiling = self.spec.limit(limit)
        if tier_ceiling is None or ceiling < tier_ceiling:  # held back by licensed seats
            upgrade = self.tier
            counted = f"{ceiling:,} licensed seats"
            up_to = "" if tier_ceiling is None else f" (up to {tier_ceiling:,})"
            offer = f"more seats on the {self.tier.title} tier lift it{up_to}"
        else:
            counted = f"{ceiling:,}"
            offer = self._offer(limit, upgrade)
        raise LimitExceeded(
            f"{limit.value}: {used:,} of {counted} used on the {self.tier.title} tier; {offer} — "
            f"{self._hint()}",
            limit=limit,
            tier=self.tier,
            upgrade=upgrade,
        )

    def _offer(self, limit: Limit, upgrade: Tier | None) -> str:
        if upgrade is None:
            return "no tier allows more"
        ceiling = spec(upgrade).limit(limit)
        return (
            f"{upgrade.title} has no limit"
            if ceiling is None
            else f"{upgrade.title} allows {format_limit(ceiling)}"
        )

    def _upgrade_for_languages(self, languages: Iterable[str]) -> Tier | None:
        needed = [cheapest_tier_for_language(lang, above=self.tier) for lang in languages]
        if any(tier is None for tier in needed):
            return None
        return max((t for t in needed if t is not None), key=lambda t: t.rank)

    def _hint(self) -> str:
        """What to do next, mentioning an installed license that no longer counts."""
        status = self.status
        if status is None or status.in_force is not None:
            return INSTALL_HINT
        if status.state is LicenseState.EXPIRED and status.license is not None:
            terms = status.license.terms
            return (
                f"the {terms.tier.title} license expired at {terms.expires:%Y-%m-%d %H:%M} UTC; "
                f"renew it and "
                f"{INSTALL_HINT}"
            )
        if status.state is LicenseState.INVALID:
            return f"the installed license key is not valid ({status.problem}); {INSTALL_HINT}"
        return INSTALL_HINT
