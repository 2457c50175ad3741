"""Every limit of every tier at its boundary, features, languages, and what refusals say."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from omnix.agent.errors import FeatureUnavailable, LimitExceeded
from omnix.agent.licensing.entitlements import Entitlements
from omnix.shared.license_status import judge_key, judge_license
from omnix.shared.licensing import LicenseVerifier
from omnix.shared.pipeline import BUILTIN_LANGUAGES, Node, Pipeline
from omnix.shared.tiers import TIERS, Feature, Limit, Tier, format_limit

from .conftest import EXPIRES, NOW, Issue

Make = Callable[..., Entitlements]
HUGE = 10**9
INSTALL = "install a license with `omnix-agent license install KEY`"


def pipeline(*languages: str, name: str = "sales") -> Pipeline:
    nodes = tuple(Node(id=f"n{i}_{lang}", lang=lang, code="1") for i, lang in enumerate(languages))
    return Pipeline(name=name, nodes=nodes)


PLAIN = pipeline("python", "sql")


def start_run(ent: Entitlements, used: int) -> None:
    ent.check_run_start(PLAIN, runs_today=used)


def deploy(ent: Entitlements, used: int) -> None:
    ent.check_deploy(PLAIN, pipeline_count=used)


def add_user(ent: Entitlements, used: int) -> None:
    ent.check_add_user(user_count=used)


ADD_ONE = {
    Limit.EXECUTIONS_PER_DAY: start_run,
    Limit.PIPELINES: deploy,
    Limit.USERS: add_user,
}
LIMITED = [
    (tier, limit) for tier in Tier for limit in ADD_ONE if TIERS[tier].limit(limit) is not None
]
UNLIMITED = [(tier, limit) for tier in Tier for limit in Limit if TIERS[tier].limit(limit) is None]


def _id(case: tuple[Tier, Limit]) -> str:
    return f"{case[0].value}-{case[1].value.replace(' ', '-')}"


@pytest.mark.parametrize("case", LIMITED, ids=_id)
def test_the_last_allowed_one_passes(entitlements_for: Make, case: tuple[Tier, Limit]) -> None:
    tier, limit = case
    ceiling = TIERS[tier].limit(limit)
    assert ceiling is not None
    ADD_ONE[limit](entitlements_for(tier), ceiling - 1)


@pytest.mark.parametrize("case", LIMITED, ids=_id)
def test_one_past_the_limit_is_refused_naming_limit_tier_and_upgrade(
    entitlements_for: Make, case: tuple[Tier, Limit]
) -> None:
    tier, limit = case
    ceiling = TIERS[tier].limit(limit)
    assert ceiling is not None
    with pytest.raises(LimitExceeded) as caught:
        ADD_ONE[limit](entitlements_for(tier), ceiling)
    error = caught.value
    assert (error.limit, error.tier) == (limit, tier)
    assert error.upgrade is not None and error.upgrade.rank > tier.rank
    upgraded = TIERS[error.upgrade].limit(limit)
    assert upgraded is None or upgraded > ceiling
    message = str(error)
    assert message.startswith(
        f"{limit.value}: {ceiling:,} of {ceiling:,} used on the {tier.title} tier; "
    )
    assert error.upgrade.title in message and message.endswith(INSTALL)


@pytest.mark.parametrize("tier", list(Tier), ids=lambda t: t.value)
def test_custom_connectors_up_to_the_limit_load_and_one_more_is_refused(
    entitlements_for: Make, tier: Tier
) -> None:
    ceiling = TIERS[tier].limit(Limit.CUSTOM_CONNECTORS)
    ent = entitlements_for(tier)
    if ceiling is None:
        ent.check_custom_connectors(HUGE)
        return
    ent.check_custom_connectors(ceiling)
    with pytest.raises(
        LimitExceeded,
        match=f"custom connectors: {ceiling + 1} installed but the {tier.title} tier allows {ceiling}; ",
    ):
        ent.check_custom_connectors(ceiling + 1)


@pytest.mark.parametrize("case", [c for c in UNLIMITED if c[1] in ADD_ONE], ids=_id)
def test_unlimited_limits_never_refuse(entitlements_for: Make, case: tuple[Tier, Limit]) -> None:
    tier, limit = case
    ADD_ONE[limit](entitlements_for(tier), HUGE)


def test_the_hundredth_free_run_of_the_day_starts_and_the_next_is_refused() -> None:
    free = Entitlements.free()
    free.check_run_start(PLAIN, runs_today=99)
    with pytest.raises(LimitExceeded) as caught:
        free.check_run_start(PLAIN, runs_today=100)
    assert str(caught.value) == (
        "executions per day: 100 of 100 used on the Free tier; Team allows 1,000 — " + INSTALL
    )


def test_a_team_customer_at_100_pipelines_is_offered_business(entitlements_for: Make) -> None:
    with pytest.raises(
        LimitExceeded, match="pipelines: 100 of 100 used on the Team tier; Business has no limit"
    ):
        entitlements_for(Tier.TEAM).check_deploy(PLAIN, pipeline_count=100)


def test_a_new_version_of_a_stored_pipeline_does_not_count(entitlements_for: Make) -> None:
    entitlements_for(Tier.TEAM).check_deploy(PLAIN, pipeline_count=100, replaces_existing=True)


@pytest.mark.parametrize(("tier", "feature"), [(t, f) for t in Tier for f in Feature], ids=str)
def test_require_follows_the_table(entitlements_for: Make, tier: Tier, feature: Feature) -> None:
    ent = entitlements_for(tier)
    if TIERS[tier].has(feature):
        ent.require(feature)
        return
    with pytest.raises(FeatureUnavailable) as caught:
        ent.require(feature)
    assert caught.value.feature is feature and caught.value.upgrade is not None
    assert str(caught.value).startswith(
        f"{feature.value}: not included in the {tier.title} tier; {caught.value.upgrade.title} includes it"
    )


@pytest.mark.parametrize(
    ("tier", "lang"), [(t, lang) for t in Tier for lang in BUILTIN_LANGUAGES], ids=str
)
def test_languages_follow_the_table(entitlements_for: Make, tier: Tier, lang: str) -> None:
    ent = entitlements_for(tier)
    flow = pipeline("python", lang)
    if TIERS[tier].allows_language(lang):
        ent.check_languages(flow)
        ent.check_run_start(flow, runs_today=0)
        return
    with pytest.raises(FeatureUnavailable) as caught:
        ent.check_run_start(flow, runs_today=0)
    assert caught.value.nodes == ((f"n1_{lang}", lang),)
    assert str(caught.value).startswith(
        f"pipeline 'sales': node 'n1_{lang}' uses {lang}, which the {tier.title} tier does not run; "
    )


def test_a_language_refusal_names_node_language_and_the_unlocking_tier() -> None:
    with pytest.raises(FeatureUnavailable) as caught:
        Entitlements.free().check_run_start(pipeline("python", "r"), runs_today=0)
    assert str(caught.value) == (
        "pipeline 'sales': node 'n1_r' uses r, which the Free tier does not run; Team runs r — "
        + INSTALL
    )


def test_several_refused_nodes_are_listed_with_the_tier_that_runs_them_all() -> None:
    with pytest.raises(FeatureUnavailable) as caught:
        Entitlements.free().check_run_start(pipeline("r", "go", "sql"), runs_today=0)
    assert caught.value.upgrade is Tier.BUSINESS
    assert str(caught.value).startswith(
        "pipeline 'sales' needs languages the Free tier does not run: 'n0_r' uses r, "
        "'n1_go' uses go; Business runs them all"
    )


def test_a_plugin_language_needs_custom_connectors() -> None:
    with pytest.raises(FeatureUnavailable, match="uses rust, a language from a custom connector,"):
        Entitlements.free().check_languages(pipeline("rust"))


def test_seats_cap_users_below_the_tier(entitlements_for: Make) -> None:
    team = entitlements_for(Tier.TEAM, seats=3)
    assert team.limit(Limit.USERS) == 3
    team.check_add_user(user_count=2)
    with pytest.raises(LimitExceeded) as caught:
        team.check_add_user(user_count=3)
    assert str(caught.value).startswith(
        "users: 3 of 3 licensed seats used on the Team tier; more seats on the Team tier lift it (up to 5)"
    )


def test_enterprise_seats_cap_users(entitlements_for: Make) -> None:
    enterprise = entitlements_for(Tier.ENTERPRISE, seats=50)
    with pytest.raises(LimitExceeded, match="50 of 50 licensed seats"):
        enterprise.check_add_user(user_count=50)


def test_free_entitlements_match_the_free_row() -> None:
    free = Entitlements.free()
    assert free.tier is Tier.FREE
    assert all(free.limit(limit) == TIERS[Tier.FREE].limit(limit) for limit in Limit)


def test_an_expired_license_runs_as_free_and_says_so(
    issue: Issue, verifier: LicenseVerifier
) -> None:
    license = verifier.verify(issue(tier=Tier.BUSINESS))
    ent = Entitlements(judge_license(license, now=EXPIRES + timedelta(days=1)))
    assert ent.tier is Tier.FREE
    with pytest.raises(FeatureUnavailable) as caught:
        ent.require(Feature.SSO)
    assert "the Business license expired at 2028-01-01 00:00 UTC; renew it" in str(caught.value)


def test_an_expired_license_keeps_no_seat_cap(issue: Issue, verifier: LicenseVerifier) -> None:
    license = verifier.verify(issue(tier=Tier.TEAM, seats=3))
    ent = Entitlements(judge_license(license, now=EXPIRES))
    assert ent.limit(Limit.USERS) == TIERS[Tier.FREE].limit(Limit.USERS)


def test_an_invalid_key_runs_as_free_and_the_refusal_says_why() -> None:
    ent = Entitlements(judge_key("OMNIX-T-AAAAA", now=NOW, verifier=LicenseVerifier()))
    with pytest.raises(
        LimitExceeded, match=r"the installed license key is not valid \(it is too short"
    ):
        ent.check_run_start(PLAIN, runs_today=100)


def test_limit_messages_use_thousands_separators(entitlements_for: Make) -> None:
    with pytest.raises(
        LimitExceeded, match="10,000 of 10,000 used on the Business tier; Enterprise has no limit"
    ):
        entitlements_for(Tier.BUSINESS).check_run_start(PLAIN, runs_today=10_000)
    assert format_limit(1_000) == "1,000"


def test_a_pipeline_needing_a_higher_tier_deploys_but_cannot_start() -> None:
    free = Entitlements.free()
    needs_team = pipeline("python", "julia")
    free.check_deploy(needs_team, pipeline_count=0)
    refusal = free.language_refusal(needs_team)
    assert refusal is not None and refusal.upgrade is Tier.TEAM
    with pytest.raises(FeatureUnavailable):
        free.check_run_start(needs_team, runs_today=0)


def test_a_runnable_pipeline_has_no_language_refusal() -> None:
    assert Entitlements.free().language_refusal(PLAIN) is None


PLUGINS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]  # six, in enabling order


def test_a_tier_enables_the_first_n_connectors_and_refuses_the_next(entitlements_for: Make) -> None:
    team = entitlements_for(Tier.TEAM)
    team.check_connectors_enabled(pipeline("epsilon"), sorted(PLUGINS))  # 5th by name: enabled
    with pytest.raises(LimitExceeded) as caught:
        team.check_connectors_enabled(pipeline("zeta"), sorted(PLUGINS))
    assert caught.value.upgrade is Tier.BUSINESS
    assert str(caught.value).startswith(
        "pipeline 'sales': node 'n0_zeta' uses zeta, custom connector 6 of the 6 installed "
        "(alpha, beta, delta, epsilon, gamma, zeta); the Team tier enables the first 5; "
        "Business allows 20"
    )


def test_an_unlimited_tier_enables_every_connector(entitlements_for: Make) -> None:
    entitlements_for(Tier.ENTERPRISE).check_connectors_enabled(pipeline("zeta"), PLUGINS * 10)


def test_the_shipped_postgres_connector_loads_and_is_enabled_on_team(
    entitlements_for: Make,
) -> None:
    from omnix.agent.cli.plugins import installed_plugins

    plugins = {p.language: p for p in installed_plugins(entitlements_for(Tier.TEAM))}
    assert plugins["postgres"].enabled and plugins["postgres"].problem == ""
