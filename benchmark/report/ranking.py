"""Rendering a peer ranking: a JSON-safe result dict, one CSV per table, a workbook and a
Markdown summary (zh or en). Renderers only show what `leaders.Ranking` computed."""

from __future__ import annotations

import csv
import io
from typing import Any

import pandas as pd

from benchmark import __version__
from benchmark.evaluation import json_safe
from benchmark.leaders import FIELDS, Ranking

TABLES = ("composite", "tiers", "thresholds", "excluded", "suppressed", "saturation", "top_runner")
def records(frame: pd.DataFrame | None) -> list[dict]:
    """The rows of a table as JSON-safe dicts (missing cells as null)."""
    if frame is None or frame.empty:
        return []
    cells = frame.astype(object).where(frame.notna(), None)
    return json_safe(cells.to_dict(orient="records"))


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
        "indicator_names": {i.id: {"en": i.names.en, "zh": i.names.zh} for i in iset.indicators.values()},
        "programme": {"id": a.programme.id, "names": {"en": a.programme.names.en,
                                                      "zh": a.programme.names.zh},
                      "basis": a.programme.basis_kind,
                      "statement": {"en": a.programme.statement.en, "zh": a.programme.statement.zh}},
        "evaluation_date": a.on.isoformat(),
        "settings": r.settings,
        "population": {"usable_rows": len(a.population), "unusable_rows": len(a.population.excluded),
                       "verdicts": {str(k): int(v) for k, v in verdicts.items()}},
        "warnings": r.warnings,
        "references_used": a.references,
        **{name: records(getattr(r, name)) for name in TABLES},
        **{name: [{**dict.fromkeys(FIELDS, ""), **row} for row in records(getattr(r, name))]
           for name in ("composite", "excluded")},  # identity columns the table may lack
        "provenance": {"engine_version": __version__, "catalogue_sha256": catalogue_sha256,
                       "inputs": inputs, "evaluation_date": a.on.isoformat()},
    }


def _neutralise(value: Any) -> Any:
    from benchmark.batch import neutralise_cell
    return neutralise_cell(value)


def table_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _neutralise("; ".join(map(str, v)) if isinstance(v, list) else v)
                             for k, v in row.items()})
    return buf.getvalue()


def ranking_workbook(result: dict) -> bytes:
    """One sheet per table; numbers stay numbers, text is neutralised by the writer."""
    import datetime as dt

    from benchmark.report.xlsx import Sheet, workbook_bytes

    sheets = []
    for name in TABLES:
        rows = result[name]
        if not rows:
            continue
        header = list(rows[0])
        sheets.append(Sheet(name, header, [[("; ".join(map(str, v)) if isinstance(v, list) else v)
                                            for v in row.values()] for row in rows]))
    if not sheets:
        sheets.append(Sheet("composite", ["row"], []))
    return workbook_bytes(sheets, dt.date.fromisoformat(result["evaluation_date"]))


def render_ranking_markdown(result: dict, lang: str = "zh", template_dir: str | None = None) -> str:
    import re

    from benchmark.report import _environment

    text = _environment(template_dir).get_template("ranking.md.j2").render(rk=result, lang=lang)
    return re.sub(r"\n{3,}", "\n\n", text)


RANK_FORMATS = ("json", "csv", "xlsx", "md")


def ranking_outputs(result: dict, formats: list[str], lang: str = "zh",
                    template_dir: str | None = None) -> list[tuple[str, str | bytes]]:
    """(file name, content) for every requested format; nothing is written here."""
    from benchmark.report import render_json

    out: list[tuple[str, str | bytes]] = []
    if "json" in formats:
        out.append(("ranking.json", render_json(result)))
    if "csv" in formats:
        out += [(f"{name}.csv", table_csv(result[name])) for name in TABLES if result[name]]
    if "xlsx" in formats:
        out.append(("ranking.xlsx", ranking_workbook(result)))
    if "md" in formats:
        out.append((f"ranking.{lang}.md", render_ranking_markdown(result, lang, template_dir)))
    return out


def write_ranking(result: dict, formats: list[str], out_dir, lang: str = "zh",
                  template_dir: str | None = None) -> list:
    """Render every requested format, then write them all atomically under `out_dir`."""
    from pathlib import Path

    from benchmark.errors import InputError, Problem
    from benchmark.report import write_atomic

    unknown = [f for f in formats if f not in RANK_FORMATS]
    if unknown:
        raise InputError(Problem("format_unknown", f"unknown format(s): {', '.join(unknown)}",
                                 hint="one of: " + ", ".join(RANK_FORMATS)))
    outputs = ranking_outputs(result, formats, lang, template_dir)
    paths = []
    for name, content in outputs:
        path = Path(out_dir) / name
        write_atomic(path, content)
        paths.append(path)
    return paths
