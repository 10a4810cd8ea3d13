"""Cross-checks between reference files read from different sources, recomputed from the files.

Each test recomputes one source's numbers from another source's formula and compares them with the
catalogue, so a mistyped value in either file fails. The published numbers used directly here are
quoted in each docstring with their source.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import yaml

from benchmark.catalogue import load_catalogue
from benchmark.model import ReferenceValue, condition_mask

REFS = Path(__file__).resolve().parents[1] / "reference_standards"
DAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def raw(name: str) -> dict:
    return yaml.safe_load((REFS / name).read_text(encoding="utf-8"))


def class_formula_value(catalogue, edition: str, iset: str, segment: str, label: str,
                        params: dict[str, float]) -> float:
    """The threshold of class `label` of the one value of `edition` that covers `params`."""
    arrays = {k: np.array([v]) for k, v in params.items()}
    found = [v for v in catalogue.references[edition].values
             if v.indicator_set == iset and (v.segments is None or segment in v.segments)
             and v.classes and condition_mask(v.where, arrays, 1)[0]]
    assert len(found) == 1, f"{edition}: {len(found)} class tables cover {params}"
    bound = found[0].class_bound(label)
    return float(bound.threshold.evaluate(arrays, 1)[0])


def gb_points(doc: dict, segment: str, label: str, lo: float, hi: float,
              iset: str = "three-phase-induction-motor") -> list[tuple[float, float]]:
    """The (rating, value) points of class `label` listed for `segment` in lo ≤ P ≤ hi."""
    out = []
    for v in doc["values"]:
        if v["indicator_set"] != iset or v["segments"] != [segment]:
            continue
        for c in v["classes"]:
            if c["label"] == label and "ge" in c:
                out += [(x, y) for x, y in c["ge"]["table"]["points"] if lo <= x <= hi]
    return sorted(set(out))


SUB = [0.12, 0.18, 0.2, 0.25, 0.37, 0.4, 0.55]


@pytest.mark.parametrize("grade, ie", [("3", "IE3"), ("2", "IE4")])
@pytest.mark.parametrize("segment", ["p2", "p4", "p6", "p8"])
def test_gb_18613_below_0_75_kw_equals_eu_table_27(catalogue, segment, grade, ie):
    """GB 18613-2020 Table 1 below 0.75 kW: grade 3 = IE3 and grade 2 = IE4 at every rating
    0.12–0.55 kW, computed from the Regulation (EU) 2019/1781 Table 27 coefficients (UK SI
    2021/745 Schedule 16 paragraph 5, legislation.gov.uk) and rounded to 0.1 %
    (REFERENCE_DATA_2.md §5.1: 56 of 56 equal)."""
    points = gb_points(raw("GB_18613-2020.yaml"), segment, grade, 0.12, 0.55)
    assert [x for x, _ in points] == SUB
    for kw, gb in points:
        eu = class_formula_value(catalogue, "EU 2019/1781", "three-phase-induction-motor",
                                 segment, ie, {"rated_power": kw})
        assert eu == pytest.approx(gb, abs=1e-9), f"{segment} {kw} kW"


def test_gb_18613_below_0_75_kw_is_marked_cross_confirmed():
    """The 56 cross-confirmed numbers (grades 2 and 3, 7 ratings, 4 pole counts) are verified;
    grade 1 keeps its single-transcription mark."""
    doc = raw("GB_18613-2020.yaml")
    sub = [v for v in doc["values"] if v["where"]["rated_power"] == {"ge": 0.12, "lt": 0.75}]
    assert len(sub) == 4
    confirmed = 0
    for v in sub:
        assert v["verified"] is True and "Table 27" in v["note"]
        for c in v["classes"]:
            verified = c.get("verified", v["verified"])
            assert verified is (c["label"] != "1")
            if verified:
                confirmed += sum(1 for x, _ in c["ge"]["table"]["points"] if x <= 0.55)
    assert confirmed == 56


@pytest.mark.parametrize("segment", ["p2", "p4", "p6", "p8"])
def test_gb_18613_sub_tables_end_and_start_with_the_main_table_points(segment):
    """Each below-0.75 kW table ends with the 0.75 kW row and each above-200 kW table starts
    with the 200 kW row of the same Table 1, so 0.6 kW or 220 kW lies between two listed ratings."""
    doc = raw("GB_18613-2020.yaml")
    by_where = {}
    for v in doc["values"]:
        if v["segments"] == [segment]:
            by_where[tuple(sorted(v["where"]["rated_power"].items()))] = v
    main = by_where[(("ge", 0.75), ("le", 200))]
    below = by_where[(("ge", 0.12), ("lt", 0.75))]
    above = by_where[(("gt", 200), ("le", 1000))]
    def points(value: dict) -> dict:
        return {c["label"]: c["ge"]["table"]["points"] for c in value["classes"]}

    for label in ("1", "2", "3"):
        pts = points(main)[label]
        assert points(below)[label][-1] == pts[0] and points(above)[label][0] == pts[-1]


@pytest.mark.parametrize("segment", ["p2", "p4", "p6", "p8"])
def test_gb_18613_main_table_equals_eu_table_28(catalogue, segment):
    """GB 18613-2020 grades 3 / 2 = IE3 / IE4 at 0.75–200 kW (Table 28 formulas; 176 of 176)."""
    doc = raw("GB_18613-2020.yaml")
    for grade, ie in (("3", "IE3"), ("2", "IE4")):
        points = gb_points(doc, segment, grade, 0.75, 200)
        assert len(points) == 22
        for kw, gb in points:
            eu = class_formula_value(catalogue, "EU 2019/1781", "three-phase-induction-motor",
                                     segment, ie, {"rated_power": kw})
            assert eu == pytest.approx(gb, abs=1e-9), f"{segment} grade {grade} {kw} kW"


@pytest.mark.parametrize("segment", ["p2", "p4", "p6", "p8"])
def test_gb_30253_grade_3_equals_ie4(catalogue, segment):
    """GB 30253-2024 Table 1 grade 3 = IE4 at every rating 0.55–200 kW (92 cells over the four
    pole counts; REFERENCE_DATA_2.md §5.3), IE4 from the EU 2019/1781 Tables 27 (0.55 kW) and
    28."""
    points = gb_points(raw("GB_30253-2024.yaml"), segment, "3", 0.55, 200, "line-start-pm-motor")
    assert len(points) == 23
    for kw, gb in points:
        iset = "three-phase-induction-motor"
        eu = class_formula_value(catalogue, "EU 2019/1781", iset, segment, "IE4",
                                 {"rated_power": kw})
        assert eu == pytest.approx(gb, abs=1e-9), f"{segment} {kw} kW"


def test_iec_classes_on_pm_motors_are_the_eu_formulas(catalogue):
    """The IEC 60034-30-1:2014 classes attached to line-start PM motors are the same formulas as
    those attached to induction motors ("no distinction is made between motor technologies")."""
    for segment in ("p2", "p4", "p6", "p8"):
        for kw in (0.55, 0.75, 7.5, 200):
            for ie in ("IE2", "IE3", "IE4"):
                a = class_formula_value(catalogue, "IEC 60034-30-1:2014", "line-start-pm-motor",
                                        segment, ie, {"rated_power": kw})
                b = class_formula_value(catalogue, "EU 2019/1781", "three-phase-induction-motor",
                                        segment, ie, {"rated_power": kw})
                assert a == b


# METI's FY2027 table for wall-hung general-region units, as read on p2earth.com/4825 and
# consumer-electronics.work/aircon/636/ (REFERENCE_DATA.md §3): capacity kW → target APF.
METI_FY2027 = {2.2: 6.6, 2.5: 6.6, 2.8: 6.6, 3.2: 6.6, 4.0: 6.6, 4.5: 6.5, 5.0: 6.4, 5.6: 6.3,
               6.3: 6.1, 7.1: 5.9, 8.0: 5.7, 9.0: 5.5, 10.0: 5.3}


def jp_target(catalogue, watts: float) -> float:
    (v,) = catalogue.references["JP TopRunner AC FY2027"].values
    params = {"cooling_capacity": np.array([watts])}
    return float(v.limits[0].threshold.evaluate(params, 1)[0])


@pytest.mark.parametrize("kw, apf", sorted(METI_FY2027.items()))
def test_top_runner_formula_reproduces_the_meti_table(catalogue, kw, apf):
    """The category formula 6.84 − 0.210·(CC − 2.8 kW), capped at 6.6 (khitc.com, secondary),
    rounded to 0.1, gives the 13 values of METI's FY2027 table."""
    assert jp_target(catalogue, kw * 1000) == pytest.approx(apf)


@pytest.mark.parametrize("watts, apf", [(3500, 6.6), (5100, 6.4), (12000, 5.3)])
def test_top_runner_formula_between_the_listed_capacities(catalogue, watts, apf):
    """3.5 kW: 6.693 capped at 6.6; 5.1 kW: 6.357 → 6.4; 12 kW: below the lower limit 5.3."""
    assert jp_target(catalogue, watts) == pytest.approx(apf)


# 10 CFR 430.32(a) from 2014-09-15 prints each class twice, AV in ft³ and av in litres (eCFR copy,
# REFERENCE_DATA_2.md §4.1); a few litre slopes as printed:
LITRE_SLOPES = {"1": 0.282, "3": 0.285, "3A": 0.250, "5": 0.312, "5A": 0.327, "7": 0.302,
                "9": 0.305, "10": 0.257, "13": 0.417, "18": 0.327}


def us_class_value(catalogue, code: str) -> ReferenceValue:
    values = [v for v in catalogue.references["US 10 CFR 430.32(a) 2014"].values
              if v.where["us_product_class"] == (code,)]
    assert len(values) == 1
    return values[0]


def test_us_refrigerator_classes_in_litres_match_the_printed_litre_formulas(catalogue):
    """The encoded ft³ formula, evaluated on litres, has the slope the section prints for av in
    litres, within one unit of its last printed digit (the section's litre slopes are not all
    rounded from the ft³ ones: 8.85 / 28.3168 = 0.3125 is printed 0.312)."""
    assert len(catalogue.references["US 10 CFR 430.32(a) 2014"].values) == 42
    for code, slope_l in LITRE_SLOPES.items():
        thr = us_class_value(catalogue, code).limits[0].threshold
        assert thr.round == 0
        f = thr.formula
        at0, at1000 = float(f(adjusted_volume=0.0)), float(f(adjusted_volume=1000.0))
        assert (at1000 - at0) / 1000 == pytest.approx(slope_l, abs=0.001), code


def test_us_class_5_at_20_cubic_feet(catalogue):
    """Class 5 (bottom-mounted freezer, no icemaker): 8.85·AV + 317.0 → 494 kWh/yr at 20 ft³."""
    v = us_class_value(catalogue, "5")
    litres = np.array([20 * 28.316846592])
    assert v.limits[0].threshold.evaluate({"adjusted_volume": litres}, 1)[0] == 494


def test_pump_formula_worked_example(catalogue):
    """GB 19762-2025, single-stage single-suction, Q = 50 m³/h, ns = 100: grade 3 ≈ 69.9 %,
    grade 1 ≈ 76.9 % (worked with the transcription's coefficients, REFERENCE_DATA_2.md §5.6)."""
    params = {"flow_rate": 50.0, "specific_speed": 100.0}
    g3 = class_formula_value(catalogue, "GB 19762-2025", "centrifugal-pump",
                             "single_stage_single_suction", "3", params)
    g1 = class_formula_value(catalogue, "GB 19762-2025", "centrifugal-pump",
                             "single_stage_single_suction", "1", params)
    assert round(g3, 1) == 69.9 and round(g1, 1) == 76.9


# REFERENCE_DATA_2.md §5.4, computed there: the US 2016 level interpolated at GB ratings, and η50
# of GB grade values (kVA, core, connection, grade, η50 %).
US_2016_AT = {63: 98.99, 160: 99.17, 400: 99.31, 630: 99.38, 1250: 99.46}
ETA50 = [(400, "amorphous_alloy", "dyn11", "1", 99.47), (30, "grain_oriented_steel", "yyn0", "3",
         98.49), (2500, "amorphous_alloy", "yyn0", "1", 99.62)]


@pytest.mark.parametrize("kva, level", sorted(US_2016_AT.items()))
def test_us_transformer_levels_interpolate_linearly(catalogue, kva, level):
    """10 CFR 431.196(b) three-phase liquid-immersed levels from 2016, linear between listed kVA."""
    v = next(v for v in catalogue.references["US 10 CFR 431.196"].values
             if v.in_effect(dt.date(2020, 1, 1)))
    got = v.limits[0].threshold.evaluate({"rated_capacity": np.array([float(kva)])}, 1)[0]
    assert round(float(got), 2) == level


@pytest.mark.parametrize("kva, core, connection, grade, eta", ETA50)
def test_transformer_efficiency_derived_from_gb_losses(catalogue, kva, core, connection, grade,
                                                        eta):
    """η50 = 0.5S / (0.5S + P0 + 0.25Pk) of GB 20052-2024 grade values, as computed in the
    research file; the indicator set's derived formula gives the same."""
    losses = {}
    for v in catalogue.references["GB 20052-2024"].values:
        if v.where["core"] == (core,) and v.where["connection"] == (connection,):
            bound = v.class_bound(grade)
            losses[v.indicator] = float(bound.threshold.evaluate(
                {"rated_capacity": np.array([float(kva)])}, 1)[0])
    derived = catalogue.sets["distribution-transformer"].indicators["efficiency_50pct"].derived
    got = float(derived(rated_capacity=float(kva), no_load_loss=losses["no_load_loss"],
                        load_loss=losses["load_loss"]))
    assert round(got, 2) == eta
