"""Spreadsheets: a list of `Sheet`s (title, header, rows) written to XLSX bytes that are safe to
open and the same for the same inputs.

Safe: a text cell that a spreadsheet would read as a formula (starting with = + - @, tab or CR) is
prefixed with a quote and stored as a string, never as a formula. Numbers stay numbers. Identical:
the workbook's created/modified properties are set to a given date and every zip entry gets a
fixed timestamp. `evaluation_sheets` gives the views of one evaluation (summary, indicators,
comparisons, values, references); other commands build their own `Sheet`s and call
`workbook_bytes`. Large per-row tables (peer rankings, the verdict table) are `RowSheet`s written
by `write_row_workbook` with constant memory: openpyxl writes each sheet's frame and header row,
and the data rows are sheet XML made from column arrays with pyarrow, streamed into the zip.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring

from benchmark.report import FORMULA_START, OPS, labels, value_words, yes_no_words

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


# zlib level of the parts written by `replace` (a per-row sheet of a million rows is ~0.6 GB of
# XML): level 1 deflates it 2.7x faster than the default 6 (a 1M-row `rank --format xlsx` 24 s
# → 20 s), for a file ~35 % larger
FAST_DEFLATE = 1


def save_workbook(wb, fh, on: dt.date | dt.datetime, creator: str = "benchmark",
                  replace: dict[str, Callable[[IO[bytes], bytes], None]] | None = None,
                  edit: dict[str, Callable[[str, bytes], bytes]] | None = None) -> None:
    """Write `wb` to the binary file `fh`, identical for identical inputs: openpyxl stamps
    "modified" with the clock and the zip entries with the time, so every timestamp is set to
    `on` and the parts are copied into a new zip a block at a time. `replace` maps a part's
    name to a function writing its new content (given the part as openpyxl wrote it); those
    parts come last, in the order of `replace`. `edit` maps a part's name to a function of
    its name and content giving its new content, in its place."""
    stamp = xlsx_stamp(on)
    replace = replace or {}
    wb.properties.creator = wb.properties.lastModifiedBy = creator
    wb.properties.created = wb.properties.modified = stamp
    with tempfile.TemporaryFile() as raw:
        wb.save(raw)
        wb.properties.modified = stamp
        core = tostring(wb.properties.to_tree())
        raw.seek(0)
        with zipfile.ZipFile(raw) as src, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as dst:

            def entry(name: str, level: int | None = None) -> zipfile.ZipInfo:
                info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
                info.compress_type = zipfile.ZIP_DEFLATED
                info._compresslevel = level  # type: ignore[attr-defined]  # 3.11: no public name
                info.external_attr = 0o644 << 16
                return info

            for info in src.infolist():
                if info.filename in replace:
                    continue
                if info.filename == "docProps/core.xml":
                    dst.writestr(entry(info.filename), core)
                    continue
                if edit and info.filename in edit:
                    dst.writestr(entry(info.filename),
                                 edit[info.filename](info.filename, src.read(info)))
                    continue
                with src.open(info) as part, dst.open(entry(info.filename), "w") as out:
                    while block := part.read(1 << 20):
                        out.write(block)
            names = set(src.namelist())
            for name, write in replace.items():  # the streamed sheets: fast deflate
                with dst.open(entry(name, FAST_DEFLATE), "w", force_zip64=True) as out:
                    write(out, src.read(name) if name in names else b"")


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
    words = yes_no_words(value, L)
    return value if words is None else words


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


# --- large sheets: the sheet XML written straight from column arrays ----------------------------

EXCEL_MAX_ROWS = 1_048_576  # rows of a worksheet, the header included
EXCEL_MAX_TEXT = 32_767  # characters of a cell
CHUNK_ROWS = 50_000  # rows turned into sheet XML at a time
_ILLEGAL_XML = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"  # what XML 1.0 cannot hold (openpyxl's set)
_ILLEGAL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


@dataclass
class RowSheet:
    """A worksheet written with constant memory: a title, one header row and `n` data rows,
    either `frames` (DataFrames of a chunk of rows each, columns in header order: the fast way)
    or `rows` (sequences of cells; with `pairs` a cell may be (number, its format)). None, NaN
    and "" are empty cells; numbers stay numbers, `formats` a 0-based column → number format;
    text is made safe here (no formula start, no characters XML cannot hold, at most 32,767
    characters). `widths` a column → width. `split_note` is the note (with {part}, {parts},
    {first}, {last}) put on the header of each part when the rows do not fit one sheet."""

    title: str
    header: Sequence[str]
    n: int
    rows: Any = ()
    formats: dict[int, str] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    freeze_columns: int = 0
    split_note: str = "part {part} of {parts}: rows {first}–{last}"
    pairs: bool = False  # a cell may be (number, its format)
    frames: Iterable[Any] | None = None


class _Styles:
    """The workbook's cell styles: 0 plain, 1 the header (bold, grey, wrapped — the first style
    openpyxl registers, for the header row it writes), then one per number format."""

    def __init__(self) -> None:
        self.formats: list[str] = []

    def of(self, form: str | None) -> int:
        if not form:
            return 0
        if form not in self.formats:
            self.formats.append(form)
        return 2 + self.formats.index(form)

    def xml(self) -> bytes:
        from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE

        ids: list[int] = []
        custom: list[tuple[int, str]] = []
        for form in self.formats:
            if form in BUILTIN_FORMATS_REVERSE:
                ids.append(BUILTIN_FORMATS_REVERSE[form])
            else:
                ids.append(164 + len(custom))
                custom.append((ids[-1], form))
        num_fmts = "".join(f'<numFmt numFmtId="{k}" formatCode="{_attr(f)}"/>' for k, f in custom)
        xfs = "".join(f'<xf numFmtId="{k}" fontId="0" fillId="0" borderId="0" '
                      'applyNumberFormat="1" xfId="0"/>' for k in ids)
        return (
            '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<numFmts count="{len(custom)}">{num_fmts}</numFmts>'
            '<fonts count="2"><font><name val="Calibri"/><family val="2"/><color theme="1"/>'
            '<sz val="11"/><scheme val="minor"/></font><font><b val="1"/></font></fonts>'
            '<fills count="3"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/>'
            '</fill><fill><patternFill patternType="solid"><fgColor rgb="00F0F0F0"/></patternFill>'
            '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
            '</border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
            f'borderId="0"/></cellStyleXfs><cellXfs count="{2 + len(ids)}">'
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" applyAlignment="1" xfId="0">'
            f'<alignment vertical="top" wrapText="1"/></xf>{xfs}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            '</styleSheet>').encode()


def _attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _safe_texts(text):
    """Text cells as a spreadsheet should show them, vectorised (pyarrow): characters XML
    cannot hold removed, at most 32,767 characters, a formula start prefixed with a quote, then
    escaped for XML (& < > and CR, which XML would read as a line feed). Each step runs only
    on a chunk that needs it (a scan of the bytes first)."""
    import pyarrow.compute as pc

    from benchmark.report.frames import holding, longest, safe_formula

    if holding(text, _ILLEGAL_BYTES) is not None:
        text = pc.replace_substring_regex(text, _ILLEGAL_XML, "")
    if longest(text) > EXCEL_MAX_TEXT:  # in bytes, never fewer than characters
        text = pc.utf8_slice_codeunits(text, 0, EXCEL_MAX_TEXT)
    text = safe_formula(text)
    for old, new in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")):
        if holding(text, old.encode()) is not None:
            text = pc.replace_substring(text, old, new)
    return text


_NUMBER, _TEXT, _BOOL, _SHARED = 0, 1, 2, 3
_OPEN = ("><v>", ' t="inlineStr"><is><t xml:space="preserve">', ' t="b"><v>', ' t="s"><v>')
_CLOSE = ("</v></c>", "</t></is></c>", "</v></c>", "</v></c>")
_INLINE = ' t="inlineStr"><is><t>'  # text with no space at either end to keep
_EDGE_START, _EDGE_END = b" \t\n&", b" \t\n;"  # a space, or an escaped CR ("&#13;")
SHARED_SHARE = 8  # a text column of a chunk in the shared strings when ≤ 1/8 of it is distinct


class _SharedStrings:
    """The workbook's shared strings: the text of a chunk's column that repeats (a segment, an
    enterprise, yes/no, a reason) is written once here and referred to by number."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.count = 0

    def cells(self, text) -> tuple[Any, int]:
        """(cells, kind) of a text column: its shared string numbers when it repeats enough,
        else the text itself."""
        import pyarrow as pa
        import pyarrow.compute as pc

        encoded = pc.dictionary_encode(text)
        if len(encoded.dictionary) * SHARED_SHARE > len(text):
            return text, _TEXT
        words = _safe_texts(encoded.dictionary).to_pylist()
        ids = np.array([self.ids.setdefault(w, len(self.ids)) for w in words], dtype=np.int64)
        self.count += len(text) - text.null_count
        numbers = pc.take(pa.array(ids), encoded.indices)
        return pc.cast(numbers, pa.string()), _SHARED

    def xml(self) -> bytes:
        items = "".join(f'<si><t xml:space="preserve">{w}</t></si>' for w in self.ids)
        return ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'count="{self.count}" uniqueCount="{len(self.ids)}">{items}</sst>').encode()


_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def _with_shared_strings(name: str, part: bytes) -> bytes:
    """openpyxl's content types or workbook relations, naming the shared strings part too."""
    if name == "[Content_Types].xml":
        entry = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SST_TYPE}" />'
        return part.replace(b"</Types>", entry.encode() + b"</Types>")
    entry = f'<Relationship Type="{_SST_REL}" Target="sharedStrings.xml" Id="rIdShared" />'
    return part.replace(b"</Relationships>", entry.encode() + b"</Relationships>")


def _column_of_frame(column) -> tuple[Any, Any]:
    """(cell text, kind) of a DataFrame column: a number column as numbers, a text column as
    text (an arrow-backed one as it is, no Python object per cell), an object column of
    numbers and None as numbers, a mixed one cell by cell."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    from benchmark.population import decoded
    from benchmark.report.frames import plain_text

    column = decoded(column)  # positions into text: the text of the chunk's rows
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = pd.Series(column.cat.categories)
        codes = column.cat.codes.to_numpy()
        text, kind = _column_of_frame(categories)
        taken = pa.array(codes, mask=codes < 0)
        return pc.take(text, taken), pc.take(kind, taken) if isinstance(kind, pa.Array) else kind
    if column.dtype == bool:
        return pa.array(np.where(column.to_numpy(), "1", "0")), _BOOL
    if column.dtype.kind in "iuf":
        values = pa.array(column.to_numpy(), from_pandas=True)
        if column.dtype.kind == "f":
            values = pc.if_else(pc.is_finite(values), values, pa.scalar(None, pa.float64()))
        return pc.cast(values, pa.string()), _NUMBER
    if pd.api.types.is_string_dtype(column.dtype) and column.dtype != object:
        text = plain_text(pa.array(column, from_pandas=True))
        return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text), _TEXT
    inferred = pd.api.types.infer_dtype(column, skipna=True)
    if inferred in ("string", "empty"):
        text = pa.array(column.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text), _TEXT
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        return _column_of_frame(pd.to_numeric(column, errors="coerce").astype(float)
                                if inferred != "integer" else
                                pd.Series(column.to_numpy(), dtype="Int64"))
    return _column_of_cells(column.tolist())


def _column_of_cells(values: Sequence[Any]) -> tuple[Any, Any]:
    """(cell text, kind) of cells given one by one (a small table, or a mixed column)."""
    import pyarrow as pa

    text: list[str | None] = []
    kinds: list[int] = []
    for v in values:
        if isinstance(v, (bool, np.bool_)):
            text.append("1" if v else "0")
            kinds.append(_BOOL)
        elif isinstance(v, (int, np.integer)):
            text.append(str(int(v)))
            kinds.append(_NUMBER)
        elif isinstance(v, (float, np.floating)):
            text.append(repr(float(v)) if math.isfinite(v) else None)
            kinds.append(_NUMBER)
        elif v is None or v == "":
            text.append(None)
            kinds.append(_TEXT)
        else:
            text.append(v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else str(v))
            kinds.append(_TEXT)
    return pa.array(text, type=pa.string()), pa.array(kinds, type=pa.int8())


def _cells(letter: str, numbers, text, kind, style) -> list[Any]:
    """The <c> elements of one column as pieces of the row's join: its text and markup when
    no cell is empty, else one array with an empty string for an empty cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(kind, pa.Array):
        is_text = pc.equal(kind, _TEXT)
        shown = pc.if_else(is_text, _safe_texts(text), text)
        opening = pc.take(pa.array(_OPEN), kind)
        closing = pc.take(pa.array(_CLOSE), kind)
    else:
        shown = _safe_texts(text) if kind == _TEXT else text
        opening, closing = _OPEN[kind], _CLOSE[kind]
        if kind == _TEXT:  # xml:space="preserve" only on text with a space at an end
            from benchmark.report.frames import ending_with, starting_with

            edge = starting_with(shown, _EDGE_START) | ending_with(shown, _EDGE_END)
            opening = pc.if_else(pa.array(edge), opening, _INLINE) if edge.any() else _INLINE
    s = (pc.binary_join_element_wise(' s="', pc.cast(style, pa.string()), '"', "")
         if isinstance(style, pa.Array) else f' s="{style}"' if style else "")
    if isinstance(style, pa.Array):
        s = pc.if_else(pc.equal(style, 0), "", s)
    pieces: list[Any] = [f'<c r="{letter}', numbers]
    for piece in ('"', s, opening, shown, closing):  # neighbouring literals as one
        if isinstance(piece, str) and isinstance(pieces[-1], str):
            pieces[-1] += piece
        else:
            pieces.append(piece)
    if shown.null_count == 0:
        return pieces
    return [pc.fill_null(pc.binary_join_element_wise(*pieces, ""), "")]


def _rows_xml(columns: list[tuple[Any, Any, Any]], first: int, n: int) -> memoryview:
    """The <row> elements of `n` rows numbered from `first`, as UTF-8 bytes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    numbers = pc.cast(pa.array(np.arange(first, first + n, dtype=np.int64)), pa.string())
    pieces: list[Any] = ['<row r="', numbers, '">']
    for k, (text, kind, style) in enumerate(columns):
        for piece in _cells(get_column_letter(k + 1), numbers, text, kind, style):
            if isinstance(piece, str) and isinstance(pieces[-1], str):
                pieces[-1] += piece
            else:
                pieces.append(piece)
    rows = pc.binary_join_element_wise(*pieces, "</row>", "")
    rows = rows.combine_chunks() if isinstance(rows, pa.ChunkedArray) else rows
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)[rows.offset:rows.offset + n + 1]
    return memoryview(rows.buffers()[2])[offsets[0]:offsets[-1]]


def _frame_columns(frame, sheet: RowSheet, styles: _Styles,
                   shared: _SharedStrings) -> list[tuple[Any, Any, Any]]:
    out = []
    for k in range(len(sheet.header)):
        if k < frame.shape[1]:
            text, kind = _column_of_frame(frame.iloc[:, k])
            if isinstance(kind, int) and kind == _TEXT:
                text, kind = shared.cells(text)
        else:
            text, kind = _column_of_cells([None] * len(frame))
        out.append((text, kind, styles.of(sheet.formats.get(k)) if kind == _NUMBER or
                    not isinstance(kind, int) else 0))
    return out


def _cell_columns(rows: list[Sequence[Any]], sheet: RowSheet,
                  styles: _Styles) -> list[tuple[Any, Any, Any]]:
    import pyarrow as pa

    out = []
    for k in range(len(sheet.header)):
        values, forms = [], []
        for row in rows:
            v = row[k] if k < len(row) else None
            form = sheet.formats.get(k)
            if sheet.pairs and isinstance(v, tuple):
                v, form = v
            number = isinstance(v, (int, float, np.integer, np.floating)) and \
                not isinstance(v, (bool, np.bool_))
            values.append(v)
            forms.append(styles.of(form) if number else 0)
        text, kind = _column_of_cells(values)
        out.append((text, kind, pa.array(forms, type=pa.int32())))
    return out


def _chunks(sheet: RowSheet, styles: _Styles,
            shared: _SharedStrings) -> Iterator[tuple[int, list]]:
    """(rows, columns) of the sheet's data, a chunk at a time."""
    import itertools

    from benchmark.heap import released

    if sheet.frames is not None:
        for frame in sheet.frames:
            for start in range(0, len(frame), CHUNK_ROWS):
                part = frame.iloc[start:start + CHUNK_ROWS]
                yield len(part), _frame_columns(part, sheet, styles, shared)
                released()
        return
    rows = iter(sheet.rows)
    while chunk := list(itertools.islice(rows, CHUNK_ROWS)):
        yield len(chunk), _cell_columns(chunk, sheet, styles)


class _Rows:
    """The chunks of a sheet's data, taken part by part: `take(size)` yields chunks of `size`
    rows in all, cutting a chunk that straddles two parts and keeping the rest for the next."""

    def __init__(self, chunks: Iterator[tuple[int, list]]) -> None:
        self.chunks = chunks
        self.rest: tuple[int, list] | None = None

    def take(self, size: int) -> Iterator[tuple[int, list]]:
        while size > 0:
            chunk = self.rest or next(self.chunks, None)
            self.rest = None
            if chunk is None:
                return
            n, columns = chunk
            if n > size:
                self.rest = (n - size, [_cut(c, size, n - size) for c in columns])
                n, columns = size, [_cut(c, 0, size) for c in columns]
            size -= n
            yield n, columns


def _cut(column: tuple[Any, Any, Any], start: int, size: int) -> tuple[Any, Any, Any]:
    text, kind, style = (x.slice(start, size) if hasattr(x, "slice") else x for x in column)
    return text, kind, style


def _header_sheet(wb, title: str, sheet: RowSheet, n: int, note: str | None) -> None:
    """The sheet's frame, written by openpyxl: widths, frozen panes, autofilter over `n` rows,
    print set-up, and the header row (with the split note as a comment on its first cell)."""
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


def _ahead(blocks: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """The items of `blocks`, made in a worker thread up to `depth` ahead of the caller (the
    sheet XML built while the previous chunk is deflated: pyarrow and zlib release the GIL);
    an error there is raised here, and the worker stops when the caller does."""
    import queue
    import threading

    made: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                made.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for block in blocks:
                if not put((block, None)):
                    return
            put((end, None))
        except BaseException as exc:  # handed to the caller
            put((end, exc))

    worker = threading.Thread(target=work, name="sheet-xml", daemon=True)
    worker.start()
    try:
        while True:
            block, error = made.get()
            if error is not None:
                raise error
            if block is end:
                return
            yield block
    finally:
        stop.set()
        worker.join()


def _splice(data: _Rows, size: int,
            progress: Callable[[int], None]) -> Callable[[IO[bytes], bytes], None]:
    """A part writer: openpyxl's sheet (header only) with the next `size` data rows put in
    after the header row, a chunk at a time (`progress(n)` after each chunk of `n` rows)."""

    def blocks() -> Iterator[tuple[int, memoryview]]:
        first = 2
        for n, columns in data.take(size):
            yield n, _rows_xml(columns, first, n)
            first += n

    def write(out: IO[bytes], original: bytes) -> None:
        end = original.find(b"</sheetData>")
        if end < 0:
            end = original.index(b"<sheetData />")
            original = original[:end] + b"<sheetData></sheetData>" + \
                original[end + len(b"<sheetData />"):]
            end = original.index(b"</sheetData>")
        out.write(original[:end])
        for n, xml in _ahead(blocks()):
            out.write(xml)
            progress(n)
        out.write(original[end:])
    return write


def write_row_workbook(fh, sheets: Sequence[RowSheet], on: dt.date | dt.datetime,
                       creator: str = "benchmark", max_rows: int = EXCEL_MAX_ROWS,
                       split=lambda title, parts: None,
                       progress: Callable[[int], None] = lambda rows: None) -> None:
    """Write the XLSX file of `sheets` to the binary file `fh`, a chunk of rows at a time
    (memory bounded by the chunk, not the rows: the sheet XML is made from column arrays with
    pyarrow and streamed into the zip), identical for identical inputs (`on` fixes every
    timestamp). A sheet with more data rows than fit under the header (`max_rows` − 1) is split
    into parts "title (k)", each with its header and a note on it; `split(title, parts)` is
    called for each sheet split, for the caller to say so; `progress(rows)` with the data
    rows written so far, over all sheets."""
    per_part = max_rows - 1
    wb = Workbook(write_only=True)
    taken: set[str] = set()
    styles = _Styles()
    shared = _SharedStrings()
    replace: dict[str, Callable[[IO[bytes], bytes], None]] = {}
    written = [0]

    def told(n: int) -> None:
        written[0] += n
        progress(written[0])

    for sheet in sheets:
        parts = max(1, -(-sheet.n // per_part))
        if parts > 1:
            split(sheet.title, parts)
        data = _Rows(_chunks(sheet, styles, shared))
        for p in range(parts):
            size = min(per_part, sheet.n - p * per_part)
            title = sheet.title if parts == 1 else f"{sheet.title[:25]} ({p + 1})"
            note = None if parts == 1 else sheet.split_note.format(
                part=p + 1, parts=parts, first=p * per_part + 1, last=p * per_part + size)
            _header_sheet(wb, sheet_title(title, taken), sheet, size, note)
            replace[f"xl/worksheets/sheet{len(replace) + 1}.xml"] = _splice(data, size, told)
    if not sheets:
        wb.create_sheet("Sheet")

    def write_styles(out: IO[bytes], original: bytes) -> None:
        out.write(styles.xml())

    def write_shared(out: IO[bytes], original: bytes) -> None:
        out.write(shared.xml())

    replace["xl/styles.xml"] = write_styles
    replace["xl/sharedStrings.xml"] = write_shared
    save_workbook(wb, fh, on, creator, replace,
                  edit=dict.fromkeys(("[Content_Types].xml", "xl/_rels/workbook.xml.rels"),
                                     _with_shared_strings))
