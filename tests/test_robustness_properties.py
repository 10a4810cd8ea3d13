"""Issue 15: a property test over the requirement parser together with the unit registry.

At least 10,000 generated requirements — texts as standards write them, mangled ones, and
structured values with extreme numbers — are read and put on the canonical unit of real
catalogue indicators, the way a declaration is read. The only exceptions allowed are the
project's own (`BenchmarkError`, each with a reason code and a message); every value that is
accepted is finite, within what a float64 holds exactly, and within the indicator's possible
range. Hypothesis runs derandomised, so the cases are the same on every run.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmark import units
from benchmark.catalogue import load_catalogue
from benchmark.declaration import declared_value
from benchmark.errors import BenchmarkError
from benchmark.requirements import MAX_MAGNITUDE, parse_requirement, requirement_from_parts

CASES = 10_000
CATALOGUE = load_catalogue()
INDICATORS = sorted((i for s in CATALOGUE.sets.values() for i in s.indicators.values()
                     if i.kind == "quantity"), key=lambda i: i.id)
SPELLINGS = ["kW", "W", "千瓦", "瓦", "dB(A)", "dB A", "dB", "dBA", "分贝(A)", "%", "％", "W/W",
             "W·h/W·h", "kWh/a", "kWh/year", "千瓦时/年", "lm/W", "mm/s", "m³", "L", "升", "h",
             "V", "A", "Hz", "℃", "°C", "K", "Pa", "kg", "1", "", "ppm", "Np", "B", "dBm"]
OPERATORS = ["≥", ">=", "≤", "<=", ">", "<", "=", "不小于", "不大于", "大于", "小于", "至少",
             "至多", "±", "~", "～", "-", "至", "以上", "以下", "及以上", "（", "）", "(", ")"]
NUMBERS = st.one_of(
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(0, 25).flatmap(lambda places: st.decimals(allow_nan=False, allow_infinity=False,
                                                          places=places)).map(str),
    st.sampled_from(["5,20", "5.20", "14 000", "1,234.5", "1e308", "1e-400", "5e-324", "9" * 40,
                     "0", "-0", ".5", "5.", "1e", "１２．５", "٣", "⅕", "2**53", "0x10", "1_000"]),
)
UNIT_TEXT = st.one_of(
    st.sampled_from(SPELLINGS),
    st.lists(st.sampled_from([*SPELLINGS, "*", "/", "^", "**", "2", "-1", "·", "×", " ", "(", ")", "**0.5", "**1e9"]), max_size=6).map("".join),
    st.text(max_size=12),
)


@st.composite
def requirement_text(draw) -> str:
    parts = draw(st.lists(st.one_of(st.sampled_from(OPERATORS), NUMBERS, UNIT_TEXT,
                                    st.sampled_from([" ", "", "\t", "\u3000", "\x1b[31m", "\x00"])),
                          min_size=1, max_size=7))
    return "".join(parts)


STRUCTURED = st.fixed_dictionaries(
    {"value": st.one_of(NUMBERS, st.integers(min_value=-10**400, max_value=10**400),
                        st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                        st.none()),
     "bound": st.sampled_from(["ge", "le", "gt", "lt", "eq", "range", "target", "≥", "min",
                               "max", "x"])},
    optional={"unit": UNIT_TEXT, "upper": st.one_of(NUMBERS, st.floats()),
              "tolerance": st.one_of(NUMBERS, st.floats()),
              "text": st.one_of(requirement_text(), NUMBERS)})

counted = {"cases": 0, "accepted": 0}


@pytest.fixture(autouse=True, scope="module")
def _hint_budget():
    yield
    units.reset_hint_budget()  # later tests get their spelling hints back


@settings(max_examples=CASES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(raw=st.one_of(requirement_text(), STRUCTURED, NUMBERS),
       indicator=st.sampled_from(INDICATORS), decimal=st.sampled_from([".", ","]))
def test_requirements_and_units_raise_only_the_projects_errors(raw, indicator, decimal):
    counted["cases"] += 1
    try:
        if isinstance(raw, dict):
            req = requirement_from_parts(raw["value"], raw["bound"], raw.get("unit"),
                                         upper=raw.get("upper"), tolerance=raw.get("tolerance"),
                                         decimal=decimal)
        else:
            req = parse_requirement(raw, decimal)
        if req.unit is not None:
            factor, offset = units.conversion(req.unit, indicator.unit or "",
                                              indicator=indicator.id)
            assert math.isfinite(factor) and math.isfinite(offset)
        value = declared_value(indicator, raw, "/indicators/x", decimal)
    except BenchmarkError as exc:
        assert exc.problems and all(p.code and p.message for p in exc.problems)
        return
    counted["accepted"] += 1
    for end in (value.value, value.upper, value.tolerance):
        if end is not None:
            assert math.isfinite(end) and abs(end) <= MAX_MAGNITUDE
    if value.value is not None and indicator.minimum is not None:
        assert value.value >= indicator.minimum
    if value.value is not None and indicator.maximum is not None:
        assert value.value <= indicator.maximum


def test_the_property_ran_ten_thousand_cases():
    """Run after the property (file order): hypothesis did not stop early, and a good share of
    the cases were accepted (the property is not only about refusals)."""
    assert counted["cases"] >= CASES
    assert counted["accepted"] >= CASES // 20, counted
