"""The tier table states the product's tiers exactly, and answers "which tier unlocks X"."""

from __future__ import annotations

import pytest
from omnix.shared.pipeline import BUILTIN_LANGUAGES
from omnix.shared.tiers import (
    TIERS,
    Feature,
    Limit,
    Tier,
    cheapest_tier_for_count,
    cheapest_tier_for_language,
    cheapest_tier_with_feature,
    format_limit,
)

EXPECTED_LIMITS = {
    Limit.USERS: (1, 5, 20, None),
    Limit.PIPELINES: (None, 100, None, None),
    Limit.EXECUTIONS_PER_DAY: (100, 1_000, 10_000, None),
    Limit.CUSTOM_CONNECTORS: (0, 5, 20, None),
}


@pytest.mark.parametrize("limit", list(Limit), ids=lambda limit: limit.value)
def test_limits_match_the_product_table(limit: Limit) -> None:
    assert tuple(TIERS[tier].limit(limit) for tier in Tier) == EXPECTED_LIMITS[limit]


def test_every_tier_has_a_row_with_every_limit() -> None:
    assert set(TIERS) == set(Tier)
    for tier, row in TIERS.items():
        assert row.tier is tier
        assert set(row.limits) == set(Limit)


@pytest.mark.parametrize(
    ("tier", "languages"),
    [
        (Tier.FREE, {"python", "javascript", "sql"}),
        (Tier.TEAM, {"python", "javascript", "sql", "r", "julia"}),
        (Tier.BUSINESS, {"python", "javascript", "sql", "r", "julia", "scala", "go"}),
        (Tier.ENTERPRISE, set(BUILTIN_LANGUAGES)),
    ],
)
def test_each_tier_runs_exactly_its_built_in_languages(tier: Tier, languages: set[str]) -> None:
    assert {lang for lang in BUILTIN_LANGUAGES if TIERS[tier].allows_language(lang)} == languages


def test_plugin_languages_need_a_tier_with_custom_connectors() -> None:
    assert [TIERS[t].allows_language("rust") for t in Tier] == [False, True, True, True]


@pytest.mark.parametrize(
    ("feature", "first_tier"),
    [
        (Feature.DISTRIBUTED_EXECUTION, Tier.TEAM),
        (Feature.TEAM_COLLABORATION, Tier.TEAM),
        (Feature.SECRETS, Tier.TEAM),
        (Feature.SSO, Tier.BUSINESS),
    ],
)
def test_features_start_at_their_tier_and_stay_above_it(feature: Feature, first_tier: Tier) -> None:
    assert [TIERS[t].has(feature) for t in Tier] == [t.rank >= first_tier.rank for t in Tier]
    assert cheapest_tier_with_feature(feature) is first_tier


def test_cheapest_tier_for_a_language() -> None:
    assert cheapest_tier_for_language("sql") is Tier.FREE
    assert cheapest_tier_for_language("julia") is Tier.TEAM
    assert cheapest_tier_for_language("go") is Tier.BUSINESS


def test_cheapest_upgrade_skips_tiers_at_or_below_the_current_one() -> None:
    # Free has unlimited pipelines, but a Team customer at 100 needs Business, not Free.
    assert cheapest_tier_for_count(Limit.PIPELINES, 101) is Tier.FREE
    assert cheapest_tier_for_count(Limit.PIPELINES, 101, above=Tier.TEAM) is Tier.BUSINESS


def test_cheapest_tier_for_a_count_picks_the_first_that_fits() -> None:
    assert cheapest_tier_for_count(Limit.EXECUTIONS_PER_DAY, 1_000) is Tier.TEAM
    assert cheapest_tier_for_count(Limit.EXECUTIONS_PER_DAY, 1_001) is Tier.BUSINESS
    assert cheapest_tier_for_count(Limit.EXECUTIONS_PER_DAY, 10**9) is Tier.ENTERPRISE


def test_no_tier_above_enterprise() -> None:
    assert cheapest_tier_with_feature(Feature.SSO, above=Tier.ENTERPRISE) is None


def test_tier_letters_round_trip_and_unknown_letters_are_refused() -> None:
    assert [t.letter for t in Tier] == ["F", "T", "B", "E"]
    assert all(Tier.from_letter(t.letter) is t for t in Tier)
    with pytest.raises(ValueError, match="unknown tier letter"):
        Tier.from_letter("X")


def test_limits_print_with_thousands_separators_or_unlimited() -> None:
    assert (format_limit(10_000), format_limit(None)) == ("10,000", "unlimited")
