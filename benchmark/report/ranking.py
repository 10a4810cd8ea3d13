"""Rendering a peer ranking: a JSON-safe result dict and, from it, one CSV (UTF-8 with BOM) and
one Parquet file per table, a workbook with zh/en headers, a Markdown summary, and an HTML report
(per segment: the distribution of each indicator with the leader threshold and the tiers as a
chart, the tier table, the shortlist, exclusions with their reasons, saturation) that can be
printed to PDF. Renderers only show what `leaders.Ranking` computed; the result adds, per
indicator and segment, the histogram of the values the threshold was computed from and the value
range of each tier — summaries of the ranking's own arrays, for the charts.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from benchmark import __version__
from benchmark.errors import InputError
from benchmark.evaluation import json_safe
from benchmark.leaders import FIELDS, Ranking
from benchmark.report import (
    check_formats,
    csv_text,
    labels,
    page_footer,
    render_json,
    render_template,
    report_id,
    write_all,
)
from benchmark.report.numbers import fmt_number, fmt_percent
from benchmark.report.svg import Band, histogram_chart
from benchmark.report.xlsx import Sheet, workbook_bytes
from benchmark.thresholds import minimum_sample, parse_method

TABLES = ("composite", "tiers", "thresholds", "excluded", "suppressed", "saturation", "top_runner")
RANK_FORMATS = ("json", "csv", "parquet", "xlsx", "md", "html", "pdf")
MAX_LISTED = 50  # rows of a long list shown in HTML and Markdown; the table files have them all


def records(frame: pd.DataFrame | None) -> list[dict]:
    """The rows of a table as JSON-safe dicts (missing cells as null)."""
    if frame is None or frame.empty:
        return []
    cells = frame.astype(object).where(frame.notna(), None)
    return json_safe(cells.to_dict(orient="records"))


def distributions(r: Ranking, bins: int = 20) -> list[dict]:
    """Per indicator and segment of the thresholds table: the histogram of the values the threshold
    was computed from, and each tier's number of rows and value range (best, worst)."""
    a = r.assessment
    out = []
    for t in r.thresholds.itertuples(index=False):
        ind = a.indicators[t.indicator]
        code = a.segment_ids.index(t.segment) if t.segment else -1
        in_seg = a.segment_code == code  # the tiers table has a row per usable row, in order
        values = ind.value[ind.applies & in_seg & ~np.isnan(ind.value)]
        if len(values) == 0:
            continue
        counts, edges = np.histogram(values, bins=min(bins, max(5, int(np.sqrt(len(values))))))
        tier_of = np.asarray(r.tiers[f"tier_{t.indicator}"])
        tiers = []
        for k in np.unique(tier_of[in_seg & (tier_of > 0)]).tolist():
            members = ind.value[in_seg & (tier_of == k)]
            goodness = members * ind.sign
            tiers.append({"tier": int(k), "n": len(members),
                          "best": float(members[np.argmax(goodness)]),
                          "worst": float(members[np.argmin(goodness)])})
        out.append({"indicator": t.indicator, "segment": t.segment, "n": len(values),
                    "edges": [float(e) for e in edges], "counts": [int(c) for c in counts],
                    "tiers": tiers})
    return json_safe(out)


def ranking_result(r: Ranking, inputs: dict[str, str], catalogue_sha256: str) -> dict:
    """Everything the ranking found, JSON-safe, with its provenance."""
    a = r.assessment
    iset = a.catalogue.sets[a.population.category]
    verdicts = pd.Series(a.verdict).value_counts()
    return {
        "kind": "peer_ranking",
        "engine_version": __version__,
        "category": a.population.category,
        "category_names": {"en": iset.names.en, "zh": iset.names.zh},
        "segments": {seg.id: {"en": seg.names.en, "zh": seg.names.zh} for seg in iset.segments},
        "indicator_names": {i.id: {"en": i.names.en, "zh": i.names.zh}
                            for i in iset.indicators.values()},
        "indicators": {i.id: {"unit": i.unit, "digits": i.digits, "direction": i.direction}
                       for i in iset.indicators.values()},
        "programme": {"id": a.programme.id, "names": {"en": a.programme.names.en,
                                                      "zh": a.programme.names.zh},
                      "basis": a.programme.basis_kind,
                      "statement": {"en": a.programme.statement.en,
                                    "zh": a.programme.statement.zh}},
        "evaluation_date": a.on.isoformat(),
        "settings": r.settings,
        "population": {"usable_rows": len(a.population),
                       "unusable_rows": len(a.population.excluded),
                       "verdicts": {str(k): int(v) for k, v in verdicts.items()}},
        "warnings": r.warnings,
        "references_used": a.references,
        **{name: records(getattr(r, name)) for name in TABLES},
        **{name: [{**dict.fromkeys(FIELDS, ""), **row} for row in records(getattr(r, name))]
           for name in ("composite", "excluded")},  # identity columns the table may lack
        "distributions": distributions(r),
        "provenance": {"engine_version": __version__, "catalogue_sha256": catalogue_sha256,
                       "inputs": inputs, "evaluation_date": a.on.isoformat()},
    }


# --- words and numbers --------------------------------------------------------------------------


def _digits(result: dict, indicator: str) -> int | None:
    return (result.get("indicators") or {}).get(indicator, {}).get("digits")


def _unit(result: dict, indicator: str) -> str | None:
    unit = (result.get("indicators") or {}).get(indicator, {}).get("unit")
    return unit if unit and unit != "1" else None


def segment_name(result: dict, segment: str, R: dict, lang: str) -> str:
    return result["segments"][segment][lang] if segment in result["segments"] else R["no_segment"]


def threshold_warning(t: dict, R: dict) -> str:
    """The sample-size warning of a threshold in the report's language (from n and the method)."""
    if not t.get("warning"):
        return ""
    try:
        method = parse_method(t["method"])
    except InputError:
        return t["warning"]
    n = int(t["n"])
    if n == 0:
        return R["no_values"].replace("{method}", str(method))
    if method.kind == "topk" and n < method.param:
        return R["too_few_topk"].replace("{n}", str(n)).replace("{method}", str(method)) \
            .replace("{k}", str(int(method.param)))
    need = minimum_sample(method.kind, method.param)
    return R["small_sample"].replace("{n}", str(n)).replace("{method}", str(method)) \
        .replace("{need}", str(need))


def suppressed_reason(s: dict, R: dict) -> str:
    """Why a single-indicator ranking is not published, in the report's language."""
    reason = str(s.get("reason") or "")
    if reason.startswith("fewer than 2 values"):
        return R["suppressed_few"].replace("{n}", str(s["n"]))
    if reason.startswith("all ") and "equal" in reason:
        return R["suppressed_equal"].replace("{n}", str(s["n"]))
    return reason


def reasons_list(text: str) -> list[str]:
    """An exclusion's reasons, one per item ("; " separates them in the tables)."""
    return [part.strip() for part in str(text or "").split("; ") if part.strip()]


# --- CSV, Parquet, XLSX ----------------------------------------------------------------------


def table_csv(rows: list[dict]) -> str:
    return csv_text(rows)


def table_parquet(rows: list[dict]) -> bytes:
    """One table as Parquet (machine ids as column names, numbers as numbers, lists as lists)."""
    frame = pd.DataFrame(rows)
    for column in frame.columns:  # a column of text and nulls stays text (not "object" guessing)
        if frame[column].map(lambda v: isinstance(v, str)).any():
            frame[column] = frame[column].map(lambda v: v if v is None else str(v))
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False, engine="pyarrow", compression="zstd")
    return buf.getvalue()


LEADING = ("row", "segment", "rank", *FIELDS, "indicator", "unit")  # first columns of a sheet
PERCENT = "0.0%"
SCORE = "0.0000"


def _column_header(name: str, R: dict, result: dict, lang: str) -> str:
    """A table column's header in the report's language, the unit in brackets."""
    cols = R["columns"]
    if name.startswith("tier_") and name[5:] in result["indicator_names"]:
        return cols["tier"].replace("{indicator}", result["indicator_names"][name[5:]][lang])
    return cols.get(name, name)


def _cell(name: str, value: Any, row: dict, result: dict, R: dict, lang: str) -> Any:
    """A table cell as a person reads it: names for ids, yes/no for booleans, lists joined."""
    if isinstance(value, bool):
        return R["yes"] if value else R["no"]
    if value is None:
        return None
    if name == "indicator" and value in result["indicator_names"]:
        return result["indicator_names"][value][lang]
    if name == "segment":
        return segment_name(result, value, R, lang)
    if name == "basis":
        return R["basis_top_class"] if value == "top class" else R["basis_tier_1"]
    if name == "warning" and "n" in row and "method" in row:
        return threshold_warning(row, R)
    if name == "reason" and "indicator" in row:
        return suppressed_reason(row, R)
    if isinstance(value, list):
        return "; ".join(fmt_number(v) if isinstance(v, float) else str(v) for v in value)
    return value


def _number_format(name: str, row: dict, result: dict) -> str | None:
    """Excel number format of a column: percentages as percentages, values at the indicator's
    digits, scores with four decimals."""
    if name == "share":
        return PERCENT
    if name in ("weighted_score", "topsis", "weighted_achievement"):
        return SCORE
    if name in ("threshold", "ci_low", "ci_high"):
        digits = _digits(result, row.get("indicator", ""))
        return "#,##0" + ("." + "0" * digits if digits else "") if digits is not None else None
    if name in ("row", "n", "rank", "topsis_rank"):
        return "0"
    return None


def ranking_sheets(result: dict, lang: str, template_dir: str | None = None) -> list[Sheet]:
    """One sheet per table, headers in `lang` with units, ids shown as names; numbers stay
    numbers with their formats."""
    R = labels(lang, template_dir)["ranking"]
    sheets = []
    for name in TABLES:
        rows = result[name]
        if not rows:
            continue
        columns = sorted(rows[0], key=lambda c: LEADING.index(c) if c in LEADING else 99)
        units = {_unit(result, row.get("indicator", "")) for row in rows}
        header = []
        for c in columns:
            text = _column_header(c, R, result, lang)
            if c in ("threshold", "ci_low", "ci_high") and len(units) == 1 and None not in units:
                text += f" [{next(iter(units))}]"
            header.append(text)
        body = [[_cell(c, row.get(c), row, result, R, lang) for c in columns] for row in rows]
        formats: dict[int, str] = {}
        cell_formats: dict[tuple[int, int], str] = {}
        for k, c in enumerate(columns):
            fmts = [_number_format(c, row, result) for row in rows]
            if len(set(fmts)) == 1 and fmts[0]:
                formats[k] = fmts[0]
            else:
                cell_formats.update({(r, k): f for r, f in enumerate(fmts) if f})
        sheets.append(Sheet(R[f"sheet_{name}"], header, body, formats=formats,
                            cell_formats=cell_formats,
                            freeze_columns=sum(c in LEADING[:6] for c in columns)))
    if not sheets:
        sheets.append(Sheet(R["sheet_composite"], [R["columns"]["row"]], []))
    return sheets


def ranking_workbook(result: dict, lang: str = "zh", template_dir: str | None = None) -> bytes:
    return workbook_bytes(ranking_sheets(result, lang, template_dir),
                          dt.date.fromisoformat(result["evaluation_date"]))


# --- Markdown and HTML ------------------------------------------------------------------------


def _segment_order(result: dict) -> list[str]:
    """Segments in the order the ranking lists them (the catalogue's: its tables are computed
    segment by segment), the rows of no segment ("") last."""
    seen = dict.fromkeys([t["segment"] for t in result["thresholds"]]
                         + [c["segment"] for c in result["composite"]])
    return [s for s in seen if s] + ([""] if "" in seen else [])


def _chart(result: dict, d: dict, threshold: float | None, R: dict, lang: str) -> str:
    digits = _digits(result, d["indicator"])
    bands = [Band(R["tier_name"].replace("{k}", str(t["tier"])), t["worst"], t["best"],
                  t["tier"] - 1) for t in d["tiers"]]
    method = next((t["method"] for t in result["thresholds"]
                   if t["indicator"] == d["indicator"] and t["segment"] == d["segment"]), "")
    return histogram_chart(title=result["indicator_names"][d["indicator"]][lang],
                           unit=_unit(result, d["indicator"]), edges=d["edges"],
                           counts=d["counts"], value=None, value_label="", threshold=threshold,
                           threshold_label=R["threshold"], caption=f"n = {d['n']} · {method}",
                           digits=digits, bands=bands)


def ranking_context(result: dict, lang: str, template_dir: str | None, html: bool) -> dict:
    """What the Markdown and HTML templates show, grouped by segment."""
    L = labels(lang, template_dir)
    R = L["ranking"]
    tiers = result["tiers"]
    segment_of_row = {t["row"]: t["segment"] for t in tiers}
    segments = []
    for seg in _segment_order(result):
        thresholds = [t for t in result["thresholds"] if t["segment"] == seg]
        by_ind = {t["indicator"]: t for t in thresholds}
        dists = [d for d in result.get("distributions", []) if d["segment"] == seg]
        excluded = [e for e in result["excluded"] if segment_of_row.get(e["row"]) == seg]
        composite = [c for c in result["composite"] if c["segment"] == seg]
        segments.append({
            "id": seg, "name": segment_name(result, seg, R, lang),
            "thresholds": thresholds,
            "indicators": [{
                "id": d["indicator"], "name": result["indicator_names"][d["indicator"]][lang],
                "unit": _unit(result, d["indicator"]), "digits": _digits(result, d["indicator"]),
                "n": d["n"], "tiers": d["tiers"],
                "threshold": by_ind.get(d["indicator"], {}).get("threshold"),
                "chart": Markup(_chart(result, d, by_ind.get(d["indicator"], {}).get("threshold"),
                                       R, lang)) if html else "",
            } for d in dists],
            "suppressed": [dict(s, reason_text=suppressed_reason(s, R))
                           for s in result["suppressed"] if s["segment"] == seg],
            "shortlist": [c for c in composite if c["shortlisted"]],
            "ranked": len(composite),
            "excluded": excluded[:MAX_LISTED], "excluded_more": max(len(excluded) - MAX_LISTED, 0),
            "saturation": [s for s in result["saturation"] if s["segment"] == seg],
        })
    unusable = [e for e in result["excluded"] if e["row"] not in segment_of_row]
    rid = report_id(result)
    return {"rk": result, "L": L, "R": R, "lang": lang, "segments": segments,
            "unusable": unusable[:MAX_LISTED], "unusable_more": max(len(unusable) - MAX_LISTED, 0),
            "warn": {(t["indicator"], t["segment"]): threshold_warning(t, R)
                     for t in result["thresholds"]},
            "dg": {k: v.get("digits") for k, v in (result.get("indicators") or {}).items()},
            "units": {k: _unit(result, k) for k in result["indicator_names"]},
            "reasons": reasons_list, "pct": fmt_percent, "rid": rid,
            "page_footer": page_footer(L, rid, result["evaluation_date"]) if html else ""}


def render_ranking_markdown(result: dict, lang: str = "zh", template_dir: str | None = None) -> str:
    context = ranking_context(result, lang, template_dir, html=False)
    text = render_template("ranking.md.j2", template_dir, False, **context)
    return re.sub(r"\n{3,}", "\n\n", text)


def render_ranking_html(result: dict, lang: str = "zh", template_dir: str | None = None) -> str:
    context = ranking_context(result, lang, template_dir, html=True)
    return render_template("ranking.html.j2", template_dir, True, **context)


def ranking_outputs(result: dict, formats: list[str], lang: str = "zh",
                    template_dir: str | None = None) -> list[tuple[str, str | bytes]]:
    """(file name, content) for every requested format; nothing is written here."""
    out: list[tuple[str, str | bytes]] = []
    if "json" in formats:
        out.append(("ranking.json", render_json(result)))
    if "csv" in formats:
        out += [(f"{name}.csv", table_csv(result[name])) for name in TABLES if result[name]]
    if "parquet" in formats:
        out += [(f"{name}.parquet", table_parquet(result[name])) for name in TABLES
                if result[name]]
    if "xlsx" in formats:
        out.append(("ranking.xlsx", ranking_workbook(result, lang, template_dir)))
    if "md" in formats:
        out.append((f"ranking.{lang}.md", render_ranking_markdown(result, lang, template_dir)))
    if "html" in formats or "pdf" in formats:
        html = render_ranking_html(result, lang, template_dir)
        if "html" in formats:
            out.append((f"ranking.{lang}.html", html))
        if "pdf" in formats:
            from benchmark.report.pdf import html_to_pdf

            out.append((f"ranking.{lang}.pdf",
                        html_to_pdf(html, dt.date.fromisoformat(result["evaluation_date"]))))
    return out


def write_ranking(result: dict, formats: list[str], out_dir, lang: str = "zh",
                  template_dir: str | None = None,
                  extra: list[tuple[str, str | bytes]] | None = None) -> list[Path]:
    """Render every requested format, then write them all (and `extra` files: the boards), all
    or nothing, under `out_dir`."""
    if formats or not extra:
        check_formats(formats, RANK_FORMATS)
    outputs = ranking_outputs(result, formats, lang, template_dir) + list(extra or [])
    return write_all([(Path(out_dir) / name, content) for name, content in outputs])
