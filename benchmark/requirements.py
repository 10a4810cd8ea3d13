"""A requirement as written in a standard: "≥ 5.20", "不大于 38 dB(A)", "40~60 %", "220 V ± 10 %".

This module owns reading the *text* of one declared requirement into a `Requirement`: which kind of
bound it is, the number(s) as written (with the number of decimals written, for GB/T 8170
rounding), and the unit text exactly as written. It does not validate or convert units (that is the
units module's job) and it does not compare anything.

Accepted forms (after Unicode NFKC, so full-width "≥５．２０", "～", "％", "（" read as ASCII):

* prefix operator + quantity: ``≥ 5.2``, ``>= 5.2``, ``不小于5.2``, ``大于 5``, ``≤0.10W``, ``< 3``,
  ``= 5``, ``等于 5`` …  (longest operator first: "不大于" before "大于");
* quantity + suffix: ``5.2 以上`` / ``5.2及以上`` (≥), ``38 以下`` / ``38及以下`` (≤);
* range: ``40~60 %``, ``40 % ~ 60 %``, ``40-60``, ``40–60``, ``40—60``, ``40 至 60``, ``40 到 60``,
  ``-10~-5 ℃``, ``(40~60) %``;
* target with a ± band: ``220 V ± 10 %`` (band relative, in %), ``5.0±0.2``, ``50±1 Hz``,
  ``(50±1) Hz``, bare ``±0.5`` (target 0);
* a plain quantity: ``5.20``, ``38 dB(A)``, ``0.10W`` (eq).

Numbers: optional sign, digits, optional decimals, optional exponent; a space groups thousands
("14 000"). A comma between digits is refused as ambiguous ("5,200": 5.2 or 5200?) unless the
source declares a decimal comma (`decimal=","`, from a mapping's `decimal: comma`), when "5,20" is
5.20 and a point between digits is refused instead. A number must be one float64 holds as written:
the float read back gives the number written (no digits lost), magnitude at most 2**53, not below
the smallest normal float64.
Every failure raises `RequirementSyntaxError` with one of the reason codes ``requirement_empty``,
``requirement_unreadable``, ``requirement_not_finite``, ``requirement_range_inverted``,
``number_comma_ambiguous``, ``number_not_representable``.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from benchmark.errors import Problem, RequirementSyntaxError, worded

BOUNDS = ("ge", "gt", "le", "lt", "eq", "range", "target")

ACCEPTED_FORMS = ('"≥ 5.2", "不大于 38 dB(A)", "5.2 以上", "40~60 %", "220 V ± 10 %", '
                  '"±0.5", "5.20"')

MAX_LENGTH = 200  # characters of one requirement (the declaration schema's limit for a value)
MAX_MAGNITUDE = float(2 ** 53)  # beyond it float64 no longer holds every integer


@dataclass(frozen=True)
class Requirement:
    """One requirement as the standard writes it."""

    bound: str            # one of BOUNDS
    # ge/gt/le/lt/eq: the limit; range: the lower end; target: the nominal value
    value: float
    upper: float | None = None      # range: the upper end
    tolerance: float | None = None  # target: the ± band, in `tolerance_unit` or `unit`
    unit: str | None = None         # unit text as written (stripped, NFKC), None when absent
    tolerance_unit: str | None = None  # e.g. "%" in "220 V ± 10 %"; None = same unit as value
    decimals: int = 0     # digits after the decimal point as written for `value`: "5.20" → 2
    text: str = ""        # the original text

    def __post_init__(self) -> None:
        if self.bound not in BOUNDS:
            raise RequirementSyntaxError(Problem(
                code="requirement_unreadable",
                message=f"unknown bound {self.bound!r}",
                hint="one of " + ", ".join(BOUNDS), hint_code="one_of",
                **worded("unknown_bound", bound=self.bound, choices=", ".join(BOUNDS))))


# --- vocabulary ----------------------------------------------------------------------------------

_PREFIX_WORDS: dict[str, tuple[str, ...]] = {
    "ge": ("≥", ">=", "⩾", "≧", "不小于", "不低于", "大于或等于", "大于等于", "至少", "不少于"),
    "gt": (">", "大于", "高于", "超过"),
    "le": ("≤", "<=", "⩽", "≦", "不大于", "不高于", "不超过", "小于或等于", "小于等于", "至多",
           "不多于"),
    "lt": ("<", "小于", "低于"),
    "eq": ("=", "等于"),
}
# (operator, bound), longest operator first so "不大于" wins over "大于" and ">=" over ">".
_PREFIXES: list[tuple[str, str]] = sorted(
    ((word, bound) for bound, words in _PREFIX_WORDS.items() for word in words),
    key=lambda item: -len(item[0]),
)

# Characters NFKC leaves alone but that mean an ASCII sign or tilde in a requirement.
_TRANSLATE = str.maketrans({"\u2212": "-", "\u301c": "~", "\u223c": "~"})

# Characters that end a unit: range separators, ±, comparison signs, 至/到.
_STOP = "~±<>=≤≥⩽⩾≦≧–—至到"
# Atomic, so a backtracking regex cannot split "1e-5" into "1", unit "e", "-", "5".
_NUMBER = (r"(?>[+-]?(?:(?:[0-9]{1,3}(?: [0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+)"
           r"(?:[eE][+-]?[0-9]+)?)")
_DIGIT_COMMA_DIGIT = re.compile(r"(?<=[0-9]),(?=[0-9])")
_DIGIT_POINT_DIGIT = re.compile(r"(?<=[0-9])\.(?=[0-9])")
_UNIT_START = rf"[^0-9\s.,+\-{_STOP}]"
_UNIT = rf"{_UNIT_START}[^{_STOP}]*"                 # a trailing unit: anything up to a stop char
_LOWER_UNIT = rf"{_UNIT_START}[^{_STOP}\-]*?"        # a unit before a range separator: no hyphen

_QUANTITY_RE = re.compile(rf"(?P<n>{_NUMBER})\s*(?P<u>{_UNIT})?")
_SUFFIX_RE = re.compile(r"(?P<q>.*?)\s*(?:及|或)?(?P<s>以上|以下)")
_RANGE_RE = re.compile(
    rf"(?P<n1>{_NUMBER})\s*(?P<u1>{_LOWER_UNIT})?\s*(?:~|-|–|—|至|到)\s*"
    rf"(?P<n2>{_NUMBER})\s*(?P<u2>{_UNIT})?")
_TARGET_RE = re.compile(
    rf"(?:(?P<n1>{_NUMBER})\s*(?P<u1>{_UNIT})?)?\s*±\s*(?P<n2>{_NUMBER})\s*(?P<u2>{_UNIT})?")
_PAREN_RE = re.compile(r"\((?P<inner>[^()]*)\)\s*(?P<u>.*)")
_NOT_FINITE_RE = re.compile(r"(?<![a-z])(?:nan|inf(?:inity)?)(?![a-z])|∞", re.IGNORECASE)


# --- helpers ------------------------------------------------------------------------------

def _normalise(text: str) -> str:
    """NFKC, a few extra sign/tilde look-alikes, whitespace collapsed and stripped."""
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    return " ".join(text.split())


def _shown(text: str) -> str:
    """The text as a message quotes it: long texts cut."""
    return text if len(text) <= 60 else text[:57] + "…"


def _unreadable(text: str, why: str = "", because: str = "requirement_unreadable",
                **values: object) -> RequirementSyntaxError:
    """`requirement_unreadable`: `why` says why in English, `because` is its wording's code in
    labels.yaml `problem_messages`, filled with the text as shown and `values`."""
    message = f"cannot read the requirement {_shown(text)!r}"
    if why:
        message += f": {why}"
    return RequirementSyntaxError(Problem(
        code="requirement_unreadable", message=message,
        hint=f"write e.g. {ACCEPTED_FORMS}", hint_code="requirement_forms",
        **worded(because, text=_shown(text), forms=ACCEPTED_FORMS, **values)))


def _not_finite(text: str) -> RequirementSyntaxError:
    return RequirementSyntaxError(Problem(
        code="requirement_not_finite",
        message=f"the requirement {_shown(text)!r} is not a finite number",
        hint="write a finite limit such as \"≥ 5.2\"", hint_code="finite_limit",
        **worded("requirement_not_finite", text=_shown(text))))


def _decimal_mark(s: str, text: str, decimal: str) -> str:
    """`s` with a point as its decimal mark; a comma between digits (or, for a source with a
    decimal comma, a point between digits) is refused as ambiguous."""
    if decimal == ",":
        if _DIGIT_POINT_DIGIT.search(s):
            raise _ambiguous(text, ".", "this source writes decimals with a comma (5,20)",
                             "decimal_comma_source")
        return _DIGIT_COMMA_DIGIT.sub(".", s)
    if _DIGIT_COMMA_DIGIT.search(s):
        raise _ambiguous(text, ",", "write 5.200 for five point two, or 5200 (or 5 200) for five "
                         "thousand two hundred; a table whose numbers use a decimal comma can say "
                         "`decimal: comma` in its mapping file", "comma_forms")
    return s


def _ambiguous(text: str, mark: str, hint: str, hint_code: str) -> RequirementSyntaxError:
    return RequirementSyntaxError(Problem(
        code="number_comma_ambiguous",
        message=f"the requirement {_shown(text)!r} has a {'comma' if mark == ',' else 'point'} "
                "between digits: a decimal mark or a thousands separator?", hint=hint,
        hint_code=hint_code, **worded("comma_between_digits" if mark == "," else
                                      "point_between_digits", text=_shown(text))))


def _not_representable(text: str, why: str, because: str, **values: object
                       ) -> RequirementSyntaxError:
    """`number_not_representable`: `why` says why in English, `because` is its wording's code
    in labels.yaml `problem_messages`, filled with the text as shown and `values`."""
    return RequirementSyntaxError(Problem(
        code="number_not_representable", message=f"the number in {_shown(text)!r} {why}",
        hint="check the number: standards give limits with a few significant digits",
        hint_code="few_digits", **worded(because, text=_shown(text), **values)))


def _number(token: str, text: str) -> tuple[float, int]:
    """The value and the decimals written of one matched number token ("14 000", "5.20",
    "1.5e3")."""
    plain = token.replace(" ", "")
    mantissa = re.split(r"[eE]", plain)[0]
    if len(mantissa.lstrip("+-.0")) > 40:  # far past float64: refused before converting
        raise _not_representable(text, "has more digits than a float64 holds", "too_many_digits")
    value = float(plain)
    if not math.isfinite(value):  # an exponent past float64's range
        raise _not_finite(text)
    if abs(value) > MAX_MAGNITUDE:
        raise _not_representable(text, f"is larger than 2**53 = {MAX_MAGNITUDE:.0f} in magnitude",
                                 "too_large", limit=f"{MAX_MAGNITUDE:.0f}")
    if value != 0 and abs(value) < 2.2250738585072014e-308:  # float64's smallest normal
        raise _not_representable(text, "is too small for a float64", "too_small")
    try:
        exact = Decimal(repr(value)) == Decimal(plain)
    except ArithmeticError:  # an exponent past Decimal's range ("1e-99999999999")
        exact = False
    if not exact:
        raise _not_representable(text, f"has more digits than a float64 holds (it reads as "
                                 f"{value!r})", "digits_lost", reads=repr(value))
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return value, decimals


def _unit(raw: str | None) -> str | None:
    if raw is None:
        return None
    raw = raw.strip()
    return raw or None


def _quantity(part: str, text: str) -> tuple[float, int, str | None]:
    """A single number with an optional trailing unit, or an error."""
    match = _QUANTITY_RE.fullmatch(part)
    if match is None:
        raise _unreadable(text)
    value, decimals = _number(match["n"], text)
    return value, decimals, _unit(match["u"])


def _range(match: re.Match[str], text: str, outer_unit: str | None = None) -> Requirement:
    lower, decimals = _number(match["n1"], text)
    upper, _ = _number(match["n2"], text)
    u1, u2 = _unit(match["u1"]), _unit(match["u2"])
    if u1 is not None and u2 is not None and u1 != u2:
        raise _unreadable(text, f"the two ends have different units ({u1!r}, {u2!r})",
                          "end_units_differ", first=u1, second=u2)
    unit = u1 or u2
    if outer_unit is not None:
        if unit is not None:
            raise _unreadable(text, "a unit both inside and after the brackets", "unit_twice")
        unit = outer_unit
    _check_order(lower, upper, text)
    return Requirement("range", lower, upper=upper, unit=unit, decimals=decimals, text=text)


def _target(match: re.Match[str], text: str, outer_unit: str | None = None) -> Requirement:
    tolerance, tol_decimals = _number(match["n2"], text)
    if match["n2"].lstrip().startswith(("-", "+")):
        raise _unreadable(text, "the ± band must be written without a sign", "band_signed")
    if match["n1"] is not None:
        value, decimals = _number(match["n1"], text)
    else:  # a bare "±0.5": nominal 0, precision as written for the band
        value, decimals = 0.0, tol_decimals
    u1, u2 = _unit(match["u1"]), _unit(match["u2"])
    unit: str | None
    if u1 is not None:
        unit, tolerance_unit = u1, (None if u2 in (None, u1) else u2)
    else:  # "50±1 Hz": a unit after the band applies to both
        unit, tolerance_unit = u2, None
    if outer_unit is not None:
        if unit is not None:
            raise _unreadable(text, "a unit both inside and after the brackets", "unit_twice")
        unit = outer_unit
    return Requirement("target", value, tolerance=tolerance, unit=unit,
                       tolerance_unit=tolerance_unit, decimals=decimals, text=text)


def _check_order(lower: float, upper: float, text: str) -> None:
    if lower > upper:
        raise RequirementSyntaxError(Problem(
            code="requirement_range_inverted",
            message=f"the range {text!r} has its lower end {lower:g} above its upper end {upper:g}",
            hint="write the smaller value first, e.g. \"40~60 %\"", hint_code="smaller_first",
            **worded("range_inverted", text=text, lower=f"{lower:g}", upper=f"{upper:g}")))


# --- public API ---------------------------------------------------------------------------

def parse_requirement(text: str, decimal: str = ".") -> Requirement:
    """Read one requirement as written in a standard; raise `RequirementSyntaxError` if unreadable.
    `decimal` is the source's decimal mark: "." (the default) or ","."""
    if not isinstance(text, str):
        raise _unreadable(repr(text), "not text", "not_text")
    if len(text) > MAX_LENGTH:
        raise _unreadable(text, f"longer than {MAX_LENGTH} characters", "too_long",
                          limit=MAX_LENGTH)
    s = _normalise(text)
    if not s:
        raise RequirementSyntaxError(Problem(
            code="requirement_empty", message="the requirement text is empty",
            hint=f"write e.g. {ACCEPTED_FORMS}", hint_code="requirement_forms",
            **worded("requirement_empty", forms=ACCEPTED_FORMS)))
    if _NOT_FINITE_RE.search(s):
        raise _not_finite(text)
    s = _decimal_mark(s, text, decimal)

    for word, bound in _PREFIXES:
        if s.startswith(word):
            value, decimals, unit = _quantity(s[len(word):].strip(), text)
            return Requirement(bound, value, unit=unit, decimals=decimals, text=text)

    suffix = _SUFFIX_RE.fullmatch(s)
    if suffix is not None:
        value, decimals, unit = _quantity(suffix["q"], text)
        bound = "ge" if suffix["s"] == "以上" else "le"
        return Requirement(bound, value, unit=unit, decimals=decimals, text=text)

    paren = _PAREN_RE.fullmatch(s)
    if paren is not None:  # "(50±1) Hz", "(40~60) %": the unit after the bracket applies to all
        inner, outer = paren["inner"].strip(), _unit(paren["u"])
        if outer is not None and re.fullmatch(_UNIT, outer) is None:
            raise _unreadable(text)
        if (m := _TARGET_RE.fullmatch(inner)) is not None:
            return _target(m, text, outer)
        if (m := _RANGE_RE.fullmatch(inner)) is not None:
            return _range(m, text, outer)
        raise _unreadable(text)

    if "±" in s:
        match = _TARGET_RE.fullmatch(s)
        if match is None:
            raise _unreadable(text)
        return _target(match, text)

    match = _RANGE_RE.fullmatch(s)
    if match is not None:
        return _range(match, text)

    value, decimals, unit = _quantity(s, text)
    return Requirement("eq", value, unit=unit, decimals=decimals, text=text)


_BOUND_ALIASES: dict[str, str] = {
    **{bound: bound for bound in BOUNDS},
    **{word: bound for word, bound in _PREFIXES},
    "min": "ge", "max": "le", "==": "eq", "±": "target", "~": "range",
}
_SYMBOL = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "="}


_PARTS = {"value": "value", "upper": "upper end", "tolerance": "tolerance"}  # in the messages


def _part_number(value: float | str | None, part: str, text: str,
                 decimal: str = ".") -> tuple[float, int]:
    """A structured number, the requirement's `part` (a key of _PARTS): a number or a numeric
    string; returns (value, decimals written)."""
    what = _PARTS[part]
    if value is None or (isinstance(value, str) and not _normalise(value)):
        raise RequirementSyntaxError(Problem(
            code="requirement_empty", message=f"the requirement has no {what}",
            hint="give a number such as 5.2 or \"5.20\"", hint_code="number_forms",
            **worded(f"no_{part}")))
    if isinstance(value, bool):
        raise _unreadable(text, f"{what} {value!r} is not a number", f"{part}_not_number",
                          value=repr(value))
    if isinstance(value, Decimal):  # keeps its written precision: Decimal("5.20") → 2 decimals
        value = str(value)
    if isinstance(value, str):
        if len(value) > MAX_LENGTH:
            raise _unreadable(text, f"longer than {MAX_LENGTH} characters", "too_long",
                              limit=MAX_LENGTH)
        s = _normalise(value)
        if _NOT_FINITE_RE.search(s):
            raise _not_finite(text)
        s = _decimal_mark(s, text, decimal)
        if re.fullmatch(_NUMBER, s) is None:
            raise _unreadable(text, f"{what} {value!r} is not a number", f"{part}_not_number",
                              value=value)
        return _number(s, text)
    if isinstance(value, numbers.Integral):  # exact: a 400-digit integer is refused, not rounded
        return _number(str(int(value)), text)
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            raise _not_finite(text)
        if abs(number) > MAX_MAGNITUDE or 0 < abs(number) < 2.2250738585072014e-308:
            _number(repr(number), text)  # raises number_not_representable
        exponent = Decimal(repr(number)).as_tuple().exponent  # shortest repr: 5.2 → 1
        return number, max(0, -int(exponent))
    raise _unreadable(text, f"{what} {value!r} is not a number", f"{part}_not_number",
                      value=repr(value))


def requirement_from_parts(value: float | str, bound: str = "eq", unit: str | None = None, *,
                           upper: float | str | None = None,
                           tolerance: float | str | None = None,
                           decimal: str = ".") -> Requirement:
    """A requirement from structured input (value + unit + bound), validated like parsed text.

    `bound` is one of BOUNDS or a symbol/word for it ("≥", ">=", "min" → ge; "≤", "<=", "max" → le;
    "不小于" …). Give `value` as a string ("5.20") to keep trailing zeros in `decimals`; for a float
    the decimals of its shortest repr are used.
    """
    text = f"{bound} {value}" + (f" {unit}" if unit else "")
    key = _normalise(bound) if isinstance(bound, str) else ""
    canonical = _BOUND_ALIASES.get(key) or _BOUND_ALIASES.get(key.lower())
    if canonical is None:
        raise RequirementSyntaxError(Problem(
            code="requirement_unreadable", message=f"unknown bound {bound!r} in {text!r}",
            hint="one of " + ", ".join(BOUNDS) + ", or ≥ > ≤ < = min max", hint_code="one_of",
            **worded("unknown_bound", bound=str(bound),
                     choices=", ".join(BOUNDS) + ", ≥ > ≤ < = min max")))
    if unit is not None and (not isinstance(unit, str) or len(unit) > MAX_LENGTH):
        raise _unreadable(text[:60], "the unit is not a short text", "unit_not_short")
    number, decimals = _part_number(value, "value", text, decimal)
    unit_text = _unit(_normalise(unit)) if unit is not None else None

    if canonical == "range":
        if upper is None:
            raise _unreadable(text, "a range needs an upper end", "range_without_upper")
        if tolerance is not None:
            raise _unreadable(text, "a range has no ± band", "range_with_band")
        top, _ = _part_number(upper, "upper", text, decimal)
        _check_order(number, top, text)
        return Requirement("range", number, upper=top, unit=unit_text, decimals=decimals,
                           text=f"{value}~{upper}" + (f" {unit_text}" if unit_text else ""))
    if canonical == "target":
        if tolerance is None:
            raise _unreadable(text, "a target needs a ± band", "target_without_band")
        if upper is not None:
            raise _unreadable(text, "a target has no upper end", "target_with_upper")
        band, _ = _part_number(tolerance, "tolerance", text, decimal)
        if band < 0:
            raise _unreadable(text, "the ± band must not be negative", "band_negative")
        return Requirement("target", number, tolerance=band, unit=unit_text, decimals=decimals,
                           text=f"{value} ± {tolerance}" + (f" {unit_text}" if unit_text else ""))
    if upper is not None or tolerance is not None:
        raise _unreadable(text, f"a {canonical} bound takes neither an upper end nor a ± band",
                          "bound_without_ends", bound=canonical)
    return Requirement(canonical, number, unit=unit_text, decimals=decimals,
                       text=f"{_SYMBOL[canonical]} {value}"
                       + (f" {unit_text}" if unit_text else ""))
