"""One applicant's declaration: the enterprise, its standard, the product and the indicator values
the standard declares, read as written ("≥ 5.20", "不大于 38 dB(A)") and put on canonical units.

Loading checks the declaration against its schema and the catalogue (known category, parameters
and indicators, units of the right dimension, a valid credit code) and reports every problem.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmark import units
from benchmark.catalogue import close, threshold_problems
from benchmark.credit_code import check_credit_code
from benchmark.errors import InputError, Problem, worded
from benchmark.loading import Document, read_document, schema_problems
from benchmark.model import Catalogue, Indicator, IndicatorSet, Parameter, outside_range
from benchmark.requirements import (
    MAX_MAGNITUDE,
    Requirement,
    parse_requirement,
    requirement_from_parts,
)

TRUE_WORDS = {"true", "yes", "y", "是", "有", "符合", "具备", "1"}
FALSE_WORDS = {"false", "no", "n", "否", "无", "不符合", "不具备", "0"}


@dataclass(frozen=True)
class DeclaredValue:
    """One declared indicator value, as written and in the indicator's canonical unit."""

    indicator: str
    text: str
    requirement: Requirement | None  # quantities
    value: float | None = None  # canonical: the limit, a range's lower end, or a target
    upper: float | None = None  # canonical: a range's upper end
    tolerance: float | None = None  # canonical: a target's ± band
    label: str | bool | None = None  # booleans, ordinal labels, text
    unit_assumed: bool = False
    pointer: str = ""


@dataclass
class Declaration:
    path: str
    sha256: str
    enterprise: str
    credit_code: str | None
    standard_number: str
    standard_title: str
    standard_type: str | None
    standard_date: dt.date | None
    normative_references: list[str]
    category: str
    model: str | None
    product_name: str | None
    parameters: dict[str, Any]  # quantities in canonical units, categories as given
    parameter_text: dict[str, str]
    values: dict[str, DeclaredValue]
    notes: list[Problem] = field(default_factory=list)


def _text(raw: Any) -> str:
    if isinstance(raw, dict):
        if raw.get("text"):
            return str(raw["text"])
        bound = raw.get("bound", "")
        return " ".join(str(x) for x in (bound, raw.get("value"), raw.get("unit", "")) if x != "")
    return str(raw)


def load_declaration(path: str | Path, catalogue: Catalogue,
                     display: str | None = None) -> Declaration:
    """Read, validate and normalise a declaration file; InputError lists every problem."""
    doc, problems = read_document(path, display)
    if doc is None:
        raise InputError(problems)
    problems += schema_problems(doc, "declaration")
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    return declaration_from_document(doc, catalogue, problems)


def declaration_from_document(doc: Document, catalogue: Catalogue,
                              problems: list[Problem] | None = None) -> Declaration:
    problems = list(problems or [])
    data = doc.data
    product = data["product"]
    iset = catalogue.sets.get(product["category"])
    if iset is None:
        problems.append(Problem("unknown_category", f"unknown product category "
                                f"{product['category']!r}", doc.path, "/product/category",
                                doc.line("/product/category"),
                                close(product["category"], sorted(catalogue.sets), "known"),
                                **worded("category_unknown", category=product["category"])))
        raise InputError(problems)
    credit = data["enterprise"].get("credit_code")
    if credit:
        problems += [p.at(doc.path, "/enterprise/credit_code", doc.line("/enterprise/credit_code"))
                     for p in check_credit_code(credit)]
    standard = data["standard"]
    std_date = None
    if standard.get("date"):
        try:
            std_date = dt.date.fromisoformat(standard["date"])
        except ValueError:
            problems.append(Problem("date_invalid", f"{standard['date']!r} is not a date",
                                    doc.path, "/standard/date", doc.line("/standard/date"),
                                    "write dates as YYYY-MM-DD", hint_code="date_form",
                                    **worded("not_a_date", text=str(standard["date"]))))
    params, param_text = _parameters(doc, iset, product.get("parameters", {}), problems)
    values: dict[str, DeclaredValue] = {}
    for ind_id, indicator, raw, ptr in _known(doc, iset, data["indicators"], "indicator", problems):
        try:
            values[ind_id] = declared_value(indicator, raw, ptr, doc.decimal)
        except InputError as exc:
            problems += [p.at(doc.path, ptr, doc.line(ptr)) for p in exc.problems]
    if not any(p.severity == "error" for p in problems):
        problems += [p.at(doc.path, p.pointer, doc.line(p.pointer or ""))
                     for p in _derived_problems(iset, params, values)
                     + threshold_problems(catalogue, iset, params)]
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    return Declaration(
        path=doc.path, sha256=doc.sha256, enterprise=data["enterprise"]["name"], credit_code=credit,
        standard_number=standard["number"], standard_title=standard["title"],
        standard_type=standard.get("type"), standard_date=std_date,
        normative_references=list(standard.get("normative_references", [])),
        category=iset.id, model=product.get("model"), product_name=product.get("name"),
        parameters=params, parameter_text=param_text, values=values, notes=problems)


def _known(doc: Document, iset: IndicatorSet, raw: dict, what: str, problems: list[Problem]):
    """(id, definition, declared value, pointer) for each entry the category defines as a
    parameter or indicator; each unknown id is reported with close spellings."""
    known = iset.parameters if what == "parameter" else iset.indicators
    base = "/product/parameters" if what == "parameter" else "/indicators"
    for key, value in raw.items():
        ptr = f"{base}/{key}"
        if key not in known:
            problems.append(Problem(f"unknown_{what}", f"category {iset.id!r} has no {what} "
                                    f"{key!r}", doc.path, ptr, doc.line(ptr), close(key, known),
                                    **worded(f"no_such_{what}", category=iset.id, id=key)))
            continue
        yield key, known[key], value, ptr


def _parameters(doc: Document, iset: IndicatorSet, raw: dict, problems: list[Problem]):
    params: dict[str, Any] = {}
    text: dict[str, str] = {}
    for pid, param, value, ptr in _known(doc, iset, raw, "parameter", problems):
        text[pid] = _text(value)
        try:
            params[pid] = parameter_value(param, value, doc.decimal)
        except InputError as exc:
            problems += [p.at(doc.path, ptr, doc.line(ptr)) for p in exc.problems]
    return params, text


def parameter_value(param: Parameter, raw: Any, decimal: str = ".") -> Any:
    """A declared product parameter: a quantity in its canonical unit, or a category value.
    `decimal` is the decimal mark of numbers written as text ("." or ",")."""
    if param.kind in ("category", "boolean"):
        value = raw["value"] if isinstance(raw, dict) else raw
        if param.values and str(value) not in {str(v) for v in param.values}:
            raise InputError(Problem("unknown_category",
                                     f"{value!r} is not a value of {param.id!r}",
                                     hint="one of: " + ", ".join(map(str, param.values)),
                                     hint_code="one_of", **worded(
                                         "not_a_value", text=str(value), what=param.id,
                                         choices=", ".join(map(str, param.values)))))
        return value
    req = _requirement(raw, decimal)
    if req.bound != "eq":
        raise InputError(Problem("parameter_not_a_value",
                                 f"parameter {param.id!r} needs one value, got {req.text!r}",
                                 **worded("one_value", what=param.id, text=req.text)))
    value = req.value
    if param.unit:
        value = float(units.convert(value, req.unit or param.unit, param.unit, indicator=param.id))
    _check_representable(param.id, param.unit, value, req.text)
    _check_possible(param.id, param.unit, value, param.minimum, param.maximum)
    if param.kind == "integer" and not float(value).is_integer():
        raise InputError(Problem("parameter_not_integer", f"{param.id!r} must be a whole number",
                                 **worded("whole_number", what=param.id)))
    allowed = {str(v) for v in param.values}
    if param.kind == "integer" and param.values and str(int(value)) not in allowed:
        raise InputError(Problem("unknown_category", f"{int(value)} is not a value of {param.id!r}",
                                 hint="one of: " + ", ".join(map(str, param.values)),
                                 hint_code="one_of", **worded(
                                     "not_a_value", text=str(int(value)), what=param.id,
                                     choices=", ".join(map(str, param.values)))))
    return value


def _requirement(raw: Any, decimal: str = ".") -> Requirement:
    if isinstance(raw, bool):
        raise InputError(Problem("value_type", "a number was expected, not true/false",
                                 **worded("number_not_yes_no")))
    if isinstance(raw, float) and not math.isfinite(raw):
        raise InputError(Problem("requirement_not_finite", f"{raw} is not a finite number",
                                 **worded("requirement_not_finite", text=str(raw))))
    if isinstance(raw, (int, float)):
        return requirement_from_parts(raw, "eq")
    if isinstance(raw, dict):
        req = requirement_from_parts(raw["value"], raw.get("bound", "eq"), raw.get("unit"),
                                     upper=raw.get("upper"), tolerance=raw.get("tolerance"),
                                     decimal=decimal)
        if raw.get("text"):
            _check_text_agrees(raw["text"], req, decimal)
        return req
    return parse_requirement(str(raw), decimal)


def _check_text_agrees(text: str, req: Requirement, decimal: str) -> None:
    """A structured value's `text` (what the report shows) must say what its parts say (what is
    judged): the same bound, numbers and unit."""
    try:
        said = parse_requirement(text, decimal)
    except InputError:
        said = None
    same = said is not None and said.bound == req.bound and all(
        _same_quantity(a, said.unit, b, req.unit)
        for a, b in ((said.value, req.value), (said.upper, req.upper),
                     (said.tolerance, req.tolerance)))
    if not same:
        parts = f"{req.bound} {req.value:g}" + (f" {req.unit}" if req.unit else "")
        raise InputError(Problem("text_value_mismatch",
                                 f"the text {text!r} does not say what the value says ({parts})",
                                 hint="the report shows the text and the value is judged: make "
                                      "them agree, or leave the text out",
                                 hint_code="text_and_value", **worded(
                                     "text_says_otherwise", text=text, value=parts)))


def _same_quantity(a: float | None, unit_a: str | None, b: float | None,
                   unit_b: str | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if (unit_a or "") != (unit_b or "") and unit_a and unit_b:
        try:
            factor, offset = units.conversion(unit_a, unit_b)
        except InputError:
            return False
        a = a * factor + offset
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)


def declared_value(indicator: Indicator, raw: Any, pointer: str = "",
                   decimal: str = ".") -> DeclaredValue:
    """Read one declared value for `indicator` and convert it to the canonical unit. `decimal` is
    the decimal mark of numbers written as text ("." or ",")."""
    text = _text(raw)
    if indicator.kind == "boolean":
        value = raw["value"] if isinstance(raw, dict) else raw
        flag = _yes_no(value)
        if flag is None:
            raise InputError(Problem("value_type", f"{text!r} is not yes/no for {indicator.id!r}",
                                     **worded("not_yes_no", text=text, what=indicator.id)))
        said = _yes_no(raw["text"]) if isinstance(raw, dict) and raw.get("text") else flag
        if said is not None and said != flag:
            raise InputError(Problem("text_value_mismatch", f"the text {raw['text']!r} does not "
                                     f"say what the value says ({flag})",
                                     hint="make the text and the value agree, or leave the text "
                                          "out", hint_code="text_and_value", **worded(
                                         "text_says_otherwise", text=str(raw["text"]),
                                         value=str(flag))))
        return DeclaredValue(indicator.id, text, None, label=flag, pointer=pointer)
    if indicator.kind in ("ordinal", "text"):
        value = str(raw["value"] if isinstance(raw, dict) else raw).strip()
        if indicator.kind == "ordinal" and value not in indicator.order:
            raise InputError(Problem("unknown_grade",
                                     f"{value!r} is not a grade of {indicator.id!r}",
                                     hint="one of: " + ", ".join(indicator.order),
                                     hint_code="one_of", **worded(
                                         "not_a_grade", text=value, what=indicator.id,
                                         choices=", ".join(indicator.order))))
        return DeclaredValue(indicator.id, text, None, label=value, pointer=pointer)
    req = _requirement(raw, decimal)
    unit = req.unit
    assumed = unit is None and bool(indicator.unit)
    unit = unit or indicator.unit or ""
    factor, offset = units.conversion(unit, indicator.unit or "", indicator=indicator.id)
    value = req.value * factor + offset
    upper = req.upper * factor + offset if req.upper is not None else None
    tol = None
    if req.tolerance is not None:
        if req.tolerance_unit and units.dimension_of(req.tolerance_unit) == units.dimension_of("%"):
            tol = abs(value) * float(units.convert(req.tolerance, req.tolerance_unit, ""))
        else:
            tol = req.tolerance * factor
    for end in (value, upper, tol):
        if end is not None:
            _check_representable(indicator.id, indicator.unit, end, text)
    if indicator.direction == "higher" and req.bound in ("le", "lt"):
        raise InputError(Problem("bound_direction_mismatch",
                                 f"{text!r} sets an upper limit, but for {indicator.id!r} "
                                 "higher is better", hint="write a minimum (≥) requirement",
                                 hint_code="write_minimum", **worded(
                                     "upper_limit_of_higher", text=text, what=indicator.id)))
    if indicator.direction == "lower" and req.bound in ("ge", "gt"):
        raise InputError(Problem("bound_direction_mismatch",
                                 f"{text!r} sets a lower limit, but for {indicator.id!r} lower is "
                                 "better", hint="write a maximum (≤) requirement",
                                 hint_code="write_maximum", **worded(
                                     "lower_limit_of_lower", text=text, what=indicator.id)))
    for end in (value, upper):
        if end is not None:
            _check_possible(indicator.id, indicator.unit, end, indicator.minimum, indicator.maximum,
                            text)
    return DeclaredValue(indicator.id, text, req, value=value, upper=upper, tolerance=tol,
                         unit_assumed=assumed, pointer=pointer)


def _yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    return (word in TRUE_WORDS) if word in TRUE_WORDS | FALSE_WORDS else None


def _check_representable(what: str, unit: str | None, value: float, text: str) -> None:
    """A value finite and within what float64 holds once on the canonical unit ("≤ 1e308 kW" is
    infinite in W)."""
    if math.isfinite(value) and abs(value) <= MAX_MAGNITUDE:
        return
    unit = f" {unit}" if unit else ""
    raise InputError(Problem("value_not_finite" if not math.isfinite(value) else
                             "number_not_representable",
                             f"{text!r} gives {what} = {value:g}{unit}, which a float64 cannot "
                             "compare", hint="check the number and its unit",
                             hint_code="number_and_unit", **worded(
                                 "not_comparable", text=text, what=what,
                                 value=f"{value:g}{unit}")))


def _derived_problems(iset: IndicatorSet, params: dict[str, Any],
                      values: dict[str, DeclaredValue]) -> list[Problem]:
    """A derived indicator whose formula is not finite at the declared values (a division by a
    declared 0): a located error, never a silent NaN or infinity."""
    problems = []
    for ind in iset.indicators.values():
        if ind.derived is None or ind.id not in values:
            continue
        inputs = {}
        for name in ind.derived.names:
            if name in params and isinstance(params[name], (int, float)):
                inputs[name] = float(params[name])
            elif name in values and (declared := values[name].value) is not None:
                inputs[name] = declared
        if len(inputs) < len(ind.derived.names):
            continue
        computed = float(ind.derived(**inputs))
        if not math.isfinite(computed):
            at = ", ".join(f"{k} = {v:g}" for k, v in sorted(inputs.items()))
            problems.append(Problem("derived_not_finite", f"{ind.id!r} is derived as "
                                    f"{ind.derived.source}, which gives {computed:g} at {at}",
                                    pointer=values[ind.id].pointer,
                                    hint="check the declared values it is derived from",
                                    hint_code="check_inputs", **worded(
                                        "derived_gives", what=ind.id,
                                        formula=ind.derived.source, value=f"{computed:g}",
                                        at=at)))
    return problems


def _check_possible(what: str, unit: str | None, value: float, minimum: float | None,
                    maximum: float | None, text: str | None = None) -> None:
    """Refuse a value no product can have (a negative power, an efficiency above 100 %)."""
    why = outside_range(value, minimum, maximum)
    if why:
        written = f"{text!r} gives " if text else ""
        unit = f" {unit}" if unit else ""
        below = minimum is not None and value < minimum
        code = ("impossible_below" if below else "impossible_above") + ("_written" if text else "")
        raise InputError(Problem("value_out_of_range",
                                 f"{written}{what} = {value:g}{unit}, which is impossible: "
                                 f"{why}{unit}",
                                 hint="check the sign, the unit and the decimal point",
                                 hint_code="sign_unit_decimal", **worded(
                                     code, text=text, what=what, value=f"{value:g}{unit}",
                                     limit=f"{minimum if below else maximum:g}{unit}")))


def guaranteed(ind: Indicator, dv: DeclaredValue) -> float | None:
    """The value a declared requirement guarantees, for comparison: the worst case it allows."""
    lo, hi = interval(ind, dv)
    if lo is None or hi is None:
        return None
    if ind.sign > 0:
        return lo
    if ind.sign < 0:
        return hi
    return dv.value


def interval(ind: Indicator, dv: DeclaredValue) -> tuple[float | None, float | None]:
    """The values a conforming product may have (docs/verdicts.md §2). For a higher- or
    lower-is-better indicator only its worst end matters and both ends are that value."""
    if dv.value is None:
        return None, None
    req = dv.requirement
    lo = hi = dv.value
    if req is not None and req.bound == "range" and dv.upper is not None:
        lo, hi = dv.value, dv.upper
    elif req is not None and req.bound == "target" and dv.tolerance is not None:
        lo, hi = dv.value - dv.tolerance, dv.value + dv.tolerance
    elif req is not None and ind.sign == 0 and req.bound in ("ge", "gt"):
        hi = math.inf
    elif req is not None and ind.sign == 0 and req.bound in ("le", "lt"):
        lo = -math.inf
    if ind.sign > 0:
        return lo, lo
    if ind.sign < 0:
        return hi, hi
    return lo, hi
