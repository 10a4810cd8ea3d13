"""Scope limits written as data: which reference values apply to a product, read from the catalogue
the way the engine selects them (segment, `where`, `effective`), for the cases the research file
(shared/REFERENCE_DATA_2.md §2, finding 5) found wrong: a 0.6 kW motor, a 3.5 kW room air
conditioner, a 300 W power supply, brake and inverter units, and a registry export whose rows each
need their own US federal maximum."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest

from benchmark.catalogue import load_catalogue
from benchmark.model import condition_mask
from benchmark.population import load_population

ROOT = Path(__file__).resolve().parents[1]
DAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def applicable(catalogue, iset_id: str, params: dict, day: dt.date = DAY) -> dict:
    """{edition id: [(indicator, value)]} of values in effect on `day` whose segment and `where`
    cover one product with canonical `params`, from editions in force (not withdrawn) on `day`."""
    iset = catalogue.sets[iset_id]
    arrays = {k: np.array([v], dtype=float if isinstance(v, (int, float)) else object)
              for k, v in params.items()}
    segments = [s.id for s in iset.segments if condition_mask(s.where, arrays, 1)[0]]
    assert len(segments) == 1, segments
    out: dict = {}
    for ref in catalogue.references.values():
        if ref.status_on(day) != "in_force":
            continue
        for v in ref.values:
            if (v.indicator_set == iset_id and v.in_effect(day)
                    and (v.segments is None or segments[0] in v.segments)
                    and condition_mask(v.where, arrays, 1)[0]):
                out.setdefault(ref.id, []).append((v.indicator, v))
    return out


def threshold(value, params: dict, label: str | None = None) -> float:
    arrays = {k: np.array([v]) for k, v in params.items() if isinstance(v, (int, float))}
    bound = value.class_bound(label) if label else value.limits[0]
    return float(bound.threshold.evaluate(arrays, 1)[0])


MOTOR_06 = {"rated_power": 0.6, "poles": 4, "construction": "general"}


def test_motor_at_0_6_kw_lies_between_two_gb_ratings(catalogue):
    """GB 18613-2020 lists 0.55 and 0.75 kW: 0.6 kW lies between them (the 0.75 kW row ends the
    below-0.75 table), so each grade has a next-higher and a next-lower listed value."""
    (gb,) = [v for _, v in applicable(catalogue, "three-phase-induction-motor", MOTOR_06)
             ["GB 18613-2020"]]
    for label, lower, higher in (("3", 80.8, 82.5), ("2", 83.9, 85.7)):
        thr = gb.class_bound(label).threshold
        assert thr.between == "higher" and thr.between_note
        assert threshold(gb, MOTOR_06, label) == higher
        xs, ys = np.array(thr.table_x), np.array(thr.table_y)
        below = ys[xs < 0.6][-1]
        assert below == lower  # the value an engine must also consider (docs/verdicts.md §3)


def test_motor_at_0_6_kw_has_no_eu_or_iec_class(catalogue):
    """The IE formulas are defined for 0.12–0.55 kW (Table 27) and 0.75–200 kW (Table 28): no EU
    or IEC value covers 0.6 kW — not covered rather than a guessed number."""
    found = applicable(catalogue, "three-phase-induction-motor", MOTOR_06)
    assert "EU 2019/1781" not in found and "IEC 60034-30-1:2014" not in found


@pytest.mark.parametrize("construction, ie4_floor", [("general", True), ("brake", False),
                                                     ("explosion_protected", False),
                                                     ("ex_eb", False)])
def test_eu_ie4_floor_excludes_brake_and_explosion_protected_motors(catalogue, construction,
                                                                    ie4_floor):
    """From 2023-07-01 75–200 kW 2/4/6-pole motors at least IE4, "which are not brake motors,
    Ex eb increased safety motors or other explosion-protected motors" (UK SI 2021/745 Sch. 16)."""
    params = {"rated_power": 90.0, "poles": 4, "construction": construction}
    limits = [v for ind, v in applicable(catalogue, "three-phase-induction-motor", params)
              ["EU 2019/1781"] if v.limits]
    values = sorted(threshold(v, params) for v in limits)
    ie4, ie3, ie2 = 96.1, 95.2, 94.2  # Table 28 at 90 kW, 4-pole (rounded to 0.1)
    assert (ie4 in values) is ie4_floor
    assert (ie3 in values) is (construction != "ex_eb")  # IE3 floor: not Ex eb motors
    assert (ie2 in values) is (construction == "ex_eb")  # Ex eb: at least IE2 from 2023-07-01


def test_eu_ie2_floor_below_0_75_kw(catalogue):
    """From 2021-07-01 three-phase motors of 0.12 kW to below 0.75 kW at least IE2: at 0.37 kW
    4-pole the Table 27 IE2 formula (17.2751, 23.978, 35.5822, 84.9935) gives 72.7 %."""
    params = {"rated_power": 0.37, "poles": 4, "construction": "general"}
    found = [v for _, v in applicable(catalogue, "three-phase-induction-motor", params)
             ["EU 2019/1781"]]
    (floor,) = [v for v in found if v.limits]
    (classes,) = [v for v in found if v.classes]
    assert floor.effective_from == dt.date(2021, 7, 1) and "IE2" in floor.clause.en
    assert threshold(floor, params) == threshold(classes, params, "IE2") == 72.7


def test_room_ac_3_5_and_5_1_kw_get_a_top_runner_target(catalogue):
    """Wall-hung general-region units: the FY2027 formula gives 6.6 at 3.5 kW and 6.4 at 5.1 kW,
    capacities the 13-point table did not list. The value is on JIS C 9612, the indicator on
    GB/T 7725: `basis` marks the comparison indicative."""
    apf = catalogue.sets["room-air-conditioner"].indicators["apf"]
    for watts, target in ((3500, 6.6), (5100, 6.4)):
        params = {"cooling_capacity": float(watts), "type": "heat_pump", "structure": "split",
                  "speed_control": "inverter", "installation": "wall_hung", "region": "general"}
        (jp,) = applicable(catalogue, "room-air-conditioner", params)["JP TopRunner AC FY2027"]
        assert threshold(jp[1], params) == target
    raw = __import__("yaml").safe_load(
        (ROOT / "reference_standards/JP_TopRunner_AC_FY2027.yaml").read_text(encoding="utf-8"))
    assert raw["values"][0]["basis"] == "JIS C 9612" != apf.test_method == "GB/T 7725"


@pytest.mark.parametrize("installation, region", [("floor_standing", "general"),
                                                  ("wall_hung", "cold")])
def test_top_runner_target_is_for_wall_hung_general_region_units_only(catalogue, installation,
                                                                      region):
    """The table is for "出荷台数の多い壁掛形の一般地仕様" (METI note quoted on
    consumer-electronics.work): floor-standing and cold-region units are other categories."""
    params = {"cooling_capacity": 3500.0, "type": "heat_pump", "structure": "split",
              "speed_control": "inverter", "installation": installation, "region": region}
    assert "JP TopRunner AC FY2027" not in applicable(catalogue, "room-air-conditioner", params)


@pytest.mark.parametrize("speed_control, covered", [("fixed_speed", True), ("inverter", False)])
def test_gb_12021_3_2004_not_for_variable_speed_units(catalogue, speed_control, covered):
    """GB 12021.3-2004 "does not apply to multi-split, portable and variable speed" units
    (iea.org policy 2392); on 2008-01-01 it was in force."""
    params = {"cooling_capacity": 3500.0, "type": "heat_pump", "structure": "split",
              "speed_control": speed_control}
    found = applicable(catalogue, "room-air-conditioner", params, dt.date(2008, 1, 1))
    assert ("GB 12021.3-2004" in found) is covered


EPS_300 = {"rated_output_power": 300.0, "type": "basic_voltage", "conversion": "ac_dc",
           "operation": "direct"}


def test_eps_at_300_w(catalogue):
    """EU 2019/1782 and EISA Class A cover supplies up to 250 W only (eps.biois.eu; 42 USC
    6295(u)(3)(A) "Not more than 250 watts"); Level VI has a > 250 W row (0.875; 0.500 W).
    GB 20943-2013, in force, is catalogued without values: it governs both indicators."""
    found = applicable(catalogue, "external-power-supply", EPS_300)
    assert "EU 2019/1782" not in found and "US EISA 2007 ClassA" not in found
    level_vi = {ind: threshold(v, EPS_300) for ind, v in found["US DOE Level VI"]}
    assert level_vi == {"average_efficiency": 0.875, "no_load_power": 0.5}
    assert all(not v.verified for _, v in found["US DOE Level VI"])  # one secondary copy
    gb = catalogue.references["GB 20943-2013"]
    assert gb.status_on(DAY) == "in_force" and gb.values == []


def test_eps_at_65_w_indirect_operation_keeps_the_eisa_values(catalogue):
    """From 2016-02-10 indirect-operation Class A supplies keep the EISA values, direct-operation
    ones get Level VI (10 CFR 430.32(w)(1)(ii)–(iii))."""
    params = dict(EPS_300, rated_output_power=65.0)
    direct = applicable(catalogue, "external-power-supply", params)
    indirect = applicable(catalogue, "external-power-supply", dict(params, operation="indirect"))
    assert "US DOE Level VI" in direct and "US EISA 2007 ClassA" not in direct
    assert "US EISA 2007 ClassA" in indirect and "US DOE Level VI" not in indirect
    eisa = dict(indirect["US EISA 2007 ClassA"])
    assert threshold(eisa["average_efficiency"], params) == 0.85
    before = applicable(catalogue, "external-power-supply", params, dt.date(2015, 1, 1))
    assert "US EISA 2007 ClassA" in before  # all Class A supplies before 2016-02-10


def test_registry_rows_get_their_own_federal_maximum(catalogue):
    """Each row of the registry export, mapped by DOE product class and adjusted volume (ft³),
    gets the maximum of its own class: slope·AV + intercept as the clause prints it for that class
    (10 CFR 430.32(a), eCFR copy), rounded to the nearest kWh/yr."""
    folder = ROOT / "examples" / "populations"
    pop = load_population(folder / "registry-refrigerators.csv", catalogue,
                          "household-refrigerator", folder / "registry-refrigerators.mapping.yaml")
    classes = np.asarray(pop.parameters["us_product_class"]).astype(str)
    volume = np.asarray(pop.parameters["adjusted_volume"], dtype=float)  # litres
    us = catalogue.references["US 10 CFR 430.32(a) 2014"].values
    assert len(set(classes)) >= 5
    for code, litres in zip(classes, volume, strict=True):
        (value,) = [v for v in us if v.where["us_product_class"] == (code,)]
        found = re.search(r"([\d.]+)AV \+ ([\d.]+)", value.clause.en)
        slope, intercept = map(float, found.groups())
        expected = round(slope * litres / 28.316846592 + intercept)
        got = value.limits[0].threshold.evaluate({"adjusted_volume": np.array([litres])}, 1)[0]
        assert got == expected, code


# --- the three cases of the issue, end to end through the public API --------------------------

def evaluate(tmp_path: Path, category: str, parameters: dict, indicators: dict) -> dict:
    import yaml

    import benchmark

    doc = {"schema": "declaration/1",
           "enterprise": {"name": "示例有限公司", "credit_code": "91320500MA1W7K3P2R"},
           "standard": {"number": "Q/SL 001-2026", "title": "示例", "type": "enterprise",
                        "date": "2026-01-01", "normative_references": []},
           "product": {"category": category, "model": "X-1", "parameters": parameters},
           "indicators": {"mandatory_conformity": True, **indicators}}
    path = tmp_path / f"{category}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return benchmark.evaluate(path, "leader", DAY.isoformat()).to_dict()


def indicator(result: dict, ind: str) -> dict:
    return next(i for i in result["indicators"] if i["id"] == ind)


def step_reasons(ind: dict) -> dict:
    return {s["level"]: (s["outcome"], s.get("reason")) for s in ind["steps"]}


def test_motor_at_0_6_kw_gets_an_honest_answer(tmp_path):
    """84.0 % at 0.6 kW 4-pole: above both neighbouring grade-3 values (80.8 at 0.55 kW, 82.5 at
    0.75 kW) and below both grade-1 values (86.7, 88.2): compliant, not domestic advanced, with the
    between-rule notice; no EU class covers 0.6 kW, and the report says so with the scope."""
    eff = indicator(evaluate(tmp_path, "three-phase-induction-motor",
                             {"rated_power": "0.6 kW", "poles": 4, "construction": "general"},
                             {"efficiency": "≥ 84.0 %", "noise": "≤ 60 dB(A)",
                              "vibration": "≤ 1.8 mm/s"}), "efficiency")
    assert eff["level"] == "compliant" and "between_rule" in eff["notices"]
    assert step_reasons(eff)["domestic_advanced"][0] == "failed"
    assert {c["reference"] for c in eff["comparisons"]} == {"GB 18613-2020"}
    eu = [n for n in eff["not_covered"] if n["reference"] == "EU 2019/1781"]
    assert eu and all("outside the value's scope" in n["message"]["en"] for n in eu)
    assert any("≤ 0.55" in n["message"]["en"] for n in eu)


def test_room_ac_at_3_5_kw_gets_an_honest_answer(tmp_path):
    """A 3.5 kW wall-hung general-region unit gets the FY2027 target 6.6, compared for information
    only (JIS C 9612 against GB/T 7725): the international steps are not assessable."""
    apf = indicator(evaluate(tmp_path, "room-air-conditioner",
                             {"cooling_capacity": "3500 W", "type": "heat_pump",
                              "structure": "split", "speed_control": "inverter",
                              "installation": "wall_hung", "region": "general"},
                             {"apf": "≥ 5.40", "eer": "≥ 3.5", "noise_indoor": "≤ 38 dB(A)"}),
                    "apf")
    (jp,) = [c for c in apf["comparisons"] if c["reference"] == "JP TopRunner AC FY2027"]
    assert jp["threshold"] == pytest.approx(6.6) and jp["relation"] == "indicative"
    assert step_reasons(apf)["international_advanced"] == ("not_assessable", "indicative_basis")
    assert (apf["level_lowest"], apf["level_highest"]) == ("domestic_leading",
                                                           "international_leading")


def test_eps_at_300_w_gets_an_honest_answer(tmp_path):
    """300 W basic-voltage AC-DC, direct operation: outside EU 2019/1782 and EISA (≤ 250 W), within
    Level VI (≥ 87.5 %, ≤ 0.500 W); GB 20943-2013 is in force without values, so the domestic steps
    are not assessable (edition_values_missing) — never "no domestic limit"."""
    result = evaluate(tmp_path, "external-power-supply",
                      {"rated_output_power": "300 W", "type": "basic_voltage",
                       "conversion": "ac_dc", "operation": "direct"},
                      {"average_efficiency": "≥ 90.0 %", "no_load_power": "≤ 0.30 W",
                       "efficiency_10pct_load": "≥ 80 %"})
    eff = indicator(result, "average_efficiency")
    assert [(c["reference"], c["threshold"]) for c in eff["comparisons"]] == [
        ("US DOE Level VI", pytest.approx(87.5))]
    assert any(n["reference"] == "EU 2019/1782" and "≤ 250" in n["message"]["en"]
               for n in eff["not_covered"])
    assert step_reasons(eff)["compliant"] == ("not_assessable", "edition_values_missing")
    assert result["verdict"] == "not_evaluable"


# --- GB 19762-2025: the clean-water formulas' specific-speed range (an assumption, file note) ---

PUMP = {"pump_type": "single_stage_single_suction", "flow_rate": 50.0}


@pytest.mark.parametrize("ns, covered", [(15.0, False), (19.9, False), (20.0, True),
                                         (100.0, True), (300.0, True), (310.0, False)])
def test_pump_formula_applies_for_specific_speed_20_to_300_only(catalogue, ns, covered):
    """GB 19762-2025 clean-water values hold for 20 ≤ ns ≤ 300 (the ns range of the same
    standard's chemical-pump tables, adgo07/EquipEffi standards/pump.json; an ASSUMPTION in the
    file): a pump outside it is not covered, not judged against the formula."""
    refs = applicable(catalogue, "centrifugal-pump", {**PUMP, "specific_speed": ns})
    assert ("GB 19762-2025" in refs) is covered


def test_pump_formula_values_are_possible_efficiencies_over_their_range(catalogue):
    """Every GB 19762-2025 grade value lies strictly between 0 % and 100 % at the corners and
    middle of each row's flow band and the 20–300 specific-speed range (property)."""
    ref = catalogue.references["GB 19762-2025"]
    checked = 0
    for v in ref.values:
        flow = v.where["flow_rate"]
        lows = [b for b in (getattr(flow, "ge", None), getattr(flow, "gt", None)) if b is not None]
        highs = [b for b in (getattr(flow, "le", None), getattr(flow, "lt", None)) if b is not None]
        flows = [lows[0], (lows[0] + highs[0]) / 2, highs[0]]
        for q in flows:
            for ns in (20.0, 60.0, 120.0, 210.0, 300.0):
                params = {"flow_rate": q, "specific_speed": ns}
                for label in ("1", "2", "3"):
                    eta = threshold(v, params, label)
                    assert 0 < eta < 100, (v.clause, q, ns, label, eta)
                    checked += 1
    assert checked == 6 * 3 * 5 * 3


def test_validate_is_clean_for_the_pump_formulas():
    """With the ns range as data, `benchmark validate` samples the formulas only where they apply
    and prints no warning for GB 19762-2025."""
    from click.testing import CliRunner

    from benchmark.cli import main

    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert "GB_19762-2025" not in result.output


def test_grill_microwave_oven_has_no_us_standby_class(catalogue):
    """10 CFR 430.32(j)(3) has microwave-only and convection classes only: a grill oven gets the
    GB 24849-2017 standby limit (Table 1, with display: 1.0 W) and no US value."""
    refs = applicable(catalogue, "microwave-oven",
                      {"function": "grill", "configuration": "countertop",
                       "display": "with_display", "connectivity": "none"})
    assert "US 10 CFR 430.32(j)" not in refs
    standby = [v for ind, v in refs["GB 24849-2017"] if ind == "standby_power"]
    assert [threshold(v, {}) for v in standby] == [1.0]


def test_transformer_dyn11_above_500_kva_has_no_gb_row(catalogue):
    """GB 20052-2024 Dyn11 rows were read for 30–500 kVA only (`between: none`): a 630 kVA Dyn11
    unit gets no GB 20052-2024 loss threshold; a 400 kVA one has P0 grade 1 0.16 kW (Table 1)."""
    def losses(kva: float) -> list:
        refs = applicable(catalogue, "distribution-transformer",
                          {"rated_capacity": kva, "insulation": "oil_immersed",
                           "core": "amorphous_alloy", "connection": "dyn11"})
        return [v for ind, v in refs.get("GB 20052-2024", []) if ind == "no_load_loss"]
    assert len(losses(400.0)) == 1
    assert threshold(losses(400.0)[0], {"rated_capacity": 400.0}, "1") == pytest.approx(0.16)
    # the row applies by its conditions, but its table has no 630 kVA point: not covered (NaN)
    assert np.isnan(threshold(losses(630.0)[0], {"rated_capacity": 630.0}, "1"))
