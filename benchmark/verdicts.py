"""The verdict table of an assessed population: one row per declaration — identity as written,
category, segment, verdict, overall level, the level of every indicator, the rules that fail or
cannot be assessed with their reason codes, and what blocks — read from the assessment's arrays
(no row is explained). Its writers (CSV with a BOM, Parquet, XLSX) and its bounded summary
(JSON, Markdown: counts and the most frequent reasons, never the rows).

`verdict_table` is the one function that decides the columns; `evaluate TABLE` and
`benchmark.evaluate(DataFrame)` both return it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

import numpy as np
import pandas as pd

from benchmark.engine.assess import Assessment
from benchmark.engine.rules import FAIL_REASONS, REASONS
from benchmark.engine.types import FAIL, STATUSES, STEP_REASONS, UNKNOWN

IDENTITY = ("enterprise", "credit_code", "standard_number", "standard_title", "model")
TABLE_FORMATS = ("csv", "parquet", "xlsx")
XLSX_MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header
TOP_REASONS = 10
LEVEL_PREFIX = "level:"
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")  # what XML cannot hold
_BLOCKING = frozenset({"level_not_assessable", "no_reference", "indicator_not_declared",
                       "basic_not_declared", "basic_not_assessable", "required_not_declared"})


def verdict_table(a: Assessment) -> pd.DataFrame:
    """One row per row of the assessed population, in its order. Identity cells are the text as
    read; levels are ladder ids ("low..high" where only an interval is known, else the
    indicator's status code); rules are `rule:reason(indicator)` tokens joined by "; "."""
    pop: Any = a.population
    assert a.catalogue is not None
    iset = a.catalogue.sets[pop.category]
    n = len(pop)
    ids = np.array([lv.id for lv in a.programme.ladder.levels], dtype=object)
    out: dict[str, Any] = {"row": np.asarray(pop.rows, dtype=np.int64)}
    for key in IDENTITY:
        values = pop.fields.get(key)
        out[key] = (np.asarray(values, dtype=object).astype(str) if values is not None
                    else np.full(n, "", dtype=object))
    out["category"] = np.full(n, iset.id, dtype=object)
    out["segment"] = np.asarray(a.segment, dtype=object)
    out["verdict"] = np.asarray(a.verdict, dtype=object)
    low, high, _ = a.overall
    out["overall_level"] = _levels(ids, low, high, np.full(n, "", dtype=object))
    statuses = np.array(STATUSES, dtype=object)
    for ind_id, r in a.indicators.items():
        out[LEVEL_PREFIX + ind_id] = _levels(ids, r.lowest, r.highest, statuses[r.status])
    failed, open_, gap = _rules(a, n)
    out["failed_rules"], out["open_rules"], out["gap"] = failed, open_, gap
    return pd.DataFrame(out)


def _levels(ids: np.ndarray, low: np.ndarray, high: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Ladder id where the level is assessed, "low..high" where it is an interval, `other`
    where there is no level."""
    low, high = np.asarray(low, dtype=np.int64), np.asarray(high, dtype=np.int64)
    has = low >= 0
    lo = np.where(has, ids[np.clip(low, 0, None)], "")
    hi = np.where(has, ids[np.clip(high, 0, None)], "")
    return np.where(~has, other, np.where(low == high, lo, lo + ".." + hi)).astype(object)


def _append(column: np.ndarray, rows: np.ndarray, token: Any) -> None:
    """Append `token` (one text, or one per row of `rows`) to the cells of `rows`."""
    if not rows.any():
        return
    cur = column[rows]
    column[rows] = np.where(cur == "", token, cur + "; " + token)


def _value_text(r, rows: np.ndarray) -> np.ndarray:
    """The value judged, with its unit, for `rows` (a label as declared where there is none)."""
    value = r.value[rows]
    text = np.array([f"{v:.6g}" for v in value], dtype=object) if len(value) else \
        np.array([], dtype=object)
    if r.label is not None:
        label = np.asarray(r.label, dtype=object)[rows]
        text = np.where(np.isfinite(value), text, np.array([str(x) for x in label], dtype=object))
    unit = f" {r.unit}" if r.unit else ""
    return np.where(np.isfinite(value), text + unit, text).astype(object)


def _rules(a: Assessment, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The failed and not assessable rules of every row with their reason codes, and what
    blocks: the value and unit of an indicator that fails a rule, or why one is unknown."""
    failed = np.full(n, "", dtype=object)
    open_ = np.full(n, "", dtype=object)
    gap = np.full(n, "", dtype=object)
    in_gap = {ind_id: np.zeros(n, dtype=bool) for ind_id in a.indicators}
    reasons = np.array(REASONS, dtype=object)
    for rule in a.programme.rules:
        o = a.outcomes[rule.id]
        for outcome, column in ((FAIL, failed), (UNKNOWN, open_)):
            rows = o.codes == outcome
            if not rows.any():
                continue
            explained = np.zeros(n, dtype=bool)
            for ind_id, codes in o.subjects.items():
                for c in np.unique(codes[rows]):
                    code = str(REASONS[int(c)])
                    if not c or (outcome == FAIL) != (code in FAIL_REASONS):
                        continue
                    hit = rows & (codes == c)
                    _append(column, hit, f"{rule.id}:{code}({ind_id})")
                    explained |= hit
                    _gap(a, ind_id, code, hit & ~in_gap[ind_id], gap)
                    in_gap[ind_id] |= hit
            rest = rows & ~explained
            if rest.any():
                own = reasons[o.reason[rest]]
                token = np.where(own == "", rule.id, rule.id + ":" + own).astype(object)
                _append(column, rest, token)
    return failed, open_, gap


def _gap(a: Assessment, ind_id: str, code: str, rows: np.ndarray, gap: np.ndarray) -> None:
    if not rows.any():
        return
    r = a.indicators[ind_id]
    if code in FAIL_REASONS:
        _append(gap, rows, ind_id + " = " + _value_text(r, rows))
    elif code == "level_not_assessable" and r.step_reasons is not None:
        k = np.clip(r.lowest[rows].astype(np.int64) + 1, 0, r.step_reasons.shape[0] - 1)
        why = np.array(STEP_REASONS, dtype=object)[r.step_reasons[k, np.flatnonzero(rows)]]
        _append(gap, rows, np.where(why == "", ind_id + ": " + code, ind_id + ": " + why)
                .astype(object))
    elif code in _BLOCKING:
        _append(gap, rows, f"{ind_id}: {code}")


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


def verdict_summary(table: pd.DataFrame, name: str, programme: str, on: dt.date,
                    reports: dict[str, Any]) -> dict[str, Any]:
    """Counts per category, segment, verdict and overall level, the most frequent reasons of
    failure, and which individual reports were written: its size does not grow with the rows."""
    reasons = reason_counts(table)
    top = sorted(((str(k), int(v)) for k, v in reasons.items()), key=lambda kv: (-kv[1], kv[0]))
    by_segment: dict[str, dict[str, int]] = {}
    for (seg, verdict), count in table.groupby(["segment", "verdict"]).size().items():
        by_segment.setdefault(str(seg), {})[str(verdict)] = int(count)
    return {"kind": "verdict_summary", "table": name, "programme": programme,
            "evaluation_date": on.isoformat(), "rows": len(table),
            "by_category": _counts(table["category"]),
            "by_segment": {k: by_segment[k] for k in sorted(by_segment)},
            "by_verdict": _counts(table["verdict"]),
            "by_level": _counts(table["overall_level"]),
            "top_reasons": [{"reason": k, "count": v} for k, v in top[:TOP_REASONS]],
            "reports": reports}


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


def headers(table: pd.DataFrame, L: dict, indicator_names: dict[str, str]) -> list[str]:
    """Column headers in the report language (labels.yaml `verdict_table`)."""
    V = L["verdict_table"]
    out = []
    for col in table.columns:
        if col.startswith(LEVEL_PREFIX):
            ind = col[len(LEVEL_PREFIX):]
            out.append(V["level_of"].format(indicator=indicator_names.get(ind, ind)))
        else:
            out.append(V[col])
    return out


def neutralised(table: pd.DataFrame, xml: bool = False) -> pd.DataFrame:
    """Text cells a spreadsheet would read as a formula (= + - @, tab, CR first) prefixed with a
    quote, column by column; with `xml` the characters XML cannot hold removed too."""
    out = table.copy()
    for col in out.columns:
        if out[col].dtype.kind in "biuf":  # numbers stay numbers
            continue
        s = out[col].astype(str)
        if xml:
            s = s.str.replace(_ILLEGAL, "", regex=True)
        out[col] = s.where(~s.str.match(_FORMULA), "'" + s)
    return out


def csv_bytes(table: pd.DataFrame, header: list[str]) -> bytes:
    """CSV, UTF-8 with a BOM (Excel on Chinese Windows reads it right), "\\n" line ends."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    buf = io.BytesIO()
    buf.write(("\ufeff" + pd.DataFrame(columns=header).to_csv(index=False, lineterminator="\n"))
              .encode("utf-8"))
    pa_csv.write_csv(pa.Table.from_pandas(neutralised(table), preserve_index=False), buf,
                     pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    return buf.getvalue()


def parquet_bytes(table: pd.DataFrame) -> bytes:
    """Parquet with the stable column ids; text exactly as read (not neutralised)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), buf, compression="zstd")
    return buf.getvalue()


def xlsx_bytes(table: pd.DataFrame, header: list[str], on: dt.date, title: str) -> bytes:
    """XLSX through openpyxl's constant-memory writer; text cells neutralised, numbers kept;
    identical for identical inputs (every timestamp is `on`)."""
    from openpyxl import Workbook

    from benchmark.report.xlsx import save_workbook

    if len(table) > XLSX_MAX_ROWS:
        raise ValueError("more rows than a worksheet holds")  # refused before any work
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.freeze_panes = "A2"
    ws.append(header)
    for row in neutralised(table, xml=True).itertuples(index=False, name=None):
        ws.append(row)
    out = io.BytesIO()
    save_workbook(wb, out, on)
    return out.getvalue()
