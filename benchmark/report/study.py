"""Rendering a comparison study (`benchmark.study.compare_study`): JSON, Markdown, HTML (inline
SVG, autoescaped), PDF (the HTML printed) and XLSX, and writing them all at once after everything
is rendered.

Renderers only show what the study found; they never evaluate a threshold.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from markupsafe import Markup

from benchmark.report import (
    OPS,
    check_formats,
    fmt_number,
    labels,
    page_footer,
    render_json,
    render_template,
    report_id,
    write_all,
)
from benchmark.report.svg import Mark, bullet_chart
from benchmark.report.xlsx import Sheet, workbook_bytes

STUDY_FORMATS = ("json", "md", "html", "pdf", "xlsx")


def _columns(segment: dict, indicators: list[dict]) -> tuple[list[dict], list[dict]]:
    """Indicators with at least one cell in this segment, and those without any."""
    has = {i["id"] for row in segment["rows"] for i in indicators if row["cells"].get(i["id"])}
    return [i for i in indicators if i["id"] in has], [i for i in indicators if i["id"] not in has]


def _chart(segment: dict, ind: dict, L: dict, lang: str) -> str:
    if ind["direction"] not in ("higher", "lower"):
        return ""
    marks = []
    for row in segment["rows"]:
        cell = row["cells"].get(ind["id"]) or {}
        for e in cell.get("entries", []):
            label = row["reference"] + (f" ({e['class_label']})" if e["class_label"] else "")
            marks.append(Mark(label, e["value"], e["verified"], OPS.get(e["op"], e["op"])))
    if not marks:
        return ""
    return bullet_chart(title=ind["names"][lang], unit=ind["unit"], direction=ind["direction"],
                        value=None, value_label="", marks=marks, edges=[], floor_label="",
                        better_label=L["chart_better"], unverified_label=L["unverified"],
                        digits=ind.get("digits"))


def _context(result: dict, lang: str, template_dir: str | None) -> dict:
    L = labels(lang, template_dir)
    segments = []
    for seg in result["segments"]:
        shown, empty = _columns(seg, result["indicators"])
        segments.append({"seg": seg, "columns": shown, "empty": empty,
                         "charts": {i["id"]: Markup(_chart(seg, i, L, lang)) for i in shown}})
    rid = report_id(result)
    return {"st": result, "L": L, "lang": lang, "segments": segments, "rid": rid,
            "page_footer": page_footer(L, rid, result["evaluation_date"]),
            "refs": {r["id"]: r for r in result["references"]},
            "pnames": {k: v[lang] for k, v in result["parameter_names"].items()}}


def render_study_html(result: dict, lang: str = "zh", template_dir: str | None = None) -> str:
    context = _context(result, lang, template_dir)
    return render_template("study.html.j2", template_dir, True, **context)


def render_study_markdown(result: dict, lang: str = "zh", template_dir: str | None = None) -> str:
    context = _context(result, lang, template_dir)
    return re.sub(r"\n{3,}", "\n\n", render_template("study.md.j2", template_dir, False, **context))


def _best_entry(cell: dict | None, sign: int) -> dict | None:
    entries = (cell or {}).get("entries") or []
    return max(entries, key=lambda e: e["value"] * (sign or 1)) if entries else None


def _bound(b: dict, with_value: bool = True) -> str:
    text = OPS.get(b["op"], b["op"]) + (f" {fmt_number(b['value'], b.get('digits'))}"
                                        if with_value else "")
    return text + (f" ({b['class_label']})" if b["class_label"] else "")


def _adoption(ref: dict) -> str | None:
    return f"{ref['adoption']['degree']} {ref['adoption']['source']}" if ref["adoption"] else None


def _needs(names: list[str], pnames: dict) -> str:
    return ", ".join(pnames.get(n, n) for n in names)


def _cell_note(cell: dict | None, entry: dict | None, L: dict, pnames: dict) -> str:
    """What a number in a matrix sheet cannot say: bound, class, marks, minimum, needs."""
    if cell is None:
        return ""
    parts = []
    if entry:
        parts.append(_bound(entry, with_value=False))
        if entry["most_stringent"]:
            parts.append(L["most_stringent"])
        if not entry["verified"]:
            parts.append(L["unverified"])
        m = entry["minimum"]
        if m:
            mark = "" if m["verified"] else f" {L['unverified']}"
            parts.append(f"{L['minimum']} {_bound(m)}{mark}")
        if len(cell["entries"]) > 1:
            parts.append(f"+{len(cell['entries']) - 1} → {L['details']}")
    if cell["needs"]:
        parts.append(f"{L['needs_parameter']}: {_needs(cell['needs'], pnames)}")
    if not entry and cell["status"] == "not_covered":
        parts.append(L["not_covered_here"])
    if not entry and cell["status"] == "not_applicable":
        parts.append(L["not_applicable"])
    return "; ".join(parts)


def _matrix_sheet(seg: dict, result: dict, refs: dict, L: dict, lang: str, pnames: dict) -> Sheet:
    shown, _ = _columns(seg, result["indicators"])
    header = [L["reference"], L["tier"], L["status"], L["adoption"]]
    for ind in shown:
        name = ind["names"][lang]
        header += [f"{name} [{ind['unit']}]" if ind["unit"] else name, f"{name} — {L['notes']}"]
    rows, fills = [], {}
    for r, row in enumerate(seg["rows"]):
        ref = refs[row["reference"]]
        line: list[Any] = [row["reference"], L["tiers"][ref["tier"]], L["statuses"][ref["status"]],
                           _adoption(ref)]
        for ind in shown:
            cell = row["cells"].get(ind["id"])
            entry = _best_entry(cell, -1 if ind["direction"] == "lower" else 1)
            if entry and not entry["verified"]:
                fills[(r, len(line))] = "unverified"
            elif entry and entry["most_stringent"]:
                fills[(r, len(line))] = "best"
            line += [entry["value"] if entry else None, _cell_note(cell, entry, L, pnames)]
        rows.append(line)
    title = f"{L['matrix']} {seg['names'][lang]}" if seg["names"] else L["matrix"]
    title = re.sub(r"[\[\]:*?/\\]", " ", title)[:31]  # what a sheet name cannot hold
    return Sheet(title, header, rows, fills=fills, freeze_columns=1)


def study_sheets(result: dict, L: dict, lang: str) -> list[Sheet]:
    """One matrix sheet per segment (value columns with the unit in the header, each followed by a
    note column), the domestic/international comparison, every entry, and the references."""
    refs = {r["id"]: r for r in result["references"]}
    pnames = {k: v[lang] for k, v in result["parameter_names"].items()}

    def ref_text(b: dict | None) -> str | None:
        if b is None:
            return None
        return b["reference"] + ("" if b["verified"] else f" ({L['unverified']})")

    sheets = [_matrix_sheet(seg, result, refs, L, lang, pnames) for seg in result["segments"]]
    summary_rows, detail_rows = [], []
    for seg in result["segments"]:
        seg_name = seg["names"][lang] if seg["names"] else L["all_segments"]
        for ind in result["indicators"]:
            s = seg["summary"][ind["id"]]
            ms, dom, intl = s["most_stringent"], s["best_domestic"], s["best_international"]
            if ms or s["needs"]:
                summary_rows.append([
                    seg_name, ind["names"][lang], ind["unit"], ref_text(ms), ms and ms["value"],
                    ref_text(dom), dom and dom["value"], ref_text(intl), intl and intl["value"],
                    s["difference_abs"], s["difference_rel"],
                    L[s["comparison"]] if s["comparison"] else None, _needs(s["needs"], pnames)])
        for row in seg["rows"]:
            for ind in result["indicators"]:
                for e in (row["cells"].get(ind["id"]) or {}).get("entries", []):
                    m = e["minimum"] or {}
                    detail_rows.append([
                        seg_name, ind["names"][lang], ind["unit"], row["reference"],
                        L["tiers"][refs[row["reference"]]["tier"]], OPS.get(e["op"], e["op"]),
                        e["value"], e["class_label"],
                        L["verified"] if e["verified"] else L["unverified"],
                        L["most_stringent"] if e["most_stringent"] else None,
                        OPS.get(m["op"], m["op"]) if m else None, m.get("value"),
                        m.get("class_label"),
                        (L["verified"] if m["verified"] else L["unverified"]) if m else None,
                        e["clause"][lang] if e["clause"] else None, e["source_unit"]])
    sheets.append(Sheet(L["study_summary"], [
        L["segment"], L["indicator"], L["unit"], L["most_stringent_value"], L["value_cell"],
        L["best_domestic"], L["value_cell"], L["best_international"], L["value_cell"],
        L["difference"], L["difference_rel"], L["comparison_domestic"], L["needs_parameter"]],
        summary_rows, formats={10: "0.00%"}, freeze_columns=2))
    sheets.append(Sheet(L["details"], [
        L["segment"], L["indicator"], L["unit"], L["reference"], L["tier"], L["requirement"],
        L["threshold"], L["class"], L["verification"], L["most_stringent"], L["minimum"],
        L["minimum"], L["class"], L["verification"], L["clause"], L["source_unit"]],
        detail_rows, freeze_columns=2))
    references = [[r["id"], r["titles"][lang], L["tiers"][r["tier"]],
                   L["mandatory"] if r["mandatory"] else L["voluntary"], r["in_force"],
                   L["statuses"][r["status"]], _adoption(r),
                   L["verified"] if r["verified"] else L["unverified"], r["file"], r["sha256"]]
                  for r in result["references"]]
    sheets.append(Sheet(L["sheet_references"], [
        L["reference"], L["title_field"], L["tier"], L["binding"], L["in_force"], L["status"],
        L["adoption"], L["verification"], L["file"], "SHA-256"], references,
        fills={(k, 7): "unverified" for k, r in enumerate(result["references"])
               if not r["verified"]},
        freeze_columns=1))
    return sheets


def render_study_xlsx(result: dict, lang: str = "zh", template_dir: str | None = None) -> bytes:
    sheets = study_sheets(result, labels(lang, template_dir), lang)
    return workbook_bytes(sheets, dt.date.fromisoformat(result["evaluation_date"]))


def study_stem(result: dict, segment: str | None = None) -> str:
    stem = "study-" + result["category"]["id"] + (f"-{segment}" if segment else "")
    return re.sub(r"[^\w.-]+", "_", stem)


def render_study_pdf(result: dict, lang: str = "zh", template_dir: str | None = None) -> bytes:
    from benchmark.report.pdf import html_to_pdf

    return html_to_pdf(render_study_html(result, lang, template_dir),
                       dt.date.fromisoformat(result["evaluation_date"]))


RENDERERS: dict[str, Callable[[dict, str, str | None], str | bytes]] = {
    "md": render_study_markdown, "html": render_study_html, "pdf": render_study_pdf,
    "xlsx": render_study_xlsx}


def write_study(result: dict, formats: list[str], out_dir: Path, lang: str = "zh",
                template_dir: str | None = None, segment: str | None = None) -> list[Path]:
    """Render every requested format, then write them atomically; returns the paths written."""
    check_formats(formats, STUDY_FORMATS)
    stem = study_stem(result, segment)
    rendered: list[tuple[Path, str | bytes]] = []
    for fmt in STUDY_FORMATS:  # a fixed order, whatever the order asked
        if fmt not in formats:
            continue
        if fmt == "json":
            rendered.append((out_dir / f"{stem}.json", render_json(result)))
        else:
            rendered.append((out_dir / f"{stem}.{lang}.{fmt}",
                             RENDERERS[fmt](result, lang, template_dir)))
    return write_all(rendered)
