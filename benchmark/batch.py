"""Evaluating many declarations: collecting inputs, checking them all before writing anything,
evaluating, and writing one report set per declaration plus a summary table.

Everything is written under the output folder only, with file names made safe from the input
file names (no path separators, no leading dots).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from benchmark.audit import AuditTrail
from benchmark.catalogue import load_catalogue
from benchmark.declaration import Declaration, load_declaration
from benchmark.errors import InputError, Problem
from benchmark.loading import file_sha256
from benchmark.evaluation import evaluate_declaration
from benchmark.leaders import peer_distributions
from benchmark.population import TABLE_SUFFIXES, declarations_from_table, load_population
from benchmark.report import render_json, render_markdown, write_reports
from benchmark.report.html import render_html
from benchmark.report.pdf import chromium_binary, render_pdf
from benchmark.report.xlsx import render_xlsx

FORMATS = ("json", "md", "html", "pdf", "xlsx")
DECLARATION_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class BatchResult:
    outputs: list[Path]
    summary: list[dict]
    results: list[tuple[dict, list[Path]]]  # each evaluation result and its report files


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
    ("pop.csv#row3") gives "pop-row3"."""
    table, sep, row = name.rpartition("#row")
    stem = f"{Path(table).stem}-row{row}" if sep else Path(name).stem
    stem = re.sub(r"[^\w.-]+", "_", stem, flags=re.UNICODE)
    stem = re.sub(r"[._]{2,}", "_", stem).strip("._") or "declaration"
    return stem[:100]


def report_stem(decl: Declaration) -> str:
    """Table rows are named by table, row and model, so their reports can be told apart."""
    if "#row" in decl.path and decl.model:
        return safe_stem(f"{decl.path}-{decl.model}")
    return safe_stem(decl.path)


def neutralise_cell(value):
    """Spreadsheet formula injection: text starting with = + - @ is prefixed with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def evaluate_files(paths: Iterable[Path], programme: str, on: dt.date, out_dir: Path,
                   formats: Iterable[str] = FORMATS, lang: str = "zh", data_dir: Path | None = None,
                   include_superseded: bool = False, template_dir: str | None = None,
                   progress: Callable[[Iterable], Iterable] = lambda x: x,
                   set_id: str | None = None, mapping: Path | None = None,
                   population: Path | None = None, population_mapping: Path | None = None,
                   audit: AuditTrail | None = None) -> BatchResult:
    """Evaluate declaration files, folders of them, and tables (CSV/TSV/XLSX/Parquet, one row per
    declaration; the category from a `category` column, the mapping file or `set_id`). With a
    `population` table, each report also shows where the applicant stands among its peers. With
    `audit`, the reports and their audit records are written as one step (`write_reports`)."""
    formats = list(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise InputError(Problem("format_unknown", f"unknown format(s): {', '.join(unknown)}",
                                 hint="one of: " + ", ".join(FORMATS)))
    catalogue = load_catalogue(data_dir)
    files = collect(paths)
    if not files:
        raise InputError(Problem("no_input", "no declaration files found",
                                 hint="give declaration files (.yaml/.json), a folder of them, "
                                 "or a table (.csv/.xlsx) with one declaration per row"))
    decls: list[Declaration] = []
    problems: list[Problem] = []
    for f in files:  # check every input before writing anything
        try:
            if Path(f).suffix.lower() in TABLE_SUFFIXES:
                decls += declarations_from_table(f, catalogue, set_id, mapping)
            else:
                decls.append(load_declaration(f, catalogue))
        except InputError as exc:
            problems += exc.problems
    for d in decls:
        if programme not in catalogue.sets[d.category].programmes:
            problems.append(Problem("unknown_programme",
                                    f"category {d.category!r} has no programme {programme!r}",
                                    file=d.path, pointer="/product/category",
                                    hint="one of: " + ", ".join(catalogue.sets[d.category].programmes)))
    if "pdf" in formats:
        try:
            chromium_binary()
        except InputError as exc:
            problems += exc.problems
    peers = {}
    if population is not None:
        for category in sorted({d.category for d in decls}):
            try:
                peers[category] = load_population(population, catalogue, category,
                                                  population_mapping)
            except InputError as exc:
                problems += exc.problems
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    summary: list[dict] = []
    results: list[tuple[dict, list[Path]]] = []
    used: set[str] = set()
    rendered: list[tuple[Path, str | bytes]] = []
    sources = {"set": set_id, "mapping": str(mapping) if mapping else None,
               "population": str(population) if population else None,
               "population_mapping": str(population_mapping) if population_mapping else None}
    hashes = {name: file_sha256(name) for key, name in sources.items()
              if name and key in ("mapping", "population_mapping")}
    for decl in progress(decls):
        result = report_result(decl, catalogue, programme, on, include_superseded,
                               peers.get(decl.category), sources, hashes)
        stem = report_stem(decl)
        while stem in used:
            stem += "_"
        used.add(stem)
        first = len(rendered)
        if "json" in formats:
            rendered.append((out_dir / f"{stem}.json", render_json(result)))
        if "md" in formats:
            rendered.append((out_dir / f"{stem}.{lang}.md",
                             render_markdown(result, lang, template_dir)))
        if "html" in formats or "pdf" in formats:
            html = render_html(result, lang, template_dir)
            if "html" in formats:
                rendered.append((out_dir / f"{stem}.{lang}.html", html))
            if "pdf" in formats:
                rendered.append((out_dir / f"{stem}.{lang}.pdf", render_pdf(result, lang, html=html)))
        if "xlsx" in formats:
            rendered.append((out_dir / f"{stem}.{lang}.xlsx",
                             render_xlsx(result, lang, template_dir)))
        results.append((result, [path for path, _ in rendered[first:]]))
        summary.append({"file": decl.path, "enterprise": decl.enterprise,
                        "standard": decl.standard_number, "category": decl.category,
                        "model": decl.model or "", "programme": programme,
                        "verdict": result["verdict"],
                        "overall_level": (result["overall_level"] or {}).get("id", ""),
                        "report": stem})
    rendered.append((out_dir / "summary.csv", summary_csv(summary)))
    outputs = write_reports(rendered, out_dir, audit, results)  # reports and records: one step
    return BatchResult(outputs, summary, results)


def report_result(decl: Declaration, catalogue, programme: str, on: dt.date,
                  include_superseded: bool = False, population=None, sources: dict | None = None,
                  hashes: dict[str, str] | None = None) -> dict:
    """What one report shows for one declaration: the evaluation, with the applicant's peers when
    a population is given, and in the provenance every input it was made from and how it was read
    (a table row's category and mapping file; the population and its mapping) — what `verify`
    recomputes. `sources` names the set and files as given; `hashes` has the files' SHA-256."""
    sources, hashes = sources or {}, hashes or {}
    result = evaluate_declaration(decl, catalogue, programme, on, include_superseded).to_dict()
    prov = result["provenance"]
    prov["declaration"] = decl.path
    if "#row" in decl.path:  # a table row: the table's hash, and how the table was read
        prov["inputs"] = {decl.path.rsplit("#row", 1)[0]: decl.sha256}
        prov["table"] = {"set": sources.get("set"), "mapping": sources.get("mapping")}
        if sources.get("mapping"):
            prov["inputs"][sources["mapping"]] = hashes[sources["mapping"]]
    if population is not None:
        iset = catalogue.sets[decl.category]
        result["peers"] = peer_distributions(population, iset, (result["segment"] or {}).get("id"),
                                             iset.programmes[programme])
        prov["population"] = {"file": population.path, "mapping": sources.get("population_mapping")}
        prov["inputs"][population.path] = population.sha256
        if sources.get("population_mapping"):
            prov["inputs"][sources["population_mapping"]] = hashes[sources["population_mapping"]]
    return result


def summary_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["file"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: neutralise_cell(v) for k, v in row.items()})
    return buf.getvalue()
