"""Numbers as people read them in reports: at the indicator's digits when it has them, otherwise
at four significant digits; thousands separators; never an exponent (`1e+06`); a difference of a
percentage kept apart from a percentage (percentage points vs %).

Pure functions of numbers (and, for words, of the labels given); the charts and the templates use
the same ones, so a value reads the same everywhere in a report.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TypeGuard

SIGNIFICANT = 4  # digits shown when the indicator does not say how many decimals it has
MAX_DECIMALS = 12
DASH = "—"


def _is_number(x: object) -> TypeGuard[int | float]:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def decimals_for(x: float, digits: int | None = None) -> int:
    """How many decimals `x` is shown with: `digits` when given, else enough for four
    significant digits (none for a whole number of four digits or more)."""
    if digits is not None:
        return max(int(digits), 0)
    if x == 0 or not math.isfinite(x):
        return 0
    return min(max(SIGNIFICANT - 1 - math.floor(math.log10(abs(x))), 0), MAX_DECIMALS)


def fmt_number(x: object, digits: int | None = None) -> str:
    """A value for people: `digits` decimals (the indicator's), else four significant digits with
    trailing zeros dropped; thousands separators; no exponent. Not a number: shown as text."""
    if x is None:
        return DASH
    if not _is_number(x):
        return str(x)
    if isinstance(x, int):
        return f"{x:,d}"
    if not math.isfinite(x):
        return DASH
    places = decimals_for(x, digits)
    # half to even on the decimal value as written, as GB/T 8170 rounds (not on the binary float)
    value = Decimal(repr(x)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)
    text = f"{abs(value) if value.is_zero() else value:,f}"  # no "-0.00"
    if digits is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def fmt_signed(x: object, digits: int | None = None) -> str:
    """A margin or difference with its sign: "+1.30", "-0.05", and no sign when it shows as 0."""
    text = fmt_number(x, digits)
    if not _is_number(x) or text == DASH or set(text) <= set("0.,"):
        return text
    return "+" + text if x > 0 else text


def fmt_percent(fraction: object, signed: bool = True) -> str:
    """A fraction as a percentage with one decimal: 0.0165 → "+1.7 %"; 0 → "0.0 %"."""
    if not _is_number(fraction) or not math.isfinite(fraction):
        return DASH
    text = fmt_signed(fraction * 100, 1) if signed else fmt_number(fraction * 100, 1)
    return text + " %"


def difference_unit(unit: str | None, points: str) -> str:
    """The unit of a difference of two values in `unit`: percentage points (`points`, the label)
    for a percentage, the unit itself otherwise ("" for none or "1")."""
    if unit == "%":
        return points
    return "" if not unit or unit == "1" else unit


def fmt_quantity(x: object, unit: str | None, digits: int | None = None) -> str:
    """A value and its unit: "5.20 W·h/W·h", "38 dB(A)", "91.4 %"."""
    text = fmt_number(x, digits)
    if text == DASH or not unit or unit == "1":
        return text
    return f"{text} {unit}"


def fmt_difference(x: object, unit: str | None, points: str, digits: int | None = None,
                   signed: bool = True) -> str:
    """A difference of two values in `unit`, with its unit: "+2.2 percentage points" for a
    percentage (never "%", which would read as a relative difference), "+0.35 W" otherwise."""
    text = fmt_signed(x, digits) if signed else fmt_number(x, digits)
    shown = difference_unit(unit, points)
    return text if text == DASH or not shown else f"{text} {shown}"
