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
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from markupsafe import Markup

from benchmark import __version__
from benchmark.engine.standing import segment_positions
from benchmark.engine.types import VERDICTS
from benchmark.errors import Problem
from benchmark.evaluation import json_safe
from benchmark.leaders import (
    EXCLUSION_COLUMNS,
    FIELDS,
    PER_ROW_TABLES,
    TABLES,
    Ranking,
    RankingTables,
    as_written,
    problem_column,
    text_fields,
)
from benchmark.model import Catalogue
from benchmark.population import Population, decoded_frame
from benchmark.ranking import joint_code
from benchmark.report import (
    check_formats,
    labels,
    page_footer,
    render_json,
    render_template,
    report_id,
    write_all,
)
from benchmark.report.frames import Progress, write_csv, write_parquet
from benchmark.report.numbers import fmt_number, fmt_percent
from benchmark.report.svg import Band, histogram_chart
from benchmark.report.xlsx import (
    EXCEL_MAX_ROWS,
    RowSheet,
    safe_text,
    write_row_workbook,
)
from benchmark.thresholds import sample_warning_code
from benchmark.wording import problem_said

Written = Ranking | RankingTables  # what the writers of the table files read: `table_frames`
SUMMARY_TABLES = ("thresholds", "suppressed", "saturation")  # a row per indicator and segment
RANK_FORMATS = ("json", "csv", "parquet", "xlsx", "md", "html", "pdf")
SCHEMA_VERSION = 2  # of ranking.json (benchmark/schemas/ranking.schema.json)
MAX_LISTED = 50  # rows of a long list shown in HTML and Markdown; the table files have them all
TOP_N = 20  # composite ranks listed per segment in the summaries
FIRST_FEW = 5  # rows listed per exclusion reason in the summaries


def ranked_population(r: Ranking) -> Population:
    """The population a ranking's assessment read (the engine keeps it untyped)."""
    return cast(Population, r.assessment.population)


def ranked_catalogue(r: Ranking) -> Catalogue:
    """The catalogue a ranking's assessment was made with."""
    return cast(Catalogue, r.assessment.catalogue)


def records(frame: pd.DataFrame | None) -> list[dict]:
    """The rows of a (small) table as JSON-safe dicts (missing cells as null)."""
    if frame is None or frame.empty:
        return []
    frame = decoded_frame(frame)
    cells = frame.astype(object).where(frame.notna(), None)
    return json_safe(cells.to_dict(orient="records"))


def table_frames(r: Written) -> dict[str, pd.DataFrame]:
    """The ranking's tables as written to CSV, Parquet and XLSX (the per-row ones with every
    identity column, "" where the population has none); empty tables left out. Made once per
    ranking (`Ranking.tables`); the writers read nothing else of a ranking."""
    return r.tables


def distributions(r: Ranking, bins: int = 20) -> list[dict]:
    """Per indicator and segment of the thresholds table: the histogram of the values the threshold
    was computed from, and each tier's number of rows and value range (best, worst)."""
    a = r.assessment
    out = []
    segments = a.segments  # the tiers table: a row per usable row
    for t in r.thresholds.itertuples(index=False):
        ind = a.indicators[t.indicator]
        code = a.segment_ids.index(t.segment) if t.segment else -1
        rows = segments.get(code, np.zeros(0, dtype=np.int64))
        value = ind.value[rows]
        values = value[ind.applies[rows] & ~np.isnan(value)]
        if len(values) == 0:
            continue
        counts, edges = np.histogram(values, bins=min(bins, max(5, int(np.sqrt(len(values))))))
        tier_of = np.asarray(r.tiers[f"tier_{t.indicator}"])[rows]
        sizes = np.bincount(tier_of, minlength=1)  # rows per tier (0: none)
        by_tier = np.argsort(tier_of, kind="stable")  # each tier's members in row order
        ends = np.cumsum(sizes)
        tiers = []
        for k in (np.flatnonzero(sizes[1:]) + 1).tolist():
            members = value[by_tier[ends[k - 1]:ends[k]]]
            goodness = members * ind.sign
            tiers.append({"tier": k, "n": int(sizes[k]),
                          "best": float(members[np.argmax(goodness)]),
                          "worst": float(members[np.argmin(goodness)])})
        out.append({"indicator": t.indicator, "segment": t.segment, "n": len(values),
                    "edges": [float(e) for e in edges], "counts": [int(c) for c in counts],
                    "tiers": tiers})
    return json_safe(out)


def _codes(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """A column as codes into its texts (-1: missing): a categorical one's own codes, not a
    code array of its own per row."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), [str(c) for c in column.cat.categories]
    codes, names = pd.factorize(column)
    return codes, [str(c) for c in names]


def _segment_of_rows(r: Ranking, rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The segment of each of `rows` (source row numbers of usable rows), from the tiers table,
    as codes into segment ids; -1 for a row not in it (an unusable row)."""
    known = np.asarray(r.tiers["row"])
    if not len(known):
        return np.full(len(rows), -1, dtype=np.int8), []
    at = np.searchsorted(known, rows)
    np.clip(at, 0, len(known) - 1, out=at)
    codes, names = _codes(r.tiers["segment"])
    of_row = codes[at]
    of_row[known[at] != rows] = -1
    return of_row, names


def _listed(frame: pd.DataFrame, rows: np.ndarray, columns: list[str]) -> list[dict]:
    """Rows of a per-row table as listed in a summary, every identity field present ("" where
    the population has none)."""
    part = frame.iloc[rows]
    missing = [f for f in FIELDS if f not in part]
    if missing:
        part = part.assign(**dict.fromkeys(missing, ""))
    return records(part[[c for c in columns if c in part]])


def segment_summaries(r: Ranking, top_n: int = TOP_N, first: int = FIRST_FEW) -> list[dict]:
    """Per segment (the catalogue's order, no segment last): rows ranked and shortlisted, the
    shortlist, the top `top_n` of the composite ranking, and the rows left out counted by reason
    with the `first` few of each — bounded whatever the number of rows."""
    composite, excluded = r.composite, r.excluded
    of_composite, composite_segments = (_codes(composite["segment"]) if len(composite)
                                        else (np.zeros(0, dtype=np.int64), []))
    # an unusable row: -1
    of_excluded, excluded_segments = _segment_of_rows(r, np.asarray(excluded["row"]))
    by_seg = {composite_segments[k]: part
              for k, part in segment_positions(of_composite).items() if k >= 0}
    ex_by_seg = {excluded_segments[k]: part
                 for k, part in segment_positions(of_excluded).items() if k >= 0}
    present = set(r.thresholds["segment"]) | set(by_seg) | set(ex_by_seg)
    ids = r.assessment.segment_ids
    order = [s for s in ids if s in present] + ([""] if "" in present else [])
    ident = ["row", *FIELDS]
    shown = ["row", *FIELDS, "segment", "weighted_score", "topsis", "topsis_rank", "rank",
             "shortlisted"]
    shortlisted = np.asarray(composite["shortlisted"], dtype=bool) if len(composite) else \
        np.zeros(0, dtype=bool)
    combo = reason_combinations([excluded[c] for c in REASON_KEY])
    none = np.zeros(0, dtype=np.int64)
    out = []
    for seg in order:
        c, e = by_seg.get(seg, none), ex_by_seg.get(seg, none)
        short = c[shortlisted[c]]
        out.append({"segment": seg, "ranked": len(c), "shortlisted": len(short),
                    "shortlist": _listed(composite, short, shown),
                    "top": _listed(composite, c[:top_n], shown),
                    "excluded": len(e),
                    "excluded_by_reason": _reasons(excluded, e, combo, ident, first)})
    return out


REASON_KEY = EXCLUSION_COLUMNS[:3]  # what an exclusion is counted by: its codes and their ids


def reason_combinations(columns: Sequence[pd.Series]) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Which combination of reason codes and parameters each row has across `columns`: a code
    per row into the distinct combinations, each a tuple of the columns' texts ("" for a
    missing cell), so that a reason is counted and put in words once per combination, not once
    per row. The one kernel of the summaries, the tables in words and the boards."""
    n = len(columns[0]) if len(columns) else 0
    per_column = []
    for column in columns:  # each column a code per row (categories: no text per row)
        of_row, texts = _codes(column)
        if "" not in texts:
            texts = [*texts, ""]
        of_row = np.where(of_row < 0, texts.index(""), of_row)  # a missing cell: no text
        per_column.append((of_row, texts))
    codes = joint_code([of_row for of_row, _ in per_column], dense=True)
    first = np.zeros(int(codes.max(initial=-1)) + 1, dtype=np.int64)
    # a row of each combination (any: they hold the same texts)
    first[codes] = np.arange(n, dtype=codes.dtype)
    return codes, [tuple(texts[of_row[i]] for of_row, texts in per_column)
                   for i in first.tolist()]


def _reasons(excluded: pd.DataFrame, rows: np.ndarray,
             combo: tuple[np.ndarray, list[tuple[str, ...]]], columns: list[str],
             first: int) -> list[dict]:
    """The rows left out at `rows` counted by reason (reason code and its parameters; most
    first, then by code), with the first few rows."""
    if not len(rows):
        return []
    codes, combos = combo
    of_row = codes[rows]
    found, counts = np.unique(of_row, return_counts=True)
    order = sorted(range(len(found)), key=lambda i: (-int(counts[i]), combos[found[i]]))
    return [{**_reason(dict(zip(REASON_KEY, combos[found[i]], strict=True))),
             "n": int(counts[i]),
             "first": _listed(excluded, rows[of_row == found[i]][:first], columns)}
            for i in order]


def _reason(key: dict) -> dict:
    """An exclusion reason as JSON keeps it: the code(s) and the ids they name, as lists."""
    def ids(text: object) -> list[str]:
        return [x for x in str(text or "").split("; ") if x]
    return {"reason_code": ids(key.get("reason_code")), "gates": ids(key.get("gates")),
            "indicators": ids(key.get("indicators"))}


def _unusable(r: Ranking, first: int) -> dict:
    """Unusable rows counted by reason code, with the first few of each (row, problem)."""
    problems = ranked_population(r).excluded
    by_code: dict[str, list] = {}
    for p in problems:
        by_code.setdefault(p.code, []).append(p)
    listed = []
    for code in sorted(by_code, key=lambda c: (-len(by_code[c]), c)):
        listed.append({"code": code, "n": len(by_code[code]), "first": [
            {"row": int(str(p.pointer).split("/")[1]), "problem_code": p.code,
             "problem": p.message, "problem_column": problem_column(ranked_population(r), p)}
            for p in by_code[code][:first]]})
    return {"n": len(problems), "by_code": listed}


def ranking_result(r: Ranking, inputs: dict[str, str], catalogue_sha256: str,
                   top_n: int = TOP_N) -> dict:
    """The ranking summarised, JSON-safe, with its provenance: per segment counts, thresholds,
    tier boundaries, the shortlist, the top `top_n` and exclusions counted by reason — bounded
    whatever the number of rows (the per-row tables go to CSV, Parquet and XLSX)."""
    a = r.assessment
    pop = ranked_population(r)
    iset = ranked_catalogue(r).sets[pop.category]
    counted = np.bincount(a.outcome, minlength=len(VERDICTS))  # the codes, not a text per row
    verdicts = {VERDICTS[k]: int(counted[k])
                for k in sorted(np.flatnonzero(counted).tolist(), key=lambda k: -counted[k])}
    top_runner = r.top_runner if r.top_runner is not None else pd.DataFrame()
    return {
        "kind": "peer_ranking",
        "schema_version": SCHEMA_VERSION,
        "engine_version": __version__,
        "category": pop.category,
        "category_names": {"en": iset.names.en, "zh": iset.names.zh},
        "segments": {seg.id: {"en": seg.names.en, "zh": seg.names.zh} for seg in iset.segments},
        "indicator_names": {i.id: {"en": i.names.en, "zh": i.names.zh}
                            for i in iset.indicators.values()},
        "indicators": {i.id: {"unit": i.unit, "digits": i.digits, "direction": i.direction}
                       for i in iset.indicators.values()},
        "rule_names": {rule.id: {"en": rule.description.en, "zh": rule.description.zh}
                       for rule in a.programme.rules if rule.description},
        "programme": {"id": a.programme.id, "names": {"en": a.programme.names.en,
                                                      "zh": a.programme.names.zh},
                      "basis": a.programme.basis_kind,
                      "statement": {"en": a.programme.statement.en,
                                    "zh": a.programme.statement.zh}},
        "evaluation_date": a.on.isoformat(),
        "settings": r.settings,
        "population": {"usable_rows": len(pop), "unusable_rows": len(pop.excluded),
                       "verdicts": {str(k): int(v) for k, v in verdicts.items()}},
        "warnings": r.warnings,
        "references_used": a.references,
        **{name: records(getattr(r, name)) for name in SUMMARY_TABLES},
        "top_runner": records(top_runner.head(MAX_LISTED)),
        "top_runner_count": len(top_runner),
        "by_segment": segment_summaries(r, top_n),
        "unusable": _unusable(r, FIRST_FEW),
        "tables": {name: len(frame) for name in TABLES
                   if (frame := getattr(r, name)) is not None and not frame.empty},
        "distributions": distributions(r),
        "provenance": {"engine_version": __version__, "catalogue_sha256": catalogue_sha256,
                       "inputs": inputs, "evaluation_date": a.on.isoformat(),
                       "include_superseded": a.include_superseded, **_source(pop, inputs)},
    }


def _source(pop: Population, inputs: dict[str, str]) -> dict:
    """The table ranked and its mapping, as named in `inputs` (what `verify` reads again); none
    for a dataset of parts."""
    if pop.path not in inputs or len(inputs) > 2:
        return {}
    return {"population": {"file": pop.path,
                           "mapping": next((k for k in inputs if k != pop.path), None)}}


# --- words and numbers --------------------------------------------------------------------------


def _digits(result: dict, indicator: str) -> int | None:
    return (result.get("indicators") or {}).get(indicator, {}).get("digits")


def _unit(result: dict, indicator: str) -> str | None:
    unit = (result.get("indicators") or {}).get(indicator, {}).get("unit")
    return unit if unit and unit != "1" else None


def segment_name(result: dict, segment: str, R: dict, lang: str) -> str:
    return result["segments"][segment][lang] if segment in result["segments"] else R["no_segment"]


def _filled(template: str, **values: object) -> str:
    for k, v in values.items():
        template = template.replace("{" + k + "}", str(v))
    return template


def threshold_warning(t: dict, R: dict) -> str:
    """The sample-size warning of a threshold in the report's language (its code, n and the
    method); "" when there is none."""
    if not t.get("warning"):
        return ""
    found = sample_warning_code(int(t["n"]), t["method"])
    if found is None:
        return ""
    return _filled(R[found["code"]], n=found["n"], method=found["method"], need=found["need"])


def suppressed_reason(s: dict, R: dict) -> str:
    """Why a single-indicator ranking is not published, in the report's language."""
    key = "suppressed_few" if s.get("reason") == "too_few_values" else "suppressed_equal"
    return _filled(R[key], n=s["n"])


def rule_name(result: dict, rule: str, lang: str) -> str:
    """A programme rule in words (its description); the id only where the data has none."""
    return (result.get("rule_names") or {}).get(rule, {}).get(lang) or rule


def indicator_name(result: dict, indicator: str, lang: str) -> str:
    return (result.get("indicator_names") or {}).get(indicator, {}).get(lang) or indicator


Problems = Mapping[tuple[str, str], Problem]  # unusable rows' problems by code and message


def unusable_problems(r: Written) -> Problems:
    """The problems of a ranking's unusable rows by their code and English message (what the
    excluded table and the JSON hold of them), the first of each: what their particulars are
    worded from in another language (`problem_text`)."""
    found = r.problems if isinstance(r, RankingTables) else ranked_population(r).excluded
    out: dict[tuple[str, str], Problem] = {}
    for p in found:
        out.setdefault((p.code, p.message), p)
    return out


def problem_text(code: str, message: str, column: str, result: dict, lang: str,
                 template_dir: str | None = None, problems: Problems | None = None) -> str:
    """A loader's problem with a row, in the report's language: its code, the column (the
    indicator's name where the column is one) and what is wrong — in en the loader's English
    message; else the `problems` words of the code with the particulars in that language where
    `problems` (`unusable_problems`) has the problem and its message has words
    (`wording.problem_said`), the code's words alone where not, the English message where the
    code has no words."""
    L = labels(lang, template_dir)
    words = message if lang == "en" else L["problems"].get(code, message)
    found = (problems or {}).get((code, message)) if lang != "en" else None
    if found is not None and found.message_code:
        said = problem_said(found, L)[0]
        words = _filled(L["cli"]["problem_detail"], words=words, message=said) \
            if code in L["problems"] else said
    return _filled(L["problem_line"], code=code, column=indicator_name(result, column, lang),
                   text=words)


def exclusion_reasons(reason: dict, result: dict, R: dict, lang: str,
                      problems: Problems | None = None) -> list[str]:
    """An exclusion's reasons in words, one per cause: each failed gate rule by its name, each
    indicator below the domestic mandatory requirement by its name, an unusable row by its
    problem (`problem_text`, its particulars from `problems`). `reason` holds the codes and ids
    as lists or as "; "-joined text."""
    def ids(name: str) -> list[str]:
        value = reason.get(name) or []
        return [x for x in (value.split("; ") if isinstance(value, str) else value) if x]
    out = [_filled(R["reasons"]["gate_failed"], rule=rule_name(result, g, lang))
           for g in ids("gates")]
    out += [_filled(R["reasons"]["below_mandatory"], indicator=indicator_name(result, i, lang))
            for i in ids("indicators")]
    if "unusable_row" in ids("reason_code"):
        out.append(_filled(R["reasons"]["unusable_row"], problem=problem_text(
            str(reason.get("problem_code") or ""), str(reason.get("problem") or ""),
            str(reason.get("problem_column") or ""), result, lang, problems=problems)))
    return out


def warning_text(w: dict, result: dict, R: dict, lang: str) -> str:
    """One of the ranking's warnings ({code, indicator, segment, …}) as a line in words."""
    if w["code"] == "saturated":
        basis = R["basis_top_class"] if w.get("basis") == "top class" else R["basis_tier_1"]
        text = _filled(R["saturated_warning"], share=fmt_percent(w["share"], False), n=w["n"],
                       basis=basis, limit=fmt_percent(w["limit"], False))
    else:
        text = _filled(R[w["code"]], n=w["n"], method=w["method"], need=w["need"])
    return _filled(R["warning_line"], indicator=indicator_name(result, w["indicator"], lang),
                   segment=segment_name(result, w["segment"], R, lang), text=text)


# --- CSV, Parquet, XLSX ----------------------------------------------------------------------


def table_csv(name: str, frame: pd.DataFrame, result: dict, lang: str,
              template_dir: str | None = None, progress: Progress = lambda rows: None,
              problems: Problems | None = None):
    """One table as a CSV for people: headers and cells in `lang` (names for ids, words for
    codes and booleans, unusable rows' problems with their particulars from `problems`), as the
    workbook shows them; written a chunk of rows at a time (`progress(rows)` with the rows
    written so far)."""
    R = labels(lang, template_dir)["ranking"]
    columns = shown_columns(frame)
    header = [_column_header(c, R, result, lang) for c in columns]
    if name in PER_ROW_TABLES:  # put in words a chunk of rows at a time
        def write(fh):
            write_csv(frame, fh, progress=progress, shown=lambda part: shown_frame(
                part, result, R, lang, problems).set_axis(header, axis=1))
        return write
    rows = [[v[0] if isinstance(v, tuple) else v for v in row]
            for row in _small_rows(records(frame), columns, result, R, lang)]
    return lambda fh: write_csv(pd.DataFrame(rows, columns=header), fh, progress=progress)


def shown_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of a table as people see it (CSV, XLSX): the reason codes of an exclusion
    and their parameters as one `reason` column in words."""
    columns = [c for c in frame.columns if c not in EXCLUSION_COLUMNS]
    if "reason_code" in frame:
        columns.append("reason")
    return columns


def table_parquet(frame: pd.DataFrame, progress: Progress = lambda rows: None):
    """One table as Parquet (machine ids as column names, numbers as numbers in the types they
    are written as, lists as lists, identity as text)."""
    return lambda fh: write_parquet(frame, fh, progress=progress, text=text_fields(frame),
                                    shown=as_written)  # a chunk at a time


LEADING = ("row", "segment", "rank", *FIELDS, "indicator", "unit")  # first columns of a sheet
PERCENT = "0.0%"
SCORE = "0.0000"


def _column_header(name: str, R: dict, result: dict, lang: str) -> str:
    """A table column's header in the report's language, the unit in brackets."""
    cols = R["columns"]
    if name.startswith("tier_") and name[5:] in result["indicator_names"]:
        return cols["tier"].replace("{indicator}", result["indicator_names"][name[5:]][lang])
    return cols.get(name, name)


def _basis(value: object, R: dict) -> str:
    """A basis code (of a threshold: value | margin; of a saturation: top class | tier 1)."""
    words = {"top class": R["basis_top_class"], "tier 1": R["basis_tier_1"],
             "value": R["basis_value"], "margin": R["basis_margin"]}
    return words.get(str(value), str(value))


def _cell(name: str, value: Any, row: dict, result: dict, R: dict, lang: str) -> Any:
    """A table cell as a person reads it: names for ids, words for codes, yes/no for booleans,
    lists joined."""
    if isinstance(value, bool):
        return R["yes"] if value else R["no"]
    if value is None:
        return None
    if name == "indicator":
        return indicator_name(result, value, lang)
    if name == "segment":
        return segment_name(result, value, R, lang)
    if name == "basis":
        return _basis(value, R)
    if name == "warning" and "method" in row:
        return threshold_warning(row, R)
    if name == "warning":
        return R["saturated"] if value else ""
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


def _small_rows(rows: list[dict], columns: list[str], result: dict, R: dict, lang: str):
    """The rows of a small table (a row per indicator and segment, or maker) as a person reads
    them, a cell with a row-dependent number format as (value, format)."""
    for row in rows:
        out = []
        for c in columns:
            value = _cell(c, row.get(c), row, result, R, lang)
            form = _number_format(c, row, result)
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if isinstance(value, float) and not np.isfinite(value):
                value = None
            elif isinstance(value, str):
                value = safe_text(value)
            out.append((value, form) if form and number else value)
        yield out


def shown_frame(frame: pd.DataFrame, result: dict, R: dict, lang: str,
                problems: Problems | None = None) -> pd.DataFrame:
    """A per-row table as a person reads it, column by column (each a map of categories, not a
    text per row): segment and indicator names for ids, the reasons of an exclusion in words
    (an unusable row's problem with its particulars from `problems`: `problem_text`),
    yes/no for booleans; numbers stay numbers. The identity columns stay as written (in a CSV,
    character for character). The writers make its text safe for a spreadsheet (`write_csv`,
    the row workbook)."""
    out = {}
    for c in shown_columns(frame):
        if c == "reason" and "reason_code" in frame:
            out[c] = _exclusion_column(frame, result, R, lang, problems)
            continue
        column = frame[c]
        if c in ("segment", "indicator"):  # a map of the categories, not of each row
            ids = column.astype("category")
            column = ids.map({x: segment_name(result, str(x), R, lang) if c == "segment"
                              else indicator_name(result, str(x), lang)
                              for x in ids.cat.categories})
        elif column.dtype == bool:
            column = pd.Series(pd.Categorical.from_codes(column.to_numpy().astype(np.int8),
                                                         [R["no"], R["yes"]]), index=frame.index)
        out[c] = column
    return pd.DataFrame(out, index=frame.index)


def _exclusion_column(frame: pd.DataFrame, result: dict, R: dict, lang: str,
                      problems: Problems | None = None) -> pd.Series:
    """The reasons of each excluded row in words ("; " between causes), put in words once per
    distinct combination of reason code and parameters (a category per distinct text)."""
    key = [c for c in EXCLUSION_COLUMNS if c in frame]
    code, combos = reason_combinations([frame[c] for c in key])
    texts = ["; ".join(exclusion_reasons(dict(zip(key, combo, strict=True)), result, R, lang,
                                         problems)) for combo in combos]
    words, of_combo = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    return pd.Series(pd.Categorical.from_codes(of_combo.reshape(-1)[code], list(words)),
                     index=frame.index)


def _frame_chunks(frame: pd.DataFrame, columns: list[str], result: dict, R: dict, lang: str,
                  problems: Problems, chunk: int = 50_000):
    """The table in words, a chunk of rows at a time, its columns in header order."""
    for start in range(0, len(frame), chunk):
        yield shown_frame(frame.iloc[start:start + chunk], result, R, lang, problems)[columns]


def ranking_sheets(r: Written, result: dict, lang: str, template_dir: str | None,
                   problems: Problems) -> list[RowSheet]:
    """One sheet per table, headers in `lang` with units, ids shown as names (unusable rows'
    problems with their particulars from `problems`: `unusable_problems`); numbers stay
    numbers with their formats. The per-row tables are converted a chunk of rows at a time."""
    R = labels(lang, template_dir)["ranking"]
    sheets = []
    for name, frame in table_frames(r).items():
        columns = sorted(shown_columns(frame),
                         key=lambda c: LEADING.index(c) if c in LEADING else 99)
        small = name not in PER_ROW_TABLES
        rows = records(frame) if small else []
        units = {_unit(result, x) for x in frame["indicator"]} if "indicator" in frame else set()
        header = []
        for c in columns:
            text = _column_header(c, R, result, lang)
            if c in ("threshold", "ci_low", "ci_high") and len(units) == 1 and None not in units:
                text += f" [{next(iter(units))}]"
            header.append(text)
        formats = {k: f for k, c in enumerate(columns)
                   if (f := _number_format(c, {}, result)) and c not in ("threshold", "ci_low",
                                                                         "ci_high")}
        sheets.append(RowSheet(
            R[f"sheet_{name}"], header, len(frame),
            _small_rows(rows, columns, result, R, lang) if small else (),
            formats=formats, freeze_columns=sum(c in LEADING[:6] for c in columns),
            split_note=R["sheet_part"], pairs=small,
            frames=None if small else _frame_chunks(frame, columns, result, R, lang,
                                                    problems)))
    if not sheets:
        sheets.append(RowSheet(R["sheet_composite"], [R["columns"]["row"]], 0, []))
    return sheets


def ranking_workbook(r: Written, result: dict, lang: str, template_dir: str | None,
                     problems: Problems, max_rows: int = EXCEL_MAX_ROWS,
                     split=lambda title, parts: None, progress: Progress = lambda rows: None):
    """The workbook as a function of a binary file (constant memory; see `write_row_workbook`),
    the unusable rows' problems worded from `problems` (`unusable_problems`)."""
    on = dt.date.fromisoformat(result["evaluation_date"])
    return lambda fh: write_row_workbook(fh, ranking_sheets(r, result, lang, template_dir,
                                                            problems),
                                         on, max_rows=max_rows, split=split, progress=progress)


# --- Markdown and HTML ------------------------------------------------------------------------


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


def ranking_context(result: dict, lang: str, template_dir: str | None, html: bool,
                    problems: Problems | None = None) -> dict:
    """What the Markdown and HTML templates show, grouped by segment (unusable rows' problems
    with their particulars from `problems`: `problem_text`)."""
    L = labels(lang, template_dir)
    R = L["ranking"]
    segments = []
    for summary in result["by_segment"]:
        seg = summary["segment"]
        thresholds = [t for t in result["thresholds"] if t["segment"] == seg]
        by_ind = {t["indicator"]: t for t in thresholds}
        dists = [d for d in result.get("distributions", []) if d["segment"] == seg]
        counted = [dict(x, reasons=exclusion_reasons(x, result, R, lang, problems))
                   for x in summary["excluded_by_reason"]]
        excluded = [dict(e, reasons=x["reasons"]) for x in counted for e in x["first"]]
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
            "shortlist": summary["shortlist"], "top": summary["top"],
            "ranked": summary["ranked"], "reasons_counted": counted,
            "excluded": excluded, "excluded_more": summary["excluded"] - len(excluded),
            "saturation": [s for s in result["saturation"] if s["segment"] == seg],
        })
    unusable = [dict(e, reason=problem_text(e["problem_code"], e["problem"],
                                            e["problem_column"], result, lang, template_dir,
                                            problems))
                for x in result["unusable"]["by_code"] for e in x["first"]]
    top = [c for s in segments for c in s["top"]]
    listed = [e for s in segments for e in s["excluded"]]
    rid = report_id(result)
    return {"rk": result, "L": L, "R": R, "lang": lang, "segments": segments,
            "top": top, "top_more": sum(s["ranked"] for s in segments) - len(top),
            "excluded": listed, "excluded_more": sum(s["excluded_more"] for s in segments),
            "unusable": unusable, "unusable_more": result["unusable"]["n"] - len(unusable),
            "warn": {(t["indicator"], t["segment"]): threshold_warning(t, R)
                     for t in result["thresholds"]},
            "dg": {k: v.get("digits") for k, v in (result.get("indicators") or {}).items()},
            "units": {k: _unit(result, k) for k in result["indicator_names"]},
            "pct": fmt_percent, "rid": rid,
            "page_footer": page_footer(L, rid, result["evaluation_date"]) if html else ""}


def render_ranking_markdown(result: dict, lang: str = "zh", template_dir: str | None = None,
                            problems: Problems | None = None) -> str:
    context = ranking_context(result, lang, template_dir, html=False, problems=problems)
    text = render_template("ranking.md.j2", template_dir, False, **context)
    return re.sub(r"\n{3,}", "\n\n", text)


def render_ranking_html(result: dict, lang: str = "zh", template_dir: str | None = None,
                        problems: Problems | None = None) -> str:
    context = ranking_context(result, lang, template_dir, html=True, problems=problems)
    return render_template("ranking.html.j2", template_dir, True, **context)


def ranking_outputs(r: Written, result: dict, formats: list[str], lang: str = "zh",
                    template_dir: str | None = None, max_rows: int = EXCEL_MAX_ROWS,
                    split=lambda title, parts: None, progress: Progress = lambda rows: None
                    ) -> list[tuple[str, Any]]:
    """(file name, content) for every requested format: the summaries as text, the table files
    as functions writing a binary file a chunk at a time (`progress(rows)` with the rows of the
    file written so far); nothing is written here."""
    out: list[tuple[str, Any]] = []
    frames = table_frames(r)
    problems = unusable_problems(r)
    if "json" in formats:
        out.append(("ranking.json", render_json(result)))
    if "csv" in formats:
        out += [(f"{name}.csv", table_csv(name, frame, result, lang, template_dir, progress,
                                          problems)) for name, frame in frames.items()]
    if "parquet" in formats:
        out += [(f"{name}.parquet", table_parquet(frame, progress))
                for name, frame in frames.items()]
    if "xlsx" in formats:
        out.append(("ranking.xlsx", ranking_workbook(r, result, lang, template_dir, problems,
                                                     max_rows, split, progress)))
    if "md" in formats:
        out.append((f"ranking.{lang}.md", render_ranking_markdown(result, lang, template_dir,
                                                                  problems)))
    if "html" in formats or "pdf" in formats:
        html = render_ranking_html(result, lang, template_dir, problems)
        if "html" in formats:
            out.append((f"ranking.{lang}.html", html))
        if "pdf" in formats:
            from benchmark.report.pdf import html_to_pdf

            out.append((f"ranking.{lang}.pdf",
                        html_to_pdf(html, dt.date.fromisoformat(result["evaluation_date"]))))
    return out


def write_ranking(r: Written, result: dict, formats: list[str], out_dir, lang: str = "zh",
                  template_dir: str | None = None, max_rows: int = EXCEL_MAX_ROWS,
                  split=lambda title, parts: None, step=lambda name: None,
                  extra: list[tuple[str, str | bytes]] | None = None,
                  progress: Progress = lambda rows: None) -> list[Path]:
    """Render every requested format, then write them all (and `extra` files: the boards), all
    or nothing, under `out_dir`; `step(name)` is called before each file is written and
    `progress(rows)` while a table file is, with its rows written so far (progress)."""
    if formats or not extra:
        check_formats(formats, RANK_FORMATS)
    outputs = ranking_outputs(r, result, formats, lang, template_dir, max_rows, split, progress)
    outputs += list(extra or [])

    def stepping(name, content):
        if not callable(content):
            return content

        def write(fh):
            step(name)
            content(fh)
        return write

    return write_all([(Path(out_dir) / name, stepping(name, content))
                      for name, content in outputs])
