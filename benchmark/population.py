"""Populations: tables of declared standards for one category, read onto canonical units.

A population is a CSV (UTF-8, UTF-8 with BOM or GBK/GB 18030), XLSX or Parquet table with one row
per standard or model. Each column is an indicator, a product parameter or an identity field
(enterprise, credit code, standard number, model …), recognised by its header — an id or a name
in Chinese or English, with the unit in brackets (`apf [W·h/W·h]`) — or named by a column-mapping
file, so that a foreign export is read without editing it. A column may hold each row's unit in
another column (`unit_column`), so one indicator can arrive in several source units.

Cells are read the array way: numbers convert with one cached (factor, offset) per distinct unit;
text cells ("≥ 5.20", "５．２ W/W") are parsed once per distinct text with the declaration reader,
so a population value means exactly what the same text means in a declaration. A row that cannot
be used is reported with its row number, column and reason code, and left out — never dropped
silently.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import queue
import re
import stat
import sys
import threading
import unicodedata
from collections.abc import Generator
from concurrent.futures import Future
from contextlib import closing, contextmanager, nullcontext
from contextvars import ContextVar, copy_context
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, BinaryIO, Literal

import numpy as np
import pandas as pd

from benchmark import units
from benchmark.catalogue import close, indicator_set
from benchmark.credit_code import check_credit_code
from benchmark.errors import BenchmarkError, Hint, InputError, Problem, worded
from benchmark.heap import arrow_released, pinned_heap, reused_heap
from benchmark.loading import (
    byte_size_setting,
    empty_file,
    no_such_file,
    not_a_file,
    printable,
    read_document,
    row_count_setting,
    schema_problems,
    too_large_file,
    unreadable_file,
)
from benchmark.model import Catalogue, Indicator, IndicatorSet, Parameter, category_key

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".parquet")
# Tables read in chunks (CSV, TSV, TXT and Parquet files) are limited by rows, and by bytes only
# when BENCHMARK_MAX_TABLE_BYTES is set; standard input and XLSX (held whole) by bytes.
MAX_TABLE_BYTES = 512 * 1024 * 1024  # BENCHMARK_MAX_TABLE_BYTES overrides it ("512M", "2G" …)
MAX_TABLE_ROWS = 50_000_000  # data rows of one table; BENCHMARK_MAX_TABLE_ROWS overrides it
MAX_XLSX_XML_BYTES = 100 * 1024 * 1024  # an XLSX unzipped; BENCHMARK_MAX_XLSX_BYTES overrides it
MAX_COLUMNS = 2000

FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "enterprise": ("enterprise", "企业名称", "企业", "制造商", "manufacturer", "brand", "company"),
    "credit_code": ("credit_code", "统一社会信用代码", "信用代码", "credit code"),
    "standard_number": ("standard_number", "standard", "标准编号", "标准号", "standard number"),
    "standard_title": ("standard_title", "标准名称", "standard title"),
    "model": ("model", "型号", "规格型号", "产品型号", "model number"),
    "product_name": ("product_name", "产品名称", "product name", "product"),
    "normative_references": ("normative_references", "规范性引用文件", "normative references"),
    "shipments": ("shipments", "出货量", "销量", "sales", "shipment"),
}
_HEADER_UNIT = re.compile(r"^(?P<name>.*?)\s*\[(?P<unit>[^\[\]]*)\]\s*$")
_UNIT_SUFFIXES = ("_unit", " unit", "单位", "_单位", " 单位")


@dataclass(frozen=True)
class Column:
    """How one source column is read."""

    source: str
    role: str  # indicator | parameter | field
    target: str
    unit: str | None = None  # unit of plain numbers
    unit_column: str | None = None  # column holding each row's unit
    bound: str | None = None  # what plain numbers stand for (default: the indicator's own bound)
    values: tuple[tuple[str, str], ...] = ()  # category text as written → category value
    decimal: str = "."  # the decimal mark of numbers written as text (a mapping's `decimal`)

    def category(self, text: str) -> str:
        """A category cell as the catalogue names it (the mapping's `values`, else as written)."""
        return dict(self.values).get(text, text)


@dataclass
class Population:
    """The usable rows of a table, on canonical units; excluded rows listed with their reasons."""

    path: str
    sha256: str
    category: str
    rows: np.ndarray  # source row numbers of the usable rows (1 = first data row)
    # identity fields as text ("" when absent): a code per row into the distinct texts
    # (pd.Categorical), arrow strings for a field nearly unique per row (ARROW_FIELDS), or, for
    # a population of declarations, text objects
    fields: dict[str, Any]
    parameters: dict[str, np.ndarray]  # quantities canonical (float), categories as text
    values: dict[str, np.ndarray]  # quantity indicators, canonical float, NaN = not declared
    # boolean (True/False, missing: None) and ordinal/text indicators ("" when absent): a code
    # per row into the distinct labels (pd.Categorical) from a table; objects from declarations
    labels: dict[str, np.ndarray | pd.Categorical]
    columns: list[Column]
    excluded: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    shipments: np.ndarray | None = None  # units shipped per row, when the table says
    inputs: dict[str, str] = field(default_factory=dict)  # files read (table, mapping) → SHA-256
    segment_codes: np.ndarray | None = None  # each row's segment, once someone has found them
    rows_read: int = 0  # data rows read so far, usable or not (reading in chunks)
    intervals: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # lo, hi
    texts: dict[str, np.ndarray] = field(default_factory=dict)  # cells as written, when kept
    header_line: int = 1  # the line of the table's header

    def __len__(self) -> int:
        return len(self.rows)


# --- reading tables ----------------------------------------------------------------------------


# Rows read at a time (CSV, Parquet): a large file is never held whole as text. One chunk more
# is read ahead while one is used (`_read_ahead`), and the text reader gathers the one after:
# besides the population, reading holds about three chunks of cells. Measured on the 1M-row
# room-AC CSV (2 cores): 50,000 rows peak 225 MiB above the catalogue, 100,000 rows 285–298 MiB,
# in about the same time.
CHUNK_ROWS = 50_000
STDIN = "-"  # a table read from standard input
INPUT_FORMATS = ("csv", "tsv", "txt", "xlsx", "parquet")
DELIMITERS = (",", "\t", ";")  # tried in this order when a text table does not say
SNIFF_BYTES = 1 << 16


@dataclass(frozen=True)
class TableOptions:
    """How tables are read when the caller says so for all of them (the command line):
    `header_row` — the line (CSV) or row (XLSX) of the header, 1 = the first, for templates
    with a title above the header; `input_format` — the format of standard input."""

    header_row: int | None = None
    input_format: str | None = None


_DEFAULT_OPTIONS = TableOptions()
_OPTIONS: ContextVar[TableOptions] = ContextVar("table_options",
                                                default=_DEFAULT_OPTIONS)


@contextmanager
def table_options(header_row: int | None = None, input_format: str | None = None):
    """Within the block, tables are read with these options (given ones win over a mapping
    file's `header_row`)."""
    token = _OPTIONS.set(TableOptions(header_row, input_format))
    try:
        yield
    finally:
        _OPTIONS.reset(token)


def read_table(path: str | Path, *, encoding: str | None = None, sheet: str | None = None,
               delimiter: str | None = None, header_row: int | None = None
               ) -> tuple[pd.DataFrame, str]:
    """The table as read (headers as written) and its SHA-256 (see `read_table_chunks`)."""
    chunks, digest = read_table_chunks(path, encoding=encoding, sheet=sheet, delimiter=delimiter,
                                       header_row=header_row)
    parts = list(chunks)
    frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    frame.attrs = dict(parts[0].attrs)
    return frame, digest.result()


def read_table_chunks(path: str | Path, *, encoding: str | None = None, sheet: str | None = None,
                      delimiter: str | None = None, chunk_rows: int | None = None,
                      header_row: int | None = None, text_columns=None):
    """(frames, SHA-256): the table a chunk of rows at a time, and the file's SHA-256 as a
    Future (hashed while the table is read). Every frame has the cleaned headers,
    `attrs["header_line"]`, the line of the header (data row k is on line header_line + k), and
    `attrs["rows_expected"]`, about how many data rows the table has (`_rows_expected`); an
    unreadable table raises InputError.

    `path` "-" reads standard input, as CSV unless `table_options(input_format=…)` says.
    Text tables (.csv, .tsv, .txt): a UTF-16 BOM means UTF-16 (Excel's "Unicode text"), a UTF-8
    BOM or text that decodes as UTF-8 means UTF-8, anything else GB 18030 (a superset of GBK;
    see `_text_encoding`);
    the delimiter, unless given, is the one of comma, tab and semicolon the header row has most
    of; in a semicolon table a number with a decimal comma ("5,20") means 5.20, outside the
    identity columns `text_columns(headers)` names."""
    options = _OPTIONS.get()
    header_line = options.header_row or header_row or 1
    limit_given = byte_size_setting("BENCHMARK_MAX_TABLE_BYTES", None)
    limit = MAX_TABLE_BYTES if limit_given is None else limit_given
    if str(path) == STDIN:
        display, source = "<stdin>", sys.stdin.buffer.read(limit + 1)
        size, suffix = len(source), "." + (options.input_format or "csv")
    else:
        path = Path(path)
        display, source, suffix = str(path), path, path.suffix.lower()
        try:
            info = path.stat()
        except FileNotFoundError:
            raise InputError(no_such_file(display)) from None
        except OSError as exc:
            raise InputError(unreadable_file(display, exc)) from None
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device could be read forever
            raise InputError(not_a_file(display, info.st_mode))
        size = info.st_size
    chunked = str(path) != STDIN and suffix in (".csv", ".tsv", ".txt", ".parquet")
    if size > limit and not (chunked and limit_given is None):
        raise InputError(too_large_file(display, size, limit, table=True))
    if size == 0:
        raise InputError(empty_file(display))
    if suffix.lstrip(".") not in INPUT_FORMATS:
        raise InputError(Problem("table_format_unknown", f"{suffix or 'no suffix'} is not a "
                                 "table format", file=display,
                                 hint=Hint("use .csv, .tsv, .txt, .xlsx or .parquet",
                                           "table_suffixes"),
                                 **worded("suffix_unknown" if suffix else "no_suffix",
                                          suffix=suffix)))
    digest = _file_sha256(source)

    def opened():
        return io.BytesIO(source) if isinstance(source, bytes) else source

    text = suffix in (".csv", ".tsv", ".txt")
    lines_before = header_line - 1  # physical lines above the header
    if text:
        encoding = encoding or _text_encoding(_head(source), source)
        lines_before, header = _rows_before(_head(source), encoding, header_line)
        delimiter = delimiter or _sniff_delimiter(header, header_line, suffix, display)

    if not isinstance(source, bytes):
        refuse_costly_table(source, suffix, display, delimiter)

    def frames():
        with _table_errors(display):
            expected = _rows_expected(source, suffix, size)
            if suffix == ".xlsx":
                chunks = _xlsx_chunks(opened(), sheet, header_line, display,
                                      chunk_rows or CHUNK_ROWS)
            elif suffix == ".parquet":
                chunks = _parquet_chunks(opened(), display, chunk_rows or CHUNK_ROWS)
            else:
                chunks = _text_chunks(opened(), encoding or "utf-8", delimiter or ",",
                                      lines_before, display, chunk_rows or CHUNK_ROWS,
                                      text_columns)
            if suffix != ".xlsx":  # openpyxl holds the interpreter: nothing to overlap
                chunks = _read_ahead(chunks)
            with closing(chunks):  # its reader closed however the reading ends
                yield from _limited(chunks, text, lines_before, delimiter, display, expected)

    return frames(), digest


def _limited(chunks, text: bool, lines_before: int, delimiter: str | None, display: str,
             expected: int = 0):
    """The non-empty chunks of a table, headers cleaned, physical lines and the rows expected
    noted, refused past the row limit or when there is no data row."""
    rows_limit = row_count_setting("BENCHMARK_MAX_TABLE_ROWS", MAX_TABLE_ROWS)
    rows_read = 0
    empty = True
    for frame in chunks:
        if not text:  # a text table's headers are cleaned as they are read
            frame.columns = [_clean_header(c) for c in frame.columns]
        frame.attrs["header_line"] = lines_before + 1  # a text table's physical line
        frame.attrs["rows_expected"] = expected
        if text and delimiter == ";":
            frame.attrs["decimal_read"] = True  # decimal commas already read
        rows_read += len(frame)
        if rows_read > rows_limit:
            raise InputError(_too_many_rows(display, rows_read, rows_limit))
        if len(frame):
            empty = False
            yield frame
        del frame  # freed by its reader, not held while the next chunk is read
    if empty:
        raise InputError(Problem("table_empty", "the table has no data rows", file=display))


# A text table's rows are estimated from the lines of its first bytes: this many times more is
# expected, so that buffers of the whole table's rows are seldom grown (an untouched page of a
# buffer is not resident: a generous estimate costs address space, not memory).
ROWS_MARGIN = 1.25


def _rows_expected(source: Path | bytes, suffix: str, size: int) -> int:
    """About how many data rows a table has, known before it is read (0: not known): a Parquet
    file's from its metadata, a text table's from the lines of its first SNIFF_BYTES (all of
    them when that is the whole file, else scaled to its size, ROWS_MARGIN more)."""
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        with pq.ParquetFile(io.BytesIO(source) if isinstance(source, bytes) else source) as pf:
            return pf.metadata.num_rows
    if suffix not in (".csv", ".tsv", ".txt"):
        return 0
    head = _head(source)
    lines = head.count(b"\n")  # one byte 0x0A a line break in UTF-8, UTF-16 and GB 18030
    if len(head) >= size:
        return lines + 1
    return int(size * lines / len(head) * ROWS_MARGIN) + 1


_END = object()  # the last chunk was given


def _read_ahead(chunks: Generator[pd.DataFrame, None, None]
                ) -> Generator[pd.DataFrame, None, None]:
    """The chunks of `chunks`, the next one read on a thread of its own while the caller works
    on the one given (pyarrow's reader and kernels let other threads run): at most one chunk
    is read ahead. An exception of the reader is raised to the caller, at the chunk it stopped
    at; the reader is closed when the caller stops early."""
    wanted = threading.Semaphore(0)  # one release: read one chunk more
    given: queue.SimpleQueue = queue.SimpleQueue()
    stop = threading.Event()

    def read() -> None:
        try:
            while wanted.acquire() and not stop.is_set():
                given.put(next(chunks, _END))
        except BaseException as exc:  # raised again to the caller
            given.put(_Failed(exc))
        finally:
            chunks.close()

    context = copy_context()  # the caller's context variables (table options …) hold there too
    threading.Thread(target=context.run, args=(read,), name="read-ahead", daemon=True).start()
    try:
        wanted.release()
        while True:
            chunk = given.get()
            if chunk is _END:
                return
            if isinstance(chunk, _Failed):
                raise chunk.exc
            wanted.release()  # read the next chunk while this one is used
            yield chunk
            del chunk
    finally:
        stop.set()
        wanted.release()


@dataclass(frozen=True)
class _Failed:
    """What the reader raised (`_read_ahead`)."""

    exc: BaseException


def _too_many_rows(display: str, rows: int, limit: int) -> Problem:
    return Problem("table_too_many_rows", f"the table has {rows:,} data rows or more; the limit "
                   f"is {limit:,}", file=display,
                   hint="split the table, or set BENCHMARK_MAX_TABLE_ROWS")


def _parquet_chunks(source, display: str, chunk_rows: int):
    """A Parquet file a batch of rows at a time (pyarrow iter_batches); the row limit is checked
    from the file's metadata before any row is read."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(source)
    limit = row_count_setting("BENCHMARK_MAX_TABLE_ROWS", MAX_TABLE_ROWS)
    if pf.metadata.num_rows > limit:
        raise InputError(_too_many_rows(display, pf.metadata.num_rows, limit))
    if pf.metadata.num_rows == 0:
        yield pf.schema_arrow.empty_table().to_pandas()
        return
    for batch in pf.iter_batches(batch_size=chunk_rows):
        yield batch.to_pandas()


def _xlsx_chunks(source, sheet: str | None, header_line: int, display: str, chunk_rows: int):
    """A worksheet a batch of rows at a time (openpyxl read-only), cells as pandas' Excel reader
    gives them (whole floats as integers, empty header cells "Unnamed: k", empty rows at the end
    left out); a header row of one cell in a wider sheet is a title, not the header."""
    import openpyxl

    wb = openpyxl.load_workbook(source, read_only=True, data_only=True)
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise InputError(Problem("table_unreadable", f"no sheet {sheet!r}", file=display,
                                     hint="one of: " + ", ".join(wb.sheetnames)))
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header: tuple = ()
        for _ in range(header_line):
            header = next(rows, ())
        header = tuple(header) + (None,) * max(0, (ws.max_column or 0) - len(header))
        names = [f"Unnamed: {k}" if v is None else str(v) for k, v in enumerate(header)]
        named = [n for n in names if not n.startswith("Unnamed:")]
        if len(named) == 1 and len(names) > 1:
            raise InputError(Problem(
                "table_title_row", f"row {header_line} has one cell, {named[0]!r}: a title "
                "rather than the header", file=display, line=header_line,
                hint=f"give --header-row {header_line + 1} (or the row the header is on), or "
                     "header_row in a mapping file"))
        width = len(names)
        batch: list[list] = []
        blank = 0  # empty rows held back until a row with a value follows
        for row in rows:
            cells = [int(v) if isinstance(v, float) and v.is_integer() else v
                     for v in row[:width]]
            cells += [None] * (width - len(cells))
            if all(v is None or v == "" for v in cells):
                blank += 1
                continue
            batch += [[None] * width] * blank
            blank = 0
            batch.append(cells)
            if len(batch) >= chunk_rows:
                yield pd.DataFrame(batch, columns=names, dtype=object)
                batch = []
        if batch or not names:
            yield pd.DataFrame(batch, columns=names, dtype=object)
        elif names:
            yield pd.DataFrame(columns=names, dtype=object)
    finally:
        wb.close()


_DECIMAL_COMMA = re.compile(r"^(\D*?)(\d+),(\d+)(\D*)$")
_ARROW_ENCODINGS = {"utf-8": "utf8", "utf-8-sig": "utf8", "utf8": "utf8"}  # read natively
# Bytes of text parsed at a time. pyarrow's reader parses blocks ahead of the rows asked for,
# held as text and batches (a slow consumer of the 1M-row room-AC table: 8 MiB blocks ≈ 220 MB,
# 2 MiB ≈ 90 MB); a row much longer than a block cannot be read ("straddling object"), so such
# a table is read again with blocks 4 times as large, up to LARGEST_BLOCK (the former size).
READ_BLOCK = 2 << 20
LARGEST_BLOCK = 8 << 20
_WRONG_WIDTHS_SHOWN = 50  # rows with the wrong number of cells listed one by one


def _text_chunks(source: Path | io.BytesIO, encoding: str, delimiter: str, lines_before: int,
                 display: str, chunk_rows: int, text_columns=None):
    """A text table `chunk_rows` rows at a time, every cell as text (pyarrow's streaming CSV
    reader; a quoted cell may hold line breaks): an empty cell is missing, spaces after a
    delimiter are left out, an empty header cell is "Unnamed: k" and a repeated one "x.1", as
    pandas names them. In a semicolon table, cells outside the identity columns
    (`text_columns`) holding one number with a decimal comma read with a decimal point. Rows
    with more or fewer cells than the header: InputError listing them by line."""
    import pyarrow as pa

    wrong: list[Any] = []
    names: list[str] = []
    identity: set[str] = set()
    held: list = []
    rows_held = 0
    rows_done = 0  # rows of the table made frames of, the header row first
    spaced: list = []  # once looked for: the cells opened by spaces then a quote, or None

    def opened_by_spaces(k: int, first: int, rows: int) -> np.ndarray | None:
        """Whether each of the `rows` cells of column k from row `first` (0 = the header) opens
        with spaces then a quote in the file (None: every cell that reads so does)."""
        if not spaced:
            copy = io.BytesIO(source.getvalue()) if isinstance(source, io.BytesIO) else source
            spaced.append(_quotes_after_spaces(copy, encoding, delimiter, lines_before))
        if spaced[0] is None:
            return None
        at = spaced[0].get(k, np.zeros(0, dtype=np.int64))
        mask = np.zeros(rows, dtype=bool)
        mask[at[(at >= first) & (at < first + rows)] - first] = True
        return mask

    def header_opened(width: int) -> np.ndarray | None:
        """`opened_by_spaces` of the header row's cells."""
        masks = [opened_by_spaces(k, 0, 1) for k in range(width)]
        return None if masks[0] is None else np.concatenate([m for m in masks if m is not None])

    def frame_of(table) -> pd.DataFrame:
        nonlocal rows_done
        columns = []
        for k, (name, column) in enumerate(zip(names, table.columns, strict=True)):
            column = _without_leading_spaces(column, partial(opened_by_spaces, k, rows_done,
                                                             table.num_rows))
            if delimiter == ";" and name not in identity:
                column = _decimal_points(column)
            columns.append(column)
        rows_done += table.num_rows
        return pa.Table.from_arrays(columns, names=names).to_pandas()

    block = READ_BLOCK

    def batches():
        """The reader's batches; after a row longer than a block, read again with larger blocks
        and the rows already given left out (the rows of the wrong width all found again)."""
        nonlocal block
        given = 0
        while True:
            skip = given
            try:
                with _opened(source) as fh:
                    for batch in _csv_reader(fh, encoding, delimiter, lines_before, wrong.append,
                                             block=block):
                        if skip:
                            cut = min(skip, batch.num_rows)
                            batch, skip = batch.slice(cut), skip - cut
                            if not batch.num_rows:
                                continue
                        given += batch.num_rows
                        yield batch
                return
            except pa.ArrowInvalid as exc:
                if "straddling object" not in str(exc) or block >= LARGEST_BLOCK:
                    raise
                block, wrong[:] = min(block * 4, LARGEST_BLOCK), []

    for batch in batches():
        if not names:  # the header row: the first row read
            header = pa.array([c[0] for c in batch.slice(0, 1).to_pydict().values()],
                              pa.large_string())
            header = _without_leading_spaces(header, partial(header_opened, len(header)))
            names = [_clean_header(n) for n in _pandas_names(header.to_pylist())]
            rows_done = 1
            identity = set(text_columns(names)) if text_columns is not None else set()
            batch = batch.slice(1)
        held.append(batch)
        rows_held += batch.num_rows
        while rows_held >= chunk_rows and not wrong:
            table = pa.Table.from_batches(held)
            held, rows_held = [*table.slice(chunk_rows).to_batches()], rows_held - chunk_rows
            frame = frame_of(table.slice(0, chunk_rows))
            del table
            yield frame
            del frame
    if wrong:
        # lines are known on one thread only; a reader read again: its rows found once
        if block != READ_BLOCK or any(row.number is None for row in wrong):
            wrong = []
            with _opened(source) as fh:
                for _ in _csv_reader(fh, encoding, delimiter, lines_before, wrong.append,
                                     threads=False, block=block):
                    pass
        raise InputError(_wrong_widths(wrong, len(names), display, delimiter))
    if rows_held:
        yield frame_of(pa.Table.from_batches(held))


def _opened(source: Path | io.BytesIO):
    """The table's bytes as a file object: given a path, pyarrow read ahead of a slow consumer
    about the whole file (192 MB of arrow memory for a 192 MB table), given a file object
    20–40 MB."""
    if isinstance(source, Path):
        return source.open("rb")
    source.seek(0)
    return nullcontext(source)


def _csv_reader(source: BinaryIO, encoding: str, delimiter: str, lines_before: int, wrong,
                threads: bool = True, block: int = READ_BLOCK):
    """pyarrow's streaming CSV reader of a text table from its header on (`lines_before`
    physical lines above it), every column as text; rows of the wrong width are given to
    `wrong` and left out; a line of spaces is skipped, as a blank line is (as pandas' reader
    skips both)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    def skip(row) -> str:
        if row.text.strip(" \t\r"):
            wrong(row)
        return "skip"

    return pa_csv.open_csv(
        source, memory_pool=pa.system_memory_pool(),  # batches freed go back to the system
        read_options=pa_csv.ReadOptions(skip_rows=lines_before, autogenerate_column_names=True,
                                        encoding=_ARROW_ENCODINGS.get(encoding.lower(), encoding),
                                        use_threads=threads, block_size=block),
        parse_options=pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                          invalid_row_handler=skip),
        convert_options=pa_csv.ConvertOptions(
            column_types={f"f{k}": pa.large_string() for k in range(MAX_COLUMNS + 1)},
            strings_can_be_null=True, null_values=[""]))


def _pandas_names(cells: list[str | None]) -> list[str]:
    """Header cells named as pandas' CSV reader names them: "Unnamed: k" for an empty one, "x.1",
    "x.2" … for a repeated one, skipping a name another header cell already has."""
    names = [c or f"Unnamed: {k}" for k, c in enumerate(cells)]
    counts: dict[str, int] = {}
    for k, name in enumerate(names):
        first, count = name, counts.get(name, 0)
        while count > 0:
            counts[first] = count + 1
            name = f"{first}.{count}"
            count = count + 1 if name in names else counts.get(name, 0)
        names[k] = name
        counts[name] = count + 1
    return names


def _without_leading_spaces(column, opened_by_spaces=lambda: None):
    """An arrow string column without the spaces after the delimiter; a cell of spaces only is
    missing, and a quoted cell after spaces (`a, "b"`) is unquoted, as a CSV reader skipping
    those spaces reads it (text after its closing quote kept, `a, "b" c` is `b c`). pyarrow
    opens a quoted cell only at the delimiter, so such a cell arrives as written, quotes and
    all; but so does a quoted cell of its own starting with spaces then a doubled quote
    (`a,"  ""b"" c"` is `  "b" c`). `opened_by_spaces()`, asked only when a cell reads as
    spaces then a quote, tells them apart: a mask of the cells the file opens with spaces then
    a quote, or None when every such cell is one."""
    import pyarrow as pa
    import pyarrow.compute as pc

    led = pc.starts_with(column, " ")
    if not pc.any(led).as_py():
        return column
    column = pc.utf8_ltrim(column, characters=" ")
    parts = pc.extract_regex(pc.utf8_rtrim(column, characters=" "),
                             r'(?s)^"(?P<quoted>(?:[^"]|"")*)"(?P<after>.*)$')
    quoted = pc.and_(led, pc.is_valid(parts))
    if pc.any(quoted).as_py():
        opened = opened_by_spaces()
        if opened is not None:
            quoted = pc.and_(quoted, opened)
        inner = pc.binary_join_element_wise(
            pc.replace_substring(pc.struct_field(parts, "quoted"), '""', '"'),
            pc.struct_field(parts, "after"), pa.scalar("", pa.large_string()))
        column = pc.if_else(quoted, inner, column)
    return pc.if_else(pc.equal(column, ""), None, column)


_AMBIGUOUS_QUOTE = '" +""'  # a quoted cell starting with spaces then a quote
# encodings in which a quote and a space are one byte each, never part of another character
_QUOTE_BYTES = ("utf-8", "utf-8-sig", "utf8", "gb18030")


def _may_hold(source: Path | io.BytesIO, encoding: str, pattern: str) -> bool:
    """Whether the text table's text matches the regular expression `pattern` (of quotes and
    spaces) anywhere: its bytes searched a piece at a time, or its text in other encodings."""
    with _opened(source) as fh:
        raw = encoding.lower() in _QUOTE_BYTES
        text: Any = fh if raw else io.TextIOWrapper(fh, encoding=encoding, newline="")
        found = re.compile(pattern.encode() if raw else pattern).search
        carry: Any = b"" if raw else ""
        try:
            for piece in iter(lambda: text.read(8 << 20), carry[:0]):
                piece = carry + piece
                if found(piece):
                    return True
                carry = piece[len(piece.rstrip(b'" ' if raw else '" ')):]
            return False
        finally:
            if not raw:
                text.detach()


def _quotes_after_spaces(source: Path | io.BytesIO, encoding: str, delimiter: str,
                         lines_before: int) -> dict[int, np.ndarray] | None:
    """Which cells the text table opens with spaces then a quote: for each column, its rows
    (0 = the header, rows counted as pyarrow's reader counts them: blank lines and lines of
    spaces left out), found by a pass over the file's text. None, found by one search of the
    file, when it has no quoted cell whose own text starts with spaces then a quote (no `"`,
    spaces, `""`): then every cell read as spaces then a quoted text is one. Asked only of a
    table with such cells, which machine exports seldom have."""
    if not _may_hold(source, encoding, _AMBIGUOUS_QUOTE):
        return None
    found: dict[int, list[int]] = {}
    row, k, inside = -1, 0, False  # the row, its cell, inside a quoted cell
    width = 0  # the header's cells
    with _opened(source) as fh:
        text = io.TextIOWrapper(fh, encoding=encoding, newline="")
        for _ in range(lines_before):
            text.readline()
        for line in text:
            at = 0
            if not inside:
                if row == 0 and not width:  # the header, quoted, ended with its k-th cell
                    width = k + 1
                if '"' not in line:  # no quote: one row, or a line pyarrow's reader skips
                    cells = line.count(delimiter) + 1
                    if line.strip(" \t\r\n") or (line.strip("\r\n") and cells == width):
                        row += 1
                        width = cells if row == 0 else width
                    continue
                row, k = row + 1, 0
            end = len(line.rstrip("\r\n"))
            while at <= end:
                if inside:  # find the quote closing the cell (a doubled one stays inside)
                    close = line.find('"', at)
                    while close != -1 and line.startswith('"', close + 1):
                        close = line.find('"', close + 2)
                    if close == -1:
                        break  # the cell goes on to the next line
                    inside, at = False, close + 1
                elif line.startswith('"', at):
                    inside, at = True, at + 1
                    continue
                elif line.startswith(" ", at) and line[at:end].lstrip(" ").startswith('"'):
                    found.setdefault(k, []).append(row)
                cut = line.find(delimiter, at, end)
                if cut == -1:
                    break
                at, k = cut + 1, k + 1
        text.detach()
    return {k: np.array(rows, dtype=np.int64) for k, rows in found.items()}


def _decimal_points(column):
    """An arrow string column with each cell holding one number written with a decimal comma
    ("4,88", "≥ 5,20 W/W") written with a decimal point, as a semicolon table from a
    decimal-comma locale means it; each distinct cell is rewritten once."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pc.any(pc.match_substring(column, ",")).as_py():
        return column
    encoded = pc.dictionary_encode(column).combine_chunks()
    texts = [None if t is None else _DECIMAL_COMMA.sub(r"\1\2.\3\4", t)
             for t in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(texts, pa.large_string()), encoded.indices)


_QUOTE_AFTER_SPACES = {d: re.compile(rf'(^|{re.escape(d)}) +"') for d in DELIMITERS}


def _wrong_widths(rows: list, width: int, display: str, delimiter: str) -> list[Problem]:
    """Rows with more or fewer cells than the header, each at its line; the hint of a row with a
    quote opened after spaces (`1, "a,b"`), or with one quote (the end of such a cell on the
    next line), says to take those spaces out."""
    from benchmark import wording

    def hint(text: str) -> str:
        if text.count('"') % 2 or _QUOTE_AFTER_SPACES.get(delimiter, _QUOTE_AFTER_SPACES[","]
                                                          ).search(text):
            return "quote_after_spaces"
        return "wrong_width"

    out = []
    for row in rows[:_WRONG_WIDTHS_SHOWN]:
        code = hint(row.text)
        out.append(Problem("table_syntax", f"the row has {row.actual_columns} cells; the header "
                           f"has {width}", file=display, line=row.number, hint_code=code,
                           hint=wording.text("reading_hints", code)["en"],
                           **worded("row_width", cells=row.actual_columns, header=width)))
    if len(rows) > _WRONG_WIDTHS_SHOWN:
        out.append(Problem("table_syntax", f"{len(rows) - _WRONG_WIDTHS_SHOWN:,} more rows have "
                           "the wrong number of cells", file=display,
                           **worded("rows_width", rows=len(rows) - _WRONG_WIDTHS_SHOWN)))
    return out


def _head(source: Path | bytes) -> bytes:
    if isinstance(source, bytes):
        return source[:SNIFF_BYTES]
    with source.open("rb") as fh:
        return fh.read(SNIFF_BYTES)


def _text_encoding(head: bytes, source: Path | bytes) -> str:
    """The encoding of a text table: UTF-16 or UTF-8 by its BOM; UTF-8 when its first bytes hold
    non-ASCII text that decodes as UTF-8 (GB 18030 text does not; the reader then checks the
    rest) or, when they are ASCII, when the whole file decodes as UTF-8; else GB 18030."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if not head.isascii():
        return "utf-8-sig" if _decodes_as_utf8(head[:_whole_characters(head)]) else "gb18030"
    return "utf-8-sig" if _decodes_as_utf8(source) else "gb18030"


def _rows_before(head: bytes, encoding: str, header_line: int) -> tuple[int, str]:
    """(physical lines above the header, the header row's text) of a text table whose header is
    row `header_line`, rows counted as a spreadsheet shows them: a line break inside a quoted
    cell (one whose quote opens it, after a delimiter and any spaces) stays in its row."""
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    lines = rows = above = start = k = 0
    quoted, cell_start = False, True
    while k < len(text):
        ch = text[k]
        if ch in "\r\n":
            step = 2 if text.startswith("\r\n", k) else 1
            lines += 1
            if not quoted:
                if rows == header_line - 1:
                    return above, text[start:k]
                rows, above, start, cell_start = rows + 1, lines, k + step, True
            k += step
            continue
        if quoted:
            if ch == '"' and text.startswith('"', k + 1):
                k += 1  # a doubled quote stays inside the cell
            elif ch == '"':
                quoted = False
        elif ch == '"' and cell_start:
            quoted, cell_start = True, False
        elif ch in DELIMITERS:
            cell_start = True
        elif ch != " ":
            cell_start = False
        k += 1
    return above, text[start:] if rows == header_line - 1 else ""


def _sniff_delimiter(header: str, header_line: int, suffix: str, display: str) -> str:
    """The delimiter of the header row (its text `header`): the one of comma, tab and semicolon
    it has most of (outside quotes; a tie goes to tab in .tsv/.txt files, else in the order
    listed). A header with none of them reads as one column: InputError saying what to do."""
    unquoted = re.sub(r'"[^"]*"', "", header)
    order = ("\t", ",", ";") if suffix in (".tsv", ".txt") else DELIMITERS
    counts = {d: unquoted.count(d) for d in order}
    best = max(order, key=lambda d: counts[d])
    if counts[best] == 0:
        shown = header if len(header) <= 60 else header[:57] + "..."
        raise InputError(Problem(
            "table_one_column", f"the header (line {header_line}) reads as one column: "
            f"{shown!r}; no comma, tab or semicolon separates the columns", file=display,
            line=header_line,
            hint="save the sheet as CSV (comma) or Unicode text (tab), give the separator as "
                 "`delimiter:` in a mapping file, or --header-row N if the header is not on "
                 "line 1"))
    return best


class _table_errors:
    """Turn a reader's exception into InputError naming the file."""

    def __init__(self, display: str) -> None:
        self.display = display

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb) -> Literal[False]:
        import pyarrow as pa

        if exc is None or isinstance(exc, (InputError, GeneratorExit)):
            return False
        if isinstance(exc, UnicodeDecodeError):
            problem = Problem("file_encoding", f"cannot decode as {exc.encoding}",
                              hint="save as UTF-8, or name the encoding in a mapping file")
        elif isinstance(exc, pa.ArrowInvalid) and "invalid UTF8" in str(exc):
            problem = Problem("file_encoding", "cannot decode as utf-8",
                              hint="save as UTF-8, or name the encoding in a mapping file")
        elif isinstance(exc, pa.ArrowInvalid) and "Empty CSV file" in str(exc):
            problem = Problem("table_empty", "the table has no data rows")  # a header, no line end
        elif isinstance(exc, pa.ArrowInvalid) and "CSV parse error" in str(exc):
            problem = Problem("table_syntax", str(exc).splitlines()[0])
        elif isinstance(exc, Exception):  # openpyxl/zip errors for a damaged XLSX, …
            problem = Problem("table_unreadable", str(exc).splitlines()[0] if str(exc)
                              else type(exc).__name__)
        else:
            return False
        raise InputError(problem.at(self.display)) from None


def _file_sha256(source: Path | bytes) -> Future[str]:
    """The file's SHA-256, computed on a thread of its own while the table is read (hashlib
    lets other threads run while it hashes)."""
    digest: Future[str] = Future()

    def run() -> None:
        try:
            h = hashlib.sha256()
            if isinstance(source, bytes):
                h.update(source)
            else:
                piece = memoryview(bytearray(8 << 20))  # one buffer, read into again and again
                with source.open("rb") as fh:
                    while size := fh.readinto(piece):
                        h.update(piece[:size])
            digest.set_result(h.hexdigest())
        except OSError as exc:
            digest.set_exception(exc)

    threading.Thread(target=run, name="sha256", daemon=True).start()
    return digest


def _decodes_as_utf8(source: Path | bytes) -> bool:
    """Whether the whole file decodes as UTF-8: pyarrow's check of each piece as one string,
    a character cut at the end of a piece carried to the next."""
    import pyarrow as pa

    rest = b""

    def decodes(data: memoryview) -> bool:
        ends = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
        try:
            pa.Array.from_buffers(pa.large_string(), 1, [None, ends, pa.py_buffer(data)]
                                  ).validate(full=True)
        except pa.ArrowInvalid:
            return False
        return True

    with io.BytesIO(source) if isinstance(source, bytes) else source.open("rb") as fh:
        for piece in iter(lambda: fh.read(8 << 20), b""):
            piece = rest + piece if rest else piece
            cut = _whole_characters(piece)
            if not decodes(memoryview(piece)[:cut]):
                return False
            rest = piece[cut:]
    return not rest


def _whole_characters(data: bytes) -> int:
    """The length of `data` without a UTF-8 character cut at its end."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # the first byte of the last character
            need = 2 if byte >= 0xC0 else 1
            need = 3 if byte >= 0xE0 else need
            need = 4 if byte >= 0xF0 else need
            return len(data) if back >= need else len(data) - back
    return len(data)


def _clean_header(name: Any) -> str:
    return printable(unicodedata.normalize("NFC", str(name)).strip().lstrip("\ufeff"))


# --- tables that would cost far more than their size: refused before they are read ---------------


def refuse_costly_table(path: Path, suffix: str, display: str, delimiter: str | None) -> None:
    """An XLSX that unzips past the limit (a 1 MB file can unzip to gigabytes), more than
    MAX_COLUMNS columns, or Parquet columns holding lists or records: InputError, read from the
    zip directory, the header line or the Parquet schema only."""
    if suffix == ".xlsx":
        _check_xlsx_size(path, display)
    elif suffix == ".parquet":
        _check_parquet_schema(path, display)
    elif suffix in (".csv", ".tsv", ".txt"):
        _check_csv_width(path, display, delimiter or ("\t" if suffix == ".tsv" else ","))


def _check_xlsx_size(path: Path, display: str) -> None:
    import zipfile

    limit = byte_size_setting("BENCHMARK_MAX_XLSX_BYTES", MAX_XLSX_XML_BYTES)
    try:
        with zipfile.ZipFile(path) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(Problem("table_unreadable", f"not an XLSX file ({exc})",
                                 file=display)) from None
    if unzipped > limit:
        raise InputError(Problem("file_too_large", f"the XLSX unzips to {unzipped:,} bytes; the "
                                 f"limit is {limit:,}", file=display,
                                 hint=Hint("save the sheet as CSV (read a chunk at a time), or "
                                           "set BENCHMARK_MAX_XLSX_BYTES", "save_as_csv"),
                                 **worded("xlsx_too_large", size=unzipped, limit=limit)))


def _check_parquet_schema(path: Path, display: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(Problem("table_unreadable", str(exc).splitlines()[0] if str(exc) else
                                 "not a Parquet file", file=display)) from None
    _check_width(len(schema.names), display)
    nested = [f for f in schema if pa.types.is_nested(f.type)]
    if nested:
        raise InputError([Problem("column_type_unsupported", f"column {printable(f.name)!r} holds "
                                  f"{f.type} values, not one value per cell", file=display,
                                  pointer=f"/0/{printable(f.name)}",
                                  hint="one number or text per cell") for f in nested])


def _check_csv_width(path: Path, display: str, delimiter: str) -> None:
    """The header line (up to 1 MiB of it) has at most MAX_COLUMNS columns."""
    import csv

    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    try:
        width = len(next(csv.reader([first], delimiter=delimiter), []))
    except csv.Error:
        width = first.count(delimiter) + 1
    _check_width(width, display, at_least=b"\n" not in head)


def _check_width(width: int, display: str, at_least: bool = False) -> None:
    if width > MAX_COLUMNS:
        has = f"at least {width:,} columns (in its first MiB)" if at_least else f"{width:,} columns"
        raise InputError(Problem("too_many_columns", f"the table has {has}; at most "
                                 f"{MAX_COLUMNS:,} are read", file=display, line=1,
                                 hint="keep the columns the category needs (a mapping file can "
                                      "name them)"))


# --- which column is which ----------------------------------------------------------------------


@lru_cache(maxsize=4096)  # headers × spellings × unit suffixes: the same few texts again
def _key(text: str) -> str:
    return re.sub(r"[\s_]+", " ", unicodedata.normalize("NFKC", text)).strip().lower()


def _names(iset: IndicatorSet) -> dict[str, tuple[str, str]]:
    """Every recognised header spelling → (role, id)."""
    out: dict[str, tuple[str, str]] = {}
    for field_id, spellings in FIELD_NAMES.items():
        for s in spellings:
            out[_key(s)] = ("field", field_id)
    for role, items in (("parameter", iset.parameters), ("indicator", iset.indicators)):
        for item in items.values():
            for s in (item.id, item.names.en, item.names.zh):
                if s:
                    out[_key(s)] = (role, item.id)
    return out


def read_mapping(path: str | Path) -> dict:
    """A column-mapping file (schema mapping/1), checked; InputError lists every problem."""
    doc, problems = read_document(path)
    if doc is None:
        raise InputError(problems)
    problems += schema_problems(doc, "mapping")
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    return {"doc": doc, **doc.data}


def resolve_columns(headers: list[str], iset: IndicatorSet, mapping: dict | None = None,
                    display: str = "<table>") -> tuple[list[Column], list[Problem]]:
    """Decide what each column holds: from the mapping file first, then from the header."""
    problems: list[Problem] = []
    columns: list[Column] = []
    spec = (mapping or {}).get("columns", {})
    doc = (mapping or {}).get("doc")
    known = _names(iset)
    unit_columns = {s["unit_column"] for s in spec.values() if s.get("unit_column")}
    origins: dict[str, dict] = {}  # columns named by the mapping file: where it names them
    for name, s in spec.items():
        ptr = f"/columns/{name.replace('~', '~0').replace('/', '~1')}"
        where: dict[str, Any] = dict(file=doc.path if doc else display, pointer=ptr,
                                     line=doc.line(ptr) if doc else None)
        role = next(r for r in ("indicator", "parameter", "field") if r in s)
        target = s[role]
        pools: dict[str, dict[str, Any]] = {"indicator": iset.indicators,
                                            "parameter": iset.parameters}
        pool = pools.get(role)
        if pool is not None and target not in pool:
            problems.append(Problem(f"unknown_{role}", f"category {iset.id!r} has no {role} "
                                    f"{target!r}", hint=close(target, pool), **where))
            continue
        if name not in headers:
            problems.append(Problem("column_missing", f"the table has no column {name!r}",
                                    hint=close(name, headers, "columns"),
                                    **where, **worded("column_missing", column=name)))
            continue
        if s.get("unit_column") and s["unit_column"] not in headers:
            problems.append(Problem("column_missing", f"the table has no unit column "
                                    f"{s['unit_column']!r}", **where,
                                    **worded("unit_column_missing", column=s["unit_column"])))
            continue
        columns.append(Column(name, role, target, s.get("unit"), s.get("unit_column"),
                              s.get("bound"),
                              tuple((str(k), str(v)) for k, v in s.get("values", {}).items())))
        origins[name] = where
    if not (mapping or {}).get("ignore_other_columns"):
        taken = {c.source for c in columns} | unit_columns
        for header in headers:
            if header in taken:
                continue
            m = _HEADER_UNIT.match(header)
            name, unit = (m["name"], m["unit"].strip()) if m else (header, None)
            hit = known.get(_key(name))
            if hit is None:
                if not any(_key(name).endswith(_key(s)) for s in _UNIT_SUFFIXES):
                    problems.append(Problem("column_unused", f"column {header!r} is not an "
                                            "indicator, parameter or field of "
                                            f"{iset.id!r}; it is ignored", file=display,
                                            severity="warning",
                                            hint=close(name, [k for k in known]) or None,
                                            **worded("column_unused", column=header,
                                                     category=iset.id)))
                continue
            unit_col = next((h for h in headers for suf in _UNIT_SUFFIXES
                             if _key(h) == _key(name + suf) or _key(h) == _key(hit[1] + suf)), None)
            columns.append(Column(header, hit[0], hit[1], unit, unit_col))
    seen: dict[tuple[str, str], str] = {}
    for c in columns:
        if (c.role, c.target) in seen:
            problems.append(Problem("column_duplicate", f"columns {seen[(c.role, c.target)]!r} and "
                                    f"{c.source!r} both hold {c.role} {c.target!r}", file=display))
        seen[(c.role, c.target)] = c.source
    for c in columns:  # units named in headers or the mapping: known and of the right dimension
        canonical = _canonical_unit(iset, c)
        if c.unit is not None and canonical is not None:
            try:
                units.conversion(c.unit, canonical, indicator=c.target)
            except InputError as exc:  # the one kind of BenchmarkError
                where = origins.get(c.source) or dict(file=display, pointer=f"/columns/{c.source}",
                                                      line=1)  # the header row
                problems += [p.at(**where) for p in exc.problems]
    if not any(c.role == "indicator" for c in columns):
        problems.append(Problem("no_indicator_columns",
                                f"no column holds an indicator of {iset.id!r}",
                                file=display, hint="name columns by indicator id or name, or give "
                                "a mapping file; indicators: " + ", ".join(iset.indicators)))
    return columns, problems


def _canonical_unit(iset: IndicatorSet, c: Column) -> str | None:
    if c.role == "indicator":
        ind = iset.indicators[c.target]
        return (ind.unit or "") if ind.kind == "quantity" else None
    if c.role == "parameter":
        p = iset.parameters[c.target]
        return p.unit if p.kind in ("quantity", "integer") and p.unit else None
    return "" if c.target == "shipments" else None


# --- reading cells -------------------------------------------------------------------------------


class _Bad:
    """Row-level problems of one column: row positions and a reason per distinct cause."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.problems: list[Problem] = []

    def add(self, positions: np.ndarray, problem: Problem) -> None:
        self.rows.append(positions)
        self.problems.append(problem)


def _arrow_strings(series: pd.Series):
    """The cells of a column of arrow strings as one pyarrow array (None for another column)."""
    import pyarrow as pa

    if not isinstance(series.array, pd.arrays.ArrowStringArray):
        return None
    arrow = pa.array(series.array)
    chunks = arrow_chunks(arrow)
    return chunks[0] if len(chunks) == 1 else arrow.combine_chunks()


def arrow_chunks(arrow) -> list:
    """The arrays of an arrow array or chunked array."""
    import pyarrow as pa

    return list(arrow.chunks) if isinstance(arrow, pa.ChunkedArray) else [arrow]


def is_positions(column: pd.Series) -> bool:
    """Whether a column holds positions into a population's text (an arrow dictionary column:
    a table's identity field that is distinct per row, `leaders._arrow_rows`)."""
    import pyarrow as pa

    dtype = column.dtype
    return isinstance(dtype, pd.ArrowDtype) and pa.types.is_dictionary(dtype.pyarrow_dtype)


def decoded(column: pd.Series) -> pd.Series:
    """A column of positions into text (`is_positions`) as the text itself (arrow-backed, as a
    population holds such a field; "" for a null position: a row with none); another column
    as it is."""
    if not is_positions(column):
        return column
    import pyarrow as pa
    import pyarrow.compute as pc

    positions = pa.array(column.array)
    text = pc.cast(positions, column.dtype.pyarrow_dtype.value_type)
    if positions.null_count:
        text = pc.fill_null(text, "")
    return pd.Series(pd.arrays.ArrowStringArray(text, dtype=pd.StringDtype("pyarrow",
                                                                           na_value=np.nan)),
                     index=column.index, name=column.name)


def decoded_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its columns of positions into text (`is_positions`) as the text itself."""
    positions = [c for c in frame if is_positions(frame[c])]
    return frame.assign(**{c: decoded(frame[c]) for c in positions}) if positions else frame


def _factorize(series: pd.Series) -> tuple[np.ndarray, Any]:
    """(codes, distinct cells) of a column, code -1 for a missing cell; a column of arrow
    strings is encoded by pyarrow (its distinct cells an arrow array)."""
    import pyarrow as pa

    if not isinstance(series.array, pd.arrays.ArrowStringArray):
        return pd.factorize(series, use_na_sentinel=True)
    return _arrow_codes(pa.array(series.array))  # its pieces as read: encoded together


def _arrow_codes(arrow) -> tuple[np.ndarray, Any]:
    """(codes, distinct cells) of an arrow string array or its pieces (one dictionary for
    all), code -1 for a missing cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(arrow)
    if not isinstance(encoded, pa.ChunkedArray):
        return _codes(encoded.indices), encoded.dictionary
    if not encoded.num_chunks:
        return np.zeros(0, dtype=np.intp), pa.array([], arrow.type)
    indices = pa.concat_arrays([piece.indices for piece in encoded.chunks])
    return _codes(indices), encoded.chunk(0).dictionary


def _codes(indices) -> np.ndarray:
    """Arrow dictionary indices as codes, -1 for a missing cell."""
    import pyarrow.compute as pc

    if indices.null_count:
        indices = pc.fill_null(indices, -1)
    return indices.to_numpy().astype(np.intp)


def _text_cells(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct texts) of a column, each distinct cell as text once — NFC, outer spaces
    stripped, control characters shown as escapes; code -1 for empty cells."""
    codes, uniques = _factorize(series)
    texts = _cleaned(uniques)
    empty = texts == ""
    if empty.any():
        codes = np.where(np.isin(codes, np.flatnonzero(empty)), -1, codes)
    return codes, texts


def _cleaned(uniques) -> np.ndarray:
    """Distinct cells as text (see `_text_cells`)."""
    import pyarrow as pa

    if isinstance(uniques, pa.Array):
        return _cleaned_arrow(uniques).to_numpy(zero_copy_only=False)
    return np.array([_clean(u) for u in uniques], dtype=object)


def _clean(value: Any) -> str:
    return printable(unicodedata.normalize("NFC", str(value)).strip())


def _cleaned_arrow(uniques):
    """Distinct arrow strings as text (see `_text_cells`): those that are ASCII without outer
    spaces or control characters are kept as they are, without a Python call each."""
    import pyarrow as pa
    import pyarrow.compute as pc

    odd = np.flatnonzero(~_plain_ascii(uniques).to_numpy(zero_copy_only=False))
    if not len(odd):
        return uniques
    mask = np.zeros(len(uniques), dtype=bool)
    mask[odd] = True
    cleaned = pa.array([_clean(uniques[int(k)].as_py()) for k in odd], uniques.type)
    return pc.replace_with_mask(uniques, pa.array(mask), cleaned)


def _plain_ascii(strings):
    """Per arrow string, whether cleaning leaves it as it is (see `_text_cells`): ASCII, every
    character printable (no control character: none of them is a space either) and no space
    at either end. (Null for a missing cell.)"""
    import pyarrow.compute as pc

    outer_space = pc.or_(pc.starts_with(strings, " "), pc.ends_with(strings, " "))
    return pc.and_(pc.and_(pc.string_is_ascii(strings), pc.ascii_is_printable(strings)),
                   pc.invert(outer_space))


def identity_text(series: pd.Series) -> pd.Categorical:
    """An identity column (enterprise, credit code, standard number …) as text exactly as
    written (see `_text_cells`), "" when empty; each distinct cell is converted once."""
    return _text_rows(*_text_cells(series))


def _text_rows(codes: np.ndarray, texts: np.ndarray) -> pd.Categorical:
    """Each row's text from (codes, distinct texts) of `_text_cells`, "" for code -1: a small
    code per row into each distinct text once (pandas picks int8 up to 127 texts), not a Python
    object per row. Two cells cleaned to the same text share its code; "" is always one of the
    texts (an unusable row's identity in the tables, `leaders._identity_at`)."""
    texts, of_text = _distinct(np.append(texts, ""))
    codes = of_text[np.where(codes < 0, len(of_text) - 1, codes)]
    return pd.Categorical.from_codes(codes, categories=pd.Index(texts, dtype=object))


def _distinct(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct texts in order of first appearance, each text's index into them)."""
    of_text, distinct = pd.factorize(texts)
    return np.asarray(distinct, dtype=object), of_text


# Fields nearly unique per row, held as arrow strings (a Python str per row costs ~70 bytes more
# than its text); the others repeat, and are held as a code per row into their distinct texts.
ARROW_FIELDS = ("model",)


def _identity_field(series: pd.Series,
                    name: str) -> pd.Categorical | pd.api.extensions.ExtensionArray:
    """An identity column of a population (see `identity_text`), as arrow strings for a field
    in ARROW_FIELDS."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if name not in ARROW_FIELDS:
        return identity_text(series)
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    arrow = _arrow_strings(series)
    if arrow is None:
        return pd.array(np.asarray(identity_text(series), dtype=object), dtype=text)
    if pc.all(_plain_ascii(arrow)).as_py() is not False:
        # every cell already clean (the usual export): the cells themselves, "" when empty
        return pd.arrays.ArrowStringArray(pc.fill_null(arrow.cast(pa.large_string()), ""),
                                          dtype=text)
    codes, uniques = _arrow_codes(arrow)
    texts = pa.concat_arrays([_cleaned_arrow(uniques).cast(pa.large_string()),
                              pa.array([""], pa.large_string())])
    rows = pc.take(texts, pa.array(np.where(codes < 0, len(uniques), codes)))
    return pd.arrays.ArrowStringArray(rows, dtype=text)


def unit_codes(unit_labels: pd.Series | None, default: str | None, canonical: str,
               what: str = ""
               ) -> tuple[np.ndarray | None, np.ndarray, list[tuple[np.ndarray, Problem]]]:
    """Each row's unit as a code into a small table of (factor, offset) pairs to `canonical`:
    one conversion per distinct unit, whatever the number of rows. Without a unit column, codes is
    None and the table has one pair. An empty unit cell means `default` (else `canonical`); a unit
    that cannot be converted gives NaN and is reported with its rows."""
    fallback = default if default is not None else canonical
    if unit_labels is None:
        return None, np.array([units.conversion(fallback, canonical, indicator=what)]), []
    codes, texts = _text_cells(unit_labels)
    pairs = np.empty((len(texts) + 1, 2))
    bad: list[tuple[np.ndarray, Problem]] = []
    for i, text in enumerate([*texts, fallback]):
        try:
            pairs[i] = units.conversion(text, canonical, indicator=what)
        except InputError as exc:  # the one kind of BenchmarkError
            pairs[i] = np.nan
            bad.append((np.flatnonzero(codes == i), exc.problems[0]))
    codes[codes < 0] = len(texts)  # an empty unit cell: the column's unit
    return codes, pairs, bad


def to_canonical(values: np.ndarray, codes: np.ndarray | None, pairs: np.ndarray) -> np.ndarray:
    """values · factor + offset, each row with its own unit's pair (see `unit_codes`)."""
    if codes is None:
        factor, offset = pairs[0]
        return values * factor + offset if offset else values * factor
    out = values * pairs[codes, 0]
    if pairs[:, 1].any():
        out += pairs[codes, 1]
    return out


def _numbers(series: pd.Series) -> np.ndarray:
    """The numbers of a text column (NaN where a cell is not a plain number): a column of arrow
    strings that are all numbers arrow reads (`_arrow_numbers`) in one cast, another as
    `_numbers_of_texts` reads it — the same values either way."""
    arrow = _arrow_strings(series)
    numbers = None if arrow is None else _arrow_numbers(arrow)
    return _numbers_of_texts(series) if numbers is None else numbers


def _arrow_numbers(arrow) -> np.ndarray | None:
    """The numbers of arrow strings, NaN for a missing cell, when every cell is one arrow's
    cast reads as a finite number (None otherwise): a decimal number, signed or not, with or
    without an exponent — a form Python's `float` and pd.to_numeric read too, to the same
    value (both arrow's parser and `float` round correctly); anything else ("inf", " 5.2",
    "≥5.20") is left to `_numbers_of_texts`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        cast = pc.cast(arrow, pa.float64())
    except pa.ArrowInvalid:
        return None
    numbers = np.array(cast.to_numpy(zero_copy_only=False))  # its own (arrow's is read-only)
    if np.count_nonzero(~np.isfinite(numbers)) != cast.null_count:
        return None  # a cell read as infinite or NaN ("inf", "nan"): not a plain number
    return numbers


def _numbers_of_texts(series: pd.Series) -> np.ndarray:
    """The numbers of a text column (NaN where a cell is not a plain number), converting each
    distinct cell once: an export repeats a few hundred values over a million rows. Which cells
    are numbers is pd.to_numeric's decision; their values are Python's `float` of the text,
    correctly rounded as a declaration's number is read (pd.to_numeric's own parser can be an
    ulp off on long digit strings: '+0253544476E59')."""
    codes, uniques = _factorize(series)
    if not isinstance(uniques, (pd.Index, np.ndarray)):  # arrow strings
        uniques = uniques.to_pandas()
    texts = pd.Series(uniques)
    numbers = pd.to_numeric(texts, errors="coerce").to_numpy(dtype=float, na_value=np.nan,
                                                           copy=True)
    found = np.flatnonzero(~np.isnan(numbers))
    numbers[found] = [_rounded(text, number) for text, number
                      in zip(texts.to_numpy()[found], numbers[found], strict=True)]
    return np.append(numbers, np.nan)[np.where(codes < 0, len(numbers), codes)]


def _rounded(text: Any, number: float) -> float:
    """`text` as Python's float reads it, else (a form only pd.to_numeric reads) `number`."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return number


def _quantities(series: pd.Series, unit_series: pd.Series | None, column: Column, canonical: str,
                indicator: Indicator | None, bad: _Bad) -> np.ndarray:
    """Canonical floats of a quantity column; NaN for empty cells and for bad cells (reported)."""
    n = len(series)
    codes, pairs, unit_bad = unit_codes(unit_series, column.unit, canonical, column.target)
    for positions, problem in unit_bad:
        bad.add(positions, problem)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        raw = series.to_numpy(dtype=float, na_value=np.nan)
        text_rows = np.zeros(n, dtype=bool)
    else:
        raw = _numbers(series)
        text_rows = np.isnan(raw)  # and not empty: cells that are not plain numbers
        if text_rows.any():
            text_rows &= series.notna().to_numpy()
    values = to_canonical(raw, codes, pairs)
    nonfinite = np.isinf(raw)
    if nonfinite.any():
        bad.add(np.flatnonzero(nonfinite), Problem("value_not_finite", f"{column.source}: not a "
                                                   "finite number", **worded(
                                                       "not_finite", column=column.source)))
        values[nonfinite] = np.nan
    if text_rows.any():
        positions = np.flatnonzero(text_rows)
        codes, texts = _text_cells(series.iloc[positions])
        parsed = np.full(len(texts), np.nan)
        for i, text in enumerate(texts):
            where = positions[codes == i]
            try:
                parsed[i] = _parse_text(text, column, canonical, indicator)
            except InputError as exc:  # the one kind of BenchmarkError
                bad.add(where, exc.problems[0])
        keep = codes >= 0
        values[positions[keep]] = parsed[codes[keep]]
        values[positions[~keep]] = np.nan
    return values


def _check_range(values: np.ndarray, item: Indicator | Parameter, column: Column,
                 bad: _Bad) -> None:
    """Values no product can have (a negative power, an efficiency over 100 %) exclude their
    rows."""
    for limit, outside, word, code in (
            (item.minimum, np.less, "below the smallest possible value", "below_minimum"),
            (item.maximum, np.greater, "above the largest possible value", "above_maximum")):
        if limit is None:
            continue
        with np.errstate(invalid="ignore"):
            rows = np.flatnonzero(outside(values, limit))
        if len(rows):
            bad.add(rows, Problem("value_out_of_range", f"{column.source}: a value {word} "
                                  f"{limit:g} {item.unit or ''}".rstrip() + ", which is impossible",
                                  hint="check the sign, the unit and the decimal point",
                                  hint_code="sign_unit_decimal", **worded(
                                      code, column=column.source,
                                      limit=f"{limit:g} {item.unit or ''}".rstrip())))


def _parse_text(text: str, column: Column, canonical: str, indicator: Indicator | None) -> float:
    """One distinct text cell, read as a declaration would read it (canonical unit)."""
    from benchmark.declaration import declared_value, guaranteed, parameter_value

    unit = column.unit
    plain = _looks_plain(text)
    if indicator is None:
        param = Parameter(column.target, None, "quantity", canonical)  # type: ignore[arg-type]
        raw = f"{text} {unit}" if plain and unit else text
        return float(parameter_value(param, raw, column.decimal))
    if plain and (unit or column.bound):
        op = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": ""}.get(column.bound or "eq", "")
        text = f"{op}{text} {unit or ''}".strip()
    dv = declared_value(indicator, text, decimal=column.decimal)
    value = guaranteed(indicator, dv)
    if value is None:
        raise InputError(Problem("value_type", f"{text!r} is not a number"))
    return float(value)


def _looks_plain(text: str) -> bool:
    try:
        float(unicodedata.normalize("NFKC", text).replace(",", ""))
        return True
    except ValueError:
        return False


def _labels(series: pd.Series, kind: str, allowed: tuple, what: str, bad: _Bad,
            categorical: bool = False, column: Column | None = None,
            coded: bool = False) -> np.ndarray | pd.Categorical:
    """Booleans (True/False/None) or category/ordinal text ("" for empty) of a column; with
    `categorical`, category text as a pandas Categorical (missing = NaN); with `coded`, the same
    labels as a Categorical of them (a code per row; a missing yes/no, None, has none)."""
    from benchmark.declaration import FALSE_WORDS, TRUE_WORDS

    codes, texts = _text_cells(series)
    if column is not None and column.values:
        texts = np.array([column.category(t) for t in texts], dtype=object)
    out = np.empty(len(texts) + 1, dtype=object)
    out[-1] = None if kind == "boolean" else ""
    allowed_keys = {category_key(v) for v in allowed}
    for i, text in enumerate(texts):
        if kind == "boolean":
            word = text.lower()
            if word in TRUE_WORDS or word in FALSE_WORDS:
                out[i] = word in TRUE_WORDS
                continue
            bad.add(np.flatnonzero(codes == i), Problem("value_type", f"{text!r} is not yes/no "
                                                         f"for {what!r}",
                                                         **worded("not_yes_no", text=text,
                                                                  what=what)))
            out[i] = None
            continue
        key = text if kind == "text" else category_key(text)  # identity text: as written
        if allowed and key not in allowed_keys:
            bad.add(np.flatnonzero(codes == i), Problem("unknown_category", f"{text!r} is not a "
                                                         f"value of {what!r}",
                                                         hint="one of: " + ", ".join(
                                                             map(str, allowed)),
                                                         hint_code="one_of", **worded(
                                                             "not_a_value", text=text, what=what,
                                                             choices=", ".join(map(str, allowed)))))
        out[i] = key
    if categorical:  # one code per row, one distinct key per category: cheap to test and subset
        keys, key_codes = np.unique(out[:-1].astype(str), return_inverse=True)
        key_codes = np.append(key_codes, -1)
        return pd.Categorical.from_codes(key_codes[np.where(codes < 0, len(texts), codes)], keys)
    if coded:  # one label per distinct text and the missing one, not an object per row
        label_codes, uniques = pd.factorize(out)
        return pd.Categorical.from_codes(label_codes[np.where(codes < 0, len(texts), codes)],
                                         pd.Index(uniques, dtype=object))
    return out[np.where(codes < 0, len(texts), codes)]


# --- the population ----------------------------------------------------------------------------


def population_from_frame(frame: pd.DataFrame, iset: IndicatorSet, columns: list[Column],
                          display: str = "<table>", sha256: str = "", first_row: int = 0,
                          keep_text: bool = False,
                          credit_checks: dict[str, list[Problem]] | None = None) -> Population:
    """Read the cells of `frame` (columns already resolved) onto canonical units; `first_row` is
    the number of data rows before this frame in the file (for reading in chunks). With
    `keep_text` the indicator and parameter cells are also kept as written (for reports);
    `credit_checks` (credit code → its problems) is shared by the chunks of one file, so that a
    code is checked once per file. A large frame is read in reused heap memory (heap.py)."""
    with reused_heap(len(frame)):
        return _population_of_frame(frame, iset, columns, display, sha256, first_row, keep_text,
                                    credit_checks)


def _population_of_frame(frame: pd.DataFrame, iset: IndicatorSet, columns: list[Column],
                         display: str, sha256: str, first_row: int, keep_text: bool,
                         credit_checks: dict[str, list[Problem]] | None) -> Population:
    n = len(frame)
    bad_by_column: dict[str, _Bad] = {}
    fields: dict[str, Any] = {}
    params: dict[str, np.ndarray] = {}
    values: dict[str, np.ndarray] = {}
    labels: dict[str, np.ndarray] = {}
    intervals: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    shipments = None
    for c in columns:
        bad = bad_by_column.setdefault(c.source, _Bad())
        series = frame[c.source]
        unit_series = frame[c.unit_column] if c.unit_column else None
        if c.role == "field":
            if c.target == "shipments":
                shipments = _quantities(series, None, c, "", None, bad)
            else:  # a credit code's distinct texts are checked below

                fields[c.target] = _identity_field(series, c.target)
        elif c.role == "parameter":
            p = iset.parameters[c.target]
            if p.kind in ("quantity", "integer"):
                params[p.id] = v = _quantities(series, unit_series, c, p.unit or "", None, bad)
                _check_range(v, p, c, bad)
                if p.kind == "integer":
                    listed = np.isin(v, np.asarray(p.values, float))
                    ok = np.isnan(v) | ((v == np.round(v)) & (listed
                                                              if p.values else True))
                    if not ok.all():
                        bad.add(np.flatnonzero(~ok), Problem(
                            "unknown_category", f"not a value of {p.id!r}",
                            hint="one of: " + ", ".join(map(str, p.values)) if p.values else None))
            else:
                params[p.id] = _labels(series, p.kind if p.kind == "boolean" else "category",
                                       p.values, p.id, bad, categorical=p.kind == "category",
                                       column=c)
        else:
            ind = iset.indicators[c.target]
            if ind.kind == "quantity":
                values[ind.id] = _quantities(series, unit_series, c, ind.unit or "", ind, bad)
                _check_range(values[ind.id], ind, c, bad)
                if ind.sign == 0:  # within / target / equal: the declared interval matters
                    intervals[ind.id] = _intervals(series, unit_series, c, ind, values[ind.id])
            else:
                labels[ind.id] = _labels(series, ind.kind if ind.kind == "boolean" else "category",
                                         ind.order if ind.kind == "ordinal" else (), ind.id, bad,
                                         column=c, coded=True)
    if "credit_code" in fields:  # each distinct text once (a Categorical: `identity_text`)
        checked = {} if credit_checks is None else credit_checks
        credit = fields["credit_code"]
        bad = bad_by_column.setdefault("credit_code", _Bad())
        for i, text in enumerate(credit.categories):
            if text == "":
                continue
            if text not in checked:
                checked[text] = check_credit_code(text)
            if checked[text]:
                rows = np.flatnonzero(credit.codes == i)
                for found in checked[text]:
                    bad.add(rows, found)
    unusable = np.zeros(n, dtype=bool)
    excluded: list[Problem] = []
    header_line = frame.attrs.get("header_line", 1)
    for source, bad in bad_by_column.items():
        for positions, problem in zip(bad.rows, bad.problems, strict=True):
            unusable[positions] = True
            excluded += _placed(problem, display, source, first_row + positions + 1,
                                header_line)
    excluded.sort(key=lambda p: (p.line or 0, p.pointer or ""))
    keep = np.flatnonzero(~unusable)
    subset = (lambda a: a[keep]) if unusable.any() else (lambda a: a)
    return Population(
        path=display, sha256=sha256, category=iset.id,
        rows=(keep + 1 + first_row).astype(np.int32),
        fields={k: subset(v) for k, v in fields.items()},
        parameters={k: subset(v) for k, v in params.items()},
        values={k: subset(v) for k, v in values.items()},
        labels={k: subset(v) for k, v in labels.items()}, columns=columns, excluded=excluded,
        shipments=subset(shipments) if shipments is not None else None,
        intervals={k: (subset(lo), subset(hi)) for k, (lo, hi) in intervals.items()},
        texts={c.target: subset(np.array([_as_written(x, c) for x in frame[c.source]],
                                         dtype=object))
               for c in columns if keep_text and c.role != "field"})


def _placed(problem: Problem, display: str, source: str, rows: np.ndarray,
            header_line: int) -> list[Problem]:
    """`problem` at each of `rows` (data rows, 1 = the first) of column `source`, as
    `problem.at(display, "/row/source", line)` places it (what it already says kept): the
    problem made once with the file, then a copy of its fields per row with the row's pointer
    and line (a frozen dataclass's constructor per row costs three times as much; tens of
    thousands of rows of a large table are unusable)."""
    placed = replace(problem, file=problem.file or display)
    members = placed.__dict__
    pointer, line = members["pointer"], members["line"]
    made = object.__new__
    out = []
    for row in rows.tolist():
        copy = made(Problem)
        copy.__dict__.update(members)  # the fields in their order (`Problem.as_dict`'s)
        copy.__dict__["pointer"] = f"/{row}/{source}" if pointer is None else pointer
        copy.__dict__["line"] = row + header_line if line is None else line
        out.append(copy)
    return out


def _intervals(series: pd.Series, unit_series: pd.Series | None, column: Column, ind: Indicator,
               values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The declared interval of each cell of an indicator judged on both ends ("4.90~5.10 V",
    "50 ± 0.5 Hz"), read once per distinct text as a declaration reads it; plain numbers and
    unreadable cells are points."""
    from benchmark.declaration import declared_value, interval

    lo, hi = values.copy(), values.copy()
    if unit_series is not None or series.dtype.kind in "if":
        return lo, hi
    codes, texts = _text_cells(series)
    for i, text in enumerate(texts):
        if _looks_plain(text):
            continue
        try:
            a, b = interval(ind, declared_value(ind, text))
        except BenchmarkError:
            continue
        rows = codes == i
        lo[rows], hi[rows] = a, b
    return lo, hi


def _as_written(cell: Any, column: Column) -> str | None:
    """A cell as a report shows it: the text, with the header's unit after a plain number."""
    text = _cell_text(cell)
    if text is not None and column.unit and _looks_plain(text):
        return f"{text} {column.unit}"
    return text


def load_population(path: str | Path, catalogue: Catalogue, set_id: str,
                    mapping_path: str | Path | None = None, display: str | None = None,
                    keep_text: bool = False, progress=lambda rows: None) -> Population:
    """Read a population table for category `set_id`; InputError lists every file-level problem,
    row-level problems exclude their rows and are listed in `Population.excluded`.
    `progress(rows)` is told the data rows read so far after each chunk."""
    iset = indicator_set(catalogue, set_id)
    mapping = read_mapping(mapping_path) if mapping_path else None
    if mapping and mapping.get("category") and mapping["category"] != set_id:
        raise InputError(Problem("mapping_category_mismatch", f"the mapping is for "
                                 f"{mapping['category']!r}, not {set_id!r}", file=str(mapping_path),
                                 pointer="/category"))
    pinned_heap()
    display = display or _display(path)
    origin = None
    if mapping and mapping.get("long_form"):  # one row per standard × indicator: pivot first
        from benchmark.longform import wide_table

        path, mapping, origin = wide_table(path, mapping, display)

    def identity(headers: list[str]) -> set[str]:
        cols, _ = resolve_columns(headers, iset, mapping, display)
        return {c.source for c in cols if c.role == "field" and c.target != "shipments"}

    chunks, digest = read_table_chunks(path, encoding=(mapping or {}).get("encoding"),
                                       sheet=(mapping or {}).get("sheet"),
                                       delimiter=(mapping or {}).get("delimiter"),
                                       header_row=(mapping or {}).get("header_row"),
                                       text_columns=identity)
    joined: _Joined | None = None
    credit_checks: dict[str, list[Problem]] = {}
    with closing(chunks):  # the reader closed when a chunk's problems stop the reading
        for frame in chunks:  # a chunk of rows at a time, each read onto canonical units at once
            if joined is None:
                columns, problems = resolve_columns(list(frame.columns), iset, mapping, display)
                if any(p.severity == "error" for p in problems):
                    raise InputError(problems)
                if not frame.attrs.get("decimal_read"):
                    columns = [replace(c, decimal=decimal_mark(mapping)) for c in columns]
                joined = _Joined(frame.attrs.get("rows_expected", 0))
            first = joined.rows_read
            part = population_from_frame(frame, iset, columns, display, "", first, keep_text,
                                         credit_checks)
            part.rows_read = first + len(frame)
            part.header_line = frame.attrs.get("header_line", 1)
            del frame
            joined.add(part)  # its rows copied into the whole table's: the part is dropped
            del part
            arrow_released()
            progress(joined.rows_read)
    assert joined is not None  # a table without data rows is refused by its reader
    pop = joined.population()
    del joined
    pop.warnings = problems
    if origin is not None:  # problems at the export's lines, not the pivoted rows
        pop.excluded = origin.relocate(pop.excluded)
        pop.warnings = origin.relocate(problems)
        pop.header_line = origin.header_line
    # a long-form export: its own hash, not the pivoted table's
    pop.sha256 = origin.sha256 if origin is not None else digest.result()
    pop.inputs = {display: pop.sha256,
                  **({str(mapping_path): mapping["doc"].sha256} if mapping else {})}
    if len(pop) == 0:
        raise InputError([Problem("no_usable_rows", "no row of the table can be used",
                                  file=display), *pop.excluded[:50]])
    return pop


ROW_MEMBERS = ("rows", "fields", "parameters", "values", "labels", "intervals", "texts",
               "shipments")  # a Population's per-row members
_ROW_DICTS = ("fields", "parameters", "values", "labels", "texts")  # name → per-row array


def _concatenate(parts: list[Population], order: np.ndarray | None = None,
                 keep: bool = False) -> Population:
    """One population from the populations of consecutive chunks or pieces (`_Joined`), its
    rows taken in `order` when given, each array let go of once taken in `order`. With `keep`,
    the parts (and the list) stay as they were; without, the list is used up, each part leaving
    it once added (let go of unless the caller holds it too), and one part is the population."""
    joined = _Joined(sum(len(p) for p in parts))
    taken = list(parts) if keep else parts
    while taken:
        joined.add(taken.pop(0))
    pop = joined.population()
    if keep and pop is parts[0]:
        pop = _dicts_copied(pop)
    if order is None:
        return pop
    arrays = dict(_row_arrays(pop))
    pop = replace(_without_row_arrays(pop), excluded=pop.excluded, segment_codes=None)
    for path in arrays:  # one array at a time: the whole population is held once, not twice
        arrays[path] = arrays[path][order]
    return _with_row_arrays(pop, arrays)


_Path = tuple  # where a per-row array is in a population: ("rows",), ("values", id) …


def _row_arrays(pop: Population) -> list[tuple[_Path, Any]]:
    """Each per-row array of `pop` (ROW_MEMBERS) with where it is."""
    out: list[tuple[_Path, Any]] = [(("rows",), pop.rows)]
    if pop.shipments is not None:
        out.append((("shipments",), pop.shipments))
    for name in _ROW_DICTS:
        out += [((name, key), array) for key, array in getattr(pop, name).items()]
    for key, ends in pop.intervals.items():
        out += [(("intervals", key, end), array) for end, array in enumerate(ends)]
    return out


def _with_row_arrays(pop: Population, arrays: dict[_Path, Any]) -> Population:
    """`pop` with the per-row arrays `arrays` (`_row_arrays`' paths) in place of its own."""
    members: dict[str, Any] = {name: {} for name in (*_ROW_DICTS, "intervals")}
    members["shipments"] = None
    for (name, *where), array in arrays.items():
        if not where:
            members[name] = array
        elif name == "intervals":
            members[name].setdefault(where[0], [None, None])[where[1]] = array
        else:
            members[name][where[0]] = array
    members["intervals"] = {key: tuple(ends) for key, ends in members["intervals"].items()}
    return replace(pop, **members)


class _Joined:
    """One population from the populations of consecutive chunks or pieces of a table, given
    one at a time (`add`): each per-row array of a part is copied into a buffer of about the
    whole table's rows (`rows`, the reader's estimate, grown when short) as the part arrives,
    so that the caller can drop the part, and a table read in chunks is held about once, not
    as its parts and then their join too. The excluded rows' problems follow each other; the
    rest (columns, header line, warnings …) is the first part's. One part is the population."""

    def __init__(self, rows: int = 0) -> None:
        self.rows = rows
        self.first: Population | None = None  # without its arrays once there are buffers
        self.buffers: dict[_Path, _Buffer] = {}
        self.excluded: list[Problem] = []
        self.rows_read = 0  # data rows of the parts so far, usable or not

    def add(self, part: Population) -> None:
        self.rows_read = part.rows_read
        if self.first is None:
            self.first = part
            return
        if not self.buffers:
            first, self.first = self.first, _without_row_arrays(self.first)
            rows = max(self.rows, len(first) + len(part))
            self.buffers = {path: _buffer(array, rows) for path, array in _row_arrays(first)}
            self.excluded = list(first.excluded)
            del first
        for path, array in _row_arrays(part):
            self.buffers[path].add(array)
        self.excluded += part.excluded

    def population(self) -> Population:
        assert self.first is not None, "no part was given"
        if not self.buffers:
            return self.first
        arrays = {path: buffer.joined() for path, buffer in self.buffers.items()}
        self.buffers = {}
        return _with_row_arrays(replace(self.first, excluded=self.excluded,
                                        rows_read=self.rows_read, segment_codes=None), arrays)


def _without_row_arrays(pop: Population) -> Population:
    """`pop` holding none of its per-row arrays (what a joined population takes from its first
    part besides them)."""
    return _with_row_arrays(replace(pop, excluded=[]),
                            {("rows",): np.zeros(0, dtype=pop.rows.dtype)})


class _Buffer:
    """The rows of one per-row array, filled part by part (`_Joined`)."""

    def add(self, array: Any) -> None:
        raise NotImplementedError

    def joined(self) -> Any:
        raise NotImplementedError


def _buffer(first: Any, rows: int) -> _Buffer:
    """A buffer for about `rows` rows of arrays like `first`, holding `first`."""
    buffer: _Buffer
    if isinstance(first, pd.Categorical):
        buffer = _CodeBuffer(first, rows)
    elif isinstance(first, pd.api.extensions.ExtensionArray):  # arrow strings
        buffer = _TextBuffer(first, rows)
    else:
        buffer = _ArrayBuffer(first.dtype, rows)
    buffer.add(first)
    return buffer


class _ArrayBuffer(_Buffer):
    """A NumPy array's rows (np.concatenate's result: its dtype, or one both can hold)."""

    def __init__(self, dtype: np.dtype, rows: int) -> None:
        self.data = np.empty(rows, dtype=_native(dtype))
        self.size = 0

    def add(self, array: np.ndarray) -> None:
        end = self.size + len(array)
        dtype = np.result_type(self.data, array) if array.dtype != self.data.dtype \
            else self.data.dtype
        if end > len(self.data) or dtype != self.data.dtype:
            grown = np.empty(max(end, len(self.data) * 3 // 2), dtype=_native(dtype))
            grown[:self.size] = self.data[:self.size]
            self.data = grown
        self.data[self.size:end] = array
        self.size = end

    def joined(self) -> np.ndarray:
        """The rows, in an array of their own: the buffer cut to them (realloc: not copied)."""
        data, self.data = self.data, np.empty(0, dtype=self.data.dtype)
        if len(data) > self.size:
            data.resize(self.size, refcheck=False)
        return data


def _native(dtype: np.dtype) -> np.dtype:
    """numpy's own instance of a plain dtype: a dtype unpickled (a piece sent by a Dask worker)
    is an equal copy, and `np.asarray(x, dtype=float)` of an array of it gives a view, not `x`
    (an assessment's values would then be copies of the population's)."""
    return np.dtype(dtype.str) if dtype.fields is None and dtype.metadata is None else dtype


class _CodeBuffer(_Buffer):
    """A pd.Categorical's rows: their codes, the categories joined as union_categoricals joins
    them (each part's new categories after those before, in its order; codes of the dtype
    pandas picks for their number)."""

    def __init__(self, first: pd.Categorical, rows: int) -> None:
        self.dtype = first.dtype
        self.codes = _ArrayBuffer(first.codes.dtype, rows)

    def add(self, array: pd.Categorical) -> None:
        categories = self.dtype.categories
        if array.categories.equals(categories):
            self.codes.add(array.codes)
            return
        new = array.categories[~array.categories.isin(categories)]
        if len(new):
            categories = categories.append(new)
            self.dtype = pd.CategoricalDtype(categories, ordered=self.dtype.ordered)
        recoded = np.append(categories.get_indexer(array.categories), -1)[array.codes]
        self.codes.add(pd.Categorical.from_codes(recoded, dtype=self.dtype,
                                                 validate=False).codes)

    def joined(self) -> pd.Categorical:
        return pd.Categorical.from_codes(self.codes.joined(), dtype=self.dtype, validate=False)


class _TextBuffer(_Buffer):
    """Arrow strings' rows as one arrow array of one chunk (taking rows later, sorting or a
    segment's, does not join chunks again): their offsets and bytes, and which are missing."""

    def __init__(self, first, rows: int) -> None:
        import pyarrow as pa

        self.dtype = first.dtype
        self.type = pa.array(first).type
        if self.type not in (pa.string(), pa.large_string()):
            raise TypeError(f"arrow strings of type {self.type}")
        offset = np.int64 if self.type == pa.large_string() else np.int32
        per_row = -(-pa.array(first).nbytes // max(len(first), 1))
        self.offsets = _ArrayBuffer(np.dtype(offset), rows + 1)
        self.offsets.add(np.zeros(1, dtype=offset))
        self.bytes = _ArrayBuffer(np.dtype(np.uint8), rows * per_row)
        self.valid: _ArrayBuffer | None = None  # made once a row is missing
        self.size = 0

    def add(self, array) -> None:
        import pyarrow as pa

        for chunk in arrow_chunks(pa.array(array)):
            chunk = chunk.cast(self.type)
            _, offsets, data = chunk.buffers()
            at = np.frombuffer(offsets, dtype=self.offsets.data.dtype)[
                chunk.offset:chunk.offset + len(chunk) + 1]
            end = self.offsets.data[self.offsets.size - 1]
            self.offsets.add(at[1:] - at[0] + end)
            if len(chunk):
                self.bytes.add(np.frombuffer(data, dtype=np.uint8)[at[0]:at[-1]])
            if chunk.null_count and self.valid is None:
                self.valid = _ArrayBuffer(np.dtype(bool), self.offsets.data.size)
                self.valid.add(np.ones(self.size, dtype=bool))
            if self.valid is not None:
                self.valid.add(chunk.is_valid().to_numpy(zero_copy_only=False))
            self.size += len(chunk)

    def joined(self):
        import pyarrow as pa

        valid = None if self.valid is None else self.valid.joined()
        bitmap = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
        text = pa.Array.from_buffers(self.type, self.size, [
            bitmap, pa.py_buffer(self.offsets.joined()), pa.py_buffer(self.bytes.joined())],
            null_count=-1 if valid is not None else 0)
        return pd.arrays.ArrowStringArray(text, dtype=self.dtype)


def _dicts_copied(pop: Population) -> Population:
    """`pop` with its dicts of per-row arrays copied (the arrays shared), to be joined."""
    members: dict[str, Any] = {name: dict(getattr(pop, name))
                               for name in (*_ROW_DICTS, "intervals")}
    return replace(pop, **members)


def _cell_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, (float, np.floating)):
        return format(float(value), ".15g")
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    text = printable(str(value).strip())
    return text or None


REQUIRED_FIELDS = ("enterprise", "standard_number", "standard_title")


def missing_fields(columns: list[Column], display: str, header_line: int = 1) -> list[Problem]:
    """A table of declarations without a column for an identity field every declaration has:
    one problem naming the header to add (not one per row)."""
    held = {c.target for c in columns if c.role == "field"}
    out = []
    for name in REQUIRED_FIELDS:
        if name not in held:
            zh = next(s for s in FIELD_NAMES[name] if not s.isascii())
            out.append(Problem("column_missing", f"no column holds {name!r}, which every "
                               "declaration needs", file=display, line=header_line,
                               hint=f"add a column headed {name!r} or {zh!r}, or map one in a "
                                    "mapping file", hint_code="add_field_column",
                               **worded("field_column_missing", field=name, zh=zh)))
    return out


def _display(path: str | Path) -> str:
    return "<stdin>" if str(path) == STDIN else str(path)


def decimal_mark(mapping: dict | None) -> str:
    """The decimal mark of a table's numbers written as text: "," when its mapping says
    `decimal: comma`, else "."."""
    return "," if (mapping or {}).get("decimal") == "comma" else "."


def split_references(text: str) -> list[str]:
    """Normative references written in one cell: separated by ; ； or new lines."""
    return [r.strip() for r in text.replace("；", ";").replace("\n", ";").split(";") if r.strip()]


# --- declarations as a population -----------------------------------------------------------------

IDENTITY = ("enterprise", "credit_code", "standard_number", "standard_title", "model",
            "product_name")


def population_of(decls: list, iset: IndicatorSet) -> Population:
    """Declarations of one category as a population (a declaration is a population of one):
    the same arrays the engine assesses for a table, identity kept as text exactly as written."""
    from benchmark.declaration import interval

    n = len(decls)
    fields = {f: np.array([getattr(d, f) or "" for d in decls], dtype=object) for f in IDENTITY}
    fields["normative_references"] = np.array(["; ".join(d.normative_references)
                                               for d in decls], dtype=object)
    params: dict[str, np.ndarray] = {}
    for pid, p in iset.parameters.items():
        raw = [d.parameters.get(pid) for d in decls]
        if p.kind in ("quantity", "integer"):
            params[pid] = np.array([np.nan if v is None else float(v) for v in raw], dtype=float)
        else:
            params[pid] = np.array(raw, dtype=object)
    values: dict[str, np.ndarray] = {}
    labels: dict[str, np.ndarray] = {}
    intervals: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for ind in iset.indicators.values():
        dvs = [d.values.get(ind.id) for d in decls]
        if ind.kind == "quantity":
            ends = [interval(ind, dv) if dv else (None, None) for dv in dvs]
            lo = np.array([np.nan if a is None else a for a, _ in ends], dtype=float)
            hi = np.array([np.nan if b is None else b for _, b in ends], dtype=float)
            values[ind.id] = np.array([np.nan if dv is None or dv.value is None else
                                       _guaranteed(ind, dv) for dv in dvs], dtype=float)
            if ind.sign == 0:
                intervals[ind.id] = (lo, hi)
        else:
            labels[ind.id] = np.array([dv.label if dv else None for dv in dvs], dtype=object)
    return Population(
        path=decls[0].path if n == 1 else "<declarations>", sha256=decls[0].sha256 if n == 1
        else "", category=iset.id, rows=np.arange(1, n + 1, dtype=np.int32), fields=fields,
        parameters=params, values=values, labels=labels, columns=[], intervals=intervals,
        texts={ind: np.array([d.values[ind].text if ind in d.values else None for d in decls],
                             dtype=object) for ind in iset.indicators})


def _guaranteed(ind: Indicator, dv) -> float:
    from benchmark.declaration import guaranteed

    value = guaranteed(ind, dv)
    return np.nan if value is None else value
