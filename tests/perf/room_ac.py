"""The generated room-AC table of the benchmarks, and the two pipelines the engine is measured
against on it: a floor of the same work in bare pyarrow + numpy, and a polars pipeline as a user
would write one.

Both take the category's segments, directions and weights from the shipped catalogue
(indicator_sets/room-air-conditioner), and leave out what they do not do: the floor has no
identity or credit-code checks, no text requirements ("≥ 5.20" is missing to it), no unit
conversion, no rules, TOPSIS, bootstrap, saturation or reports; its class comparison uses three
per-segment quantiles as stand-in grade edges (same work, not the GB values). polars does the
leader threshold, five tiers and the weighted score, and writes nothing.
"""

from __future__ import annotations

import operator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from test_dask import room_air_conditioners

from benchmark.catalogue import load_catalogue

SET_ID = "room-air-conditioner"
ON = "2026-11-23"
TIERS = 5
LEADER_SHARE = 0.05  # the Leader programme's percentile:5
BANDS = (("gt", operator.gt), ("ge", operator.ge), ("lt", operator.lt), ("le", operator.le))


def write_table(path: Path, rows: int, seed: int = 0) -> Path:
    """A room-AC export of `rows` rows as CSV (UTF-8) or Parquet (by the suffix), cells as text."""
    frame = room_air_conditioners(rows, seed)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def indicator_set():
    return load_catalogue().sets[SET_ID]


def core_quantities(iset) -> list:
    return [i for i in iset.indicators.values() if i.cls == "core" and i.kind == "quantity"]


def header(table_columns: list[str], item_id: str) -> str:
    return next(c for c in table_columns if c == item_id or c.startswith(f"{item_id} ["))


def segment_codes(iset, column) -> np.ndarray:
    """Each row's segment index (-1 = none) from the catalogue's `where`, in numpy;
    `column(parameter id)` gives the parameter's array."""
    codes = None
    for k, seg in enumerate(iset.segments):
        ok = None
        for param, cond in seg.where.items():
            v = column(param)
            if isinstance(cond, tuple):
                test = np.isin(v, np.array(cond, dtype=object))
            else:
                test = np.ones(len(v), dtype=bool)
                for name, op in BANDS:
                    if getattr(cond, name) is not None:
                        test &= op(v, getattr(cond, name))
            ok = test if ok is None else ok & test
        assert ok is not None
        if codes is None:
            codes = np.full(len(ok), -1)
        codes[(codes < 0) & ok] = k
    assert codes is not None
    return codes


def competition_rank(score: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """1, 2, 2, 4 within each segment, higher score first (NaN last)."""
    order = np.lexsort((-np.nan_to_num(score, nan=-np.inf), seg))
    s, g = score[order], seg[order]
    new_group = np.r_[True, g[1:] != g[:-1]]
    new_value = new_group | np.r_[True, s[1:] != s[:-1]]
    position = np.arange(len(order))
    start = np.maximum.accumulate(np.where(new_group, position, 0))
    first = np.maximum.accumulate(np.where(new_value, position, 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = first - start + 1
    return rank


IDENTITY = ("企业名称", "标准编号", "型号")  # the identity columns the per-row tables carry
REASON = "未满足门槛规则：规范性引用文件在评价日均现行有效"  # an exclusion reason, as written
SHORTLIST = 10
SUPERSEDED = "GB 12021.3-2004"  # the superseded reference some rows cite (the floor's gate)


def floor(path: Path, out: Path, iset, outputs: str = "same") -> int:
    """pyarrow read, the same comparisons (numbers parsed, segments, a class per value), leader
    threshold and tiers by per-segment quantiles and np.searchsorted, weighted score and ranks
    per segment in numpy; then the per-row tables written.

    `outputs="same"`: the tables `benchmark rank` writes, of the same shapes — tiers (each row in
    a segment: row, identity, segment name, a tier per indicator), composite (each row in a
    segment citing no superseded standard — the floor's gate, one substring test: row, identity,
    segment, weighted score, rank, shortlisted) and excluded (the other rows: row, identity, a
    reason) — as CSV (BOM) and Parquet by pyarrow
    and as an XLSX of three sheets by `least_xlsx`. `outputs="narrow"`: the issue's first floor,
    one numeric table (row, segment, levels, tiers, score, rank) as CSV and Parquet.
    Returns the rows ranked."""
    table = (pq.read_table(path) if path.suffix == ".parquet" else
             pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
                 strings_can_be_null=True, column_types={c: pa.string() for c in _columns(path)})))
    names = table.column_names

    def number(item_id: str) -> np.ndarray:
        text = table[header(names, item_id)]
        numeric = pc.utf8_is_numeric(pc.replace_substring(text, ".", ""))
        return np.asarray(pc.cast(pc.if_else(numeric, text, None), pa.float64())
                          .to_numpy(zero_copy_only=False), dtype=float)

    def parameter(param_id: str) -> np.ndarray:
        p = iset.parameters[param_id]
        if p.kind in ("quantity", "integer"):
            return number(param_id)
        return table[header(names, param_id)].to_numpy(zero_copy_only=False)

    seg = segment_codes(iset, parameter)
    inds = core_quantities(iset)
    weights = np.array([i.weight for i in inds]) / sum(i.weight for i in inds)
    score = np.zeros(len(seg))
    out_columns: dict[str, np.ndarray] = {"row": np.arange(1, len(seg) + 1), "segment": seg}
    for ind, w in zip(inds, weights, strict=True):
        value = number(ind.id) * ind.sign  # higher is better
        level = np.zeros(len(seg), dtype=np.int8)
        tier = np.zeros(len(seg), dtype=np.int8)
        norm = np.zeros(len(seg))
        for k in np.unique(seg[seg >= 0]):
            rows = np.flatnonzero((seg == k) & ~np.isnan(value))
            if len(rows) == 0:
                continue
            v = value[rows]
            grades = np.quantile(v, [0.25, 0.5, 0.75], method="higher")
            level[rows] = np.searchsorted(grades, v, side="right")
            np.quantile(v, 1 - LEADER_SHARE, method="higher")  # the leader threshold
            edges = np.quantile(v, np.arange(1, TIERS) / TIERS, method="higher")
            tier[rows] = TIERS - np.searchsorted(edges, v, side="right")
            lo, hi = v.min(), v.max()
            norm[rows] = (v - lo) / (hi - lo) if hi > lo else 1.0
        score += w * norm
        out_columns[f"level_{ind.id}"] = level
        out_columns[f"tier_{ind.id}"] = tier
    out_columns["weighted_score"] = score
    out_columns["rank"] = competition_rank(np.where(seg >= 0, score, np.nan), seg)
    # the gate, as one substring test: no superseded standard among the normative references
    refs = table["规范性引用文件"]
    complete = (seg >= 0) & ~np.asarray(pc.fill_null(pc.match_substring(refs, SUPERSEDED), False))
    out.mkdir(parents=True, exist_ok=True)
    if outputs == "narrow":
        _write_table(pa.table(out_columns), out / "floor")
        return int((seg >= 0).sum())
    segment_names = pa.array([s.names.zh for s in iset.segments])

    def rows_of(mask: np.ndarray, **columns) -> pa.Table:
        index = pa.array(np.flatnonzero(mask))
        head = {"行": pa.array(out_columns["row"][mask])}
        head |= {c: table[c].take(index) for c in IDENTITY}
        return pa.table(head | {k: v(mask) if callable(v) else v for k, v in columns.items()})

    def segment(mask: np.ndarray) -> pa.Array:
        return segment_names.take(pa.array(seg[mask]))

    rank = out_columns["rank"]
    tables = {
        "tiers": rows_of(seg >= 0, 分段=segment, **{
            f"档：{i.names.zh}": out_columns[f"tier_{i.id}"][seg >= 0] for i in inds}),
        "composite": rows_of(complete, 分段=segment, 加权得分=score[complete],
                             名次=rank[complete],
                             入围=pa.array(np.where(rank[complete] <= SHORTLIST, "是", "否"))),
        "excluded": rows_of(~complete, 原因=pa.array(np.full((~complete).sum(), REASON)))}
    for name, t in tables.items():
        _write_table(t, out / name)
    least_xlsx(out / "floor.xlsx", tables)
    return int(complete.sum())


def _write_table(table: pa.Table, stem: Path) -> None:
    pq.write_table(table, stem.with_suffix(".parquet"), compression="zstd")
    with stem.with_suffix(".csv").open("wb") as fh:
        fh.write("\ufeff".encode())
        pacsv.write_csv(table, fh)


XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{sheets}</Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="r1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships">{sheets}</Relationships>'),
}
SHEET_TYPE = ("application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml")
REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def least_xlsx(path: Path, tables: dict[str, pa.Table], batch_rows: int = 100_000) -> None:
    """The least work an XLSX of these tables takes: a sheet per table, its header row then the
    rows as sheet XML made column-wise by pyarrow (numbers as <v>, text as escaped inline
    strings, no styles, widths or cell references), deflated by zipfile at level 1 — no
    splitting past Excel's rows (the tables here fit), no neutralising, no print set-up."""
    import zipfile

    n = range(1, len(tables) + 1)
    parts = {
        "[Content_Types].xml": "".join(
            f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="{SHEET_TYPE}"/>'
            for k in n),
        "xl/workbook.xml": "".join(f'<sheet name="{name}" sheetId="{k}" r:id="s{k}"/>'
                                   for k, name in zip(n, tables, strict=True)),
        "xl/_rels/workbook.xml.rels": "".join(
            f'<Relationship Id="s{k}" Type="{REL_TYPE}" Target="worksheets/sheet{k}.xml"/>'
            for k in n),
        "_rels/.rels": ""}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, text in parts.items():
            z.writestr(name, XLSX_PARTS[name].format(sheets=text))
        for k, t in zip(n, tables.values(), strict=True):
            with z.open(f"xl/worksheets/sheet{k}.xml", "w", force_zip64=True) as fh:
                fh.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://'
                         b'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                fh.write(_row_xml([pa.array([c]) for c in t.column_names]))
                for batch in t.to_batches(batch_rows):
                    fh.write(_row_xml(batch.columns))
                fh.write(b"</sheetData></worksheet>")


def _row_xml(columns) -> bytes:
    cells = []
    for col in columns:
        if pa.types.is_string(col.type):
            for old, new in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
                col = pc.replace_substring(col, old, new)
            cell = pc.binary_join_element_wise('<c t="inlineStr"><is><t>', col, "</t></is></c>",
                                               "")
        else:
            cell = pc.binary_join_element_wise("<c><v>", pc.cast(col, pa.string()), "</v></c>",
                                               "")
        cells.append(pc.fill_null(cell, "<c/>"))
    rows = pc.binary_join_element_wise("<row>", *cells, "</row>", "")
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)[rows.offset:][:len(rows) + 1]
    return memoryview(rows.buffers()[2])[offsets[0]:offsets[-1]].tobytes()


def _columns(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        return fh.readline().rstrip("\n").split(",")


def polars_pipeline(path: Path, iset):
    """What a user would write in polars: read, numbers, segments, then per segment the leader
    threshold ("higher" quantile), five tiers by rank and the min-max weighted score with its
    competition rank. Returns (thresholds frame, per-row frame)."""
    import polars as pl

    frame = (pl.read_parquet(path) if path.suffix == ".parquet" else
             pl.read_csv(path, infer_schema=False))
    names = frame.columns
    seg = pl.lit(-1)
    for k in reversed(range(len(iset.segments))):
        cond = pl.lit(True)
        for param, c in iset.segments[k].where.items():
            col = pl.col(header(names, param))
            if isinstance(c, tuple):
                cond &= col.is_in(list(c))
            else:
                num = col.cast(pl.Float64, strict=False)
                for name, op in BANDS:
                    if getattr(c, name) is not None:
                        cond &= op(num, getattr(c, name))
        seg = pl.when(cond).then(k).otherwise(seg)
    inds = core_quantities(iset)
    total = sum(i.weight for i in inds)
    frame = frame.with_columns(
        seg.alias("segment"),
        *[(pl.col(header(names, i.id)).cast(pl.Float64, strict=False) * i.sign).alias(i.id)
          for i in inds]).filter(pl.col("segment") >= 0)
    thresholds = frame.group_by("segment").agg(
        [pl.col(i.id).drop_nulls().quantile(1 - LEADER_SHARE, "higher").alias(i.id)
         for i in inds])
    by_segment = pl.col("segment")
    per_row = frame.with_columns(
        *[(TIERS - ((pl.col(i.id).rank("min").over(by_segment) - 1) * TIERS
                    // pl.col(i.id).count().over(by_segment))).alias(f"tier_{i.id}")
          for i in inds],
        sum((i.weight / total) * ((pl.col(i.id) - pl.col(i.id).min().over(by_segment)) /
                                  (pl.col(i.id).max().over(by_segment) -
                                   pl.col(i.id).min().over(by_segment))).fill_null(0.0)
            for i in inds).alias("weighted_score"))
    per_row = per_row.with_columns(pl.col("weighted_score").rank("min", descending=True)
                                   .over(by_segment).alias("rank"))
    return thresholds, per_row
