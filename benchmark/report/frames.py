"""Per-row tables written straight from pandas DataFrames, a chunk of rows at a time: CSV for
spreadsheets (UTF-8 with a BOM, "\\n" line ends, lists joined with "; ", text that a spreadsheet
would run as a formula prefixed with a quote — column by column, never cell by cell) and Parquet
(pyarrow, one row group per chunk). Both are functions of a binary file, for `write_all`, and
tell `progress(rows)` the rows written so far.

The CSV text is built column-wise with pyarrow compute (`csv_fields`): the same bytes pandas'
`to_csv` writes (numbers as Python writes them, fields quoted as the csv module's QUOTE_MINIMAL
does), without a Python object per cell. A chunk holding a column of another kind (lists,
dates, mixed objects) is written by pandas, as before.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from benchmark.heap import released
from benchmark.population import decoded
from benchmark.report import BOM, FORMULA_START

CHUNK_ROWS = 100_000  # rows converted and written at a time
Progress = Callable[[int], None]


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


# --- the CSV text of a column, with pyarrow ----------------------------------------------------

# repr's fixed notation runs from 1e-4 to 1e16, pyarrow's cast from 1e-6 to 1e10: inside both,
# pyarrow's shortest digits are repr's but for the ".0" of a whole number; outside, numpy
_FIXED_LOW, _FIXED_HIGH = 1e-4, 1e10


def _quoted_by_csv(char: str) -> bool:
    """Whether the csv module (QUOTE_MINIMAL, "\\n" line ends) quotes a field holding `char`."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([f"a{char}b", "c"])
    return buf.getvalue().startswith('"')


_QUOTED_CHARS = "".join(c for c in ',"\n\r' if _quoted_by_csv(c))


def float_text(values: np.ndarray) -> pa.Array:
    """Floats as pandas' `to_csv` writes them, Python's repr (shortest round-trip digits,
    "1.0", "1e-05", "1e+16", "inf"), NaN as null."""
    values = np.asarray(values, dtype=np.float64)
    text = pc.cast(pa.array(values, from_pandas=True), pa.string())
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(values) & (values == np.trunc(values))
    if whole.any():
        text = pc.if_else(pa.array(whole), pc.binary_join_element_wise(text, ".0", ""), text)
    size = np.abs(values)
    other = np.isfinite(values) & (size != 0) & ((size < _FIXED_LOW) | (size >= _FIXED_HIGH))
    if other.any():
        text = pc.replace_with_mask(text, pa.array(other),
                                    plain_text(pa.array(values[other].astype(str), pa.string())))
    return text


def plain_text(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """An arrow column as one `string` array (not chunked, not `large_string`)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.string()) if array.type != pa.string() else array


def column_text(column: pd.Series) -> tuple[pa.Array, bool] | None:
    """(the cells of a column as pandas writes them, null for an empty cell; whether they are
    text) or None for a column of another kind (lists, dates, mixed objects)."""
    column = decoded(column)
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        named = column_text(pd.Series(column.cat.categories))
        if named is None:
            return None
        codes = column.cat.codes.to_numpy()
        return pc.take(named[0], pa.array(codes, mask=codes < 0)), named[1]
    numpy = isinstance(dtype, np.dtype)
    if numpy and dtype.kind == "b":
        return pa.array(np.where(column.to_numpy(), "True", "False")), False
    if numpy and dtype.kind == "f":
        return float_text(column.to_numpy()), False
    if dtype.kind in "iu" and (numpy or str(dtype)[:1] in "IU"):
        return plain_text(pc.cast(pa.array(column, from_pandas=True), pa.string())), False
    if numpy and dtype.kind == "O":
        kind = pd.api.types.infer_dtype(column, skipna=True)
        if kind not in ("string", "empty"):
            return None
        return plain_text(pa.array(column.to_numpy(), type=pa.string(), from_pandas=True)), True
    if pd.api.types.is_string_dtype(dtype):
        return plain_text(pa.array(column, from_pandas=True)), True
    return None


def _bytes(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes) of a string array, as numpy views of its buffers."""
    wide = pa.types.is_large_string(text.type) or pa.types.is_large_binary(text.type)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64 if wide else np.int32)[
        text.offset:text.offset + len(text) + 1]
    data = text.buffers()[2]
    return offsets, np.frombuffer(data, dtype=np.uint8) if data else np.zeros(1, np.uint8)


def _table(chars: bytes) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[list(chars)] = True
    return table


_FORMULA_BYTES = "".join(FORMULA_START).encode("ascii")


def starting_with(text: pa.Array, chars: bytes) -> np.ndarray:
    """Whether each cell's first byte is one of `chars` (ASCII: never inside a multibyte UTF-8
    character)."""
    offsets, data = _bytes(text)
    filled = offsets[1:] > offsets[:-1]
    first = np.zeros(len(text), dtype=bool)
    first[filled] = _table(chars)[data[offsets[:-1][filled]]]
    return first


def ending_with(text: pa.Array, chars: bytes) -> np.ndarray:
    """Whether each cell's last byte is one of `chars` (ASCII)."""
    offsets, data = _bytes(text)
    filled = offsets[1:] > offsets[:-1]
    last = np.zeros(len(text), dtype=bool)
    last[filled] = _table(chars)[data[offsets[1:][filled] - 1]]
    return last


def holding(text: pa.Array, chars: bytes) -> np.ndarray | None:
    """Whether each cell holds one of the bytes `chars` (ASCII), or None when none does."""
    offsets, data = _bytes(text)
    data = data[offsets[0]:offsets[-1]]
    hit = np.zeros(len(data), dtype=bool)
    for char in chars:
        hit |= data == char
    if not hit.any():
        return None
    rows = np.zeros(len(text), dtype=bool)
    rows[np.searchsorted(offsets, np.flatnonzero(hit) + offsets[0], side="right") - 1] = True
    return rows


def longest(text: pa.Array) -> int:
    """The most bytes a cell of a string array holds."""
    offsets, _ = _bytes(text)
    return int(np.diff(offsets).max()) if len(text) else 0


def safe_formula(text: pa.Array) -> pa.Array:
    """Text that a spreadsheet would run as a formula (= + - @, tab or CR first) prefixed with
    a quote."""
    risky = starting_with(text, _FORMULA_BYTES)
    if not risky.any():
        return text
    return pc.if_else(pa.array(risky), pc.binary_join_element_wise("'", text, ""), text)


def csv_fields(column: pd.Series) -> pa.Array | None:
    """A column's CSV fields (None for a column of another kind, see `column_text`): text
    neutralised, a field holding the delimiter, a quote or a line end quoted with its quotes
    doubled, empty cells empty."""
    cells = column_text(column)
    if cells is None:
        return None
    text, is_text = cells
    if is_text:
        text = safe_formula(text)
        quote = holding(text, _QUOTED_CHARS.encode("ascii"))
        if quote is not None:
            doubled = pc.replace_substring(text, '"', '""')
            text = pc.if_else(pa.array(quote),
                              pc.binary_join_element_wise('"', doubled, '"', ""), text)
    return pc.fill_null(text, "")


def csv_lines(frame: pd.DataFrame) -> memoryview | None:
    """The CSV lines of `frame` (no header) as UTF-8 bytes, or None when a column is of a kind
    the pyarrow kernel does not write (pandas does) or there is a single column (the csv module
    quotes a lone empty field)."""
    if frame.shape[1] < 2:
        return None
    fields = []
    for k in range(frame.shape[1]):
        column = csv_fields(frame.iloc[:, k])
        if column is None:
            return None
        fields.append(column)
    lines = pc.binary_join_element_wise(*fields, ",")
    lines = pc.binary_join_element_wise(lines, "\n", "")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[
        lines.offset:lines.offset + len(lines) + 1]
    return memoryview(lines.buffers()[2])[offsets[0]:offsets[-1]]


def write_csv(frame: pd.DataFrame, fh: IO[bytes], chunk_rows: int = CHUNK_ROWS,
              progress: Progress = lambda rows: None,
              shown: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> None:
    """`frame` as a CSV for spreadsheets, written to `fh` a chunk of rows at a time; each chunk
    written as `shown(chunk)` when given (a table put in words a chunk at a time, its columns
    and header the same for every chunk)."""
    fh.write(BOM.encode("utf-8"))
    if frame.empty:
        columns = (shown(frame) if shown else frame).columns
        fh.write((",".join(map(str, columns)) + "\n").encode("utf-8"))
        return
    head = shown(frame.iloc[:1]).iloc[:0] if shown else frame.iloc[:0]
    fh.write(head.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    released()  # what the caller let go of before writing, before the first chunk is made
    for start in range(0, len(frame), chunk_rows):
        part = frame.iloc[start:start + chunk_rows]
        part = shown(part) if shown else part
        lines = csv_lines(part)
        if lines is None:
            text = neutralised(part).to_csv(index=False, header=False, lineterminator="\n")
            fh.write(text.encode("utf-8"))
        else:
            fh.write(lines)
        del lines
        released()
        progress(start + len(part))


def arrow_schema(frame: pd.DataFrame, text: Sequence[str] = ()) -> pa.Schema:
    """The Parquet schema of a table: ids as column names, numbers as numbers, text columns
    (mixed with nulls) as text, categories as dictionaries, lists as lists; the columns `text`
    (text objects) as `large_string`, as pandas' own text type is stored."""
    fields = []
    for name in frame.columns:
        column = frame[name]
        if name in text:
            fields.append(pa.field(str(name), pa.large_string()))
            continue
        if column.dtype == object:
            sample = column.dropna()
            if sample.empty or pd.api.types.infer_dtype(sample, skipna=True) == "string":
                fields.append(pa.field(str(name), pa.string()))
                continue
        fields.append(pa.Schema.from_pandas(frame[[name]], preserve_index=False).field(0))
    return pa.schema(fields)


def write_parquet(frame: pd.DataFrame, fh: IO[bytes], chunk_rows: int = CHUNK_ROWS,
                  progress: Progress = lambda rows: None, text: Sequence[str] = (),
                  shown: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> None:
    """`frame` as Parquet (zstd), one row group per chunk of rows; the object columns `text`
    made `large_string` a chunk at a time (see `arrow_schema`); each chunk written as
    `shown(chunk)` when given (a table made a chunk at a time, as in `write_csv`)."""
    schema = arrow_schema(shown(frame.iloc[:1]) if shown else frame, text)
    released()  # what the caller let go of before writing, before the first chunk is made
    with pq.ParquetWriter(fh, schema, compression="zstd") as writer:
        for start in range(0, max(len(frame), 1), chunk_rows):
            part = frame.iloc[start:start + chunk_rows]
            part = shown(part) if shown else part
            writer.write_table(pa.Table.from_pandas(part, schema=schema, preserve_index=False))
            released()
            progress(start + len(part))
