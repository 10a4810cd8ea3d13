"""Property-based tests (hypothesis): arbitrary input never crashes the readers, unit conversions
round-trip, and a better declared value never gets a lower level.

"Never crashes" means: a result, or an `InputError` whose problems carry reason codes — never any
other exception.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import itertools
import json
import math
from pathlib import Path
from typing import Literal

import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from benchmark import units
from benchmark.catalogue import load_catalogue
from benchmark.credit_code import expected_check_character
from benchmark.declaration import declaration_from_document, load_declaration
from benchmark.errors import InputError, RequirementSyntaxError
from benchmark.evaluation import evaluate_declaration
from benchmark.loading import Document, read_document
from benchmark.report import render_json, render_markdown
from benchmark.requirements import BOUNDS, Requirement, parse_requirement, requirement_from_parts

REPO = Path(__file__).resolve().parents[1]
DATE = dt.date(2026, 11, 23)
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(REPO)


def assert_structured(exc: InputError) -> None:
    assert exc.problems and all(p.code and p.message for p in exc.problems)


# --- strategies -----------------------------------------------------------------------------

SURROGATES: tuple[Literal["Cs"]] = ("Cs",)  # not text: a lone surrogate cannot be written
TEXT = st.text(alphabet=st.characters(blacklist_categories=SURROGATES), max_size=40)
OPERATORS = ["≥", ">=", "＞", "≧", "⩾", ">", "≤", "<=", "≦", "<", "=", "＝", "不小于", "不大于", "大于",
             "小于", "不低于", "不超过", "至少", "等于", "", " ", "≥≥", "±"]
SUFFIXES = ["", "", "以上", "以下", "及以上", "或以下", " 以上"]
SEPARATORS = ["~", "～", "-", "–", "—", "至", "到", "〜", " ~ ", "±", "+/-"]
UNITS = ["", "%", "％", "W", "ｋＷ", "kW", "dB(A)", "ｄＢ（Ａ）", "分贝(A)", "W·h/W·h", "W/W", "lm/W",
         "mm/s", "ｍｍ／ｓ", "℃", "°C", "K", "kWh/a", "kWh/年", "m³", "W/cm³", "千瓦", "升", "Hz", "V",
         "furlongz", "dB", "1", "‰", "(A)", "kg/", "**2", "e5"]
FULL_WIDTH = str.maketrans("0123456789.-+", "０１２３４５６７８９．－＋")


def number_text() -> st.SearchStrategy[str]:
    plain = st.one_of(
        st.integers(-10**6, 10**6).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
        st.sampled_from(["1,000", "14 000", "1e-5", "1E400", ".5", "5.", "-0", "nan", "inf", "∞",
                         "1e99999", "9" * 400, "0x10", "1_000", "١٢٣"]),
    )
    return st.one_of(plain, plain.map(lambda s: s.translate(FULL_WIDTH)))


@st.composite
def requirement_texts(draw) -> str:
    """Texts shaped like requirements ("≥５．２０ ％", "40~60 %", "220 V ± 10 %") with random parts."""
    shape = draw(st.sampled_from(["prefix", "range", "target", "paren", "plain"]))
    n1, n2 = draw(number_text()), draw(number_text())
    u1, u2 = draw(st.sampled_from(UNITS)), draw(st.sampled_from(UNITS))
    space = draw(st.sampled_from(["", " ", "  ", "\u3000", "\t"]))
    if shape == "prefix":
        op, suffix = draw(st.sampled_from(OPERATORS)), draw(st.sampled_from(SUFFIXES))
        text = f"{op}{space}{n1}{space}{u1}{suffix}"
    elif shape == "range":
        text = f"{n1}{space}{u1}{draw(st.sampled_from(SEPARATORS))}{n2}{space}{u2}"
    elif shape == "target":
        text = f"{n1} {u1} ± {n2} {u2}"
    elif shape == "paren":
        text = f"({n1}{draw(st.sampled_from(SEPARATORS))}{n2}){space}{u1}"
    else:
        text = f"{n1}{space}{u1}"
    return text if draw(st.booleans()) else text + draw(TEXT)


ANY_REQUIREMENT_TEXT = st.one_of(requirement_texts(), TEXT, st.text(max_size=10))


# --- 1. requirement strings -----------------------------------------------------------------

@SETTINGS
@given(ANY_REQUIREMENT_TEXT)
def test_parse_requirement_never_crashes(text):
    try:
        req = parse_requirement(text)
    except RequirementSyntaxError as exc:
        assert_structured(exc)
        assert exc.code.startswith(("requirement_", "number_"))
        return
    assert isinstance(req, Requirement) and req.bound in BOUNDS
    assert math.isfinite(req.value)
    if req.bound == "range":
        assert req.upper is not None and req.value <= req.upper
    if req.bound == "target":
        assert req.tolerance is not None and req.tolerance >= 0


NUMBERISH = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(), TEXT,
                      number_text(), st.booleans(), st.none())


@SETTINGS
@given(NUMBERISH, st.one_of(st.sampled_from([*BOUNDS, "≥", "min", "max", "不小于"]), TEXT),
       st.one_of(st.none(), st.sampled_from(UNITS)), NUMBERISH, NUMBERISH)
def test_requirement_from_parts_never_crashes(value, bound, unit, upper, tolerance):
    try:
        req = requirement_from_parts(value, bound, unit, upper=upper, tolerance=tolerance)
    except RequirementSyntaxError as exc:
        assert_structured(exc)
        return
    assert math.isfinite(req.value)


# --- 2. arbitrary declarations --------------------------------------------------------------

GOOD_CODE = "91330100MA2XXXXX1" + expected_check_character("91330100MA2XXXXX1")
FINITE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
DECLARED = st.one_of(
    ANY_REQUIREMENT_TEXT,
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**20, 10**20), st.booleans(),
    st.sampled_from(["符合", "是", "否", "yes", "B", "F", "H", "heat_pump", "split", "4", "inverter"]),
    st.fixed_dictionaries(
        {"value": st.one_of(FINITE, number_text(), st.booleans())},
        optional={"unit": st.sampled_from(UNITS), "bound": st.sampled_from(
                      ["ge", "gt", "le", "lt", "eq", "range", "target", "min", "max", "≥", "≤"]),
                  "upper": FINITE, "tolerance": FINITE, "text": TEXT}),
    st.lists(st.integers(), max_size=2), st.none(),  # wrong shapes: the schema must say so
)


def value_for(item, ops: list[str]) -> st.SearchStrategy:
    """Mostly a sensible value for a parameter or indicator (a requirement in its unit, one of
    its categories or grades, yes/no), sometimes anything at all."""
    if item.kind in ("quantity", "integer", "range"):
        unit = st.sampled_from([item.unit or ""] * 60 + [""] * 6 + UNITS)
        op = st.sampled_from(ops)
        number = st.one_of(st.floats(0, 2000).map(lambda x: f"{x:.3g}"),
                           st.integers(0, 20).map(str))
        sensible = st.one_of(st.builds(lambda o, n, u: f"{o} {n} {u}".strip(), op, number, unit),
                             st.floats(0, 2000),
                             st.sampled_from([str(v) for v in getattr(item, "values", ())]
                                             or ["1"]))
    elif item.kind == "boolean":
        sensible = st.sampled_from([True, False, "是", "否", "符合", "yes", "no"])
    else:
        sensible = st.sampled_from([*getattr(item, "values", ()), *getattr(item, "order", ())])
    return st.sampled_from([False] * 19 + [True]).flatmap(lambda odd: DECLARED if odd else sensible)


@st.composite
def declarations(draw, catalogue) -> dict:
    """A declaration of the schema's shape: known ids with sensible values mostly, and now and
    then an unknown id, a wrong type, an empty text, NaN, a bad date or credit code."""
    odd = st.sampled_from([False] * 9 + [True])  # one time in ten: something out of shape
    category = draw(st.sampled_from(sorted(catalogue.sets)) if not draw(odd)
                    else st.just("no-such-category"))
    iset = catalogue.sets.get(category)
    params = iset.parameters if iset else {}
    inds = iset.indicators if iset else {"efficiency": None}

    def name() -> str:
        return draw(TEXT if draw(odd) else TEXT.filter(str.strip))

    def entries(known: dict, minimum: int, ops: list[str]) -> dict:
        ids = draw(st.lists(st.sampled_from(sorted(known)), min_size=min(minimum, len(known)),
                            unique=True)) if known else []
        out = {k: draw(value_for(known[k], ops) if known[k] is not None else DECLARED) for k in ids}
        if draw(odd):
            out[draw(TEXT)] = draw(DECLARED)
        return out

    doc = {
        "enterprise": {"name": name()},
        "standard": {"number": name(), "title": name()},
        "product": {"category": category, "parameters": entries(params, len(params), ["", "="])},
        "indicators": entries(inds, 1, ["", "≥", "≤", "不小于", "不大于", "=", "＞", "≥ ±"]),
    }
    if draw(st.booleans()):
        doc["enterprise"]["credit_code"] = GOOD_CODE if not draw(odd) else draw(TEXT)
    if draw(st.booleans()):
        doc["standard"]["date"] = (draw(st.dates().map(str)) if not draw(odd)
                                   else draw(st.one_of(TEXT, st.just("2025-02-30"))))
    if draw(st.booleans()):
        doc["standard"]["normative_references"] = draw(
            st.lists(st.one_of(st.sampled_from(sorted(catalogue.references)), TEXT), max_size=3))
    if draw(st.booleans()):
        doc["product"]["model"] = draw(TEXT)
    return doc


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("declarations")


@SETTINGS
@given(data=st.data())
def test_arbitrary_declarations_never_crash(catalogue, scratch, data):
    doc = data.draw(declarations(catalogue))
    as_json = data.draw(st.booleans())
    path = scratch / ("decl.json" if as_json else "decl.yaml")
    path.write_text(json.dumps(doc, ensure_ascii=False) if as_json
                    else yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    try:
        decl = load_declaration(path, catalogue)
    except InputError as exc:
        assert_structured(exc)
        assert all(p.file == str(path) for p in exc.problems if p.severity == "error")
        event(f"refused: {exc.code}")
        return
    event("evaluated")
    for programme in catalogue.sets[decl.category].programmes:
        result = evaluate_declaration(decl, catalogue, programme, DATE).to_dict()
        assert result["verdict"] in ("eligible", "not_eligible", "not_evaluable")
        json.loads(json.dumps(result, allow_nan=False))  # no NaN/inf reaches a report
        render_json(result)
        render_markdown(result, "en")


# --- 3. unit conversions round-trip ---------------------------------------------------------

UNIT_TEXTS = sorted(set(units.SPELLING_ALIASES) | {
    "W", "kW", "MW", "mW", "Wh", "kWh", "kWh/year", "kWh/a", "J", "MJ", "%", "1", "ppm", "lm/W",
    "K", "degC", "degF", "℃", "L", "m**3", "升", "千瓦", "mm/s", "m/s", "km/h", "Hz", "kHz", "V",
    "kV", "A", "mA", "h", "min", "s", "year", "/year", "W/cm³", "W/m²·K", "dB(A)", "dBm", "dBW"})


def _compatible_pairs() -> list[tuple[str, str]]:
    readable = []
    for text in UNIT_TEXTS:
        with contextlib.suppress(InputError):
            readable.append((text, units.parse_unit(text).dimensionality))
    pairs = []
    for (a, da), (b, db) in itertools.permutations(readable, 2):
        if da != db:
            continue
        try:
            units.conversion(a, b)
            units.conversion(b, a)
        except InputError as exc:  # dB → 1 and similar: refused as not linear, never guessed
            assert exc.code == "unit_not_linear"
            continue
        pairs.append((a, b))
    return pairs


PAIRS = _compatible_pairs()


def test_there_are_enough_unit_pairs():
    assert len(PAIRS) > 100
    assert ("kW", "W") in PAIRS and ("°C", "K") in PAIRS and ("dB(A)", "分贝(A)") in PAIRS


@SETTINGS
@given(st.sampled_from(PAIRS), st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_unit_conversions_round_trip(pair, x):
    a, b = pair
    there = float(units.convert(x, a, b))
    back = float(units.convert(there, b, a))
    factor, offset = units.conversion(a, b)
    scale = max(1.0, abs(x), abs(offset / factor) if factor else 0.0)
    assert back == pytest.approx(x, rel=1e-9, abs=1e-9 * scale)


@SETTINGS
@given(st.sampled_from(PAIRS), st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
       st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_unit_conversions_keep_order(pair, x, delta):
    a, b = pair
    factor, _ = units.conversion(a, b)
    assert factor > 0
    assert float(units.convert(x + delta, a, b)) >= float(units.convert(x, a, b))


# --- 4. a better value never gets a lower level ---------------------------------------------

# example declaration, indicator, and the range of values to try (in the indicator's unit)
GRADED = [
    ("room-ac-kfr-32gw.yaml", "apf", 2.0, 8.0),
    ("motor-leader.yaml", "efficiency", 60.0, 99.9),
    ("refrigerator-bcd-400.yaml", "eei", 10.0, 150.0),
    ("refrigerator-bcd-400.yaml", "noise", 20.0, 60.0),
    ("led-downlight-not-evaluable.yaml", "eta_tm", 40.0, 250.0),
    ("eps-usb-charger-10w.yaml", "average_efficiency", 50.0, 99.0),
    ("eps-usb-charger-10w.yaml", "no_load_power", 0.0, 0.5),
]


@pytest.fixture(scope="module")
def examples():
    docs = {}
    for name, *_ in GRADED:
        doc, problems = read_document(REPO / "examples" / "declarations" / name)
        assert doc is not None and not problems
        docs[name] = doc
    return docs


def _levels(catalogue, doc: Document, indicator: str, value: float, bound: str):
    data = copy.deepcopy(doc.data)
    unit = catalogue.sets[data["product"]["category"]].indicators[indicator].unit
    data["indicators"][indicator] = {"value": value, "bound": bound, "unit": unit}
    decl = declaration_from_document(Document(doc.path, data, doc.sha256, doc.lines), catalogue)
    out = []
    for programme in catalogue.sets[decl.category].programmes.values():
        result = evaluate_declaration(decl, catalogue, programme.id, DATE)
        ind = next(r for r in result.indicators if r["id"] == indicator)
        ladder = [lv.id for lv in programme.ladder.levels]
        def index(level, ladder=ladder):
            return ladder.index(level) if level else -1
        overall = result.overall_level
        out.append(((index(ind["level_lowest"]), index(ind["level_highest"])),
                    (index(overall["lowest"]), index(overall["highest"])) if overall else None))
    return out


@SETTINGS
@given(st.sampled_from(GRADED), st.floats(0, 1), st.floats(0, 1))
def test_a_better_value_never_gets_a_lower_level(catalogue, examples, case, a, b):
    name, indicator, lo, hi = case
    ind = catalogue.sets[examples[name].data["product"]["category"]].indicators[indicator]
    worse, better = sorted((round(lo + a * (hi - lo), 6), round(lo + b * (hi - lo), 6)))
    if ind.direction == "lower":
        worse, better = better, worse
    assume(worse != better)
    bound = "ge" if ind.direction == "higher" else "le"
    before = _levels(catalogue, examples[name], indicator, worse, bound)
    after = _levels(catalogue, examples[name], indicator, better, bound)
    for (level_before, overall_before), (level_after, overall_after) in zip(before, after, strict=False):
        assert level_after[0] >= level_before[0] and level_after[1] >= level_before[1]
        if overall_before is not None and overall_after is not None:
            assert overall_after[0] >= overall_before[0]
            assert overall_after[1] >= overall_before[1]
