"""`--param NAME=VALUE`: typed by the pipeline's defaults, JSON otherwise, never lossy."""

from __future__ import annotations

import datetime

import pytest
from omnix.shared.params import ParamError, check_json_params, parse_params

DEFAULTS = {"count": 5, "ratio": 0.5, "label": "x", "verbose": False, "regions": ["north"]}


def test_values_take_the_type_of_their_default() -> None:
    parsed = parse_params(
        ["count=7", "ratio=2", "label=007", "verbose=yes", 'regions=["south", "east"]'], DEFAULTS
    )
    assert parsed == {
        "count": 7,
        "ratio": 2.0,
        "label": "007",
        "verbose": True,
        "regions": ["south", "east"],
    }


def test_params_without_a_default_read_as_json_or_stay_text() -> None:
    declared = dict.fromkeys(["n", "flag", "name", "quoted", "big"])
    parsed = parse_params(["n=5", "flag=true", "name=north", 'quoted="5"', "big=1e400"], declared)
    assert parsed == {"n": 5, "flag": True, "name": "north", "quoted": "5", "big": "1e400"}


def test_the_value_may_contain_equals_signs() -> None:
    assert parse_params(["expr=a=b"], {"expr": None}) == {"expr": "a=b"}


def test_a_parameter_the_pipeline_does_not_declare_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ParamError) as refused:
        parse_params(["regoin=south"], {"region": "north", "day": None})
    assert str(refused.value) == (
        "the pipeline has no parameter 'regoin'; did you mean 'region'? "
        "(its parameters: day, region); declare it under `params:` to pass it"
    )


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("count=5.5", "count expects an integer, e.g. --param count=5"),
        ("verbose=maybe", "verbose expects a bool"),
        ("regions=north", "regions expects a JSON list"),
        ("ratio=nan", "ratio expects a finite number"),
        ("novalue", "write it as NAME=VALUE"),
        ("1st=2", "is not a parameter name"),
    ],
)
def test_values_that_do_not_fit_are_errors_that_say_how_to_write_them(
    assignment: str, message: str
) -> None:
    with pytest.raises(ParamError, match=message):
        parse_params([assignment], DEFAULTS)


def test_a_name_given_twice_is_an_error() -> None:
    with pytest.raises(ParamError, match="given twice"):
        parse_params(["count=1", "count=2"], DEFAULTS)


def test_a_param_that_is_not_json_is_refused_with_how_to_quote_it() -> None:
    with pytest.raises(ParamError, match=r"param 'day' is a date .*e\.g\. day: '2026-01-01'"):
        check_json_params({"count": 1, "day": datetime.date(2026, 1, 1)})
