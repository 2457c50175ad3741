"""JSON made safe for JavaScript on the adapter side (no Node needed)."""

from __future__ import annotations

import json
import math

from omnix.agent.adapters.javascript.protocol import json_for_javascript, params_for_javascript


def test_plain_json_is_passed_through_byte_for_byte() -> None:
    data = b'{"a": [1, 2.5, "x", null, true], "b": 9007199254740991}'
    assert json_for_javascript(data) is data


def test_integers_beyond_2_pow_53_are_tagged_with_their_digits() -> None:
    out = json.loads(json_for_javascript(json.dumps({"id": 2**53, "neg": -(2**60)}).encode()))
    assert out == {
        "id": {"$omnix": "bigint", "v": str(2**53)},
        "neg": {"$omnix": "bigint", "v": str(-(2**60))},
    }


def test_non_finite_floats_are_tagged() -> None:
    out = json.loads(json_for_javascript(b"[NaN, Infinity, -Infinity, 1.5]"))
    assert out == [{"$omnix": "float", "v": v} for v in ("NaN", "Infinity", "-Infinity")] + [1.5]


def test_user_objects_with_the_tag_key_travel_as_entries() -> None:
    out = json.loads(json_for_javascript(b'{"$omnix": "bigint", "v": "1"}'))
    assert out == {"$omnix": "object", "v": [["$omnix", "bigint"], ["v", "1"]]}


def test_params_are_tagged_like_values() -> None:
    out = json.loads(params_for_javascript({"big": 2**62, "nan": math.nan, "s": "x"}))
    assert out == {
        "big": {"$omnix": "bigint", "v": str(2**62)},
        "nan": {"$omnix": "float", "v": "NaN"},
        "s": "x",
    }
