"""Spreadsheets: a list of `Sheet`s (title, header, rows) written to XLSX bytes that are safe to
open and the same for the same inputs.

Safe: a text cell that a spreadsheet would read as a formula (starting with = + - @, tab or CR) is
prefixed with a quote and stored as a string, never as a formula. Numbers stay numbers. Identical:
the workbook's created/modified properties are set to a given date and every zip entry gets a
fixed timestamp. `evaluation_sheets` gives the views of one evaluation (summary, indicators,
comparisons, values, references); other commands (e.g. peer rankings) build their own `Sheet`s and
call `workbook_bytes`.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring

from benchmark.report import OPS, labels, value_words

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADER_FILL = PatternFill("solid", fgColor="F0F0F0")
UNVERIFIED_FILL = PatternFill("solid", fgColor="FBE9EB")
BEST_FILL = PatternFill("solid", fgColor="FFF3C4")


@dataclass
class Sheet:
    """One worksheet: a title (≤ 31 characters), one header row, rows of values.

    `formats` maps a 0-based column to an Excel number format (e.g. "0.00%"), `cell_formats`
    (row, column) of a data cell (0-based) to one; `fills` maps (row, column) to "unverified" or
    "best" for a background colour; `freeze_columns` keeps that many leading columns in view
    besides the header row; `autofilter` puts filter buttons on the header row."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    formats: dict[int, str] = field(default_factory=dict)
    fills: dict[tuple[int, int], str] = field(default_factory=dict)
    freeze_columns: int = 0
    cell_formats: dict[tuple[int, int], str] = field(default_factory=dict)
    autofilter: bool = True


def safe_text(value: str) -> str:
    """Text a spreadsheet shows as text: no formula start, no characters XML cannot hold."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_START) else value


def _set(cell, value: Any) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        cell.value = value
    elif isinstance(value, (int, float)):
        if math.isfinite(value):
            cell.value = value
    elif isinstance(value, (dt.date, dt.datetime)):
        cell.value = value.isoformat()
        cell.data_type = "s"
    else:
        cell.value = safe_text(str(value))
        cell.data_type = "s"  # never a formula, whatever openpyxl guessed


_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


def sheet_title(title: str, taken: set[str]) -> str:
    """A valid, unique worksheet title (Excel: ≤ 31 characters, none of []:*?/\\)."""
    base = _BAD_TITLE.sub("_", title).strip("'") or "Sheet"
    base = base[:31]
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _width(value: Any) -> float:
    text = f"{value:.6g}" if isinstance(value, float) else str(value if value is not None else "")
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def print_setup(ws, columns: int | None = None) -> None:
    """A4, fit to the page width (as many pages down as needed), the header row repeated on every
    printed page, landscape when the sheet is wide (`columns`, else the sheet's: a write-only
    sheet does not know its own yet)."""
    ws.page_setup.paperSize = "9"  # A4
    wide = (ws.max_column if columns is None else columns) > 6
    ws.page_setup.orientation = "landscape" if wide else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.print_options.gridLines = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "&P / &N"


def xlsx_stamp(on: dt.date | dt.datetime) -> dt.datetime:
    """The one timestamp a workbook of `on` carries (a zip entry cannot predate 1980)."""
    stamp = on if isinstance(on, dt.datetime) else dt.datetime(on.year, on.month, on.day)
    return max(stamp.replace(tzinfo=None, microsecond=0), dt.datetime(1980, 1, 1))


def save_workbook(wb, fh, on: dt.date | dt.datetime, creator: str = "benchmark") -> None:
    """Write `wb` to the binary file `fh`, identical for identical inputs: openpyxl stamps
    "modified" with the clock and the zip entries with the time, so every timestamp is set to
    `on` and the parts are copied into a new zip a block at a time."""
    stamp = xlsx_stamp(on)
    wb.properties.creator = wb.properties.lastModifiedBy = creator
    wb.properties.created = wb.properties.modified = stamp
    with tempfile.TemporaryFile() as raw:
        wb.save(raw)
        wb.properties.modified = stamp
        core = tostring(wb.properties.to_tree())
        raw.seek(0)
        with zipfile.ZipFile(raw) as src, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o644 << 16
                if info.filename == "docProps/core.xml":
                    dst.writestr(entry, core)
                    continue
                with src.open(info) as part, dst.open(entry, "w") as out:
                    while block := part.read(1 << 20):
                        out.write(block)


def workbook_bytes(sheets: Sequence[Sheet], on: dt.date | dt.datetime,
                   creator: str = "benchmark") -> bytes:
    """The XLSX file of `sheets`, identical for identical inputs (`on` fixes every timestamp)."""
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    bold = Font(bold=True)
    for sheet in sheets:
        ws = wb.create_sheet(sheet_title(sheet.title, taken))
        widths: dict[int, float] = {}
        for c, text in enumerate(sheet.header, start=1):
            cell = ws.cell(row=1, column=c)
            _set(cell, text)
            cell.font, cell.fill = bold, HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            widths[c] = _width(text)
        for r, row in enumerate(sheet.rows, start=2):
            for c, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=c)
                _set(cell, value)
                number = isinstance(value, (int, float)) and not isinstance(value, bool)
                form = sheet.cell_formats.get((r - 2, c - 1), sheet.formats.get(c - 1))
                if number and form:
                    cell.number_format = form
                fill = sheet.fills.get((r - 2, c - 1))
                if fill:
                    cell.fill = UNVERIFIED_FILL if fill == "unverified" else BEST_FILL
                widths[c] = max(widths.get(c, 0), _width(value))
        for c, w in widths.items():
            ws.column_dimensions[get_column_letter(c)].width = min(max(w + 2, 8), 60)
        ws.freeze_panes = f"{get_column_letter(sheet.freeze_columns + 1)}2"
        if sheet.autofilter and sheet.header:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.header))}{len(sheet.rows) + 1}"
        print_setup(ws)
    if not wb.worksheets:
        wb.create_sheet("Sheet")
    out = io.BytesIO()
    save_workbook(wb, out, on, creator)
    return out.getvalue()


# --- the views of one evaluation -------------------------------------------------------------


def _unit_header(label: str, unit: str | None) -> str:
    return f"{label} [{unit}]" if unit else label


def _shown(value: Any, L: dict) -> Any:
    """A normalised value as a cell: a number as a number, yes/no in words."""
    return value_words(value, "", L) if isinstance(value, bool) else value


def _declared(value: Any, L: dict) -> Any:
    """A declared value as written; a yes/no the engine wrote out (True/False) in words."""
    if isinstance(value, bool) or value in ("True", "False"):
        return value_words(value in (True, "True"), "", L)
    return value


def evaluation_sheets(result: dict, L: dict, lang: str) -> list[Sheet]:
    """Summary, indicators, comparisons, values (indicators × references, units in the headers)
    and references used, from `Evaluation.to_dict()`."""
    d = result["declaration"]
    prog = result["programme"]
    prov = result["provenance"]
    refs = {r["id"]: r for r in result["references_used"]}
    unverified_any = any(not r["verified"] for r in result["references_used"])
    summary = [
        [L["verdict"], L[result["verdict"]]],
        [L["applicant"], d["enterprise"]],
        [L["credit_code"], d["credit_code"]],
        [L["standard"], f"{d['standard_number']} {d['standard_title']}"],
        [L["product"], d["category_names"][lang]],
        [L["model"], d["model"]],
        [L["parameters"], "; ".join(f"{v['names'][lang]} = {value_words(v['value'], k, L)}"
                                    for k, v in d["parameters"].items())],
        [L["segment"], result["segment"]["names"][lang] if result["segment"] else
         L["out_of_scope"]],
        [L["programme"], prog["names"][lang]],
        [L["basis"], f"{L[prog['basis']]} — {prog['statement'][lang]}"],
        [L["basis_source"], prog.get("source")],
        [L["date"], result["evaluation_date"]],
        [L["overall"], result["overall_level"]["names"][lang] if result["overall_level"] else None],
    ]
    for rule in result["rules"]:  # each reason under its rule's name in words, not its id
        name = (rule.get("description") or {}).get(lang)
        for x in rule["reasons"]:
            summary.append([L["reasons_of_rule"].format(rule=name) if name else L["reasons"],
                            x["message"][lang]])
    for f in result["findings"]:
        summary.append([L["findings"], f"[{f['code']}] {f['message'][lang]}"])
    summary += [[L["engine"], f"benchmark {prov['engine_version']}"],
                [L["catalogue_hash"], prov["catalogue_sha256"]]]
    summary += [[f"{L['input_hash']} ({path})", h] for path, h in prov["inputs"].items()]
    summary.append([L["include_superseded"],
                    L["yes"] if prov.get("include_superseded") else L["no"]])
    if unverified_any:
        summary.append([L["unverified"], L["unverified_note"]])

    indicators = [[i["names"][lang], L["classes"][i["cls"]], _declared(i["declared"], L),
                   _shown(i["value"], L),
                   i["unit"], i["level_names"][lang], "; ".join(n[lang] for n in i["notes"])]
                  for i in result["indicators"]]
    comparisons: list[list] = []
    comp_fills: dict[tuple[int, int], str] = {}
    for i in result["indicators"]:
        for c in i["comparisons"]:
            ref = refs.get(c["reference"], {})
            if not c["verified"]:
                comp_fills[(len(comparisons), 7)] = "unverified"
            comparisons.append([
                i["names"][lang], i["unit"], c["reference"], ref.get("in_force"),
                c["clause"][lang] if c["clause"] else None,
                L["tiers"][c["tier"]], OPS.get(c["op"], c["op"]), c["threshold"], c["top_class"],
                L["verified"] if c["verified"] else L["unverified"], i["value"], c["class_reached"],
                L["relations"][c["relation"]], c["margin_abs"], c["margin_rel"],
                None if c["mandatory_met"] is None else
                L["met"] if c["mandatory_met"] else L["not_met"],
                c["adoption"]])
    # values: indicators with comparisons as columns (unit in the header), references as rows
    shown = [i for i in result["indicators"] if i["comparisons"]]
    ref_ids = sorted({c["reference"] for i in shown for c in i["comparisons"]})
    values_rows = [[L["applicant_value"], None] + [i["value"] for i in shown]]
    values_fills = {}
    for r, ref_id in enumerate(ref_ids, start=1):
        row: list[Any] = [ref_id, L["tiers"][refs[ref_id]["tier"]] if ref_id in refs else None]
        for col, i in enumerate(shown, start=2):
            cs = [c for c in i["comparisons"] if c["reference"] == ref_id]
            best = max(cs, key=lambda c: c["threshold"] * (-1 if i["direction"] == "lower" else 1),
                       default=None)
            row.append(best["threshold"] if best else None)
            if best and not best["verified"]:
                values_fills[(r, col)] = "unverified"
        if any(rc[0] == r for rc in values_fills):  # a number cannot carry the mark: its row does
            row[0] = f"{ref_id} ({L['unverified']})"
        values_rows.append(row)
    references = [[r["id"], r["titles"][lang], L["tiers"][r["tier"]],
                   L["mandatory"] if r["mandatory"] else L["voluntary"], r["in_force"],
                   L["statuses"][r["status"]], L["verified"] if r["verified"] else L["unverified"],
                   r["file"], r["sha256"]] for r in result["references_used"]]
    ref_fills = {(k, 6): "unverified" for k, r in enumerate(result["references_used"])
                 if not r["verified"]}
    return [
        Sheet(L["sheet_summary"], [L["item"], L["content"]], summary),
        Sheet(L["sheet_indicators"], [L["indicator"], L["class"], L["declared"],
                                      L["normalised"], L["unit"], L["level"], L["notes"]],
              indicators, freeze_columns=1),
        Sheet(L["sheet_comparisons"], [L["indicator"], L["unit"], L["document"], L["edition"],
                                       L["clause"], L["tier"], L["requirement"], L["threshold"],
                                       L["class"], L["verification"], L["normalised"],
                                       L["class_reached"], L["relation"], L["margin_abs"],
                                       L["margin_rel"], L["mandatory_met"], L["adoption"]],
              comparisons, formats={14: "0.00%"}, fills=comp_fills, freeze_columns=1),
        Sheet(L["sheet_values"], [L["reference"], L["tier"]]
              + [_unit_header(i["names"][lang], i["unit"]) for i in shown],
              values_rows, fills=values_fills, freeze_columns=1),
        Sheet(L["sheet_references"], [L["reference"], L["title_field"], L["tier"], L["binding"],
                                      L["in_force"], L["status"], L["verification"], L["file"],
                                      "SHA-256"],
              references, fills=ref_fills, freeze_columns=1),
    ]


def render_xlsx(result: dict, lang: str = "zh", template_dir: str | None = None,
                extra_sheets: Sequence[Sheet] = ()) -> bytes:
    """The evaluation as a workbook (plus, e.g., a rankings sheet when given)."""
    L = labels(lang, template_dir)
    on = dt.date.fromisoformat(result["evaluation_date"])
    return workbook_bytes(evaluation_sheets(result, L, lang) + list(extra_sheets), on)


# --- large sheets, written row by row -----------------------------------------------------------

EXCEL_MAX_ROWS = 1_048_576  # rows of a worksheet, the header included


@dataclass
class RowSheet:
    """A worksheet written row by row with constant memory (openpyxl's write-only mode): a title,
    one header row, `n` rows from the iterable `rows` (text already safe, see `safe_text`; None
    for an empty cell), `formats` a 0-based column → number format, `widths` a column → width.
    `split_note` is the note (with {part}, {parts}, {first}, {last}) put on the header of each
    part when the rows do not fit one sheet."""

    title: str
    header: Sequence[str]
    n: int
    rows: Any
    formats: dict[int, str] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    freeze_columns: int = 0
    split_note: str = "part {part} of {parts}: rows {first}–{last}"
    pairs: bool = False  # a cell may be (number, its format)


def _write_only_sheet(wb, title: str, sheet: RowSheet, rows, n: int, note: str | None) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment

    ws = wb.create_sheet(title)
    bold = Font(bold=True)
    for c, text in enumerate(sheet.header, start=1):
        width = sheet.widths.get(c - 1, _width(text) + 2)
        ws.column_dimensions[get_column_letter(c)].width = min(max(width, 8), 60)
    ws.freeze_panes = f"{get_column_letter(sheet.freeze_columns + 1)}2"
    if sheet.header:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.header))}{n + 1}"
    print_setup(ws, len(sheet.header))
    header = []
    for k, text in enumerate(sheet.header):
        cell = WriteOnlyCell(ws, value=safe_text(str(text)))
        cell.font, cell.fill = bold, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if note and k == 0:
            cell.comment = Comment(note, "benchmark")
        header.append(cell)
    ws.append(header)
    formats = sorted(sheet.formats.items())
    for row in rows:
        values = list(row)
        if sheet.pairs:
            for k, v in enumerate(values):
                if isinstance(v, tuple):
                    values[k] = cell = WriteOnlyCell(ws, value=v[0])
                    cell.number_format = v[1]
        for k, form in formats:
            v = values[k]
            if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                cell = WriteOnlyCell(ws, value=v)
                cell.number_format = form
                values[k] = cell
        ws.append(values)


def write_row_workbook(fh, sheets: Sequence[RowSheet], on: dt.date | dt.datetime,
                       creator: str = "benchmark", max_rows: int = EXCEL_MAX_ROWS,
                       split=lambda title, parts: None) -> None:
    """Write the XLSX file of `sheets` to the binary file `fh` with constant memory, identical
    for identical inputs (`on` fixes every timestamp). A sheet with more data rows than fit
    under the header (`max_rows` − 1) is split into parts "title (k)", each with its header and
    a note on it; `split(title, parts)` is called for each sheet split, for the caller to say
    so."""
    import itertools

    per_part = max_rows - 1
    wb = Workbook(write_only=True)
    taken: set[str] = set()
    for sheet in sheets:
        rows = iter(sheet.rows)
        parts = max(1, -(-sheet.n // per_part))
        if parts > 1:
            split(sheet.title, parts)
        for p in range(parts):
            size = min(per_part, sheet.n - p * per_part)
            title = sheet.title if parts == 1 else f"{sheet.title[:25]} ({p + 1})"
            note = None if parts == 1 else sheet.split_note.format(
                part=p + 1, parts=parts, first=p * per_part + 1, last=p * per_part + size)
            _write_only_sheet(wb, sheet_title(title, taken), sheet,
                              itertools.islice(rows, size), size, note)
    if not sheets:
        wb.create_sheet("Sheet")
    save_workbook(wb, fh, on, creator)
