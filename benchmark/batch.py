"""Evaluating many declarations: collecting inputs, checking them all before writing anything,
evaluating, and writing, per table, its verdict table and summary (benchmark.verdicts: made a
chunk of rows at a time as each file is written) and the report sets asked for (each rendered,
written and let go of before the next; their audit records appended in one transaction). Which
rows get an individual report is a `ReportSelection`.

Everything is written under the output folder only, with file names made safe from the input
file names (no path separators, no leading dots).
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import multiprocessing
import os
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from benchmark.audit import AuditTrail, recorded
from benchmark.catalogue import load_catalogue
from benchmark.declaration import Declaration, load_declaration
from benchmark.engine import assess
from benchmark.engine.assess import Assessment, peer_context
from benchmark.engine.explain import explain, names
from benchmark.errors import InputError, Problem, worded
from benchmark.evaluation import check_programme, evaluate_many, json_safe
from benchmark.leaders import peer_distributions
from benchmark.loading import file_sha256
from benchmark.population import (
    STDIN,
    TABLE_SUFFIXES,
    Population,
    load_population,
    missing_fields,
    read_mapping,
    split_references,
)
from benchmark.report import csv_text, labels, render_json, render_markdown, write_reports
from benchmark.report.html import render_html
from benchmark.report.pdf import chromium_binary, render_pdf
from benchmark.report.xlsx import render_xlsx
from benchmark.verdicts import (
    TABLE_FORMATS,
    csv_writer,
    headers,
    parquet_writer,
    summary_json,
    summary_markdown,
    verdict_summary,
    words,
    xlsx_writer,
)

FORMATS = ("json", "md", "html", "pdf", "xlsx")
DECLARATION_SUFFIXES = (".yaml", ".yml", ".json")
REPORT_KINDS = ("all", "none", "eligible", "not-eligible", "not-evaluable")
TABLE_REPORT_LIMIT = 100  # a table larger than this gets no individual reports unless asked
SMALL_TABLE_BYTES = 1024 * 1024  # a table file this small keeps its cells as written by default


class Stages(Protocol):
    """What `evaluate_files` tells of its progress (the CLI's StageProgress): `stages(name)`
    before each stage (reading, assessing, writing the verdict tables and summaries when there
    are tables, and reports when any are made, each written as it is made), `stages.rows(done)`
    within one with the rows (declarations; reports) done so far, `stages.detail(text)` what it
    is at (a file being written, whose rows `rows` then counts)."""

    def __call__(self, stage: str) -> None: ...

    def rows(self, done: int) -> None: ...

    def detail(self, text: str) -> None: ...


class Unshown:
    """No progress shown (the default of `evaluate_files`)."""

    def __call__(self, stage: str) -> None:
        pass

    def rows(self, done: int) -> None:
        pass

    def detail(self, text: str) -> None:
        pass


@dataclass
class BatchResult:
    outputs: list[Path]
    summary: list[dict]  # one line per report set written
    results: list[tuple[dict, list[Path]]]  # each report's kept result (audit.recorded), files
    tables: list[dict] = field(default_factory=list)  # each table's verdict summary
    evaluated: int = 0  # declarations evaluated: files and table rows
    notes: list[str] = field(default_factory=list)  # what a user is told on standard error
    warnings: list[Problem] = field(default_factory=list)  # of the inputs read (unused columns …)
    programme_names: dict[str, str] = field(default_factory=dict)  # the programme's, by language


@dataclass(frozen=True)
class ReportSelection:
    """Which declarations get an individual report: a kind of REPORT_KINDS, or the row numbers
    / models listed (as written). None as the selection: every declaration file, and the rows of
    a table up to TABLE_REPORT_LIMIT rows."""

    kind: str
    ids: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> ReportSelection | None:
        if text is None:
            return None
        value = text.strip()
        if value in REPORT_KINDS:
            return cls(value)
        ids = tuple(x.strip() for x in value.split(","))
        if not value or any(not x or x in REPORT_KINDS for x in ids):
            raise InputError(Problem(
                "reports_invalid", f"--reports {text!r} is not a selection",
                hint="one of " + ", ".join(REPORT_KINDS) + ", or a comma list of row numbers "
                "or models as written (e.g. 3,17,KFR-35GW)"))
        return cls("ids", ids)

    def rows(self, verdicts: np.ndarray, keys: list[np.ndarray]) -> np.ndarray:
        """The rows selected, given each row's verdict and the texts it is known by."""
        if self.kind == "ids":
            wanted = np.array(self.ids, dtype=object)
            hit = np.zeros(len(verdicts), dtype=bool)
            for k in keys:
                hit |= np.isin(np.asarray(k, dtype=object).astype(str), wanted)
            return hit
        if self.kind in ("all", "none"):
            return np.full(len(verdicts), self.kind == "all")
        return np.asarray(verdicts) == self.kind.replace("-", "_")

    def found(self, keys: list[np.ndarray]) -> set[str]:
        return {x for k in keys for x in np.asarray(k, dtype=object).astype(str)
                if x in self.ids}


def collect(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        try:
            folder = p.is_dir()
        except OSError:  # a name too long …: the reader reports it with the file
            folder = False
        if folder:
            files += sorted(x for x in p.iterdir() if x.suffix.lower() in DECLARATION_SUFFIXES)
        else:
            files.append(p)
    return files


def safe_stem(name: str) -> str:
    """A file name stem from an input name: no path separators, no leading dots. A table row
    ("pop.csv#row3") gives "pop-row3"; standard input ("-", "-#row3") is named "stdin" (no file
    name starting with "-")."""
    if name == STDIN or name.startswith(f"{STDIN}#row"):
        name = "stdin" + name[len(STDIN):]
    table, sep, row = name.rpartition("#row")
    stem = f"{Path(table).stem}-row{row}" if sep else Path(name).stem
    stem = re.sub(r"[^\w.-]+", "_", stem, flags=re.UNICODE)
    stem = re.sub(r"[._]{2,}", "_", stem).strip("._") or "declaration"
    return stem[:100]


def report_stem(path: str, model: str | None) -> str:
    """Table rows are named by table, row and model, so their reports can be told apart."""
    if "#row" in path and model:
        return safe_stem(f"{path}-{model}")
    return safe_stem(path)


def _keeps_text(path: str | Path, selection: ReportSelection | None) -> bool:
    """Whether a table is read with its cells as written (what a report shows): from standard
    input (read once), when reports are asked for, and by default (reports for a table of up to
    TABLE_REPORT_LIMIT rows) when the file is small enough that keeping them costs little."""
    if str(path) == STDIN:
        return True
    if selection is not None:
        return selection.kind != "none"
    try:
        return os.stat(path).st_size <= SMALL_TABLE_BYTES
    except OSError:
        return False  # the reader says what is wrong


def evaluate_files(paths: Iterable[Path], programme: str, on: dt.date, out_dir: Path,
                   formats: Iterable[str] = FORMATS, lang: str = "zh", data_dir: Path | None = None,
                   include_superseded: bool = False, template_dir: str | None = None,
                   set_id: str | None = None, mapping: Path | None = None,
                   population: Path | None = None, population_mapping: Path | None = None,
                   audit: AuditTrail | None = None, reports: str | None = None,
                   table_formats: Iterable[str] = TABLE_FORMATS,
                   stages: Stages | None = None, jobs: int | None = None) -> BatchResult:
    """Evaluate declaration files, folders of them, and tables (CSV/TSV/XLSX/Parquet, one row per
    declaration, read by the same reader as `rank`; the category from the mapping file or
    `set_id`). The options are checked first, then every input, before anything is assessed;
    each category or table is assessed once. A table gets its verdict table (`table_formats`)
    and summary; individual reports are written for the declarations `reports` selects
    (`ReportSelection.parse`). With a `population` table, each report also shows where the
    applicant stands among its peers. With `audit`, the files and the audit records of the
    reports are written as one step (`write_reports`). `stages` is told the stages and the rows
    done within each (`Stages`). `jobs`: the processes making a table's rows' reports (default:
    one per CPU for PROCESSES_FROM reports or more, else this one); the files are the same
    whatever their number."""
    stages = stages or Unshown()
    formats, table_formats = list(formats), list(table_formats)
    selection = check_evaluate_options(formats, table_formats, reports)
    problems: list[Problem] = []
    catalogue = load_catalogue(data_dir)
    files = collect(paths)
    if not files:
        raise InputError(Problem("no_input", "no declaration files found",
                                 hint="give declaration files (.yaml/.json), a folder of them, "
                                 "or a table (.csv/.xlsx) with one declaration per row"))
    decls: list[Declaration] = []
    tables: list[tuple[str, Population]] = []
    stages("reading")
    done = 0  # declarations read, files and table rows

    def reading(rows: int) -> None:
        stages.rows(done + rows)

    for f in files:  # check every input before writing anything
        try:
            if Path(f).suffix.lower() in TABLE_SUFFIXES or str(f) == STDIN:
                # the cells as written only where reports may be made: asked for, or by default
                # for a small table (a large file of few rows, rare, is read again for them)
                keep = _keeps_text(f, selection)
                pop = read_table_input(f, catalogue, set_id, mapping, keep_text=keep,
                                       progress=reading)
                if selection is None and not keep and len(pop) <= TABLE_REPORT_LIMIT:
                    pop = read_table_input(f, catalogue, set_id, mapping)
                tables.append((str(f), pop))
                done += pop.rows_read or len(pop)
            else:
                decls.append(load_declaration(f, catalogue))
                done += 1
        except InputError as exc:
            problems += exc.problems
        reading(0)
    first: dict[str, tuple[str, str | None]] = {}  # category → the first input naming it
    for d in decls:
        first.setdefault(d.category, (d.path, "/product/category"))
    for name, pop in tables:
        first.setdefault(pop.category, (name, None))
    categories = sorted(first)
    for category in categories:
        if programme not in catalogue.sets[category].programmes:
            file, pointer = first[category]
            problems.append(Problem("unknown_programme",
                                    f"category {category!r} has no programme {programme!r}",
                                    file=file, pointer=pointer,
                                    hint="one of: "
                                    + ", ".join(catalogue.sets[category].programmes)))
    if selection is not None and selection.kind == "ids":
        known = selection.found(_declaration_keys(decls))
        for _, pop in tables:
            known |= selection.found(_row_keys(pop))
        missing = [x for x in selection.ids if x not in known]
        if missing:
            problems.append(Problem("reports_unknown_id", "--reports names no row or model "
                                    f"{', '.join(missing)}", hint="row numbers (1 = the first "
                                    "data row) or models, exactly as written in the input"))
    if "pdf" in formats and (selection is None or selection.kind != "none"):
        try:
            chromium_binary()
        except InputError as exc:
            problems += exc.problems
    peers = {}
    if population is not None:
        for category in categories:
            try:
                peers[category] = load_population(population, catalogue, category,
                                                  population_mapping)
            except InputError as exc:
                problems += exc.problems
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    warnings = problems + [w for pop in [*(pop for _, pop in tables), *peers.values()]
                           for w in pop.warnings]
    contexts = {category: peer_context(pop, catalogue, programme, on, include_superseded)
                for category, pop in peers.items()}
    sources = {"set": set_id, "mapping": str(mapping) if mapping else None,
               "population": str(population) if population else None,
               "population_mapping": str(population_mapping) if population_mapping else None}
    hashes = {name: file_sha256(name) for key, name in sources.items()
              if name and key in ("mapping", "population_mapping")}
    stages("assessing")
    evaluations = evaluate_many(decls, catalogue, programme, on, include_superseded, contexts)
    stages.rows(len(decls))
    assessed: list[tuple[str, Population, Assessment]] = []
    done = len(decls)  # declarations assessed

    def assessing(rows: int) -> None:
        stages.rows(done + rows)

    for name, pop in tables:
        assessed.append((name, pop, assess_table(name, pop, catalogue, programme, on,
                                                 include_superseded, contexts.get(pop.category),
                                                 progress=assessing)))
        done += len(pop)
        assessing(0)
    chosen = (selection or ReportSelection("all")).rows(
        np.array([e.verdict for e in evaluations], dtype=object), _declaration_keys(decls))

    def declaration_items() -> Iterator[tuple[dict, str]]:
        for k in np.flatnonzero(chosen):
            decl = decls[k]
            result = with_provenance(evaluations[k].to_dict(), decl.path, decl.sha256,
                                     catalogue, programme, peers.get(decl.category), sources,
                                     hashes)
            yield result, report_stem(decl.path, decl.model)

    def row_items(name: str, pop: Population, a: Assessment, positions: np.ndarray
                  ) -> Iterator[tuple[dict, str]]:
        for row, result in explain_rows(name, pop, a, positions):
            result = with_provenance(result, f"{name}#row{int(pop.rows[row])}", pop.sha256,
                                     catalogue, programme, peers.get(pop.category), sources,
                                     hashes)
            yield result, report_stem(result["declaration"]["file"],
                                      result["declaration"]["model"])

    def made(result: dict, stem: str) -> Made:
        return Made(recorded(result), _summary_row(result, programme), stem,
                    list(report_contents(result, formats, lang, template_dir)))

    def made_rows(k: int, positions: np.ndarray) -> Iterator[Made]:  # also in a worker
        for item in row_items(*assessed[k], positions):
            yield made(*item)

    # each report, made one at a time as the reports are written: the declaration files' here,
    # a table's rows' (tasks of REPORTS_PER_TASK rows) in worker processes when there are many
    items: list[Iterable[Made]] = [itertools.starmap(made, declaration_items())]
    tasks: list[tuple[int, np.ndarray]] = []
    tabled: list[tuple[Path, Any]] = []  # each table's files, written first
    summaries: list[dict] = []
    notes: list[str] = []
    L = labels(lang, template_dir)
    taken: set[str] = set()
    for k, (name, pop, a) in enumerate(assessed):
        rows, note = _table_reports(selection, a, pop, L)
        if note is not None:
            notes.append(f"{name}: {note}")
        positions = np.flatnonzero(rows)
        if len(positions):
            tasks += [(k, chunk) for chunk in
                      np.array_split(positions, -(-len(positions) // REPORTS_PER_TASK))]
        stem = safe_stem(name)
        while stem in taken:
            stem += "_"
        taken.add(stem)
        written = len(positions)
        summary = verdict_summary(a, name, programme, on, {
            "selection": selection.kind if selection else "default", "written": written,
            "note": note or L["verdict_table"]["reports_written"].format(
                n=written, selection=reports or "all")})
        summaries.append(summary)
        tabled += verdict_files(a, summary, out_dir / stem, table_formats, lang, L, on, notes,
                                stages)
    if jobs is None:  # by default one process per CPU, for enough reports to pay for them
        jobs = _cpus() if sum(len(chunk) for _, chunk in tasks) >= PROCESSES_FROM else 1
    if "fork" not in multiprocessing.get_all_start_methods():
        jobs = 1
    jobs = min(jobs, MAX_JOBS, len(tasks))  # no worker without a task
    items.append(in_processes(made_rows, tasks, jobs) if jobs > 1
                 else itertools.chain.from_iterable(itertools.starmap(made_rows, tasks)))
    summary_rows: list[dict] = []
    results: list[tuple[dict, list[Path]]] = []

    def report_files() -> Iterator[tuple[Path, Any]]:
        """Each report's files, written as they are made and then let go of (of its result
        only what its audit record and the command's line read is kept), then summary.csv."""
        used: set[str] = set()
        for report in itertools.chain.from_iterable(items):
            if not results:
                stages("reports")
            stem = report.stem
            while stem in used:
                stem += "_"
            used.add(stem)
            paths: list[Path] = []
            for suffix, content in report.contents:
                paths.append(out_dir / f"{stem}{suffix}")
                yield paths[-1], content
            results.append((report.recorded, paths))
            stages.rows(len(results))
            summary_rows.append({**report.summary, "report": stem})
        if summary_rows or decls:
            yield out_dir / "summary.csv", summary_csv(summary_rows)

    if tabled:
        stages("writing")
    # the tables, the reports and their records: one step
    outputs = write_reports(itertools.chain(tabled, report_files()), out_dir, audit, results)
    named = [s.programmes[programme].names for s in catalogue.sets.values()
             if programme in s.programmes]
    return BatchResult(outputs, summary_rows, results, tables=summaries, notes=notes,
                       warnings=warnings,
                       evaluated=len(decls) + sum(len(pop) for _, pop in tables),
                       programme_names={"zh": named[0].zh, "en": named[0].en} if named else {})


@dataclass
class Made:
    """One declaration's report set as made: what its audit record reads (`recorded`), its
    summary.csv row but for the report's name, the stem asked for, and each file's suffix and
    content (text or bytes)."""

    recorded: dict
    summary: dict
    stem: str
    contents: list[tuple[str, str | bytes]]


def _summary_row(result: dict, programme: str) -> dict:
    d = result["declaration"]
    return {"file": d["file"], "enterprise": d["enterprise"], "standard": d["standard_number"],
            "category": d["category"], "model": d["model"] or "", "programme": programme,
            "verdict": result["verdict"],
            "overall_level": (result["overall_level"] or {}).get("id") or ""}


def report_contents(result: dict, formats: list[str], lang: str,
                    template_dir: str | None = None) -> Iterator[tuple[str, str | bytes]]:
    """One declaration's report files, as (suffix after the stem, content), each rendered when
    it is taken."""
    if "json" in formats:
        yield ".json", render_json(result)
    if "md" in formats:
        yield f".{lang}.md", render_markdown(result, lang, template_dir)
    if "html" in formats or "pdf" in formats:
        html = render_html(result, lang, template_dir)
        if "html" in formats:
            yield f".{lang}.html", html
        if "pdf" in formats:
            yield f".{lang}.pdf", render_pdf(result, lang, html=html)
    if "xlsx" in formats:
        yield f".{lang}.xlsx", render_xlsx(result, lang, template_dir)


# Reports of a table's rows are made in worker processes, forked once the rows are assessed
# (they inherit the assessment, the catalogue and the templates; nothing is sent to them but
# the rows of each task): by default one per CPU when there are PROCESSES_FROM reports or more,
# at most MAX_JOBS. A task is REPORTS_PER_TASK rows; at most two tasks a worker are ahead of
# the writing, so that memory holds a few tasks' reports, not every report. When they fork the
# command runs no Python thread but this one, and the native pools (numpy's, arrow's) are idle;
# the workers read the assessment and render, and use neither pool.
PROCESSES_FROM = 200
MAX_JOBS = 16
REPORTS_PER_TASK = 50
_WORK: Callable[..., Iterable] | None = None  # what a worker runs: set before they fork


def _cpus() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _work(task: tuple) -> list:
    assert _WORK is not None
    return list(_WORK(*task))


def in_processes(work: Callable[..., Iterable], tasks: list[tuple], jobs: int) -> Iterator:
    """The items of `work(*task)` for each task, in the tasks' order, made by `jobs` forked
    worker processes (`work` need not be picklable: the workers inherit it)."""
    global _WORK
    _WORK = work
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
    try:
        pending: collections.deque = collections.deque()
        for task in tasks:
            pending.append(pool.submit(_work, task))
            if len(pending) >= 2 * jobs:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        pool.shutdown(cancel_futures=True)
        _WORK = None


def check_evaluate_options(formats: Iterable[str], table_formats: Iterable[str],
                           reports: str | None) -> ReportSelection | None:
    """The options of `evaluate`, checked before any work (every problem at once): the report
    formats, the verdict table formats and the --reports selection."""
    problems: list[Problem] = []
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        problems.append(Problem("format_unknown", f"unknown format(s): {', '.join(unknown)}",
                                hint="one of: " + ", ".join(FORMATS), hint_code="one_of",
                                **worded("formats_unknown", formats=", ".join(unknown),
                                         choices=", ".join(FORMATS))))
    unknown = [f for f in table_formats if f not in TABLE_FORMATS]
    if unknown:
        problems.append(Problem("table_format_unknown",
                                f"unknown verdict table format(s): {', '.join(unknown)}",
                                hint="one of: " + ", ".join(TABLE_FORMATS), hint_code="one_of",
                                **worded("table_formats_unknown", formats=", ".join(unknown),
                                         choices=", ".join(TABLE_FORMATS))))
    selection = None
    try:
        selection = ReportSelection.parse(reports)
    except InputError as exc:
        problems += exc.problems
    if problems:
        raise InputError(problems)
    return selection


def _declaration_keys(decls: list[Declaration]) -> list[np.ndarray]:
    """The texts a declaration file is known by in --reports: its model and its file name."""
    return [np.array([d.model or "" for d in decls], dtype=object),
            np.array([Path(d.path).stem for d in decls], dtype=object)]


def _row_keys(pop: Population) -> list[np.ndarray]:
    """The texts a table row is known by in --reports: its row number and its model."""
    keys = [np.asarray(pop.rows).astype(str).astype(object)]
    if "model" in pop.fields:
        keys.append(np.asarray(pop.fields["model"], dtype=object))
    return keys


def _table_reports(selection: ReportSelection | None, a: Assessment, pop: Population,
                   L: dict) -> tuple[np.ndarray, str | None]:
    """The rows of a table that get a report, and the note saying none were made by default."""
    if selection is None:
        if len(pop) <= TABLE_REPORT_LIMIT:
            return np.ones(len(pop), dtype=bool), None
        return np.zeros(len(pop), dtype=bool), L["verdict_table"]["reports_skipped"].format(
            n=len(pop), limit=TABLE_REPORT_LIMIT)
    return selection.rows(a.verdict, _row_keys(pop)), None


def verdict_files(a: Assessment, summary: dict, stem: Path, table_formats: list[str],
                  lang: str, L: dict, on: dt.date, notes: list[str] | None = None,
                  stages: Stages | None = None) -> list[tuple[Path, Any]]:
    """A table's verdict table in each format asked — Parquet in codes, CSV and XLSX in the
    words of `lang` (a worksheet split into parts past its rows, told in `notes`) — as
    functions writing a binary file, each making the table a chunk of rows at a time as it
    writes, and its summary (JSON and Markdown). `stages` is told each table file's name as it
    is written and its rows written so far."""
    stages = stages or Unshown()
    W = words(a, L, lang)
    header = headers(a, L, W.indicators)
    out: list[tuple[Path, Any]] = []
    V = L["verdict_table"]

    def add(name: str, writer: Callable[[Callable[[int], None]], Callable[[Any], None]]):
        def write(fh) -> None:
            stages.detail(name)
            writer(stages.rows)(fh)
        out.append((stem.with_name(name), write))

    if "csv" in table_formats:
        add(f"{stem.name}.verdicts.csv", lambda rows: csv_writer(a, W, header, rows))
    if "parquet" in table_formats:
        add(f"{stem.name}.verdicts.parquet", lambda rows: parquet_writer(a, rows))
    if "xlsx" in table_formats:
        name = f"{stem.name}.verdicts.{lang}.xlsx"
        add(name, lambda rows: xlsx_writer(
            a, W, header, on, V["verdict"], L["verdict_cells"]["sheet_part"],
            split=lambda title, parts: (notes if notes is not None else []).append(
                L["verdict_cells"]["split"].format(file=name, parts=parts)), progress=rows))
    out.append((stem.with_name(f"{stem.name}.summary.json"), summary_json(summary)))
    out.append((stem.with_name(f"{stem.name}.summary.{lang}.md"), summary_markdown(summary, L)))
    return out


def read_table_input(path: str | Path, catalogue, set_id: str | None, mapping: Path | None,
                     display: str | None = None, keep_text: bool = True,
                     progress: Callable[[int], None] = lambda rows: None) -> Population:
    """A table of declarations, read by the population reader; a row that cannot be used is
    an input error here (a certification body evaluates every row it is given). `keep_text`:
    the cells as written are kept too (what an individual report shows); `progress(rows)` is
    told the data rows read so far."""
    category = set_id or (read_mapping(mapping).get("category") if mapping else None)
    if category is None:
        raise InputError(Problem("category_missing", "the table names no product category",
                                 file=str(path), hint="give --set CATEGORY, or `category:` in "
                                 "the mapping file"))
    pop = load_population(path, catalogue, category, mapping, display, keep_text=keep_text,
                          progress=progress)
    problems = missing_fields(pop.columns, pop.path, pop.header_line) + pop.excluded
    if problems:
        raise InputError(problems)
    return pop


def assess_table(name: str, pop: Population, catalogue, programme: str, on: dt.date,
                 include_superseded: bool = False, context=None,
                 progress: Callable[[int], None] = lambda rows: None) -> Assessment:
    """A table population assessed once, with what an explanation needs; relative rules judged
    against the peers' `context` when given; `progress(rows)` told the share done, in rows."""
    check_programme(catalogue, pop.category, programme, name)
    return assess(pop, catalogue, programme, on, include_superseded, steps=True,
                  population=context, progress=progress)


def explain_rows(name: str, pop: Population, a: Assessment, rows: Iterable[int]):
    """(row index, result) for the given rows of an assessed table population."""
    assert a.catalogue is not None
    iset = a.catalogue.sets[pop.category]
    for row in rows:
        row = int(row)
        yield row, json_safe(explain(a, row, table_identity(name, pop, row, iset),
                                     {k: v[row] for k, v in pop.texts.items()
                                      if k in iset.indicators and v[row] is not None}))


def table_results(name: str, pop: Population, catalogue, programme: str, on: dt.date,
                  include_superseded: bool = False, rows: Iterable[int] | None = None,
                  context=None):
    """(row index, result) for the rows of a table population: assessed once, each row
    explained; relative rules judged against the peers' `context` when given."""
    a = assess_table(name, pop, catalogue, programme, on, include_superseded, context)
    yield from explain_rows(name, pop, a, range(len(pop)) if rows is None else rows)


def table_identity(name: str, pop: Population, row: int, iset) -> dict:
    def field(key: str) -> str | None:
        values = pop.fields.get(key)
        return (str(values[row]) or None) if values is not None else None

    refs = pop.fields.get("normative_references")
    params = {}
    for pid, p in iset.parameters.items():
        text = pop.texts.get(pid)
        if text is not None and text[row] is not None:
            params[pid] = {"names": names(p.names), "value": text[row]}
    return {"file": f"{name}#row{int(pop.rows[row])}", "enterprise": field("enterprise") or "",
            "credit_code": field("credit_code"), "standard_number": field("standard_number") or "",
            "standard_title": field("standard_title") or "", "standard_type": None,
            "category": iset.id, "category_names": names(iset.names), "model": field("model"),
            "parameters": params,
            "normative_references": split_references(str(refs[row])) if refs is not None else []}


def with_provenance(result: dict, recorded: str, sha256: str, catalogue, programme: str,
                    population=None, sources: dict | None = None,
                    hashes: dict[str, str] | None = None) -> dict:
    """What one report shows: the evaluation, with the applicant's peers when a population is
    given, and in the provenance every input it was made from and how it was read (a table row's
    category and mapping file; the population and its mapping) — what `verify` recomputes.
    `sources` names the set and files as given; `hashes` has the files' SHA-256."""
    sources, hashes = sources or {}, hashes or {}
    prov = result["provenance"]
    prov["declaration"] = recorded
    if "#row" in recorded:  # a table row: the table's hash, and how the table was read
        prov["inputs"] = {recorded.rsplit("#row", 1)[0]: sha256}
        prov["table"] = {"set": sources.get("set") or result["declaration"]["category"],
                         "mapping": sources.get("mapping")}
        if sources.get("mapping"):
            prov["inputs"][sources["mapping"]] = hashes[sources["mapping"]]
    if population is not None:
        iset = catalogue.sets[result["declaration"]["category"]]
        result["peers"] = peer_distributions(population, iset, (result["segment"] or {}).get("id"),
                                             iset.programmes[programme])
        prov["population"] = {"file": population.path, "mapping": sources.get("population_mapping")}
        prov["inputs"][population.path] = population.sha256
        if sources.get("population_mapping"):
            prov["inputs"][sources["population_mapping"]] = hashes[sources["population_mapping"]]
    return result


def report_result(decl: Declaration, catalogue, programme: str, on: dt.date,
                  include_superseded: bool = False, population=None, sources: dict | None = None,
                  hashes: dict[str, str] | None = None, context=None) -> dict:
    """One declaration's report result (see `with_provenance`); relative rules judged against
    the peers' `context` when given."""
    result = evaluate_many([decl], catalogue, programme, on, include_superseded,
                           {decl.category: context} if context else None)[0].to_dict()
    return with_provenance(result, decl.path, decl.sha256, catalogue, programme, population,
                           sources, hashes)


def summary_csv(rows: list[dict]) -> str:
    """summary.csv: UTF-8 with a BOM, so that Excel (Chinese Windows too) reads it right."""
    return csv_text(rows, list(rows[0]) if rows else ["file"])
