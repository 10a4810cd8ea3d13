"""China's unified social credit code (统一社会信用代码, GB 32100-2015).

This module owns checking the form of the 18-character code that identifies the enterprise or group
that issued a standard: the length, the character set and the check character. It says nothing
about whether the code is registered to anyone.

The code uses the 31 characters "0123456789ABCDEFGHJKLMNPQRTUWXY" (no I, O, Z, S, V); each has the
value of its position in that alphabet. The 18th character is a check character:

    C18 = 31 − MOD(Σ_{i=1..17} C_i × W_i, 31),  W_i = MOD(3^(i−1), 31),  and 31 becomes 0.
"""

from __future__ import annotations

import unicodedata

from benchmark.errors import InputError, Problem

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17))
# = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28), table 2 of GB 32100-2015
LENGTH = 18

_VALUE = {character: index for index, character in enumerate(ALPHABET)}
_CHARSET_HINT = "use digits and upper-case letters except I, O, Z, S and V"


def _normalise(code: str) -> str:
    """NFKC (full-width "９１" → "91"), surrounding space removed, upper case."""
    return unicodedata.normalize("NFKC", code).strip().upper()


def _charset_problems(code: str) -> list[Problem]:
    return [
        Problem(
            code="credit_code_charset",
            message=(f"unified social credit code {code!r}: character {character!r} at position "
                     f"{position} is not in the code's character set"),
            hint=_CHARSET_HINT,
        )
        for position, character in enumerate(code, start=1)
        if character not in _VALUE
    ]


def _check_character(first17: str) -> str:
    pairs = zip(first17, WEIGHTS, strict=True)  # callers check the length first
    total = sum(_VALUE[character] * weight for character, weight in pairs)
    return ALPHABET[(31 - total % 31) % 31]


def expected_check_character(first17: str) -> str:
    """The check character (18th) for the first 17 characters of a code.

    Raises `InputError` (codes ``credit_code_length`` / ``credit_code_charset``) if `first17` is not
    17 characters of the code's character set.
    """
    body = _normalise(first17)
    problems: list[Problem] = []
    if len(body) != LENGTH - 1:
        problems.append(Problem(
            code="credit_code_length",
            message=f"{body!r} has {len(body)} characters; the check character needs the first 17",
        ))
    problems.extend(_charset_problems(body))
    if problems:
        raise InputError(problems)
    return _check_character(body)


def check_credit_code(code: str) -> list[Problem]:
    """Everything wrong with the form of a unified social credit code; empty when it is valid."""
    normalised = _normalise(code)
    problems: list[Problem] = []
    if len(normalised) != LENGTH:
        problems.append(Problem(
            code="credit_code_length",
            message=(f"unified social credit code {normalised!r} has {len(normalised)} characters, "
                     f"expected {LENGTH}"),
            hint="the code has 18 characters, e.g. as printed on the business licence",
        ))
    charset = _charset_problems(normalised)
    problems.extend(charset)
    if problems:
        return problems
    expected = _check_character(normalised[:17])
    if normalised[17] != expected:
        problems.append(Problem(
            code="credit_code_check_digit",
            message=(f"unified social credit code {normalised!r}: check character "
                     f"{normalised[17]!r} is wrong, expected {expected!r}"),
            hint="check the code for a mistyped character",
        ))
    return problems
