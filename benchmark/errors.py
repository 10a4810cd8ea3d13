"""Errors and the problem report.

Every user mistake becomes a `Problem`: which file, where (JSON pointer and line when known),
a stable reason code, what was expected and a hint. Problems are collected, never raised one at a
time; `InputError` carries all of them to the CLI, which prints them and exits with status 2.
Reason codes are part of the public interface: tests and other tools match on them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    code: str
    message: str
    file: str | None = None
    pointer: str | None = None
    line: int | None = None
    hint: str | None = None
    severity: str = "error"  # "error" | "warning"
    hint_code: str | None = None  # the hint's code in labels.yaml `reading_hints` (worded per lang)
    message_code: str | None = None  # the message's zh wording in labels.yaml `problem_messages`
    params: tuple[tuple[str, Any], ...] = ()  # the values those two wordings are filled with

    def __post_init__(self) -> None:
        """A `Hint` given as the hint: its text kept, its code and values taken as the hint's."""
        if isinstance(self.hint, Hint):
            hint = self.hint
            object.__setattr__(self, "hint", str(hint))
            object.__setattr__(self, "hint_code", hint.code)
            object.__setattr__(self, "params", self.params + hint.params)

    def at(self, file: str | None = None, pointer: str | None = None,
           line: int | None = None) -> Problem:
        """The same problem placed in a file / at a location (keeps what is already known)."""
        return replace(
            self,
            file=self.file or file,
            pointer=self.pointer if self.pointer is not None else pointer,
            line=self.line if self.line is not None else line,
        )

    def format(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        if self.pointer:
            where += f" {self.pointer}"
        text = f"{where}: {self.severity} [{self.code}] {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()
                if v is not None and k not in ("hint_code", "message_code", "params")}


def worded(code: str, **params: Any) -> dict[str, Any]:
    """A problem's message code and the values its wording takes, as `Problem` fields:
    `Problem("table_syntax", f"the row has {n} cells", **worded("row_width", cells=n))`. The zh
    line words the message from labels.yaml (`problem_messages`); the English message, the
    engine's, is unchanged, and neither is in `as_dict` (JSON output)."""
    return {"message_code": code, "params": tuple(params.items())}


class Hint(str):
    """A hint in the engine's English that carries the code of its wording in labels.yaml
    `reading_hints` and the values that wording takes: what a helper gives where a problem's hint
    is a text (`catalogue.close`). A `Problem` given one keeps the text and takes the code and
    values as its own (`hint_code`, `params`), so the zh line words the hint."""

    code: str | None
    params: tuple[tuple[str, Any], ...]

    def __new__(cls, english: str, code: str | None = None, **params: Any) -> Hint:
        self = super().__new__(cls, english)
        self.code, self.params = code, tuple(params.items())
        return self


class Dimensionality(str):
    """A dimensionality as pint writes it ("[mass] * [length] ** 2 / [time] ** 3"), as a value
    of a problem's wording: a line in another language words its names (`worded_names`)."""

    def worded_names(self, names: Mapping[str, str]) -> str:
        """The dimensionality with each name `names` has ("[length]", "dimensionless") in its
        words; other names as pint writes them."""
        return _DIMENSION_NAME.sub(lambda m: names.get(m[0], m[0]), self)


_DIMENSION_NAME = re.compile(r"\[\w*\]|\bdimensionless\b")


class Term(str):
    """Terms of a section of reports/labels.yaml (the JSON types, …) as a value of a problem's
    wording, given by their codes: in English the codes joined by " or " ("string or number"),
    in a line in another language each in its words, joined by the section's `or`
    (`worded`)."""

    section: str
    codes: tuple[str, ...]

    def __new__(cls, section: str, *codes: str) -> Term:
        self = super().__new__(cls, " or ".join(codes))
        self.section, self.codes = section, codes
        return self

    def worded(self, words: Mapping[str, str]) -> str:
        """The terms in `words` (one section of one language's labels), a code without words
        as it is."""
        return str(words.get("or", " or ")).join(str(words.get(c, c)) for c in self.codes)


class BenchmarkError(Exception):
    """Base class of every error the engine raises on purpose."""


class InputError(BenchmarkError, ValueError):
    """One or more problems in user input (catalogue files, declarations, populations, options)."""

    def __init__(self, problems: Problem | Iterable[Problem]):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(p.format() for p in self.problems))

    @property
    def code(self) -> str:
        return self.problems[0].code if self.problems else "input_error"


class UnitError(InputError):
    """An unknown unit, or a unit of the wrong dimension for an indicator."""


class FormulaError(InputError):
    """A threshold formula that is not allowed or cannot be evaluated."""


class RequirementSyntaxError(InputError):
    """A requirement as written in a standard ("≥ 5.20") that cannot be read."""


@dataclass
class ProblemReport:
    """All problems found in a run, in the order found."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise InputError(self.problems)
