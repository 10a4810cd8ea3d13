"""`evaluate TABLE` holds a chunk of its per-row outputs at a time, not every row (issue 12:
memory bounded by the chunk size): the verdict table is made from the assessment's arrays a chunk
of rows at a time as each file is written, its summary counted the same way, and each individual
report rendered, written and let go of before the next is made (the audit records of the batch
still appended in one transaction). The chunks make the same cells as the whole table, so the
files are the same bytes whatever the chunk size.
"""

from __future__ import annotations

import datetime as dt
import io
import tracemalloc
import weakref
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from test_verdict_table import DATE, SET, motor_frame

from benchmark import batch, verdicts
from benchmark.audit import record_of, recorded
from benchmark.batch import assess_table, explain_rows, read_table_input
from benchmark.catalogue import load_catalogue
from benchmark.cli import main
from benchmark.report import labels
from benchmark.verdicts import (
    csv_writer,
    headers,
    parquet_writer,
    table_counts,
    verdict_chunks,
    verdict_counts,
    verdict_table,
    words,
    xlsx_writer,
)

ON = dt.date.fromisoformat(DATE)


@pytest.fixture(scope="module")
def assessed(tmp_path_factory):
    """A 1,000-row motor table assessed, with the words of its zh report language."""
    path = tmp_path_factory.mktemp("streaming") / "applicants.csv"
    motor_frame(1000, seed=41).to_csv(path, index=False)
    catalogue = load_catalogue()
    pop = read_table_input(path, catalogue, SET, None)
    a = assess_table(str(path), pop, catalogue, "leader", ON)
    return path, pop, a, words(a, labels("zh"), "zh")


@pytest.mark.parametrize("in_words", [False, True])
def test_chunks_make_the_cells_of_the_whole_table(assessed, in_words):
    _, _, a, W = assessed
    W = W if in_words else verdicts.CODES
    whole = verdict_table(a, W)
    chunks = list(verdict_chunks(a, W, chunk_rows=37))
    assert len(chunks) == -(-1000 // 37) and max(len(c) for c in chunks) == 37
    assert (whole["failed_rules"] != "").any() and (whole["gap"] != "").any()
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)


def test_the_summary_counted_by_chunks_is_the_whole_tables(assessed, monkeypatch):
    _, _, a, _ = assessed
    whole = verdict_counts(verdict_table(a))
    monkeypatch.setattr(verdicts, "CHUNK_ROWS", 64)
    assert table_counts(a) == whole and whole["rows"] == 1000 and whole["reasons"]


def _written(a, W, L) -> dict[str, bytes]:
    header = headers(a, L, W.indicators)
    writers = {"csv": csv_writer(a, W, header), "parquet": parquet_writer(a),
               "xlsx": xlsx_writer(a, W, header, ON, "verdicts", "part {part}")}
    out = {}
    for name, write in writers.items():
        fh = io.BytesIO()
        write(fh)
        out[name] = fh.getvalue()
    return out


def test_the_files_are_the_same_bytes_whatever_the_chunk_size(assessed, monkeypatch):
    """The worksheet is turned into XML in chunks of its own (xlsx.CHUNK_ROWS), which the
    table's chunks divide evenly: the same bytes."""
    from benchmark.report import xlsx

    _, _, a, W = assessed
    L = labels("zh")
    monkeypatch.setattr(xlsx, "CHUNK_ROWS", 50)
    whole = _written(a, W, L)  # 1,000 rows: one chunk
    monkeypatch.setattr(verdicts, "CHUNK_ROWS", 100)
    monkeypatch.setattr(verdicts, "WORDS_CHUNK_ROWS", 100)
    chunked = _written(a, W, L)
    assert chunked["csv"] == whole["csv"] and chunked["xlsx"] == whole["xlsx"]
    # Parquet keeps one row group per chunk: the same rows and cells, in 10 groups
    import pyarrow.parquet as pq

    one, ten = (pq.ParquetFile(io.BytesIO(x)) for x in (whole["parquet"], chunked["parquet"]))
    assert (one.num_row_groups, ten.num_row_groups) == (1, 10)
    assert one.read().equals(ten.read()) and one.schema_arrow.equals(ten.schema_arrow)


def test_the_table_chunks_divide_the_worksheet_chunks():
    """What keeps the XLSX the bytes it was when the table was made whole."""
    from benchmark.report import xlsx

    assert verdicts.WORDS_CHUNK_ROWS % xlsx.CHUNK_ROWS == 0


def _peak(write) -> int:
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        write()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before


def test_writing_holds_a_chunk_of_the_table_not_the_whole(assessed, monkeypatch):
    """The peak while the CSV is written in chunks of 100 rows is well below what the whole
    table in words holds (which every row's cells would cost)."""
    _, _, a, W = assessed
    header = headers(a, labels("zh"), W.indicators)
    whole = _peak(lambda: verdict_table(a, W))
    monkeypatch.setattr(verdicts, "WORDS_CHUNK_ROWS", 100)
    streamed = _peak(lambda: csv_writer(a, W, header)(_Discarded()))
    assert streamed < whole / 3, (streamed, whole)


class _Discarded(io.RawIOBase):
    """A file that keeps nothing of what is written to it."""

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        return len(b)


def test_a_report_is_let_go_of_once_its_files_are_written(assessed, tmp_path, monkeypatch):
    """While 300 reports are written in this process, no more than one report's rendered files
    are alive at once (each is written as it is made), and what each keeps gives the same audit
    record as its whole result."""
    path, pop, a, _ = assessed
    alive: list[weakref.ref] = []
    most = [0]

    class Rendered(str):
        pass

    def render_markdown(result, lang, template_dir=None):
        most[0] = max(most[0], sum(r() is not None for r in alive))
        text = Rendered(f"# {result['declaration']['file']}\n")
        alive.append(weakref.ref(text))
        return text

    monkeypatch.setattr(batch, "render_markdown", render_markdown)
    result = batch.evaluate_files([path], "leader", ON, tmp_path / "out", ["md"], "zh",
                                  set_id=SET, reports=",".join(str(k) for k in range(1, 301)),
                                  table_formats=["csv"], jobs=1)
    assert len(result.results) == 300 and len(alive) == 300
    assert most[0] <= 1
    assert len(list((tmp_path / "out").glob("applicants-row*.zh.md"))) == 300
    _, full = next(iter(explain_rows(str(path), pop, a, [0])))
    full = batch.with_provenance(full, f"{path}#row1", pop.sha256, a.catalogue, "leader",
                                 sources={"set": SET})
    assert record_of(recorded(full), {}, {}) == record_of(full, {}, {})


def test_stage_times_are_told_at_the_end_and_reports_only_when_made(assessed, tmp_path):
    """Each stage's line: the rows it did (writing: the table's rows; reports: the reports).
    Declaration files alone write no table: no writing stage."""
    path = assessed[0]

    def lines(*options: str) -> list[tuple[str, str]]:
        res = CliRunner().invoke(main, ["evaluate", *options, "--date", DATE, "--lang", "en",
                                        "--no-audit", "-v"])
        assert res.exit_code == 0, res.output
        return [(x.split(":")[0], x.split(": ")[1].split(" ")[0])
                for x in res.stderr.splitlines() if " rows in " in x]

    table = [str(path), "--set", SET]
    assert lines(*table, "--reports", "none", "-o", str(tmp_path / "none")) == [
        ("reading", "1,000"), ("assessing", "1,000"), ("writing", "1,000")]
    assert lines(*table, "--reports", "1,2", "-o", str(tmp_path / "some")) == [
        ("reading", "1,000"), ("assessing", "1,000"), ("writing", "1,000"), ("reports", "2")]
    folder = Path(__file__).parents[1] / "examples" / "declarations"
    files = len(list(folder.glob("*.yaml")))
    assert lines(str(folder), "-o", str(tmp_path / "files")) == [
        ("reading", str(files)), ("assessing", str(files)), ("reports", str(files))]


def test_a_large_table_evaluated_in_chunks_gives_the_files_of_one_chunk(tmp_path, monkeypatch):
    """Through the CLI, a 1,000-row table written in chunks of 64 rows gives the CSV, XLSX and
    summary bytes of one chunk, and the same Parquet rows."""
    path = tmp_path / "export.csv"
    motor_frame(1000, seed=43).to_csv(path, index=False)

    def run(out: Path) -> dict[str, bytes]:
        res = CliRunner().invoke(main, ["evaluate", str(path), "--set", SET, "--date", DATE,
                                        "--reports", "none", "--no-audit", "--table-format",
                                        "csv,parquet,xlsx", "-o", str(out)])
        assert res.exit_code == 0, res.output
        return {p.name: p.read_bytes() for p in sorted(out.iterdir())}

    from benchmark.report import xlsx

    monkeypatch.setattr(xlsx, "CHUNK_ROWS", 32)
    one = run(tmp_path / "one")
    monkeypatch.setattr(verdicts, "CHUNK_ROWS", 64)
    monkeypatch.setattr(verdicts, "WORDS_CHUNK_ROWS", 64)
    chunked = run(tmp_path / "chunked")
    assert set(one) == set(chunked)
    for name in one:
        if name.endswith(".parquet"):
            assert pd.read_parquet(io.BytesIO(one[name])).equals(
                pd.read_parquet(io.BytesIO(chunked[name])))
        else:
            assert one[name] == chunked[name], name
