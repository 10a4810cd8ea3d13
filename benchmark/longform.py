"""Platform exports in long form: one row per standard × indicator (标准编号, 指标名称, 指标值,
单位 …), pivoted to the wide table the population reader reads (one row per standard, one column
per indicator) when a mapping file says `long_form: {key, indicator, value, unit}`.

The pivot is called at one point, before the population reader (population.load_population):
it writes the wide table to a temporary file and returns it with the mapping the reader then
uses — the mapping's `columns` name the wide table's headers, which are the indicator names as
the export writes them (指标名称) and the other columns as they are. With a unit column, an
indicator the mapping names reads each row's unit (the reader's `unit_column`); one it does not
name is headed `<指标名称> [<unit>]` when all its rows share the unit, and is refused
(`long_form_unit_conflict`) when they do not.

What the reader then finds in a row of the wide table is placed back in the export
(`Origin.relocate`): at the line of the indicator's row for an indicator's cell, at the standard's
first line otherwise; and the population keeps the export's SHA-256, not the wide table's.

Every problem is located in the long file (line, column) and all are reported together:
the same standard and indicator given twice (`long_form_duplicate`, with both lines; with
different units, `long_form_unit_conflict`), and an identity column (enterprise, standard name …)
that differs between the rows of one standard (`long_form_conflict`).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from benchmark.errors import InputError, Problem

_FOLDER: tempfile.TemporaryDirectory | None = None  # the wide tables of this process


def _folder() -> Path:
    global _FOLDER
    if _FOLDER is None:
        _FOLDER = tempfile.TemporaryDirectory(prefix="benchmark-longform-")
    return Path(_FOLDER.name)


def unit_header(name: str) -> str:
    """The unit column of indicator column `name` in the wide table."""
    return f"{name} __unit"


@dataclass
class Origin:
    """Where the wide table came from: the export's SHA-256 and, for each wide row, the export
    line of each cell (`lines[row][column]`) and of the standard's first row (`first[row]`)."""

    sha256: str = ""
    header_line: int = 1
    columns: dict[str, str] = field(default_factory=dict)  # wide column → the export's column
    first: list[int] = field(default_factory=list)
    lines: list[dict[str, int]] = field(default_factory=list)

    def relocate(self, problems: list[Problem]) -> list[Problem]:
        """Row problems of the wide table (pointer `/ROW/COLUMN`) placed at the export's line
        and column; others at the export's header."""
        out = []
        for p in problems:
            m = re.fullmatch(r"/(\d+)/(.+)", p.pointer or "")
            if m is None or not 1 <= int(m[1]) <= len(self.first):
                out.append(replace_location(p, p.pointer,
                                            self.header_line if p.line is not None else None))
                continue
            row, column = int(m[1]) - 1, m[2]
            line = self.lines[row].get(column, self.first[row])
            shown = self.columns.get(column, column)
            out.append(replace_location(p, f"/{line - self.header_line}/{shown}", line))
        return sorted(out, key=lambda p: (p.line or 0, p.pointer or ""))


def replace_location(p: Problem, pointer: str | None, line: int | None) -> Problem:
    from dataclasses import replace

    return replace(p, pointer=pointer, line=line)


def pivot(frame: pd.DataFrame, spec: dict, display: str, header_line: int = 1,
          origin: Origin | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """The wide table of a long one (cells as text), and every problem found; `origin`, when
    given, is filled with the export line of each wide cell."""
    keys = [spec["key"]] if isinstance(spec["key"], str) else list(spec["key"])
    ind_col, val_col, unit_col = spec["indicator"], spec["value"], spec.get("unit")
    problems: list[Problem] = []
    missing = [c for c in [*keys, ind_col, val_col, *([unit_col] if unit_col else [])]
               if c not in frame.columns]
    if missing:
        raise InputError([Problem("column_missing", f"the long-form table has no column {c!r}",
                                  file=display, line=header_line,
                                  hint="columns: " + ", ".join(map(str, frame.columns)))
                          for c in missing])
    carried = [c for c in frame.columns if c not in (*keys, ind_col, val_col, unit_col)]
    rows: dict[tuple, dict[str, Any]] = {}
    first_line: dict[tuple, int] = {}
    seen: dict[tuple, tuple[int, str]] = {}
    conflicted: set[tuple] = set()
    for i, rec in enumerate(frame.to_dict("records")):
        line = header_line + 1 + i
        key = tuple(str(rec[k]) for k in keys)
        name = str(rec[ind_col])
        unit = str(rec[unit_col]) if unit_col else ""
        row = rows.setdefault(key, {k: rec[k] for k in keys})
        first_line.setdefault(key, line)
        for c in carried:
            value = str(rec[c])
            if c not in row or row[c] == "":
                row[c] = value
            elif value not in ("", row[c]) and (key, c) not in conflicted:
                conflicted.add((key, c))  # once per standard and column
                problems.append(Problem(
                    "long_form_conflict", f"{c!r} of {' / '.join(key)} is {row[c]!r} on line "
                    f"{first_line[key]} and {value!r} here", file=display, line=line, pointer=c,
                    hint="one standard has one value of each identity column"))
        if (key, name) in seen:
            other, other_unit = seen[(key, name)]
            code = "long_form_unit_conflict" if unit != other_unit else "long_form_duplicate"
            what = (f"in {other_unit!r} on line {other} and in {unit!r} here"
                    if code == "long_form_unit_conflict" else f"already on line {other}")
            problems.append(Problem(code, f"{name!r} of {' / '.join(key)} is given twice: "
                                    f"{what}", file=display, line=line, pointer=ind_col,
                                    hint="give each indicator of a standard once"))
            continue
        seen[(key, name)] = (line, unit)
        row[name] = str(rec[val_col])
        if unit_col:
            row[unit_header(name)] = unit
    wide = pd.DataFrame(list(rows.values())).fillna("")
    if origin is not None:
        order = {key: k for k, key in enumerate(rows)}
        origin.header_line = header_line
        origin.first = [first_line[key] for key in rows]
        origin.lines = [{} for _ in rows]
        for (key, name), (line, _) in seen.items():
            cells = origin.lines[order[key]]
            cells[name] = line
            cells[unit_header(name)] = line
        origin.columns = {c: val_col for c in wide.columns if c not in (*keys, *carried)}
        if unit_col:
            origin.columns.update({unit_header(name): unit_col for _, name in seen})
    return wide, problems


def wide_table(path: str | Path, mapping: dict, display: str) -> tuple[Path, dict, Origin]:
    """Pivot the long-form table at `path` as `mapping["long_form"]` says; the wide table's file,
    the mapping to read it with and where its cells came from. InputError lists every
    problem."""
    from benchmark.population import read_table_chunks

    spec = mapping["long_form"]
    chunks, digest = read_table_chunks(path, encoding=mapping.get("encoding"),
                                  sheet=mapping.get("sheet"), delimiter=mapping.get("delimiter"),
                                  header_row=mapping.get("header_row"))
    frames = list(chunks)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    header_line = frames[0].attrs.get("header_line", 1) if frames else 1
    frame = frame.astype(object).where(frame.notna(), "").astype(str)
    origin = Origin(sha256=digest.result())
    wide, problems = pivot(frame, spec, display, header_line, origin)
    columns = {}
    for name, s in mapping.get("columns", {}).items():
        s = dict(s)
        if spec.get("unit") and "indicator" in s and "unit" not in s and \
                unit_header(name) in wide.columns:
            s["unit_column"] = unit_header(name)
        columns[name] = s
    renamed = {}
    for header in [c for c in wide.columns if c.endswith(" __unit")]:
        name = header[: -len(" __unit")]
        if name in columns:
            continue
        units = sorted({u for u in wide[header] if u})
        wide = wide.drop(columns=header)
        if len(units) > 1:
            problems.append(Problem("long_form_unit_conflict", f"{name!r} is given in "
                                    f"{' and '.join(repr(u) for u in units)}", file=display,
                                    pointer=spec["unit"], hint="name the indicator in the "
                                    "mapping's columns to read each row's unit"))
        elif units:
            renamed[name] = f"{name} [{units[0]}]"
    if problems:
        raise InputError(problems)
    wide = wide.rename(columns=renamed)
    for old_name, new_name in renamed.items():  # `<指标名称> [<unit>]` is still that row's cell
        origin.columns[new_name] = origin.columns.pop(old_name, spec["value"])
        for cells in origin.lines:
            if old_name in cells:
                cells[new_name] = cells[old_name]
    out = _folder() / f"{Path(str(path)).stem}.wide.csv"
    wide.to_csv(out, index=False)
    read = {k: v for k, v in mapping.items()
            if k not in ("long_form", "encoding", "sheet", "delimiter", "header_row")}
    return out, {**read, "columns": columns}, origin
