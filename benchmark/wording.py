"""The wording of reasons, step reasons, notices and findings, by stable code, in zh and en.

The words live in reports/labels.yaml (`reason_text`, `step_text`, `notice_text`,
`finding_text`; a problem's `problem_messages` and `reading_hints`); this module is the one
reader of that file (`labels_file`, which the reports use too) and fills in the named values.
Engine code gives codes and values; it never writes prose of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from benchmark.errors import Dimensionality, Problem, Term

LANGS = ("zh", "en")


@lru_cache(maxsize=4)
def labels_file(stamp: tuple[str, int, int] | None = None) -> dict:
    """The shipped reports/labels.yaml, both languages: the one reader of it (reports merge a
    template folder's own over it, `report.labels`). `stamp` (path, size, modification time)
    tells a changed file; without one the first reading is kept. Shared: never change it."""
    from benchmark.catalogue import data_file

    with (data_file("reports") / "labels.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def file_stamp(path: Path) -> tuple[str, int, int] | None:
    """What tells a file changed: its path, size and modification time (None: no file)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return str(path), st.st_size, st.st_mtime_ns


@lru_cache(maxsize=1)
def shipped_stamp() -> tuple[str, int, int] | None:
    """The stamp (`file_stamp`) of the shipped reports/labels.yaml, taken once per run: the
    engine words many texts per row, and a file's status per text cost more than the words."""
    from benchmark.catalogue import data_file

    return file_stamp(data_file("reports") / "labels.yaml")


def _labels() -> dict:
    """The shipped labels, under the same cache key `report.labels` reads them by."""
    return labels_file(shipped_stamp())


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return "—"


def text(section: str, code: str, **values: Any) -> dict[str, str]:
    """{zh, en} wording of `code` in `section`, with the values filled in; a value given as
    {zh, en} is taken in each language."""
    out = {}
    for lang in LANGS:
        template = _labels()[lang][section].get(code, code)
        filled = _Values({k: (v.get(lang, "") if isinstance(v, dict) else v)
                          for k, v in values.items() if v is not None})
        out[lang] = template.format_map(filled)
    return out


def words(lang: str, section: str) -> dict[str, str]:
    """The words of one section of reports/labels.yaml in `lang`, by code (e.g. step names)."""
    return dict(_labels()[lang].get(section) or {})


def problem_said(problem: Problem, words: Mapping[str, Any]) -> tuple[str, str | None]:
    """A problem's particulars and hint in the language of `words` (one language's labels, as
    `report.labels` gives them): from `problem_messages` and `reading_hints` where the problem
    has their codes (`Problem.message_code`, `hint_code`), else as the engine wrote them. Its
    values are shown with control characters escaped, a pint dimensionality with its names in
    `dimensions`, a `Term` in the words of its section."""
    from benchmark.loading import printable

    def shown(v: str) -> str:
        if isinstance(v, Dimensionality):
            return v.worded_names(words["dimensions"])
        return v.worded(words.get(v.section) or {}) if isinstance(v, Term) else v

    values = {k: printable(shown(v), True) if isinstance(v, str) else v
              for k, v in problem.params}
    message = words["problem_messages"][problem.message_code].format(**values) \
        if problem.message_code else problem.message
    hint = words["reading_hints"][problem.hint_code].format(**values) if problem.hint_code \
        else problem.hint
    return message, hint


BAND_ENDS = (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤"))


def _number(v: float, unit: str | None) -> str:
    """A parameter's number with its canonical unit at its digits: "1.5 kW", "4" (no unit)."""
    return f"{v:g} {unit}" if unit and unit != "1" else f"{v:g}"


def scope(condition: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, str]:
    """{zh, en} wording of a `where` scope: each parameter by its name, a band by its ends and a
    number by its digits, each with the parameter's unit, a list of codes by their words
    (`parameter_values`, "key.code" before "code")."""
    out = {}
    for lang in LANGS:
        words = _labels()[lang].get("parameter_values") or {}
        parts = []
        for key, spec in condition.items():
            p = parameters.get(key)
            name = getattr(p.names, lang) if p is not None else key
            unit = getattr(p, "unit", None)
            if hasattr(spec, "describe"):  # a Band
                ends = [f"{sym} {_number(getattr(spec, op), unit)}" for op, sym in BAND_ENDS
                        if getattr(spec, op) is not None]
                parts.append(f"{name} " + (" 且 " if lang == "zh" else " and ").join(ends))
            else:
                shown = [_number(v, unit) if isinstance(v, int | float) and not isinstance(v, bool)
                         else str(words.get(f"{key}.{v}") or words.get(str(v)) or v)
                         for v in spec]
                parts.append(f"{name}为{'、'.join(shown)}" if lang == "zh"
                             else f"{name}: {' or '.join(shown)}")
        out[lang] = ("；" if lang == "zh" else "; ").join(parts)
    return out
