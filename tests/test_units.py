"""Tests of benchmark.units: spellings, conversions, errors, caching."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pint
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark import units
from benchmark.errors import UnitError
from benchmark.units import (
    conversion,
    convert,
    dimension_of,
    display,
    is_compatible,
    normalise_unit_text,
    parse_unit,
    ureg,
)


def code_of(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.problems[0].code


# --- the registry --------------------------------------------------------------------------

def test_one_registry_with_project_definitions():
    assert parse_unit("kW")._REGISTRY is ureg
    assert parse_unit("千瓦")._REGISTRY is ureg
    assert pint.get_application_registry().get() is ureg
    assert str(ureg.parse_units("dBA").dimensionality) == "[a_weighted_level]"


def test_spelling_aliases_come_from_the_data_file():
    text = units.DEFINITIONS_PATH.read_text(encoding="utf-8")
    for spelling in units.SPELLING_ALIASES:
        assert f"#> {spelling} = " in text
    assert units.SPELLING_ALIASES["dB(A)"] == "dBA"
    assert "千瓦 = kilowatt" in text
    assert "千瓦" not in Path(units.__file__).read_text(encoding="utf-8")


# --- Chinese spellings ---------------------------------------------------------------------

@pytest.mark.parametrize("given_unit, target, factor", [
    ("千瓦", "W", 1000.0),
    ("瓦", "W", 1.0),
    ("千瓦时/年", "kWh/year", 1.0),
    ("千瓦·时", "kWh", 1.0),
    ("瓦时", "Wh", 1.0),
    ("升", "L", 1.0),
    ("毫升", "L", 1e-3),
    ("立方米/小时", "m³/h", 1.0),
    ("立方米/小时", "L/s", 1000.0 / 3600.0),
    ("流明/瓦", "lm/W", 1.0),
    ("千克", "kg", 1.0),
    ("公斤", "g", 1000.0),
    ("千帕", "Pa", 1000.0),
    ("毫米", "m", 1e-3),
    ("天", "h", 24.0),
    ("分钟", "s", 60.0),
])
def test_chinese_spellings_convert(given_unit, target, factor):
    f, offset = conversion(given_unit, target)
    assert f == pytest.approx(factor, rel=1e-12)
    assert offset == 0.0


def test_kelvin_only_as_a_whole_unit():
    assert parse_unit("开") == ureg.kelvin
    with pytest.raises(UnitError) as e:
        parse_unit("开关")
    assert code_of(e) == "unit_unknown"


def test_du_is_deliberately_not_a_unit():
    with pytest.raises(UnitError) as e:
        parse_unit("度")
    assert code_of(e) == "unit_unknown"


def test_celsius_spellings_are_offset_units():
    for spelling in ("摄氏度", "℃", "°C", "degC"):
        assert conversion(spelling, "K") == pytest.approx((1.0, 273.15))


# --- exact definitions, full width, ratios, proportions -----------------------------------

def test_cubic_foot_is_exact():
    factor, offset = conversion("ft³", "L")
    assert factor == pytest.approx(0.3048 ** 3 * 1000, rel=1e-14)
    assert factor == pytest.approx(28.316846592, rel=1e-14)
    assert offset == 0.0
    assert conversion("ft3", "L")[0] == pytest.approx(28.316846592, rel=1e-14)


def test_full_width_characters_parse():
    assert parse_unit("ｋＷ") == parse_unit("kW")
    assert parse_unit("％") == parse_unit("%")
    assert parse_unit("分贝（A）") == parse_unit("dBA")
    assert conversion("ｋＷ", "W") == (1000.0, 0.0)


def test_superscripts_and_plain_digit_powers():
    assert parse_unit("m³/h") == parse_unit("m**3/h") == parse_unit("m3/h")
    assert parse_unit("m⁻¹") == parse_unit("1/m")
    assert parse_unit("㎡") == parse_unit("m**2")


def test_middle_dot_product_binds_tighter_than_slash():
    assert parse_unit("W/m²·K") == parse_unit("W/(m**2*K)")
    assert conversion("kW·h/(m²·a)", "kWh/(m**2*year)") == (1.0, 0.0)
    assert conversion("千瓦·时/年", "kWh/year") == (1.0, 0.0)


@pytest.mark.parametrize("ratio", ["W·h/W·h", "Wh/Wh", "W/W", "kW/kW", "kW·h/kW·h", "", "1"])
def test_like_ratios_are_dimensionless(ratio):
    assert dimension_of(ratio) == "dimensionless"
    assert conversion(ratio, "1") == (1.0, 0.0)


def test_naive_product_ratio_would_be_hours_squared():
    # Why the literal aliases exist: pint reads W*h/W*h as ((W*h)/W)*h.
    assert ureg.parse_units("W*h/W*h").dimensionality == ureg.parse_units("h**2").dimensionality
    assert normalise_unit_text("W·h/W·h") == "dimensionless"


def test_ratio_alias_does_not_match_inside_other_units():
    assert conversion("kW/W", "1")[0] == pytest.approx(1000.0)


@pytest.mark.parametrize("text, factor", [
    ("%", 0.01), ("％", 0.01), ("‰", 0.001), ("ppm", 1e-6), ("percent", 0.01),
])
def test_proportions(text, factor):
    assert conversion(text, "1")[0] == pytest.approx(factor, rel=1e-12)
    assert conversion(text, "")[0] == pytest.approx(factor, rel=1e-12)


# --- offsets and logarithmic units ---------------------------------------------------------

def test_celsius_to_kelvin_has_an_offset():
    factor, offset = conversion("degC", "K")
    assert factor == pytest.approx(1.0)
    assert offset == pytest.approx(273.15)
    assert float(convert(0.0, "degC", "K")) == pytest.approx(273.15)


def test_fahrenheit_to_celsius_on_arrays():
    out = convert(np.array([32.0, 212.0, -40.0, 98.6]), "degF", "degC")
    assert out == pytest.approx([0.0, 100.0, -40.0, 37.0], abs=1e-9)


@pytest.mark.parametrize("spelling", ["dB(A)", "dB (A)", "分贝(A)", "分贝 (A)", "分贝（A）", "dBA"])
def test_a_weighted_spellings_are_one_unit(spelling):
    assert parse_unit(spelling) == ureg.dBA
    assert conversion(spelling, "dBA") == (1.0, 0.0)


@pytest.mark.parametrize("target", ["W", "1", "", "dB", "分贝"])
def test_a_weighted_level_refuses_other_units(target):
    with pytest.raises(UnitError) as e:
        conversion("dB(A)", target, indicator="noise_level")
    assert code_of(e) == "unit_dimension_mismatch"
    assert not is_compatible("dB(A)", target)


def test_plain_decibel_to_number_is_not_linear():
    for a, b in [("dB", "1"), ("1", "dB"), ("dBm", "W")]:
        with pytest.raises(UnitError) as e:
            conversion(a, b, indicator="gain")
        assert code_of(e) == "unit_not_linear"
        assert "gain" in e.value.problems[0].message


def test_linear_logarithmic_pairs_are_accepted():
    assert conversion("分贝", "dB") == (1.0, 0.0)
    assert conversion("dB", "Np")[0] == pytest.approx(math.log(10) / 20, rel=1e-12)
    assert conversion("dBm", "dBW") == pytest.approx((1.0, -30.0))


# --- year ----------------------------------------------------------------------------------

def test_per_a_means_per_year_not_per_are():
    assert normalise_unit_text("kWh/a") == "kWh/year"
    assert is_compatible("kWh/a", "kWh/year")
    assert conversion("kWh/a", "kWh/year") == (1.0, 0.0)
    assert conversion("千瓦时/年", "kWh/a") == (1.0, 0.0)
    assert not is_compatible("kWh/a", "kWh/m**2")
    assert "[length] ** 2" in dimension_of("kWh/a")  # energy per time keeps length², no area
    assert "[time] ** 3" in dimension_of("kWh/a")


# --- errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, close", [("kWw", "kW"), ("千瓦时时", "千瓦时"), ("dB(AA)", "dB(A)"),
                                        ("kWh/yeer", "year")])
def test_unknown_unit_with_hint(bad, close):
    with pytest.raises(UnitError) as e:
        parse_unit(bad, indicator="annual_energy")
    problem = e.value.problems[0]
    assert problem.code == "unit_unknown"
    assert repr(bad) in problem.message
    assert "annual_energy" in problem.message
    assert close in problem.hint


def test_unknown_unit_in_conversion_names_the_indicator():
    with pytest.raises(UnitError) as e:
        conversion("kWw", "W", indicator="rated_power")
    assert code_of(e) == "unit_unknown"
    assert "rated_power" in e.value.problems[0].message


def test_mismatch_message_names_indicator_units_and_dimensions():
    with pytest.raises(UnitError) as e:
        conversion("千瓦", "L", indicator="volume_total")
    problem = e.value.problems[0]
    assert problem.code == "unit_dimension_mismatch"
    for part in ("volume_total", "千瓦", "'L'", dimension_of("千瓦"), dimension_of("L")):
        assert part in problem.message


def test_mismatch_is_raised_with_indicator_even_when_cached_without():
    with pytest.raises(UnitError):
        conversion("W", "L")
    with pytest.raises(UnitError) as e:
        conversion("W", "L", indicator="ind_42")
    assert "ind_42" in e.value.problems[0].message


# --- convert -------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [("千瓦时/年", "W"), ("ft³", "L"), ("degF", "degC"),
                                  ("立方米/小时", "L/s"), ("%", "1")])
def test_convert_matches_pint_elementwise(a, b):
    rng = np.random.default_rng(7)
    values = rng.uniform(-1e4, 1e4, 10_000)
    out = convert(values, a, b)
    assert out.dtype == np.float64 and out.shape == values.shape
    src, dst = parse_unit(a), parse_unit(b)
    for i in rng.choice(values.size, 50, replace=False):
        expected = ureg.Quantity(float(values[i]), src).to(dst).magnitude
        assert out[i] == pytest.approx(expected, rel=1e-12, abs=1e-9)


def test_convert_accepts_lists_and_scalars():
    out = convert([1, 2], "kW", "W")
    assert out.dtype == np.float64
    assert out.tolist() == [1000.0, 2000.0]
    assert float(convert(5, "L", "L")) == 5.0


COMPATIBLE_PAIRS = [
    ("千瓦", "W"), ("kWh/a", "MJ/year"), ("ft³", "升"), ("degF", "K"), ("摄氏度", "degF"),
    ("‰", "ppm"), ("%", "W·h/W·h"), ("立方米/小时", "L/min"), ("流明/瓦", "lm/kW"),
    ("dBm", "dBW"), ("dB", "Np"), ("psi", "千帕"),
]


@settings(max_examples=200, deadline=None)
@given(pair=st.sampled_from(COMPATIBLE_PAIRS),
       value=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_round_trip(pair, value):
    a, b = pair
    back = convert(convert(value, a, b), b, a)
    assert float(back) == pytest.approx(value, rel=1e-9, abs=1e-9)


def test_conversion_is_cached():
    conversion.cache_clear()
    conversion("千瓦", "W")
    before = conversion.cache_info()
    for _ in range(5):
        conversion("千瓦", "W")
        convert([1.0], "千瓦", "W")
    after = conversion.cache_info()
    assert after.hits - before.hits == 10
    assert after.misses == before.misses


def test_display_keeps_the_written_form():
    assert display("  W·h/W·h ") == "W·h/W·h"
    assert display("千瓦时/年") == "千瓦时/年"


@pytest.mark.parametrize("text", ["10^10^10 W", "m**9**9", "m^(9^9)", "m^99999", "m**1e9"])
def test_a_power_of_a_power_or_a_huge_exponent_is_an_unknown_unit(text):
    """pint raises numbers to powers exactly: "10^10^10" would run for ever. Such a text is
    refused as an unknown unit, naming why, before pint reads it."""
    with pytest.raises(UnitError) as info:
        units.conversion(text, "W")
    (problem,) = info.value.problems
    assert problem.code == "unit_unknown" and "exponent" in problem.message


@pytest.mark.parametrize("text, dimension", [("W/m^2", "[mass] / [time] ** 3"),
                                             ("m**(1/2)", "[length] ** 0.5"),
                                             ("(m**2)**3", "[length] ** 6"),
                                             ("s^-1", "1 / [time]")])
def test_plain_powers_are_read(text, dimension):
    assert units.dimension_of(text) == dimension


@pytest.mark.parametrize("text", ["kW·h/a", "10^10^10 W"])
def test_a_repeated_unit_text_is_normalised_once(text, monkeypatch):
    """`parse_unit` is cached on the text as written: a label read again (a unit per cell of a
    table) is a dict lookup, not another normalisation and power check — also for a text refused
    for its power."""
    def outcome() -> str:
        try:
            return str(units.parse_unit(text).dimensionality)
        except UnitError as exc:
            return exc.problems[0].message
    first = outcome()
    calls: list[str] = []
    normalise = units.normalise_unit_text
    monkeypatch.setattr(units, "normalise_unit_text", lambda t: calls.append(t) or normalise(t))
    assert [outcome() for _ in range(3)] == [first] * 3
    assert calls == []
