"""The HTML certification-eligibility report: one self-contained file (inline CSS, inline SVG
charts, no fetch of any kind), rendered from `Evaluation.to_dict()` with Jinja2 autoescape on.

Charts are built here from the result's own numbers (the comparisons, the ladder steps and the
gaps); nothing is re-evaluated. An optional `peers` key of the result
(`{indicator_id: {"n", "edges", "counts", "threshold", "method", "unit"}}`) adds a population
chart per indicator.
"""

from __future__ import annotations

import math

from markupsafe import Markup

from benchmark.report import OPS, indicator_digits, labels, page_footer, render_template, report_id
from benchmark.report.svg import LevelEdge, Mark, bullet_chart, histogram_chart


def level_edges(indicator: dict, ladder: list[dict], lang: str) -> tuple[str, list[LevelEdge]]:
    """Where each level of the ladder begins for one indicator, from the thresholds the levels
    were judged against (met or failed steps) and, above them, the gaps' required values.

    Returns the name of the level below the first edge and the edges, lowest level first. A level
    that holds vacuously (no reference of its kind) moves the floor up; the walk stops at the first
    level with no threshold otherwise (not assessable)."""
    sign = -1 if indicator["direction"] == "lower" else 1
    steps = {s["level"]: s for s in indicator.get("steps") or []}
    gaps = indicator.get("gaps") or {}
    floor = ladder[0]["names"][lang]
    edges: list[LevelEdge] = []
    for level in ladder[1:]:
        step = steps.get(level["id"])
        values = [t["value"] for t in (step or {}).get("thresholds") or []
                  if t.get("value") is not None]
        if level["id"] in gaps and gaps[level["id"]].get("required") is not None:
            edge = gaps[level["id"]]["required"]
        elif values:
            edge = max(values, key=lambda v: v * sign)
        elif step and step["outcome"] == "vacuous" and not edges:
            floor = level["names"][lang]
            continue
        else:
            break
        edges.append(LevelEdge(level["names"][lang], float(edge)))
    return floor, edges


def indicator_chart(indicator: dict, ladder: list[dict], L: dict, lang: str) -> str:
    """The bullet chart of one quantity indicator with reference values; "" when there is none."""
    if indicator.get("value") is None or indicator["direction"] not in ("higher", "lower"):
        return ""
    comparisons = [c for c in indicator.get("comparisons") or []
                   if c.get("threshold") is not None and math.isfinite(c["threshold"])]
    if not comparisons:
        return ""
    marks = [Mark(c["reference"] + (f" ({c['top_class']})" if c.get("top_class") else ""),
                  float(c["threshold"]), bool(c["verified"]), OPS.get(c["op"], c["op"]))
             for c in comparisons]
    floor, edges = level_edges(indicator, ladder, lang)
    return bullet_chart(title=indicator["names"][lang], unit=indicator.get("unit"),
                        direction=indicator["direction"], value=float(indicator["value"]),
                        value_label=L["chart_declared"], marks=marks, edges=edges,
                        floor_label=floor, better_label=L["chart_better"],
                        unverified_label=L["unverified"], digits=indicator.get("digits"))


def peer_chart(indicator_id: str, peer: dict, result: dict, L: dict, lang: str) -> str:
    """The population chart of one indicator from the result's `peers` entry; "" if malformed."""
    try:
        edges = [float(e) for e in peer["edges"]]
        counts = [int(c) for c in peer["counts"]]
    except (KeyError, TypeError, ValueError):
        return ""
    indicator = next((i for i in result["indicators"] if i["id"] == indicator_id), None)
    title = indicator["names"][lang] if indicator else indicator_id
    value = indicator.get("value") if indicator else None
    threshold = peer.get("threshold")
    caption = f"n = {int(peer.get('n') or sum(counts))}"
    if peer.get("method"):
        caption += f"; {L['peers_method']}: {peer['method']}"
    return histogram_chart(title=title, unit=peer.get("unit") or (indicator or {}).get("unit"),
                           edges=edges, counts=counts,
                           value=float(value) if value is not None else None,
                           value_label=L["chart_declared"],
                           threshold=float(threshold) if threshold is not None else None,
                           threshold_label=L["peers_threshold"], caption=caption,
                           digits=(indicator or {}).get("digits"))


def render_html(result: dict, lang: str = "zh", template_dir: str | None = None) -> str:
    L = labels(lang, template_dir)
    ladder = result["programme"]["ladder"]
    charts = {i["id"]: Markup(indicator_chart(i, ladder, L, lang)) for i in result["indicators"]}
    peers = {k: Markup(peer_chart(k, v, result, L, lang))
             for k, v in sorted((result.get("peers") or {}).items()) if isinstance(v, dict)}
    names = {i["id"]: i["names"][lang] for i in result["indicators"]}
    levels = {lv["id"]: lv["names"][lang] for lv in ladder}
    refs = {r["id"]: r for r in result["references_used"]}
    reasons = [x for r in result["rules"] for x in r["reasons"]]
    rid = report_id(result)
    return render_template("evaluation.html.j2", template_dir, True, ev=result, L=L, lang=lang,
                           names=names, levels=levels, refs=refs, charts=charts, peers=peers,
                           reasons=reasons, dg=indicator_digits(result), rid=rid,
                           page_footer=page_footer(L, rid, result["evaluation_date"]))
