"""Rendering organisation results: the report of one organisation (JSON, Markdown, HTML, XLSX)
and the ranked, publishable list of a batch (CSV with BOM, XLSX, Markdown).

Renderers only show what `assess.py` computed. Wording comes from the `organisation:` section of
reports/labels.yaml; finding texts are its templates filled with the finding's parameters. HTML
is rendered with autoescape on and is self-contained (inline CSS, no fetch). Spreadsheet text
that could run as a formula is stored as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

from benchmark.report import fmt_number, labels, render_json, render_template
from benchmark.report.xlsx import Sheet, workbook_bytes

FORMATS = ("json", "md", "html", "xlsx")
LIST_NAME = "organisations"


def wording(lang: str, template_dir: str | None = None) -> tuple[dict, dict]:
    """The shipped (or your) labels, and their organisation section."""
    L = labels(lang, template_dir)
    return L, L["organisation"]


def show_value(value: Any, OW: dict) -> str:
    """A self or review value as written: yes/no, points, a share or "count/of"."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return OW["yes"] if value else OW["no"]
    if isinstance(value, dict):
        return f"{value['count']}/{value['of']}"
    return fmt_number(value)


def _range(low, high) -> str:
    return fmt_number(low) if low == high else f"{fmt_number(low)}–{fmt_number(high)}"


def grade_text(row: dict, grades: dict) -> str:
    """The grade, or the interval of grades it lies in ("no grade" when knocked out)."""
    if row["grade"]:
        return grades[row["grade"]]
    low, high = row["grade_range"]["low"], row["grade_range"]["high"]
    return grades[low] if low == high else f"{grades[low]} – {grades[high]}"


def grade_names(scheme: dict, OW: dict, lang: str) -> dict:
    """The scheme's grades (and below-grade, knocked-out) by id, in words."""
    grades = {g["id"]: g["names"][lang] for g in scheme["grades"]}
    grades[scheme["below_grades"]["id"]] = scheme["below_grades"]["names"][lang]
    grades["knocked_out"] = OW["knocked_out"]
    return grades


def finding_text(f: dict, result: dict, OW: dict, lang: str) -> str:
    """One finding in words, from its label template."""
    rows = {c["id"]: c for c in result["criteria"]}
    criterion = rows[f["criterion"]]
    evidence = {e["id"]: e["names"][lang] for e in criterion["evidence_required"]}
    params = {k: (", ".join(evidence.get(str(e), str(e)) for e in v) if isinstance(v, list)
                  else fmt_number(v)) for k, v in f["params"].items()}
    return OW["finding_texts"][f["code"]].format(criterion=criterion["names"][lang], **params)


def context(result: dict, lang: str, template_dir: str | None = None) -> dict:
    """What the templates show: the result, the wording and the few things put into words."""
    L, OW = wording(lang, template_dir)
    scheme = result["scheme"]
    grades = grade_names(scheme, OW, lang)
    rows = {c["id"]: c for c in result["criteria"]}
    nxt = result["next_grade"]
    total = result["total"]
    missing = round((total["high"] or 0) - (total["low"] or 0), 6)
    return {
        "r": result, "L": L, "O": OW, "lang": lang, "grades": grades, "rows": rows,
        "grade_text": grade_text(result, grades),
        "findings": [{"code": f["code"], "criterion": f["criterion"],
                      "text": finding_text(f, result, OW, lang)} for f in result["findings"]],
        "values": {c["id"]: {"self": show_value(c["self"]["value"], OW),
                             "review": show_value(c["review"]["value"], OW)}
                   for c in result["criteria"]},
        "total_text": _range(total["low"], total["high"]),
        "interval_text": OW["interval_note"].format(
            low=grades[result["grade_range"]["low"]], high=grades[result["grade_range"]["high"]],
            missing=fmt_number(missing)) if result["status"] == "not_assessable" else "",
        "next_text": OW["next_grade_text"].format(grade=grades[nxt["grade"]],
                                                 needs=fmt_number(nxt["needs"]),
                                                 total=fmt_number(total["low"]))
        if nxt and nxt["grade"] else "",
        "reach_text": (OW["reachable"] if nxt["reachable"] else OW["unreachable"]).format(
            available=fmt_number(sum(c["available"] for c in nxt["candidates"])))
        if nxt and nxt["grade"] else "",
        "assumptions": [(OW["rule_names"][k], scheme["rules"][k]) for k in scheme["assumptions"]],
        "unverified": any(not g.get("verified", True) for g in scheme["grades"]),
    }


def _tidy(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text)


def render_markdown(result: dict, lang: str = "zh", template_dir: str | None = None) -> str:
    return _tidy(render_template("organisation.md.j2", template_dir, False,
                                 **context(result, lang, template_dir)))


def render_html(result: dict, lang: str = "zh", template_dir: str | None = None) -> str:
    return render_template("organisation.html.j2", template_dir, True,
                           **context(result, lang, template_dir))


def result_sheets(result: dict, lang: str, template_dir: str | None = None) -> list[Sheet]:
    """Summary, dimensions (with items), criteria and findings of one organisation."""
    c = context(result, lang, template_dir)
    L, OW = c["L"], c["O"]
    org, scheme, total = result["organisation"], result["scheme"], result["total"]
    summary: list[list[Any]] = [
        [OW["result"], OW["statuses"][result["status"]]],
        [OW["grade"], c["grade_text"]],
        [OW["organisation"], org["name"]],
        [OW["credit_code"], org["credit_code"]],
        [OW["scheme"], scheme["names"][lang]],
        [OW["basis"], f"{OW['bases'][scheme['basis']]} — {scheme['statement'][lang]}"],
        [OW["date"], result["assessment_date"]],
        [OW["total"], c["total_text"]],
        [OW["max"], total["max"]],
        [OW["self_total"], total["self"]],
        [OW["knock_out_state"], OW["ko_states"][result["knock_out"]]],
    ]
    if c["interval_text"]:
        summary.append([OW["grade_range"], c["interval_text"]])
    if c["next_text"]:
        summary.append([OW["next_grade"], f"{c['next_text']} {c['reach_text']}"])
    summary += [[OW["assumptions"], f"{name}: {rule['note'][lang]}"]
                for name, rule in c["assumptions"]]
    summary.append([OW["basis"], OW["modelled_note"]] if scheme["basis"] == "modelled" else [])
    summary += [[f"{OW['input_hash']} ({path})", h]
                for path, h in result["provenance"]["inputs"].items()]
    summary.append([OW["engine"], f"benchmark {result['engine_version']}"])
    dims = []
    for d in result["dimensions"]:
        dims.append([d["names"][lang], None, d["low"], d["high"], d["max"]])
        dims += [[d["names"][lang], i["names"][lang], i["low"], i["high"], i["max"]]
                 for i in d["items"]]
    crit = []
    names = {row["id"]: row["names"][lang] for row in result["criteria"]}
    for row in result["criteria"]:
        crit.append([row["names"][lang], OW["kinds"][row["kind"]],
                     row["weighted_points"], OW["knock_out"] if row["knock_out"] else None,
                     c["values"][row["id"]]["self"], row["self"]["points"],
                     "; ".join(f"{k}: {v}" for k, v in row["self"]["evidence"].items()),
                     c["values"][row["id"]]["review"], row["review"]["points"],
                     row["score"], OW["criterion_statuses"][row["status"]], row["difference"],
                     row["review"]["note"]])
    return [
        Sheet(OW["sheet_summary"], [L["item"], L["content"]], [r for r in summary if r]),
        Sheet(OW["sheet_dimensions"], [OW["dimension"], OW["item"], OW["score_low"],
                                       OW["score_high"], OW["max"]], dims, freeze_columns=1),
        Sheet(OW["sheet_criteria"], [OW["criterion"], OW["kind"], OW["points"], OW["knock_out"],
                                    OW["self"], f"{OW['self']} [{OW['points']}]", OW["evidence"],
                                    OW["review"], f"{OW['review']} [{OW['points']}]", OW["score"],
                                    OW["status"], OW["difference"], OW["note"]],
              crit, freeze_columns=1),
        Sheet(OW["sheet_findings"], [OW["criterion"], OW["findings"]],
              [[names[f["criterion"]], f["text"]] for f in c["findings"]]),
    ]


def render_xlsx(result: dict, lang: str = "zh", template_dir: str | None = None) -> bytes:
    return workbook_bytes(result_sheets(result, lang, template_dir),
                          dt.date.fromisoformat(result["assessment_date"]))


def result_outputs(result: dict, stem: str, formats: list[str], lang: str,
                   template_dir: str | None) -> list[tuple[str, str | bytes]]:
    """(file name, content) of one organisation's reports; nothing is written here."""
    out: list[tuple[str, str | bytes]] = []
    if "json" in formats:
        out.append((f"{stem}.json", render_json(result)))
    if "md" in formats:
        out.append((f"{stem}.{lang}.md", render_markdown(result, lang, template_dir)))
    if "html" in formats:
        out.append((f"{stem}.{lang}.html", render_html(result, lang, template_dir)))
    if "xlsx" in formats:
        out.append((f"{stem}.{lang}.xlsx", render_xlsx(result, lang, template_dir)))
    return out


# --- the ranked list ---------------------------------------------------------------------


def list_table(rows: list[dict], scheme: dict, dims: list[dict], lang: str,
               template_dir: str | None = None) -> tuple[list[str], list[list[Any]]]:
    """The publishable list as a header and rows: rank, organisation, credit code, status, grade,
    total (a range when not assessable), each dimension's total, report."""
    _, OW = wording(lang, template_dir)
    grades = grade_names(scheme, OW, lang)
    header = [OW["rank"], OW["organisation"], OW["credit_code"], OW["status"], OW["grade"],
              OW["total"]] + [d["names"][lang] for d in dims] + [OW["report"]]
    table = []
    for row in rows:
        total = row["total"]
        cells = [row["rank"] or OW["unranked"], row["organisation"], row["credit_code"],
                 OW["statuses"][row["status"]], grade_text(row, grades),
                 total["low"] if total["low"] == total["high"] else _range(total["low"],
                                                                           total["high"])]
        for d in dims:
            t = row["dimensions"][d["id"]]
            cells.append(t["low"] if t["low"] == t["high"] else _range(t["low"], t["high"]))
        table.append([*cells, row["report"]])
    return header, table


def list_csv(header: list[str], table: list[list[Any]]) -> bytes:
    """UTF-8 with BOM (spreadsheets read the Chinese right); text that could run as a formula
    starts with a quote."""
    from benchmark.report import neutralise_cell

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for cells in table:
        writer.writerow([neutralise_cell(fmt_number(v) if isinstance(v, float) else v)
                         for v in cells])
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def list_outputs(rows: list[dict], scheme: dict, dims: list[dict], on: dt.date, lang: str,
                 template_dir: str | None = None) -> list[tuple[str, str | bytes]]:
    """The ranked list as CSV, XLSX and Markdown; `dims` are the scheme's dimensions (id,
    names) in order."""
    L, OW = wording(lang, template_dir)
    header, table = list_table(rows, scheme, dims, lang, template_dir)
    md = _tidy(render_template("organisation-list.md.j2", template_dir, False, L=L, O=OW,
                               lang=lang, header=header, table=table, scheme=scheme,
                               date=on.isoformat()))
    book = workbook_bytes([Sheet(OW["sheet_list"], header, table, freeze_columns=2)], on)
    return [(f"{LIST_NAME}.{lang}.csv", list_csv(header, table)),
            (f"{LIST_NAME}.{lang}.xlsx", book), (f"{LIST_NAME}.{lang}.md", md)]
