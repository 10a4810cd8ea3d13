"""Per-row tables written straight from pandas DataFrames, a chunk of rows at a time: CSV for
spreadsheets (UTF-8 with a BOM, "\\n" line ends, lists joined with "; ", text that a spreadsheet
would run as a formula prefixed with a quote — column by column, never cell by cell) and Parquet
(pyarrow, one row group per chunk). Both are functions of a binary file, for `write_all`.
"""

from __future__ import annotations

import io
from typing import IO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from benchmark.report import BOM, FORMULA_START

CHUNK_ROWS = 100_000  # rows converted and written at a time


def _neutral(values: pd.Series) -> pd.Series:
    """Text that could run as a formula, prefixed with a quote; other cells as they are."""
    text = values.astype(object)
    risky = text.str.startswith(FORMULA_START).fillna(False).astype(bool)
    if not risky.any():
        return values
    return text.where(~risky, "'" + text.where(risky, ""))


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its text columns safe for a spreadsheet: a cell starting with = + - @, tab
    or CR prefixed with a quote; a column of lists joined with "; " (small tables only hold
    lists). Categorical columns are neutralised once per category."""
    out = {}
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            categories = pd.Series(column.cat.categories, dtype=object)
            text = pd.api.types.infer_dtype(categories, skipna=True) == "string"
            safe = _neutral(categories) if text else categories
            if safe.is_unique and safe is not categories:
                column = column.cat.rename_categories(list(safe))
            elif safe is not categories:
                column = _neutral(column.astype(object))
        elif column.dtype == object or pd.api.types.is_string_dtype(column):
            first = column.dropna().head(1).tolist()
            if first and isinstance(first[0], (list, tuple)):
                column = column.map(lambda v: "; ".join(map(str, v))
                                    if isinstance(v, (list, tuple)) else v)
            column = _neutral(column)
        out[name] = column
    return pd.DataFrame(out, index=frame.index)


def write_csv(frame: pd.DataFrame, fh: IO[bytes], chunk_rows: int = CHUNK_ROWS) -> None:
    """`frame` as a CSV for spreadsheets, written to `fh` a chunk of rows at a time."""
    text = io.TextIOWrapper(fh, encoding="utf-8", newline="", write_through=True)
    try:
        text.write(BOM)
        if frame.empty:
            text.write(",".join(map(str, frame.columns)) + "\n")
        for start in range(0, len(frame), chunk_rows):
            neutralised(frame.iloc[start:start + chunk_rows]).to_csv(
                text, index=False, header=start == 0, lineterminator="\n")
        text.flush()
    finally:
        text.detach()  # the caller owns `fh`


def arrow_schema(frame: pd.DataFrame) -> pa.Schema:
    """The Parquet schema of a table: ids as column names, numbers as numbers, text columns
    (mixed with nulls) as text, categories as dictionaries, lists as lists."""
    fields = []
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object:
            sample = column.dropna()
            if sample.empty or pd.api.types.infer_dtype(sample, skipna=True) == "string":
                fields.append(pa.field(str(name), pa.string()))
                continue
        fields.append(pa.Schema.from_pandas(frame[[name]], preserve_index=False).field(0))
    return pa.schema(fields)


def write_parquet(frame: pd.DataFrame, fh: IO[bytes], chunk_rows: int = CHUNK_ROWS) -> None:
    """`frame` as Parquet (zstd), one row group per chunk of rows."""
    schema = arrow_schema(frame)
    with pq.ParquetWriter(fh, schema, compression="zstd") as writer:
        for start in range(0, max(len(frame), 1), chunk_rows):
            part = frame.iloc[start:start + chunk_rows]
            writer.write_table(pa.Table.from_pandas(part, schema=schema, preserve_index=False))
