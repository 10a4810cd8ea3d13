"""Reading requirements as written in standards ("≥ 5.20", "40~60 %", "220 V ± 10 %")."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmark.errors import RequirementSyntaxError
from benchmark.requirements import BOUNDS, Requirement, parse_requirement, requirement_from_parts

# The project's acceptance table: text → (bound, value, upper, tolerance, unit, tolerance_unit, decimals)
ACCEPTANCE = [
    ("≥ 5.20", ("ge", 5.20, None, None, None, None, 2)),
    ("不小于5.2", ("ge", 5.2, None, None, None, None, 1)),
    ("不大于 38 dB(A)", ("le", 38.0, None, None, "dB(A)", None, 0)),
    ("≤0.10W", ("le", 0.10, None, None, "W", None, 2)),
    ("40~60 %", ("range", 40.0, 60.0, None, "%", None, 0)),
    ("40～60%", ("range", 40.0, 60.0, None, "%", None, 0)),
    ("≥５．２０", ("ge", 5.20, None, None, None, None, 2)),
    ("±0.5", ("target", 0.0, None, 0.5, None, None, 1)),
    ("220 V ± 10 %", ("target", 220.0, None, 10.0, "V", "%", 0)),
]

FIELDS = ("bound", "value", "upper", "tolerance", "unit", "tolerance_unit", "decimals")


def fields(req: Requirement) -> tuple:
    return tuple(getattr(req, name) for name in FIELDS)


@pytest.mark.parametrize("text, expected", ACCEPTANCE)
def test_acceptance_table(text, expected):
    req = parse_requirement(text)
    assert fields(req) == expected
    assert req.text == text


@pytest.mark.parametrize("text, bound, value", [
    (">= 5.2", "ge", 5.2), ("⩾5.2", "ge", 5.2), ("不低于 5.2", "ge", 5.2), ("大于或等于5.2", "ge", 5.2),
    ("大于等于 5.2", "ge", 5.2), ("至少 5.2", "ge", 5.2), ("不少于5.2", "ge", 5.2),
    ("> 5.2", "gt", 5.2), ("大于5.2", "gt", 5.2), ("高于 5.2", "gt", 5.2), ("超过5.2", "gt", 5.2),
    ("≤ 38", "le", 38.0), ("<=38", "le", 38.0), ("⩽38", "le", 38.0), ("不大于38", "le", 38.0),
    ("不高于 38", "le", 38.0), ("不超过38", "le", 38.0), ("小于或等于38", "le", 38.0),
    ("小于等于 38", "le", 38.0), ("至多38", "le", 38.0), ("不多于38", "le", 38.0),
    ("< 38", "lt", 38.0), ("小于38", "lt", 38.0), ("低于 38", "lt", 38.0),
    ("= 7", "eq", 7.0), ("等于7", "eq", 7.0),
    ("＞＝5.2", "ge", 5.2), ("＜38", "lt", 38.0),  # full-width ASCII operators
])
def test_prefix_operators(text, bound, value):
    req = parse_requirement(text)
    assert (req.bound, req.value, req.unit) == (bound, value, None)


@pytest.mark.parametrize("text, bound, value, unit", [
    ("5.2 以上", "ge", 5.2, None), ("5.2及以上", "ge", 5.2, None), ("5.2 W 以上", "ge", 5.2, "W"),
    ("38 以下", "le", 38.0, None), ("38及以下", "le", 38.0, None), ("38 dB(A)及以下", "le", 38.0, "dB(A)"),
])
def test_suffix_forms(text, bound, value, unit):
    req = parse_requirement(text)
    assert (req.bound, req.value, req.unit) == (bound, value, unit)


@pytest.mark.parametrize("text, lower, upper, unit", [
    ("40 % ~ 60 %", 40.0, 60.0, "%"), ("40 % ~ 60", 40.0, 60.0, "%"), ("40-60", 40.0, 60.0, None),
    ("40–60", 40.0, 60.0, None), ("40—60", 40.0, 60.0, None), ("40 至 60", 40.0, 60.0, None),
    ("40 到 60", 40.0, 60.0, None), ("40至60 mm", 40.0, 60.0, "mm"),
    ("-10~-5 ℃", -10.0, -5.0, "°C"), ("-10--5", -10.0, -5.0, None), ("-10-5", -10.0, 5.0, None),
    ("\u221210 ~ \u22125 °C", -10.0, -5.0, "°C"),  # U+2212 minus sign
    ("1.5~2.5 kWh/a", 1.5, 2.5, "kWh/a"), ("(40~60) %", 40.0, 60.0, "%"),
    ("10 m-20 m", 10.0, 20.0, "m"), ("5~5", 5.0, 5.0, None),
])
def test_ranges(text, lower, upper, unit):
    req = parse_requirement(text)
    assert (req.bound, req.value, req.upper, req.unit) == ("range", lower, upper, unit)
    assert req.tolerance is None


@pytest.mark.parametrize("text, value, tol, unit, tol_unit, decimals", [
    ("5.0±0.2", 5.0, 0.2, None, None, 1),
    ("50±1 Hz", 50.0, 1.0, "Hz", None, 0),
    ("(50±1) Hz", 50.0, 1.0, "Hz", None, 0),
    ("220V±10%", 220.0, 10.0, "V", "%", 0),
    ("220 V ± 22 V", 220.0, 22.0, "V", None, 0),
    ("±0.05 mm", 0.0, 0.05, "mm", None, 2),
    ("-5.00 ± 0.5 °C", -5.0, 0.5, "°C", None, 2),
])
def test_targets(text, value, tol, unit, tol_unit, decimals):
    req = parse_requirement(text)
    assert fields(req) == ("target", value, None, tol, unit, tol_unit, decimals)


@pytest.mark.parametrize("text, value, unit, decimals", [
    ("5.20", 5.2, None, 2), ("38 dB(A)", 38.0, "dB(A)", 0), ("0.10W", 0.1, "W", 2),
    ("1.5e3", 1500.0, None, 1), ("2E-3 A", 0.002, "A", 0),
    ("14 000 h", 14000.0, "h", 0), ("1 234.50 lm", 1234.5, "lm", 2),
    ("0.5 W·h/W·h", 0.5, "W·h/W·h", 1), ("85 lm/W", 85.0, "lm/W", 0), ("3 千瓦", 3.0, "千瓦", 0),
    ("5 kW-h", 5.0, "kW-h", 0), ("1e-5", 1e-5, None, 0), ("-3", -3.0, None, 0), ("+.5", 0.5, None, 1),
    ("  38　dB（A）  ", 38.0, "dB(A)", 0),  # ideographic space and full-width brackets
])
def test_plain_quantities(text, value, unit, decimals):
    req = parse_requirement(text)
    assert (req.bound, req.value, req.unit, req.decimals) == ("eq", value, unit, decimals)
    assert req.upper is None and req.tolerance is None


@pytest.mark.parametrize("text, code", [
    ("abc", "requirement_unreadable"),
    ("", "requirement_empty"),
    ("   ", "requirement_empty"),
    ("≥", "requirement_unreadable"),
    ("nan", "requirement_not_finite"),
    ("≥ inf W", "requirement_not_finite"),
    ("≤ -Infinity", "requirement_not_finite"),
    ("1e999", "requirement_not_finite"),
    ("60~40", "requirement_range_inverted"),
    ("-5~-10 ℃", "requirement_range_inverted"),
    ("40 % ~ 60 W", "requirement_unreadable"),  # different units at the two ends
    ("5±-1", "requirement_unreadable"),
    ("±", "requirement_unreadable"),
    ("以上", "requirement_unreadable"),
    ("≥ 5.2 ~ 6", "requirement_unreadable"),
    ("5,2", "number_comma_ambiguous"),  # 5.2 or 52? issue 15: refused, never guessed
    ("14,000", "number_comma_ambiguous"),
    ("≥ 5,200", "number_comma_ambiguous"),
    ("1,234.50 lm", "number_comma_ambiguous"),
    ("5.", "requirement_unreadable"),
    ("e3", "requirement_unreadable"),
])
def test_errors_have_their_codes(text, code):
    with pytest.raises(RequirementSyntaxError) as excinfo:
        parse_requirement(text)
    assert excinfo.value.code == code
    assert [p.code for p in excinfo.value.problems] == [code]


def test_unreadable_message_quotes_the_text_and_hints_the_forms():
    with pytest.raises(RequirementSyntaxError) as excinfo:
        parse_requirement("abc")
    problem = excinfo.value.problems[0]
    assert "'abc'" in problem.message
    assert problem.hint and "≥ 5.2" in problem.hint and "40~60 %" in problem.hint


def test_the_error_is_an_input_error():
    from benchmark.errors import InputError

    with pytest.raises(InputError):
        parse_requirement("abc")


# --- structured input ----------------------------------------------------------------------------

@pytest.mark.parametrize("bound, expected", [
    ("ge", "ge"), ("≥", "ge"), (">=", "ge"), ("min", "ge"), ("MIN", "ge"), ("不小于", "ge"),
    ("gt", "gt"), (">", "gt"), ("le", "le"), ("≤", "le"), ("<=", "le"), ("max", "le"),
    ("lt", "lt"), ("<", "lt"), ("eq", "eq"), ("=", "eq"),
])
def test_from_parts_bound_names(bound, expected):
    req = requirement_from_parts("5.20", bound, " W ")
    assert (req.bound, req.value, req.unit, req.decimals) == (expected, 5.2, "W", 2)


def test_from_parts_values():
    assert requirement_from_parts(5.2, "ge").decimals == 1
    assert requirement_from_parts("5.20", "ge").decimals == 2
    assert requirement_from_parts(Decimal("5.200"), "ge").decimals == 3
    assert requirement_from_parts(38, "le", "dB(A)").decimals == 0
    assert requirement_from_parts(np.int64(38), "le").value == 38.0
    assert requirement_from_parts(np.float64(0.25), "le").decimals == 2
    assert requirement_from_parts("５．２", "ge").value == 5.2
    assert requirement_from_parts(5, "eq", "").unit is None
    assert requirement_from_parts(5, "eq", "℃").unit == "°C"
    assert requirement_from_parts(5).bound == "eq"


def test_from_parts_range_and_target():
    r = requirement_from_parts("40", "range", "%", upper="60")
    assert fields(r) == ("range", 40.0, 60.0, None, "%", None, 0)
    assert parse_requirement(r.text) == r
    t = requirement_from_parts(220, "target", "V", tolerance=22)
    assert fields(t) == ("target", 220.0, None, 22.0, "V", None, 0)
    assert fields(requirement_from_parts(50, "±", "Hz", tolerance="1.0")) == (
        "target", 50.0, None, 1.0, "Hz", None, 0)


def test_from_parts_text_reads_back_the_same():
    for req in (requirement_from_parts("5.20", "≥", "W"), requirement_from_parts(38, "max", "dB(A)"),
                requirement_from_parts("0.5", "lt")):
        again = parse_requirement(req.text)
        assert fields(again) == fields(req)


@pytest.mark.parametrize("args, kwargs, code", [
    (("abc", "ge"), {}, "requirement_unreadable"),
    (("5 W", "ge"), {}, "requirement_unreadable"),
    (("", "ge"), {}, "requirement_empty"),
    ((None, "ge"), {}, "requirement_empty"),
    ((float("nan"), "ge"), {}, "requirement_not_finite"),
    ((float("inf"), "le"), {}, "requirement_not_finite"),
    (("nan", "le"), {}, "requirement_not_finite"),
    ((True, "ge"), {}, "requirement_unreadable"),
    ((5, "between"), {}, "requirement_unreadable"),
    ((60, "range"), {"upper": 40}, "requirement_range_inverted"),
    ((40, "range"), {}, "requirement_unreadable"),
    ((40, "range"), {"upper": float("inf")}, "requirement_not_finite"),
    ((220, "target"), {}, "requirement_unreadable"),
    ((220, "target"), {"tolerance": -1}, "requirement_unreadable"),
    ((5, "ge"), {"upper": 6}, "requirement_unreadable"),
    ((5, "ge"), {"tolerance": 1}, "requirement_unreadable"),
])
def test_from_parts_errors(args, kwargs, code):
    with pytest.raises(RequirementSyntaxError) as excinfo:
        requirement_from_parts(*args, **kwargs)
    assert excinfo.value.code == code


def test_requirement_refuses_an_unknown_bound():
    assert "range" in BOUNDS
    with pytest.raises(RequirementSyntaxError):
        Requirement("between", 1.0)


# --- properties ----------------------------------------------------------------------------------

@given(st.text())
def test_arbitrary_text_raises_only_requirement_syntax_error(text):
    try:
        req = parse_requirement(text)
    except RequirementSyntaxError:
        return
    assert req.bound in BOUNDS
    assert math.isfinite(req.value)


@given(st.integers(min_value=-10**12, max_value=10**12), st.integers(min_value=0, max_value=4))
def test_generated_ge_numbers_read_back(n, d):
    x = n / 10**d
    req = parse_requirement(f"≥ {x:.{d}f} W")
    assert req.bound == "ge"
    assert req.value == x
    assert req.decimals == d
    assert req.unit == "W"
