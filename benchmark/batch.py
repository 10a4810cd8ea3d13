"""Evaluating many declarations: collecting inputs, checking them all before writing anything,
evaluating, and writing one report set per declaration plus a summary table.

Everything is written under the output folder only, with file names made safe from the input
file names (no path separators, no leading dots).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from benchmark.audit import AuditTrail
from benchmark.catalogue import load_catalogue
from benchmark.declaration import Declaration, load_declaration
from benchmark.engine import assess
from benchmark.engine.assess import peer_context
from benchmark.engine.explain import explain, names
from benchmark.errors import InputError, Problem
from benchmark.evaluation import check_programme, evaluate_many, json_safe
from benchmark.leaders import peer_distributions
from benchmark.loading import file_sha256
from benchmark.population import (
    TABLE_SUFFIXES,
    Population,
    load_population,
    missing_fields,
    read_mapping,
    split_references,
)
from benchmark.report import csv_text, render_json, render_markdown, write_reports
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


def report_stem(path: str, model: str | None) -> str:
    """Table rows are named by table, row and model, so their reports can be told apart."""
    if "#row" in path and model:
        return safe_stem(f"{path}-{model}")
    return safe_stem(path)


def evaluate_files(paths: Iterable[Path], programme: str, on: dt.date, out_dir: Path,
                   formats: Iterable[str] = FORMATS, lang: str = "zh", data_dir: Path | None = None,
                   include_superseded: bool = False, template_dir: str | None = None,
                   progress: Callable[[Iterable], Iterable] = lambda x: x,
                   set_id: str | None = None, mapping: Path | None = None,
                   population: Path | None = None, population_mapping: Path | None = None,
                   audit: AuditTrail | None = None) -> BatchResult:
    """Evaluate declaration files, folders of them, and tables (CSV/TSV/XLSX/Parquet, one row per
    declaration, read by the same reader as `rank`; the category from the mapping file or
    `set_id`). Every input is checked before anything is assessed; each category is assessed once
    and each row explained. With a `population` table, each report also shows where the applicant
    stands among its peers. With `audit`, the reports and their audit records are written as one
    step (`write_reports`)."""
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
    tables: list[tuple[str, Population]] = []
    problems: list[Problem] = []
    for f in files:  # check every input before writing anything
        try:
            if Path(f).suffix.lower() in TABLE_SUFFIXES or str(f) == "-":  # "-": stdin
                tables.append((str(f), read_table_input(f, catalogue, set_id, mapping)))
            else:
                decls.append(load_declaration(f, catalogue))
        except InputError as exc:
            problems += exc.problems
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
                                    hint="one of: " + ", ".join(catalogue.sets[category].programmes)))
    if "pdf" in formats:
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
    contexts = {category: peer_context(pop, catalogue, programme, on, include_superseded)
                for category, pop in peers.items()}
    sources = {"set": set_id, "mapping": str(mapping) if mapping else None,
               "population": str(population) if population else None,
               "population_mapping": str(population_mapping) if population_mapping else None}
    hashes = {name: file_sha256(name) for key, name in sources.items()
              if name and key in ("mapping", "population_mapping")}
    items: list[tuple[dict, str]] = []  # (result, report stem)
    for evaluation, decl in zip(evaluate_many(decls, catalogue, programme, on,
                                              include_superseded, contexts), decls):
        result = with_provenance(evaluation.to_dict(), decl.path, decl.sha256, catalogue,
                                 programme, peers.get(decl.category), sources, hashes)
        items.append((result, report_stem(decl.path, decl.model)))
    for name, pop in tables:
        for row, result in table_results(name, pop, catalogue, programme, on,
                                         include_superseded,
                                         context=contexts.get(pop.category)):
            result = with_provenance(result, f"{name}#row{int(pop.rows[row])}", pop.sha256,
                                     catalogue, programme, peers.get(pop.category), sources,
                                     hashes)
            items.append((result, report_stem(result["declaration"]["file"],
                                              result["declaration"]["model"])))
    summary: list[dict] = []
    results: list[tuple[dict, list[Path]]] = []
    used: set[str] = set()
    rendered: list[tuple[Path, str | bytes]] = []
    for result, stem in progress(items):
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
        d = result["declaration"]
        summary.append({"file": d["file"], "enterprise": d["enterprise"],
                        "standard": d["standard_number"], "category": d["category"],
                        "model": d["model"] or "", "programme": programme,
                        "verdict": result["verdict"],
                        "overall_level": (result["overall_level"] or {}).get("id") or "",
                        "report": stem})
    rendered.append((out_dir / "summary.csv", summary_csv(summary)))
    outputs = write_reports(rendered, out_dir, audit, results)  # reports and records: one step
    return BatchResult(outputs, summary, results)


def read_table_input(path: str | Path, catalogue, set_id: str | None, mapping: Path | None,
                     display: str | None = None) -> Population:
    """A table of declarations, read by the population reader; a row that cannot be used is
    an input error here (a certification body evaluates every row it is given)."""
    category = set_id or (read_mapping(mapping).get("category") if mapping else None)
    if category is None:
        raise InputError(Problem("category_missing", "the table names no product category",
                                 file=str(path), hint="give --set CATEGORY, or `category:` in "
                                 "the mapping file"))
    pop = load_population(path, catalogue, category, mapping, display, keep_text=True)
    problems = missing_fields(pop.columns, pop.path, pop.header_line) + pop.excluded
    if problems:
        raise InputError(problems)
    return pop


def table_results(name: str, pop: Population, catalogue, programme: str, on: dt.date,
                  include_superseded: bool = False, rows: Iterable[int] | None = None,
                  context=None):
    """(row index, result) for the rows of a table population: assessed once, each row
    explained; relative rules judged against the peers' `context` when given."""
    iset = catalogue.sets[pop.category]
    check_programme(catalogue, pop.category, programme, name)
    a = assess(pop, catalogue, programme, on, include_superseded, steps=True, population=context)
    for row in range(len(pop)) if rows is None else rows:
        yield row, json_safe(explain(a, row, table_identity(name, pop, row, iset),
                                     {k: v[row] for k, v in pop.texts.items()
                                      if k in iset.indicators and v[row] is not None}))


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
