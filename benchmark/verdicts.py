"""The verdict table of an assessed population: one row per declaration — identity as written,
category, segment, verdict, overall level, the level of every indicator, the rules that fail or
cannot be assessed with their reasons, and what blocks (for a graded indicator that fails, the
value required and by how much to improve) — read from the assessment's arrays (no row is
explained). Its cells are codes (`CODES`: Parquet, the API) or the words of a report language
(`words`: CSV and XLSX), both made column by column. Its writers (CSV with a BOM, Parquet, XLSX:
report/frames.py and report/xlsx.py, streamed) and its bounded summary (JSON, Markdown: counts
and the most frequent reasons, never the rows).

`verdict_table` is the one function that decides the columns: `benchmark.evaluate(DataFrame)`
returns it, `evaluate TABLE` writes it a chunk of rows at a time (`verdict_chunks`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import pandas as pd

from benchmark.engine.assess import Assessment, chunk_applied
from benchmark.engine.compare import Method
from benchmark.engine.levels import required_values
from benchmark.engine.rules import FAIL_REASONS, REASONS
from benchmark.engine.types import FAIL, NOT_ASSESSABLE, STATUSES, STEP_REASONS, UNKNOWN
from benchmark.report import frames, xlsx

IDENTITY = ("enterprise", "credit_code", "standard_number", "standard_title", "model")
TABLE_FORMATS = ("csv", "parquet", "xlsx")
TOP_REASONS = 10
# rows of the table in codes made and written at a time: a row group, as every table file has
CHUNK_ROWS = frames.CHUNK_ROWS
# rows of the table in words (CSV, XLSX) made at a time: the worksheet's chunk, so that the XLSX
# is the bytes of a table made whole
WORDS_CHUNK_ROWS = xlsx.CHUNK_ROWS
LEVEL_PREFIX = "level:"
_BLOCKING = frozenset({"level_not_assessable", "no_reference", "indicator_not_declared",
                       "basic_not_declared", "basic_not_assessable", "required_not_declared"})
_GRADED = ("basic_not_met", "level_below")  # a graded indicator below the level required


@dataclass(frozen=True)
class Words:
    """What the cells of a verdict table say, by code: verdicts, levels, indicator statuses,
    reasons, step reasons, rules, indicators, segments, the comparison words (`ops`) and the
    templates of a cell's parts (`{name}` filled column by column). A code not listed is shown
    as it is."""

    verdicts: Mapping[str, str]
    levels: Mapping[str, str]
    statuses: Mapping[str, str]
    reasons: Mapping[str, str]
    step_reasons: Mapping[str, str]
    rules: Mapping[str, str]
    indicators: Mapping[str, str]
    segments: Mapping[str, str]
    category: Mapping[str, str]
    ops: Mapping[str, str]
    templates: Mapping[str, str]
    labels: Mapping[str, str] = field(default_factory=dict)  # yes/no as declared ("True")


_EMPTY: Mapping[str, str] = {}
CODES = Words(_EMPTY, _EMPTY, _EMPTY, _EMPTY, _EMPTY, _EMPTY, _EMPTY, _EMPTY, _EMPTY,
              {"at_least": "≥", "at_most": "≤", "more_than": ">", "less_than": "<"},
              {"interval": "{low}..{high}", "rule_reason": "{rule}:{reason}",
               "rule_indicator": "{rule}:{reason}({indicator})",
               "gap_value": "{indicator} = {value}",
               "gap_required": "{indicator} = {value}; required {op} {required} ({reference}); "
                               "improve by {by}",
               "gap_exceed": "{indicator} = {value}; required {op} {required} ({reference})",
               "gap_open": "{indicator}: {reason}"})


def words(a: Assessment, L: dict, lang: str) -> Words:
    """The words of report language `lang` (labels.yaml `verdict_cells`, the verdicts, the
    catalogue's names of levels, rules, indicators and segments)."""
    assert a.catalogue is not None
    iset = a.catalogue.sets[a.population.category]
    C = L["verdict_cells"]

    def name(names) -> str:
        return str(getattr(names, lang))

    return Words(
        verdicts={k: L[k] for k in ("eligible", "not_eligible", "not_evaluable")},
        levels={lv.id: name(lv.names) for lv in a.programme.ladder.levels},
        statuses=C["statuses"], reasons=C["reasons"], step_reasons=C["step_reasons"],
        rules={r.id: name(r.description) for r in a.programme.rules if r.description},
        indicators={i.id: name(i.names) for i in iset.indicators.values()},
        segments={s.id: name(s.names) for s in iset.segments},
        category={iset.id: name(iset.names)}, ops=C["ops"],
        templates={k: C[k] for k in CODES.templates}, labels=C["booleans"])


def _fill(template: str, **parts: Any) -> Any:
    """`template` with each {name} replaced by its part (a text, or an array of texts, one per
    row): a column made with a handful of array operations, not cell by cell."""
    out: Any = ""
    for k, piece in enumerate(re.split(r"\{(\w+)\}", template)):
        out = out + (parts[piece] if k % 2 else piece)
    return out


def _say(codes: np.ndarray, shown: Mapping[str, str]) -> np.ndarray:
    """Codes in words, one lookup per distinct code."""
    if not shown or not len(codes):
        return codes
    uniques, inverse = np.unique(codes.astype(str), return_inverse=True)
    return np.array([shown.get(u, u) for u in uniques], dtype=object)[inverse]


def verdict_table(a: Assessment, W: Words = CODES, part: slice | None = None,
                  counted: bool = False) -> pd.DataFrame:
    """One row per row of the assessed population, in its order (or of the rows `part`, a
    slice of positions: the same cells as those rows of the whole table). Identity cells are the
    text as read; with `CODES`, levels are ladder ids ("low..high" where only an interval is
    known, else the indicator's status code) and rules `rule:reason(indicator)` tokens joined by
    "; "; with `words` (`W`), the same cells in the words of a report language. `counted`: only
    the columns `verdict_counts` reads."""
    pop: Any = a.population
    assert a.catalogue is not None
    iset = a.catalogue.sets[pop.category]
    part = slice(*part.indices(len(pop))) if part is not None else slice(0, len(pop))
    n = len(range(part.start, part.stop))
    ids = np.array([W.levels.get(lv.id, lv.id) for lv in a.programme.ladder.levels],
                   dtype=object)
    out: dict[str, Any] = {"row": np.asarray(pop.rows[part], dtype=np.int64)}
    for key in () if counted else IDENTITY:
        values = pop.fields.get(key)
        out[key] = (np.asarray(values[part], dtype=object).astype(str) if values is not None
                    else np.full(n, "", dtype=object))
    out["category"] = np.full(n, W.category.get(iset.id, iset.id), dtype=object)
    out["segment"] = _say(np.asarray(a.segment[part], dtype=object), W.segments)
    out["verdict"] = _say(a.verdict_at(part), W.verdicts)
    low, high, _ = a.overall
    out["overall_level"] = _levels(ids, low[part], high[part], np.full(n, "", dtype=object), W)
    statuses = np.array([W.statuses.get(x, x) for x in STATUSES], dtype=object)
    for ind_id, r in () if counted else a.indicators.items():
        out[LEVEL_PREFIX + ind_id] = _levels(ids, r.lowest[part], r.highest[part],
                                             statuses[r.status[part]], W)
    failed, open_, gap = _rules(a, part, W, gaps=not counted)
    out["failed_rules"] = failed
    if not counted:
        out["open_rules"], out["gap"] = open_, gap
    return pd.DataFrame(out)


def verdict_chunks(a: Assessment, W: Words = CODES, chunk_rows: int | None = None,
                   counted: bool = False) -> Iterator[pd.DataFrame]:
    """The verdict table a chunk of `chunk_rows` rows (default CHUNK_ROWS) at a time (one empty
    chunk for a population of no rows): what its writers and its counts read, so that no more
    than a chunk of its cells is held at once."""
    n = len(a.population)
    chunk_rows = chunk_rows or CHUNK_ROWS
    for start in range(0, max(n, 1), chunk_rows):
        yield verdict_table(a, W, slice(start, start + chunk_rows), counted)


def _levels(ids: np.ndarray, low: np.ndarray, high: np.ndarray, other: np.ndarray,
            W: Words) -> np.ndarray:
    """Ladder level where the level is assessed, "low..high" (`interval`) where it is an
    interval, `other` where there is no level."""
    low, high = np.asarray(low, dtype=np.int64), np.asarray(high, dtype=np.int64)
    lo = ids[np.clip(low, 0, None)]
    out = np.where(low >= 0, lo, other).astype(object)
    between = (low >= 0) & (low != high)  # the interval's words made for those rows alone
    out[between] = _fill(W.templates["interval"], low=lo[between],
                         high=ids[np.clip(high[between], 0, None)])
    return out


def _append(column: np.ndarray, rows: np.ndarray, token: Any) -> None:
    """Append `token` (one text, or one per row of `rows`) to the cells of `rows`."""
    at = np.flatnonzero(rows)
    if not len(at):
        return
    cur = column[at]
    full = cur != ""  # cells that already hold a token: joined; the others take the token
    if np.ndim(token):
        token = np.asarray(token, dtype=object)
        cur[~full] = token[~full]
        cur[full] = cur[full] + "; " + token[full]
    else:
        cur[~full] = token
        cur[full] = cur[full] + ("; " + token)
    column[at] = cur


def _number_text(value: np.ndarray) -> np.ndarray:
    """Numbers as text ("%.6g"), one format per distinct number (told apart by their bits, so
    that -0.0 stays "-0")."""
    if not len(value):
        return np.array([], dtype=object)
    bits = np.ascontiguousarray(value, dtype=np.float64).view(np.int64)
    uniques, inverse = np.unique(bits, return_inverse=True)
    return np.array([f"{v:.6g}" for v in uniques.view(np.float64)],
                    dtype=object)[inverse.reshape(-1)]


def _value_text(r, rows: np.ndarray, W: Words) -> np.ndarray:
    """The value judged, with its unit, for `rows` (positions; a label as declared where there
    is none)."""
    value = r.value[rows]
    text = _number_text(value)
    if r.label is not None:
        label = _say(r.label_at(rows).astype(str), W.labels)
        text = np.where(np.isfinite(value), text, label)
    unit = f" {r.unit}" if r.unit else ""
    return np.where(np.isfinite(value), text + unit, text).astype(object)


def _rules(a: Assessment, part: slice, W: Words, gaps: bool = True
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The failed and not assessable rules of the rows `part` with their reasons, and what
    blocks: the value (and, for a graded indicator below its level, the value required) of an
    indicator that fails a rule, or why one is unknown (without `gaps`: the failed rules
    alone)."""
    n = len(range(part.start, part.stop))
    failed = np.full(n, "", dtype=object)
    open_ = np.full(n, "", dtype=object)
    gap = np.full(n, "", dtype=object)
    in_gap = {ind_id: np.zeros(n, dtype=bool) for ind_id in a.indicators}
    reasons = np.array([W.reasons.get(x, x) for x in REASONS], dtype=object)
    for rule in a.programme.rules:
        o = a.outcomes[rule.id]
        rule_name = W.rules.get(rule.id, rule.id)
        for outcome, column in ((FAIL, failed), (UNKNOWN, open_))[:2 if gaps else 1]:
            rows = o.codes[part] == outcome
            if not rows.any():
                continue
            explained = np.zeros(n, dtype=bool)
            for ind_id, all_codes in o.subjects.items():
                codes = all_codes[part]
                for c in np.unique(codes[rows]):
                    code = str(REASONS[int(c)])
                    if not c or (outcome == FAIL) != (code in FAIL_REASONS):
                        continue
                    hit = rows & (codes == c)
                    _append(column, hit, _fill(W.templates["rule_indicator"], rule=rule_name,
                                               reason=W.reasons.get(code, code),
                                               indicator=W.indicators.get(ind_id, ind_id)))
                    explained |= hit
                    target = (rule.level if code == "level_below" else
                              a.programme.ladder.levels[1].id if code == "basic_not_met" else
                              None)
                    if gaps:
                        _gap(a, ind_id, code, hit & ~in_gap[ind_id], gap, W, target, part)
                        in_gap[ind_id] |= hit
            rest = rows & ~explained
            if rest.any():
                own = reasons[o.reason[part][rest]]
                token = np.where(own == "", rule_name,
                                 _fill(W.templates["rule_reason"], rule=rule_name, reason=own))
                _append(column, rest, token.astype(object))
    return failed, open_, gap


def _gap(a: Assessment, ind_id: str, code: str, hit: np.ndarray, gap: np.ndarray, W: Words,
         target: str | None, part: slice) -> None:
    """Append to `gap` (the cells of the rows `part`) what blocks indicator `ind_id` in the
    rows `hit` (a mask over `part`)."""
    if not hit.any():
        return
    rows = np.flatnonzero(hit) + part.start  # the same rows, positions in the population
    r = a.indicators[ind_id]
    name = W.indicators.get(ind_id, ind_id)
    if code in FAIL_REASONS:
        value = _value_text(r, rows, W)
        token = _fill(W.templates["gap_value"], indicator=name, value=value)
        if target is not None and code in _GRADED:
            token = _required(a, ind_id, rows, target, W, name, value, token)
        _append(gap, hit, token)
    elif code == "level_not_assessable" and r.step_reasons is not None:
        k = np.clip(r.lowest[rows].astype(np.int64) + 1, 0, r.step_reasons.shape[0] - 1)
        why = np.array(STEP_REASONS, dtype=object)[r.step_reasons[k, rows]]
        why = np.where(why == "", code, why).astype(object)
        shown = _say(why, {**W.reasons, **W.step_reasons})
        _append(gap, hit, _fill(W.templates["gap_open"], indicator=name, reason=shown))
    elif code in _BLOCKING:
        _append(gap, hit, _fill(W.templates["gap_open"], indicator=name,
                                reason=W.reasons.get(code, code)))


def required_gap(a: Assessment, ind_id: str, rows: np.ndarray, target: str
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For the `rows` (positions, ascending) of a graded indicator, each for those rows: (the
    value required to reach level
    `target`, NaN where it cannot be told — no threshold, an ordinal grade, or a step up to the
    target not assessable; the binding reference; strictly more than it needed; improve by,
    in the direction of improvement, from the value judged; the value judged: the end of the
    declared interval, rounded as compared)."""
    assert a.catalogue is not None
    r = a.indicators[ind_id]
    ind = a.catalogue.sets[a.population.category].indicators[ind_id]
    ladder = a.programme.ladder
    method = Method.of(ind)
    sign = method.sign or 1
    need = np.full(len(rows), np.nan)
    ref = np.full(len(rows), "", dtype=object)
    strict = np.zeros(len(rows), dtype=bool)
    if ind.kind != "ordinal":
        for chunk, keep, at in r.resolved_of(rows):
            v, b, s = required_values(ladder, target, chunk_applied(chunk, keep), method)
            need[at], ref[at], strict[at] = v, b, s
    if r.steps is not None:  # a step up to the target not assessable: the gap is not known
        k = ladder.index(target)
        need[(r.steps[1:k + 1, rows] == NOT_ASSESSABLE).any(axis=0)] = np.nan
    end = method.prepare(np.where(sign > 0, r.lo[rows], r.hi[rows]).astype(float))  # as compared
    by = np.round((need - end) * sign, 10)
    return need, ref, strict, by, end


def _required(a: Assessment, ind_id: str, rows: np.ndarray, target: str, W: Words, name: str,
              value: np.ndarray, token: np.ndarray) -> np.ndarray:
    """The gap token of a graded indicator below its level: the value as judged, the value
    required and by how much to improve — or, where the value is at a limit it must exceed,
    that it must exceed it (never "improve by 0")."""
    need, ref, strict, by, end = required_gap(a, ind_id, rows, target)
    r = a.indicators[ind_id]
    sign = r.sign or 1
    unit = f" {r.unit}" if r.unit else ""
    known = np.isfinite(need)
    if not known.any():
        return token
    value = np.where(known, _number_text(end) + unit, value)  # as judged: 90.45 → 90.4
    required = _number_text(np.where(known, need, 0)) + unit
    improve = _number_text(np.where(known, by, 0)) + unit
    exceed = strict | (by <= 0)
    op = np.where(exceed, W.ops["more_than" if sign > 0 else "less_than"],
                  W.ops["at_least" if sign > 0 else "at_most"]).astype(object)
    common = {"indicator": name, "value": value, "op": op, "required": required,
              "reference": ref}
    full = np.where(exceed, _fill(W.templates["gap_exceed"], **common),
                    _fill(W.templates["gap_required"], **common, by=improve))
    return np.where(known, full, token).astype(object)


# --- the summary -----------------------------------------------------------------------------


def _counts(values: pd.Series) -> dict[str, int]:
    counts = values.value_counts(sort=False)
    return {str(k): int(counts[k]) for k in sorted(counts.index, key=str)}


def reason_counts(table: pd.DataFrame) -> pd.Series:
    """How many rows fail for each reason code (a row counted once per code)."""
    codes, uniques = pd.factorize(table["failed_rules"])  # few distinct cells: parse those
    per_cell = np.bincount(codes[codes >= 0], minlength=len(uniques))
    counts: dict[str, int] = {}
    for cell, k in zip(uniques, per_cell, strict=True):
        for code in set(re.findall(r":(\w+)", str(cell))):
            counts[code] = counts.get(code, 0) + int(k)
    return pd.Series(counts, dtype=np.int64)


_COUNTED = ("by_category", "by_verdict", "by_level", "reasons")  # code → rows, added part by part


def verdict_counts(table: pd.DataFrame) -> dict[str, Any]:
    """What a summary counts in a verdict table: rows; rows per category, verdict, overall level
    and reason code; per segment, rows per verdict. Counts of parts of one table add up to the
    counts of the table (`added_counts`)."""
    by_segment: dict[str, dict[str, int]] = {}
    for (seg, verdict), count in table.groupby(["segment", "verdict"]).size().items():
        by_segment.setdefault(str(seg), {})[str(verdict)] = int(count)
    return {"rows": len(table), "by_category": _counts(table["category"]),
            "by_segment": {k: by_segment[k] for k in sorted(by_segment)},
            "by_verdict": _counts(table["verdict"]),
            "by_level": _counts(table["overall_level"]),
            "reasons": {str(k): int(v) for k, v in reason_counts(table).items()}}


def added_counts(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The `verdict_counts` of parts of one table added: the counts of the whole table."""
    def added(counts: list[dict[str, int]]) -> dict[str, int]:
        total: dict[str, int] = {}
        for c in counts:
            for k, v in c.items():
                total[k] = total.get(k, 0) + v
        return {k: total[k] for k in sorted(total)}

    segments = sorted({seg for c in parts for seg in c["by_segment"]})
    return {"rows": sum(c["rows"] for c in parts),
            **{key: added([c[key] for c in parts]) for key in _COUNTED},
            "by_segment": {seg: added([c["by_segment"].get(seg, {}) for c in parts])
                           for seg in segments}}


def counts_summary(counts: dict[str, Any], name: str, programme: str, on: dt.date,
                   reports: dict[str, Any]) -> dict[str, Any]:
    """The summary of a verdict table from its `verdict_counts`: the counts, the most frequent
    reasons of failure, and which individual reports were written."""
    top = sorted(counts["reasons"].items(), key=lambda kv: (-kv[1], kv[0]))
    return {"kind": "verdict_summary", "table": name, "programme": programme,
            "evaluation_date": on.isoformat(), "rows": counts["rows"],
            "by_category": counts["by_category"], "by_segment": counts["by_segment"],
            "by_verdict": counts["by_verdict"], "by_level": counts["by_level"],
            "top_reasons": [{"reason": k, "count": v} for k, v in top[:TOP_REASONS]],
            "reports": reports}


def table_counts(a: Assessment) -> dict[str, Any]:
    """The `verdict_counts` of an assessment's verdict table, counted a chunk at a time."""
    return added_counts([verdict_counts(chunk) for chunk in verdict_chunks(a, counted=True)])


def verdict_summary(a: Assessment, name: str, programme: str, on: dt.date,
                    reports: dict[str, Any]) -> dict[str, Any]:
    """Counts per category, segment, verdict and overall level, the most frequent reasons of
    failure, and which individual reports were written: its size does not grow with the rows."""
    return counts_summary(table_counts(a), name, programme, on, reports)


def summary_json(summary: dict) -> str:
    return json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def summary_markdown(summary: dict, L: dict) -> str:
    """The summary as Markdown; every word from `L` (labels.yaml `verdict_table`)."""
    from benchmark.report import md_escape

    V = L["verdict_table"]

    def table(title: str, column: str, counts: dict[str, int], blank: str) -> list[str]:
        lines = [f"## {title}", "", f"| {column} | {V['count']} |", "|---|---:|"]
        lines += [f"| {md_escape(k or blank)} | {v} |" for k, v in counts.items()]
        return [*lines, ""]

    lines = [f"# {V['summary_title'].format(table=md_escape(summary['table']))}", "",
             f"- {V['programme']}: {md_escape(summary['programme'])}",
             f"- {V['date']}: {summary['evaluation_date']}",
             f"- {V['rows']}: {summary['rows']}",
             f"- {V['reports']}: {md_escape(summary['reports']['note'])}", ""]
    lines += table(V["by_category"], V["category"], summary["by_category"], "")
    lines += table(V["by_verdict"], V["verdict"],
                   {L.get(k, k): v for k, v in summary["by_verdict"].items()}, "")
    lines += [f"## {V['by_segment']}", "",
              f"| {V['segment']} | " + " | ".join(L.get(k, k) for k in _VERDICT_ORDER) + " |",
              "|---|" + "---:|" * len(_VERDICT_ORDER)]
    for seg, counts in summary["by_segment"].items():
        lines.append(f"| {md_escape(seg or V['no_segment'])} | "
                     + " | ".join(str(counts.get(k, 0)) for k in _VERDICT_ORDER) + " |")
    lines.append("")
    lines += table(V["by_level"], V["overall_level"], summary["by_level"], V["no_level"])
    lines += [f"## {V['top_reasons']}", "", f"| {V['reason']} | {V['count']} |", "|---|---:|"]
    lines += [f"| {md_escape(x['reason'])} | {x['count']} |" for x in summary["top_reasons"]]
    return "\n".join(lines) + "\n"


_VERDICT_ORDER = ("eligible", "not_eligible", "not_evaluable")


# --- the writers -----------------------------------------------------------------------------


def headers(a: Assessment, L: dict, indicator_names: Mapping[str, str]) -> list[str]:
    """Column headers of an assessment's verdict table in the report language (labels.yaml
    `verdict_table`)."""
    V = L["verdict_table"]
    out = []
    for col in verdict_table(a, part=slice(0, 0)).columns:
        if col.startswith(LEVEL_PREFIX):
            ind = col[len(LEVEL_PREFIX):]
            out.append(V["level_of"].format(indicator=indicator_names.get(ind, ind)))
        else:
            out.append(V[col])
    return out


def _rows_of(a: Assessment) -> pd.DataFrame:
    """A frame of the table's rows holding nothing per row (a range index and one column of a
    single zero seen at every row), which the writers' chunk loops cut; each chunk is then made
    from its rows' positions, its index (`_made`)."""
    return pd.DataFrame({"at": np.broadcast_to(np.int8(0), len(a.population))}, copy=False)


def _made(a: Assessment, W: Words, header: list[str] | None = None
          ) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The verdict table of a chunk of `_rows_of` (its headers `header` when given)."""
    def made(chunk: pd.DataFrame) -> pd.DataFrame:
        at = chunk.index
        table = verdict_table(a, W, slice(int(at[0]), int(at[-1]) + 1) if len(at)
                              else slice(0, 0))
        return table.set_axis(header, axis=1) if header is not None else table
    return made


def csv_writer(a: Assessment, W: Words, header: list[str],
               progress: Callable[[int], None] = lambda rows: None
               ) -> Callable[[IO[bytes]], None]:
    """The table in the words `W` as a CSV for spreadsheets (report/frames.py: BOM, neutralised,
    streamed: made and written a chunk of rows at a time); `progress(rows)` told the rows
    written so far."""
    return lambda fh: frames.write_csv(_rows_of(a), fh, WORDS_CHUNK_ROWS, progress,
                                _made(a, W, header))


def parquet_writer(a: Assessment, progress: Callable[[int], None] = lambda rows: None
                   ) -> Callable[[IO[bytes]], None]:
    """Parquet with the stable column ids and codes in the cells; text exactly as read (not
    neutralised); one row group per chunk of rows, each made as it is written; `progress(rows)`
    told the rows written."""
    return lambda fh: frames.write_parquet(_rows_of(a), fh, CHUNK_ROWS, progress,
                                    shown=_made(a, CODES))


def xlsx_writer(a: Assessment, W: Words, header: list[str], on: dt.date, title: str,
                split_note: str, split: Callable[[str, int], None] = lambda title, parts: None,
                progress: Callable[[int], None] = lambda rows: None
                ) -> Callable[[IO[bytes]], None]:
    """The table in the words `W` as one worksheet (report/xlsx.py row workbook: constant
    memory, text safe, numbers as numbers, the header row frozen with filters; its rows made a
    chunk at a time), split into parts past the rows a worksheet holds (`split(title, parts)`
    told); `progress(rows)` told the rows written."""
    def write(fh: IO[bytes]) -> None:
        sheet = xlsx.RowSheet(title, header, len(a.population),
                              frames=verdict_chunks(a, W, WORDS_CHUNK_ROWS),
                              formats={0: "0"}, freeze_columns=1, split_note=split_note)
        xlsx.write_row_workbook(fh, [sheet], on, max_rows=xlsx.EXCEL_MAX_ROWS, split=split,
                                progress=progress)
    return write
