"""CronExpression: Vixie cron semantics and DST in the schedule's timezone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice, pairwise, takewhile
from zoneinfo import ZoneInfo

import pytest
from omnix.shared.cron import CronError, CronExpression, FireTime
from omnix.shared.pipeline import PipelineInvalid, parse_pipeline

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def local(
    tz: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


def next_n(expr: str, after: datetime, n: int, tz: str = "UTC") -> list[FireTime]:
    return list(islice(CronExpression(expr, tz).fire_times_after(after), n))


def instants(fires: list[FireTime]) -> list[datetime]:
    return [fire.at.astimezone(UTC) for fire in fires]


class TestVixieFields:
    """Field semantics as Vixie cron defines them."""

    @pytest.mark.parametrize("dow", ["0", "7", "sun"])
    def test_sunday_is_zero_seven_and_sun(self, dow: str) -> None:
        fires = next_n(f"0 9 * * {dow}", datetime(2026, 11, 2, tzinfo=UTC), 3)
        assert [f.at.strftime("%a %d %H:%M") for f in fires] == [
            "Sun 08 09:00",
            "Sun 15 09:00",
            "Sun 22 09:00",
        ]

    def test_weekday_range_through_seven_includes_sunday(self) -> None:
        fires = next_n("0 0 * * 5-7", datetime(2026, 11, 2, tzinfo=UTC), 3)
        assert [f.at.strftime("%a") for f in fires] == ["Fri", "Sat", "Sun"]

    @pytest.mark.parametrize(
        ("expr", "expected"),
        [
            ("5-5 * * * *", ["Thu 00:05", "Thu 01:05", "Thu 02:05"]),
            ("59-59/15 * * * *", ["Thu 00:59", "Thu 01:59", "Thu 02:59"]),
            ("0 0-0 * * *", ["Fri 00:00", "Sat 00:00", "Sun 00:00"]),
            ("0 0 * * Sun-Sun", ["Sun 00:00", "Sun 00:00", "Sun 00:00"]),
            ("0 0 * * 7-7", ["Sun 00:00", "Sun 00:00", "Sun 00:00"]),
            ("0 0 15-15 * *", ["Thu 00:00", "Sun 00:00", "Sun 00:00"]),
            ("0 0 1 mar-mar *", ["Sun 00:00", "Mon 00:00", "Wed 00:00"]),
            ("0,5-5 * * * *", ["Thu 00:05", "Thu 01:00", "Thu 01:05"]),
        ],
    )
    def test_a_range_with_equal_ends_is_that_one_value(
        self, expr: str, expected: list[str]
    ) -> None:
        fires = next_n(expr, datetime(2026, 1, 1, 0, 1, tzinfo=UTC), 3)
        assert [f.at.strftime("%a %H:%M") for f in fires] == expected

    def test_fields_may_be_separated_by_tabs(self) -> None:
        assert next_n("30\t6 * *\t*", datetime(2026, 1, 1, tzinfo=UTC), 1)[0].at.hour == 6

    def test_day_of_month_and_day_of_week_are_ored_when_both_restricted(self) -> None:
        fires = next_n("0 0 13 * 5", datetime(2026, 1, 1, tzinfo=UTC), 4)
        assert [f.at.strftime("%a %d") for f in fires] == ["Fri 02", "Fri 09", "Tue 13", "Fri 16"]

    def test_star_step_day_of_month_is_anded_with_day_of_week(self) -> None:
        # Vixie: a field starting with '*' counts as unrestricted for the OR rule.
        fires = next_n("0 0 */2 * 1", datetime(2026, 1, 1, tzinfo=UTC), 3)
        assert [f.at.strftime("%a %d") for f in fires] == ["Mon 05", "Mon 19", "Mon 09"]

    def test_restricted_day_of_month_alone_ignores_weekdays(self) -> None:
        fires = next_n("0 0 13 * *", datetime(2026, 1, 1, tzinfo=UTC), 2)
        assert [f.at.strftime("%m-%d") for f in fires] == ["01-13", "02-13"]

    @pytest.mark.parametrize(
        ("alias", "expected"),
        [
            ("@hourly", ["01:00", "02:00"]),
            ("@daily", ["2026-01-02 00:00", "2026-01-03 00:00"]),
            ("@weekly", ["Sun 00:00", "Sun 00:00"]),
        ],
    )
    def test_aliases_expand_to_their_cron_lines(self, alias: str, expected: list[str]) -> None:
        fires = next_n(alias, datetime(2026, 1, 1, 0, 0, tzinfo=UTC), 2)
        formats = {"@hourly": "%H:%M", "@daily": "%Y-%m-%d %H:%M", "@weekly": "%a %H:%M"}
        assert [f.at.strftime(formats[alias]) for f in fires] == expected

    def test_month_and_weekday_names_are_accepted(self) -> None:
        fires = next_n("0 12 * feb mon-wed", datetime(2026, 1, 1, tzinfo=UTC), 1)
        assert fires[0].at == datetime(2026, 2, 2, 12, tzinfo=UTC)

    def test_fire_times_are_in_the_schedule_timezone(self) -> None:
        fire = CronExpression("0 6 * * *", "Europe/Berlin").next_after(
            datetime(2026, 1, 1, tzinfo=UTC)
        )
        assert fire.at == local(BERLIN, 2026, 1, 1, 6)
        assert fire.at.tzinfo == BERLIN

    def test_next_after_is_strictly_after(self) -> None:
        cron = CronExpression("0 6 * * *")
        at_six = datetime(2026, 1, 1, 6, tzinfo=UTC)
        assert cron.next_after(at_six).at == at_six + timedelta(days=1)

    def test_fire_times_before_includes_the_instant_itself(self) -> None:
        cron = CronExpression("0 6 * * *")
        at_six = datetime(2026, 1, 1, 6, tzinfo=UTC)
        assert next(cron.fire_times_before(at_six)).at == at_six


class TestRejectedExpressions:
    """Bad expressions fail at construction with a message saying what to fix."""

    @pytest.mark.parametrize(
        ("expr", "fragment"),
        [
            ("0 0 * *", "expected 5 fields"),
            ("0 0 * * * *", "expected 5 fields"),
            ("0 0 * * 8", "day of week field '8': 8 is out of range 0-7 (0 and 7 are both Sunday)"),
            ("61 * * * *", "minute field '61': 61 is out of range 0-59"),
            ("0 0 L * *", "L, W, #, ? and H are not standard cron"),
            ("0 0 * * 1#2", "cannot read '1#2'"),
            ("0/15 * * * *", "write 0-59/15"),
            ("0 5-2 * * *", "runs backwards"),
            ("*/0 * * * *", "a step of 0"),
            ("0 0 * foo *", "'foo' is not a number or a name (jan, feb"),
            ("0 0 31 2 *", "it never fires"),
            ("@reboot", "unknown alias '@reboot'"),
            ("0\u00a00 * * *", "U+00A0 (NO-BREAK SPACE) is not a field separator"),
            ("0 0 * * *\u3000", "U+3000 (IDEOGRAPHIC SPACE) is not a field separator"),
            ("0 0 *\u2003* *", "U+2003 (EM SPACE) is not a field separator"),
        ],
    )
    def test_bad_expression_names_the_problem(self, expr: str, fragment: str) -> None:
        with pytest.raises(CronError) as caught:
            CronExpression(expr)
        assert fragment in str(caught.value)
        assert repr(expr) in str(caught.value)

    def test_unknown_timezone_suggests_an_iana_name(self) -> None:
        with pytest.raises(CronError, match="unknown timezone 'Europe/Berln': use an IANA name"):
            CronExpression("0 0 * * *", "Europe/Berln")

    def test_naive_instant_is_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            CronExpression("0 0 * * *").next_after(datetime(2026, 1, 1))


class TestSpringForward:
    """Wall-clock times skipped by the spring-forward gap."""

    @pytest.mark.parametrize(
        ("tz", "day"), [(BERLIN, datetime(2026, 3, 29)), (NEW_YORK, datetime(2026, 3, 8))]
    )
    def test_fixed_time_in_the_gap_fires_once_at_the_end_of_the_gap(
        self, tz: ZoneInfo, day: datetime
    ) -> None:
        before = (day - timedelta(hours=12)).replace(tzinfo=tz)
        fires = next_n("30 2 * * *", before, 2, str(tz))
        assert fires[0].at == local(tz, day.year, day.month, day.day, 3, 0)
        assert fires[0].shift == "spring-forward"
        assert fires[1].at == local(tz, day.year, day.month, day.day + 1, 2, 30)
        assert fires[1].shift is None

    def test_several_skipped_times_collapse_into_one_fire(self) -> None:
        fires = next_n("0,15,30,45 2 * * *", local(NEW_YORK, 2026, 3, 8, 0), 2, "America/New_York")
        assert fires[0].at == local(NEW_YORK, 2026, 3, 8, 3, 0)
        assert fires[1].at == local(NEW_YORK, 2026, 3, 9, 2, 0)

    def test_real_match_at_the_end_of_the_gap_is_not_flagged_or_doubled(self) -> None:
        fires = next_n("0,30 2,3 * * *", local(NEW_YORK, 2026, 3, 8, 0), 3, "America/New_York")
        assert [(f.at.strftime("%d %H:%M"), f.shift) for f in fires] == [
            ("08 03:00", None),
            ("08 03:30", None),
            ("09 02:00", None),
        ]

    def test_wildcard_hour_job_skips_times_that_do_not_exist(self) -> None:
        fires = next_n("30 * * * *", local(BERLIN, 2026, 3, 29, 1, 0), 2, "Europe/Berlin")
        assert [f.at for f in fires] == [
            local(BERLIN, 2026, 3, 29, 1, 30),
            local(BERLIN, 2026, 3, 29, 3, 30),
        ]
        assert not any(f.dst_shifted for f in fires)


class TestFallBack:
    """Wall-clock times repeated by the fall-back overlap."""

    @pytest.mark.parametrize(
        ("tz", "hour", "day"),
        [(BERLIN, 2, datetime(2026, 10, 25)), (NEW_YORK, 1, datetime(2026, 11, 1))],
    )
    def test_fixed_time_in_the_overlap_fires_once_at_its_first_occurrence(
        self, tz: ZoneInfo, hour: int, day: datetime
    ) -> None:
        before = (day - timedelta(hours=12)).replace(tzinfo=tz)
        fires = next_n(f"30 {hour} * * *", before, 2, str(tz))
        first_pass = day.replace(hour=hour, minute=30, tzinfo=tz, fold=0)
        assert fires[0].at.astimezone(UTC) == first_pass.astimezone(UTC)
        assert fires[0].shift == "fall-back"
        assert fires[1].at == (day + timedelta(days=1)).replace(hour=hour, minute=30, tzinfo=tz)

    def test_wildcard_job_fires_in_both_passes_of_the_overlap(self) -> None:
        start = local(NEW_YORK, 2026, 11, 1, 0, 45)
        fires = next_n("*/30 * * * *", start, 6, "America/New_York")
        assert [f.at.astimezone(UTC).strftime("%H:%M") for f in fires] == [
            "05:00",  # 01:00 EDT
            "05:30",  # 01:30 EDT
            "06:00",  # 01:00 EST, the repeat
            "06:30",  # 01:30 EST
            "07:00",  # 02:00 EST
            "07:30",
        ]
        assert [f.shift for f in fires[:4]] == ["fall-back"] * 4


DST_WINDOWS = [
    (datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)),
    (datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC)),
    (datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 10, 26, tzinfo=UTC)),
    (datetime(2026, 10, 31, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)),
]


@pytest.mark.parametrize("tz", ["Europe/Berlin", "America/New_York"])
@pytest.mark.parametrize("expr", ["30 2 * * *", "*/20 * * * *", "0,30 1-3 * * *", "15 1 * * 0"])
@pytest.mark.parametrize(("low", "high"), DST_WINDOWS)
def test_backward_enumeration_mirrors_forward_across_transitions(
    tz: str, expr: str, low: datetime, high: datetime
) -> None:
    cron = CronExpression(expr, tz)
    forward = list(takewhile(lambda f: f.at <= high, cron.fire_times_after(low)))
    backward = list(takewhile(lambda f: f.at > low, cron.fire_times_before(high)))
    assert instants(forward) == instants(backward[::-1])
    assert instants(forward) == sorted(set(instants(forward)))


def test_preview_flags_dst_shifted_fire_times() -> None:
    cron = CronExpression("30 2 * * *", "Europe/Berlin")
    fires = cron.preview(3, after=local(BERLIN, 2026, 3, 28, 12))
    assert [f.dst_shifted for f in fires] == [True, False, False]


class TestYearLongInvariants:
    """Properties that must hold on every day of a year with two DST transitions."""

    @staticmethod
    def fires(expr: str, tz: str, start: datetime, end: datetime) -> list[FireTime]:
        cron = CronExpression(expr, tz)
        return list(takewhile(lambda f: f.at < end, cron.fire_times_after(start)))

    @pytest.mark.parametrize("tz", ["Europe/Berlin", "America/New_York"])
    @pytest.mark.parametrize("expr", ["30 2 * * *", "0 1 * * *", "59 23 * * *"])
    def test_fixed_time_job_fires_exactly_once_every_local_day(self, tz: str, expr: str) -> None:
        zone = ZoneInfo(tz)
        start = datetime(2026, 1, 1, tzinfo=zone) - timedelta(microseconds=1)
        dates = [
            f.at.date() for f in self.fires(expr, tz, start, datetime(2027, 1, 1, tzinfo=zone))
        ]
        assert len(dates) == 365
        assert len(set(dates)) == 365

    @pytest.mark.parametrize("tz", ["Europe/Berlin", "America/New_York"])
    @pytest.mark.parametrize(("expr", "minutes"), [("*/30 * * * *", 30), ("0 * * * *", 60)])
    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)),
            (datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC)),
        ],
    )
    def test_wildcard_job_keeps_real_time_spacing_through_transitions(
        self, tz: str, expr: str, minutes: int, start: datetime, end: datetime
    ) -> None:
        times = instants(self.fires(expr, tz, start, end))
        assert {later - earlier for earlier, later in pairwise(times)} == {
            timedelta(minutes=minutes)
        }


def vixie_day_matches(
    day: datetime, dom: set[int], dom_star: bool, dow: set[int], dow_star: bool
) -> bool:
    """Vixie cron's day rule, written out independently of the code under test."""
    weekday = (day.weekday() + 1) % 7  # Sunday = 0
    if dom_star or dow_star:
        return day.day in dom and weekday in dow
    return day.day in dom or weekday in dow


@pytest.mark.parametrize(
    ("dom_field", "dom", "dow_field", "dow"),
    [
        ("13", {13}, "5", {5}),
        ("1,15", {1, 15}, "0", {0}),
        ("1,15", {1, 15}, "7", {0}),
        ("*/2", set(range(1, 32, 2)), "1", {1}),
        ("*", set(range(1, 32)), "6-7", {6, 0}),
        ("10-20/5", {10, 15, 20}, "*", set(range(7))),
        ("31", {31}, "mon-wed", {1, 2, 3}),
        ("*", set(range(1, 32)), "*/3", {0, 3, 6}),
    ],
)
def test_day_rule_matches_an_independent_vixie_oracle_for_a_year(
    dom_field: str, dom: set[int], dow_field: str, dow: set[int]
) -> None:
    cron = CronExpression(f"0 12 {dom_field} * {dow_field}")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    fired = {
        f.at.date() for f in takewhile(lambda f: f.at.year == 2026, cron.fire_times_after(start))
    }
    expected = {
        day.date()
        for day in (start + timedelta(days=n) for n in range(365))
        if vixie_day_matches(day, dom, dom_field.startswith("*"), dow, dow_field.startswith("*"))
    }
    assert fired == expected


@pytest.mark.parametrize("expr", ["0/15 * * * *", "0 0 L * *", "0 0 31 2 *", "@reboot"])
def test_pipeline_validation_refuses_what_the_scheduler_cannot_run(expr: str) -> None:
    text = f"omnix: 1\nname: p\nschedule:\n  cron: '{expr}'\nnodes:\n  - {{id: a, lang: python, code: '1'}}\n"
    with pytest.raises(PipelineInvalid) as caught:
        parse_pipeline(text, languages=frozenset({"python"}))
    with pytest.raises(CronError) as direct:
        CronExpression(expr)
    [problem] = caught.value.problems
    assert (problem.line, problem.message) == (4, str(direct.value))
