"""Publishable single-indicator rankings (单指标排行榜), one board per segment and core indicator:
the tier boundaries in the ranked unit (the lowest not below the domestic mandatory value, stated),
the members of each tier (enterprise, standard number and name, model), suppression when the
ranking cannot discriminate, and the standards excluded with their reason. Rendered as
self-contained HTML (an inline SVG of the distribution with the tier boundaries and the leader
threshold; template reports/boards.html.j2) and XLSX, in Chinese and English.

A view of `leaders.Ranking` (its `boards`, `thresholds`, `suppressed` and `excluded` tables):
nothing is decided here.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from benchmark.evaluation import json_safe
from benchmark.leaders import EXCLUSION_COLUMNS, Ranking
from benchmark.report import labels, render_template
from benchmark.report.ranking import (
    Problems,
    exclusion_reasons,
    reason_combinations,
    suppressed_reason,
    unusable_problems,
)
from benchmark.report.svg import Band, histogram_chart
from benchmark.report.xlsx import Sheet, workbook_bytes

LANGS = ("zh", "en")


def _text(x: Any) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else str(x)


def board_data(r: Ranking) -> dict:
    """The boards of a ranking, JSON-safe: per segment and indicator its thresholds, tiers with
    members, suppression and exclusions."""
    a = r.assessment
    category: str = a.population.category
    assert a.catalogue is not None
    iset = a.catalogue.sets[category]
    boards = []
    of_board = _grouped(r.boards)  # each table grouped once, not masked per board
    suppressed_of = _grouped(r.suppressed)
    for t in r.thresholds.itertuples(index=False):
        members = of_board.get((t.indicator, t.segment), r.boards.iloc[:0])
        suppressed = suppressed_of.get((t.indicator, t.segment), r.suppressed.iloc[:0])
        tiers = []
        for k, bound in enumerate(t.edges, start=1):
            rows = members[members.tier == k]
            tiers.append({"tier": k, "boundary": float(bound), "members": [
                {"row": int(m.row), "enterprise": _text(m.enterprise),
                 "standard_number": _text(m.standard_number),
                 "standard_title": _text(m.standard_title), "model": _text(m.model),
                 "value": float(m.value)} for m in rows.itertuples(index=False)]})
        boards.append({"indicator": t.indicator, "segment": t.segment, "unit": t.unit,
                       "basis": t.basis, "method": t.method, "n": int(t.n),
                       "threshold": float(t.threshold), "floor": float(t.floor),
                       "tiers": tiers, "values": [float(v) for v in members["value"]],
                       "suppressed": ({"reason": str(suppressed.iloc[0]["reason"]),
                                       "n": int(suppressed.iloc[0]["n"])}
                                      if len(suppressed) else None)})
    excluded = [{"row": int(e["row"]), "enterprise": _text(e.get("enterprise")),
                 "standard_number": _text(e.get("standard_number")),
                 "model": _text(e.get("model")),
                 **{k: _text(e.get(k)) for k in EXCLUSION_COLUMNS}}
                for e in r.excluded.to_dict("records")]
    return json_safe({
        "category": category,
        "category_names": {"zh": iset.names.zh, "en": iset.names.en},
        "segments": {s.id: {"zh": s.names.zh, "en": s.names.en} for s in iset.segments},
        "indicator_names": {i.id: {"zh": i.names.zh, "en": i.names.en}
                            for i in iset.indicators.values()},
        "rule_names": {rule.id: {"zh": rule.description.zh, "en": rule.description.en}
                       for rule in a.programme.rules if rule.description},
        "programme": {"id": a.programme.id, "zh": a.programme.names.zh,
                      "en": a.programme.names.en, "basis": a.programme.basis_kind},
        "evaluation_date": a.on.isoformat(), "boards": boards, "excluded": excluded})


def _grouped(frame: pd.DataFrame) -> dict[tuple[str, str], pd.DataFrame]:
    """The rows of a table of boards by (indicator, segment), in table order."""
    if frame.empty:
        return {}
    return {(str(i), str(s)): part for (i, s), part in
            frame.groupby(["indicator", "segment"], sort=False, observed=True)}


def _reasons_shown(data: dict, R: dict, lang: str, problems: Problems | None) -> list[str]:
    """The reasons of each excluded standard in words, worded once per distinct reason (an
    unusable row's problem with its particulars from `problems`: `ranking.problem_text`)."""
    codes, combos = reason_combinations([pd.Series([e[k] for e in data["excluded"]],
                                                   dtype=object) for k in EXCLUSION_COLUMNS])
    words = ["; ".join(exclusion_reasons(dict(zip(EXCLUSION_COLUMNS, combo, strict=True)),
                                         data, R, lang, problems)) for combo in combos]
    return [words[k] for k in codes.tolist()]


def _chart(board: dict, R: dict, name: str) -> str:
    values = [v for v in board["values"] if math.isfinite(v)]
    if not values or board["suppressed"]:
        return ""
    counts, edges = np.histogram(values, bins=min(20, max(5, int(math.sqrt(len(values))))))
    bands = []
    for t in board["tiers"]:
        if t["members"]:
            vals = [m["value"] for m in t["members"]]
            best, worst = (max(vals), min(vals)) if _higher(board, vals) else (min(vals),
                                                                               max(vals))
            bands.append(Band(R["tier_name"].replace("{k}", str(t["tier"])), worst, best,
                              t["tier"] - 1))
    return histogram_chart(title=name, unit=board["unit"], edges=[float(e) for e in edges],
                           counts=[int(c) for c in counts], value=None, value_label="",
                           threshold=board["threshold"], threshold_label=R["threshold"],
                           caption=f"n = {board['n']} · {board['method']}", bands=bands)


def _higher(board: dict, vals: list[float]) -> bool:
    """Whether higher is better on the board: the first tier's boundary is its best edge."""
    bounds = [t["boundary"] for t in board["tiers"]]
    return len(bounds) < 2 or bounds[0] >= bounds[-1]


def render_boards_html(data: dict, lang: str = "zh", template_dir: str | None = None,
                       problems: Problems | None = None) -> str:
    L = labels(lang, template_dir)
    R = L["boards"]
    shown = []
    for b in data["boards"]:
        name = data["indicator_names"][b["indicator"]][lang]
        seg = data["segments"].get(b["segment"], {}).get(lang, b["segment"])
        why = suppressed_reason(b["suppressed"], L["ranking"]) if b["suppressed"] else None
        shown.append({**b, "name": name, "segment_name": seg, "suppressed": why,
                      "chart": Markup(_chart(b, R, name))})
    excluded = [dict(e, reason=reason) for e, reason in
                zip(data["excluded"], _reasons_shown(data, L["ranking"], lang, problems),
                    strict=True)]
    return render_template("boards.html.j2", template_dir, True, d=data, R=R, L=L, lang=lang,
                           boards=shown, excluded=excluded)


def boards_workbook(data: dict, lang: str = "zh", template_dir: str | None = None,
                    problems: Problems | None = None) -> bytes:
    """Sheets: every board member (segment, indicator, tier, boundary, floor, identity, value),
    the suppressed boards and the excluded standards (`problems`: as `render_boards_html`)."""
    L = labels(lang, template_dir)
    R = L["boards"]
    C = R["columns"]
    rows, suppressed = [], []
    for b in data["boards"]:
        name = data["indicator_names"][b["indicator"]][lang]
        seg = data["segments"].get(b["segment"], {}).get(lang, b["segment"])
        if b["suppressed"]:
            suppressed.append([seg, name, b["suppressed"]["n"],
                               suppressed_reason(b["suppressed"], L["ranking"])])
        for t in b["tiers"]:
            for m in t["members"]:
                rows.append([seg, name, b["unit"] or "", t["tier"], t["boundary"],
                             b["floor"], m["enterprise"], m["standard_number"],
                             m["standard_title"], m["model"], m["value"]])
    sheets = [
        Sheet(R["sheet_boards"], [C[k] for k in ("segment", "indicator", "unit", "tier",
                                                  "boundary", "floor", "enterprise",
                                                  "standard_number", "standard_title", "model",
                                                  "value")], rows, freeze_columns=2),
        Sheet(R["sheet_suppressed"], [C[k] for k in ("segment", "indicator", "n", "reason")],
              suppressed),
        Sheet(R["sheet_excluded"], [C[k] for k in ("row", "enterprise", "standard_number",
                                                    "model", "reason")],
              [[e["row"], e["enterprise"], e["standard_number"], e["model"], reason]
               for e, reason in zip(data["excluded"],
                                    _reasons_shown(data, L["ranking"], lang, problems),
                                    strict=True)]),
    ]
    return workbook_bytes(sheets, dt.date.fromisoformat(data["evaluation_date"]))


def board_outputs(r: Ranking, template_dir: str | None = None) -> list[tuple[str, str | bytes]]:
    """(file name, content) of the boards in both languages: boards.zh.html, boards.en.html,
    boards.zh.xlsx, boards.en.xlsx; nothing is written here."""
    data = board_data(r)
    problems = unusable_problems(r)  # their particulars in the zh files
    out: list[tuple[str, str | bytes]] = []
    for lang in LANGS:
        out.append((f"boards.{lang}.html", render_boards_html(data, lang, template_dir,
                                                                problems)))
        out.append((f"boards.{lang}.xlsx", boards_workbook(data, lang, template_dir, problems)))
    return out
