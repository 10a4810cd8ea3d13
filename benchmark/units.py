"""Units: the program's single pint registry and every unit conversion.

This module owns
  * `ureg`, the one `pint.UnitRegistry` of the program (pint's defaults plus `units.txt`);
  * reading unit text as written in standards and foreign data (`normalise_unit_text`,
    `parse_unit`): full-width characters, Chinese names, "dB(A)", "W·h/W·h", "kWh/a", "m³" …;
  * turning a pair of units into a plain (factor, offset) once (`conversion`, cached) so that
    converting values is one multiply-add on a numpy array (`convert`).

Conventions (the spellings themselves live in units.txt, not here):
  * dBA (also "dB(A)", "dB (A)", "分贝(A)") is an A-weighted sound level with its own base
    dimension: it is compared with dBA only, never converted to dB, W or a number.
  * "dB"/"分贝" is pint's logarithmic decibel; only linear conversions are accepted
    (dB → Np and dBm → dBW work, dB → 1 is refused with `unit_not_linear`).
  * "度" is not a unit here (kWh? degree? °C?); "a" and "年" are pint's year of 365.25 days.
  * "", "1" and ratios of like units ("W·h/W·h", "W/W", "kW/kW") are dimensionless.
  * A product written with "·" or "×" binds tighter than "/": "W/m²·K" is W/(m²·K).

Errors are `UnitError(Problem(...))` with codes `unit_unknown`, `unit_dimension_mismatch`,
`unit_not_linear`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pint

from .errors import Dimensionality, Hint, Problem, UnitError, worded

DEFINITIONS_PATH = Path(__file__).with_name("units.txt")

ureg: pint.UnitRegistry = pint.UnitRegistry()
ureg.load_definitions(str(DEFINITIONS_PATH))
pint.set_application_registry(ureg)

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPERSCRIPT_RE = re.compile(r"[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_PRODUCT_SEPARATORS = "·⋅•∙・×"
_ATOM = r"[\w°]+(?:\*\*-?\d+)?"
_PRODUCT_RE = re.compile(rf"{_ATOM}(?:\s*[{_PRODUCT_SEPARATORS}]\s*{_ATOM})+")
_SEPARATOR_RE = re.compile(rf"\s*[{_PRODUCT_SEPARATORS}]\s*")
_NAME_RE = re.compile(r"[^\W\d_]\w*|°\w*")


def _read_spelling_aliases(path: Path) -> dict[str, str]:
    """The `#> spelling = expression` lines of units.txt (keys NFKC-normalised)."""
    aliases: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#>"):
            continue
        spelling, sep, expression = line[2:].partition(" = ")
        if not sep:
            raise ValueError(f"{path}: bad spelling alias line {line!r}")
        aliases[unicodedata.normalize("NFKC", spelling.strip())] = expression.strip()
    return aliases


def _alias_pattern(spellings: list[str]) -> re.Pattern[str]:
    parts = []
    for s in sorted(spellings, key=len, reverse=True):  # longest match first
        before = r"(?<!\w)" if re.match(r"\w", s[0]) else ""
        after = r"(?!\w)" if re.match(r"\w", s[-1]) else ""
        parts.append(before + re.escape(s) + after)
    return re.compile("|".join(parts))


SPELLING_ALIASES: dict[str, str] = _read_spelling_aliases(DEFINITIONS_PATH)
_ALIAS_RE = _alias_pattern(list(SPELLING_ALIASES))


def normalise_unit_text(text: str) -> str:
    """Unit text as written → a pint expression of the registry ("" → "dimensionless")."""
    text = _SUPERSCRIPT_RE.sub(lambda m: "**" + m.group().translate(_SUPERSCRIPTS), text)
    text = unicodedata.normalize("NFKC", text).strip()
    text = _ALIAS_RE.sub(lambda m: SPELLING_ALIASES[m.group()], text)
    text = _PRODUCT_RE.sub(lambda m: "(" + _SEPARATOR_RE.sub("*", m.group()) + ")", text)
    text = _SEPARATOR_RE.sub("*", text).strip()
    return text or "dimensionless"


def _unknown(text: str, indicator: str | None, detail: str = "", why: str = "unit_unknown",
             **values: Any) -> UnitError:
    """`unit_unknown`: `detail` says why in English, `why` is its wording's code in labels.yaml
    `problem_messages`, filled with the text and `values`."""
    where = f" for {indicator!r}" if indicator else ""
    close = close_spellings(text)
    hint = Hint("did you mean: " + ", ".join(close) + "?", "did_you_mean",
                matches=", ".join(close)) if close else Hint(
        "write a pint unit expression such as 'kW', 'kWh/year', 'lm/W', 'dB(A)'; "
        "accepted spellings are listed in benchmark/units.txt", "unit_forms")
    message = f"unknown unit {text!r}{where}" + (f": {detail}" if detail else "")
    return UnitError(Problem(code="unit_unknown", message=message, hint=hint,
                             **worded(why, text=text, **values)))


def _known_spellings() -> tuple[str, ...]:
    """Registry names, symbols and aliases, common prefixed symbols, and the alias table.

    Taken once at import: pint adds prefixed units to its table as they are parsed, and the
    hints must not depend on what was parsed before.
    """
    names = set(ureg._units)  # pint keeps every name, symbol and alias here
    symbols = {d.symbol for d in ureg._units.values()
               if getattr(d, "symbol", None) and d.symbol.isascii() and d.symbol.isalpha()}
    names |= {p + s for p in ("k", "M", "G", "m", "c", "μ") for s in symbols}
    names |= set(SPELLING_ALIASES)
    return tuple(sorted(names))


_KNOWN_SPELLINGS = _known_spellings()


def _is_unit_name(name: str) -> bool:
    try:
        ureg.parse_units(name)
    except Exception:
        return False
    return True


# Spelling hints cost a few ms each: a table with thousands of distinct bad units would spend
# minutes on them. Each text's hints are cached, texts longer than any spelling get none, and only
# HINT_BUDGET distinct texts get hints until `reset_hint_budget` (each CLI command calls it).
HINT_BUDGET = 1000
_MAX_HINT_TEXT = 40
_hints_left = HINT_BUDGET


def reset_hint_budget(budget: int = HINT_BUDGET) -> None:
    global _hints_left
    _hints_left = budget
    _hint_texts.clear()


def close_spellings(text: str) -> list[str]:
    """Close spellings of each unknown name in `text`, then of the whole text (bounded: see
    HINT_BUDGET)."""
    global _hints_left
    if len(text) > _MAX_HINT_TEXT:
        return []
    if text not in _hint_texts:
        if _hints_left <= 0:
            return []
        _hints_left -= 1
        _hint_texts.add(text)
    return list(_close_spellings(text))


_hint_texts: set[str] = set()


@lru_cache(maxsize=4096)
def _close_spellings(text: str) -> tuple[str, ...]:
    found: list[str] = []
    try:
        names = _NAME_RE.findall(normalise_unit_text(text))
    except Exception:
        names = []
    for name in names[:5]:
        if not _is_unit_name(name):
            found += difflib.get_close_matches(name, _KNOWN_SPELLINGS, n=3, cutoff=0.6)
    given = unicodedata.normalize("NFKC", text).strip()
    found += difflib.get_close_matches(given, _KNOWN_SPELLINGS, n=3, cutoff=0.6)
    return tuple(dict.fromkeys(found))[:5]


MAX_UNIT_LENGTH = 100  # characters: far longer than any unit a standard writes
MAX_EXPONENT = 12  # a unit's power: m³, s⁻², far beyond any unit a standard writes
_EXPONENT_RE = re.compile(r"\s*(\()?\s*[-+]?\s*(\d+(?:\.\d+)?)(?:\s*/\s*\d+)?\s*(?(1)\))"
                          r"(?![\d.eE])")


def _plain_powers(text: str) -> bool:
    """Every power in the unit text has a plain number of at most MAX_EXPONENT as its exponent
    ("m**2", "s^-1", "m**(1/2)"), and no power is raised to a power: pint raises numbers to
    powers exactly, so "10^10^10" would run for ever."""
    parts = text.replace("^", "**").split("**")
    for k, rest in enumerate(parts[1:], start=2):
        m = _EXPONENT_RE.match(rest)
        if m is None or float(m.group(2)) > MAX_EXPONENT:
            return False
        if k < len(parts) and not rest[m.end():].strip():
            return False  # the exponent is itself raised to a power
    return True


@lru_cache(maxsize=1024)
def _parse(text: str) -> pint.Unit | None:
    """The registry unit of unit text as written, or None if a power is not plain: cached on the
    text as written, so a repeated unit is normalised and checked once."""
    expression = normalise_unit_text(text)
    if not _plain_powers(expression):
        return None
    unit = ureg.parse_units(expression)
    unit.dimensionality  # noqa: B018 - pint fails here on a logarithmic unit combined with others
    return unit


def parse_unit(text: str, *, indicator: str | None = None) -> pint.Unit:
    """The registry unit for `text` as written; unknown → UnitError `unit_unknown`."""
    if not isinstance(text, str) or len(text) > MAX_UNIT_LENGTH:
        shown = text[:40] + "…" if isinstance(text, str) else repr(text)
        raise _unknown(shown, indicator, f"not a unit of at most {MAX_UNIT_LENGTH} characters",
                       "unit_too_long", limit=MAX_UNIT_LENGTH)
    try:
        unit = _parse(text)
    except pint.UndefinedUnitError as exc:
        if "delta_" in str(exc) or any(n in str(exc) for n in ("decibel", "bel", "neper")):
            raise _unknown(text, indicator, "a logarithmic unit (dB, B, Np) cannot be multiplied, "
                           "divided or raised to a power", "unit_logarithmic") from None
        raise _unknown(text, indicator) from None
    except Exception as exc:
        said = str(exc)[:80] or type(exc).__name__
        raise _unknown(text, indicator, f"cannot read it ({said})", "unit_unreadable",
                       reason=said) from None
    if unit is None:
        raise _unknown(text, indicator, "a power's exponent must be a number of at most "
                       f"{MAX_EXPONENT}, not itself a power", "unit_exponent",
                       limit=MAX_EXPONENT)
    return unit


def dimension_of(text: str) -> str:
    """The pint dimensionality of a unit as a string (for messages), e.g. "[length] ** 3"."""
    return str(parse_unit(text).dimensionality)


def is_compatible(a: str, b: str) -> bool:
    """Same dimension? (Unknown units raise `unit_unknown`; dB ~ 1 is True but not linear.)"""
    return parse_unit(a).dimensionality == parse_unit(b).dimensionality


def display(text: str) -> str:
    """The unit for reports: as the author wrote it, stripped."""
    return text.strip()


def _not_linear(from_unit: str, to_unit: str, indicator: str | None, why: str,
                pint_said: str | None = None) -> UnitError:
    """A conversion that is no factor and offset: `why` in English; `pint_said`, pint's own
    words where it refused (in another language quoted as pint's, else the conversion is
    logarithmic: labels.yaml `not_linear_pint`, `not_linear_logarithmic`)."""
    where = f" for {indicator!r}" if indicator else ""
    said = worded("not_linear_logarithmic", unit=from_unit, canonical=to_unit) \
        if pint_said is None else worded("not_linear_pint", unit=from_unit, canonical=to_unit,
                                         reason=pint_said)
    return UnitError(Problem(
        code="unit_not_linear",
        message=(f"cannot convert {from_unit!r} to {to_unit!r}{where}: {why}, "
                 "not a plain factor and offset"),
        hint=Hint(f"give the value in {to_unit!r} directly", "value_in_unit",
                  canonical=to_unit), **said,
    ))


def _compute(from_unit: str, to_unit: str, indicator: str | None) -> tuple[float, float]:
    source = parse_unit(from_unit, indicator=indicator)
    target = parse_unit(to_unit, indicator=indicator)
    if source.dimensionality != target.dimensionality:
        who = f"{indicator!r}: " if indicator else ""
        raise UnitError(Problem(
            code="unit_dimension_mismatch",
            message=(f"{who}unit {from_unit!r} has dimension {source.dimensionality}, but the "
                     f"canonical unit {to_unit!r} has dimension {target.dimensionality}"),
            hint=f"give the value in a unit of dimension {target.dimensionality}, e.g. {to_unit!r}",
            hint_code="unit_of_dimension", **worded(
                "unit_dimension_mismatch", unit=from_unit,
                dimension=Dimensionality(source.dimensionality), canonical=to_unit,
                canonical_dimension=Dimensionality(target.dimensionality)),
        ))
    if from_unit == to_unit or source == target:
        return 1.0, 0.0
    # Factor and offset from 0 and 100 (a wide span keeps the factor exact to ~1e-16 even with
    # a large offset, e.g. degF → degC); linearity checked at 1.
    points = np.array([0.0, 1.0, 100.0])
    try:
        with np.errstate(all="ignore"):
            y = np.asarray(ureg.Quantity(points, source).to(target).magnitude, dtype=np.float64)
    except (pint.OffsetUnitCalculusError, pint.LogarithmicUnitCalculusError) as exc:
        raise _not_linear(from_unit, to_unit, indicator, f"pint refuses ({exc})",
                          str(exc)) from None
    except Exception as exc:
        said = str(exc)[:80] or type(exc).__name__
        raise _not_linear(from_unit, to_unit, indicator, f"pint cannot convert it ({said})",
                          said) from None
    offset, factor = float(y[0]), float((y[2] - y[0]) / 100.0)
    scale = max(abs(offset), abs(factor), abs(y[1]))
    if not np.all(np.isfinite(y)) or abs(y[1] - (offset + factor)) > 1e-9 * scale:
        raise _not_linear(from_unit, to_unit, indicator, "the conversion is logarithmic")
    return factor, offset


@lru_cache(maxsize=4096)
def _cached_conversion(from_unit: str, to_unit: str) -> tuple[float, float]:
    return _compute(from_unit, to_unit, None)


def conversion(from_unit: str, to_unit: str, *,
               indicator: str | None = None) -> tuple[float, float]:
    """(factor, offset) with value_in_to = value_in_from * factor + offset. Cached on the texts.

    Raises UnitError `unit_unknown`, `unit_dimension_mismatch` or `unit_not_linear`.
    """
    try:
        return _cached_conversion(from_unit, to_unit)
    except UnitError:
        if indicator is not None:
            _compute(from_unit, to_unit, indicator)  # raises the same error, naming the indicator
        raise


conversion.cache_info = _cached_conversion.cache_info  # type: ignore[attr-defined]
conversion.cache_clear = _cached_conversion.cache_clear  # type: ignore[attr-defined]


def convert(values: Any, from_unit: str, to_unit: str, *,
            indicator: str | None = None) -> np.ndarray:
    """`values` (scalar or array-like) from one unit to another as a float64 array."""
    factor, offset = conversion(from_unit, to_unit, indicator=indicator)
    out = np.asarray(values, dtype=np.float64) * factor
    if offset:
        out = out + offset
    return out
