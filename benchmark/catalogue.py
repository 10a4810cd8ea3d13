"""Finding, loading and checking the catalogue: indicator sets, ladders and reference editions.

The catalogue is a folder with `indicator_sets/`, `ladders/` and `reference_standards/`. It is
found, in order, at `--data-dir`, at `$BENCHMARK_DATA`, inside the installed package, or beside
the package in a source checkout. Loading validates each file against its schema, then checks what
a schema cannot (unique ids, references between files, units, monotone grade tables, overlapping
segments, sources) and reports every problem of every file together.
"""

from __future__ import annotations

import ast
import datetime as dt
import difflib
import functools
import hashlib
import itertools
import os
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from benchmark import units
from benchmark.errors import (
    FormulaError,
    Hint,
    InputError,
    Problem,
    ProblemReport,
    UnitError,
    worded,
)
from benchmark.formula import compile_formula
from benchmark.loading import (
    Document,
    non_finite_problems,
    read_document,
    schema_problems,
)
from benchmark.model import (
    Band,
    Bound,
    Catalogue,
    GradeClass,
    Indicator,
    IndicatorSet,
    Ladder,
    Level,
    LevelRequirement,
    Names,
    Parameter,
    Programme,
    ReferenceEdition,
    ReferenceValue,
    Rule,
    Segment,
    Source,
    Threshold,
    condition_mask,
    condition_of,
    outside_range,
)

FOLDERS = {"indicator_sets": "indicator-set", "ladders": "ladder", "programmes": "programme",
           "reference_standards": "reference-standard"}
PACKAGE_DIR = Path(__file__).resolve().parent


def text_form(data: str | Mapping[str, str] | None) -> Names | None:
    """A text of the catalogue (a clause, a note, a description) in zh and en: written as a plain
    string it reads the same in both; written as {zh, en} each language takes its own, and a
    language left out takes the other's words. None when nothing is written."""
    if data is None or data == "":
        return None
    if isinstance(data, str):
        return Names(zh=data, en=data)
    zh, en = data.get("zh") or "", data.get("en") or ""
    return Names(zh=zh or en, en=en or zh) if (zh or en) else None


def source_of(data: Mapping[str, Any] | None) -> Source | None:
    """A `source` block: its title as cited, its note as a text form."""
    if not data:
        return None
    return Source(title=data["title"], url=data.get("url"), note=text_form(data.get("note")))


def default_data_dir() -> Path:
    """The catalogue folder used when none is given."""
    env = os.environ.get("BENCHMARK_DATA")
    if env:
        return Path(env)
    installed = PACKAGE_DIR / "_data"
    if (installed / "indicator_sets").is_dir():
        return installed
    return PACKAGE_DIR.parent


def data_file(*parts: str) -> Path:
    """A file shipped with the package data (reports/, examples/), installed or in a checkout."""
    installed = PACKAGE_DIR / "_data"
    base = installed if (installed / "indicator_sets").is_dir() else PACKAGE_DIR.parent
    return base.joinpath(*parts)


def catalogue_files(root: Path) -> list[tuple[Path, str]]:
    files = []
    for folder, schema in FOLDERS.items():
        for path in sorted((root / folder).glob("*")):
            if path.suffix.lower() in (".yaml", ".yml", ".json") and not path.name.startswith("."):
                files.append((path, schema))  # a device or FIFO is refused by read_document
    return files


def schema_for(doc: Document) -> str | None:
    """Which schema a stray file follows, from its shape."""
    data = doc.data
    if not isinstance(data, dict):
        return None
    if data.get("schema") in ("org-scheme/1", "org-assessment/1"):  # benchmark.organisation
        return data["schema"].split("/")[0]
    if "enterprise" in data or "standard" in data:
        return "declaration"
    if "levels" in data:
        return "ladder"
    if "rules" in data:
        return "programme"
    if "tier" in data or "titles" in data:
        return "reference-standard"
    if "indicators" in data or "parameters" in data:
        return "indicator-set"
    return None


def load_catalogue(root: str | Path | None = None) -> Catalogue:
    """Load and check the whole catalogue; raise InputError listing every problem. A catalogue
    whose files are unchanged (the same paths and bytes) is loaded once per process and shared:
    callers read it, never change it."""
    folder = Path(root) if root else default_data_dir()
    return _load(folder, folder.resolve(), _contents(folder))


def _contents(root: Path) -> tuple[tuple[str, str], ...] | None:
    """(path, SHA-256) of every catalogue file; None when one cannot be read (then the
    catalogue is loaded afresh and the loader says what is wrong)."""
    out = []
    for path, _ in catalogue_files(root) if (root / "indicator_sets").is_dir() else []:
        try:
            out.append((str(path), hashlib.sha256(path.read_bytes()).hexdigest()))
        except OSError:
            return None
    return tuple(out)


def _load(root: Path, resolved: Path, contents: tuple[tuple[str, str], ...] | None
          ) -> Catalogue:
    if contents is None:
        return _check(root)
    return _cached(root, resolved, contents)


@functools.lru_cache(maxsize=8)
def _cached(root: Path, resolved: Path, contents: tuple[tuple[str, str], ...]) -> Catalogue:
    return _check(root)


def _check(root: Path) -> Catalogue:
    catalogue, report = check_catalogue(root)
    report.raise_if_errors()
    assert catalogue is not None
    return catalogue


def check_catalogue(root: str | Path | None = None,
                    extra: Iterable[Path] = ()) -> tuple[Catalogue | None, ProblemReport]:
    """Load the catalogue (plus `extra` catalogue files) and return it with all problems found."""
    root = Path(root) if root else default_data_dir()
    report = ProblemReport()
    if not (root / "indicator_sets").is_dir():
        report.add(Problem("catalogue_not_found", f"no indicator_sets/ folder in {root}",
                           file=str(root),
                           hint="point --data-dir or BENCHMARK_DATA at a catalogue"))
        return None, report
    docs: dict[str, list[Document]] = {s: [] for s in FOLDERS.values()}
    files: dict[str, str] = {}
    broken: set[str] = set()  # ids of files with schema errors: not reported again as unknown
    listed = catalogue_files(root)
    for path in extra:
        doc, problems = read_document(path)
        report.extend(problems)
        if doc is not None:
            schema = schema_for(doc)
            if schema is None:
                report.add(Problem("document_kind_unknown", "not an indicator set, ladder, "
                                   "reference standard or declaration", file=str(path)))
                continue
            if schema == "declaration":
                continue
            listed.append((path, schema))
    for path, schema in listed:
        display = _display(path, root)
        doc, problems = read_document(path, display)
        report.extend(problems)
        if doc is None:
            continue
        problems = schema_problems(doc, schema) + non_finite_problems(doc)
        report.extend(problems)
        files[display] = doc.sha256
        if not problems:
            docs[schema].append(doc)
        elif isinstance(doc.data, dict) and isinstance(doc.data.get("id"), str):
            broken.add(doc.data["id"])
    builder = _Builder(report, broken)
    ladders = builder.ladders(docs["ladder"])
    programmes = builder.programmes(docs["programme"], ladders)
    sets = builder.sets(docs["indicator-set"], programmes)
    references = builder.references(docs["reference-standard"], sets)
    builder.cross_checks(sets, references)
    report.extend(supersession_problems(references))
    catalogue = Catalogue(root=str(root), sets=sets, references=references, ladders=ladders,
                          files=files, warnings=report.warnings)
    return catalogue, report


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def indicator_set(catalogue: Catalogue, set_id: str) -> IndicatorSet:
    """The category `set_id` of the catalogue; an unknown one is an input error naming the
    nearest known ids."""
    iset = catalogue.sets.get(set_id)
    if iset is None:
        raise InputError(Problem("unknown_category", f"unknown product category {set_id!r}",
                                 hint=close(set_id, sorted(catalogue.sets), "known"),
                                 **worded("category_unknown", category=set_id)))
    return iset


def close(word: str, choices: Iterable[str], listed: str | None = None) -> Hint | None:
    """The choices spelt like `word`, as a hint ("did you mean 'a' or 'b'?"); with none, the
    choices listed after `listed` ("known: a, b", "columns: a, b"), or no hint. Each worded in
    labels.yaml `reading_hints` (`did_you_mean`, and `listed` as the code)."""
    choices = list(choices)
    matches = difflib.get_close_matches(word, choices, n=3, cutoff=0.6)
    if matches:
        return Hint("did you mean " + " or ".join(repr(m) for m in matches) + "?",
                    "did_you_mean", matches=", ".join(matches))
    if listed:
        return Hint(f"{listed}: " + ", ".join(choices), listed, choices=", ".join(choices))
    return None


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


# What a programme that `extends` another takes from it: every key it does not write itself;
# `peers` key by key; `rules` the parent's, in order, a rule of the same id replaced in place and
# new rules after them.


def merged_programme(chain: list[Document]) -> tuple[dict, dict[str, Any]]:
    """The programme the last of `chain` defines, its parents (farthest first) merged in, and
    where each part was written: key → document, and for `rules` a (document, index) per rule."""
    data: dict[str, Any] = {}
    origin: dict[str, Any] = {"rules": []}
    for doc in chain:
        own = doc.data
        for key, value in own.items():
            if key == "rules":
                continue
            if key == "peers":
                data["peers"] = {**data.get("peers", {}), **value}
            else:
                data[key] = value
            origin[key] = doc
        rules = list(data.get("rules", []))
        for j, rule in enumerate(own.get("rules", [])):
            ids = [r["id"] for r in rules]
            if rule["id"] in ids:
                k = ids.index(rule["id"])
                rules[k] = rule
                origin["rules"][k] = (doc, j)
            else:
                rules.append(rule)
                origin["rules"].append((doc, j))
        data["rules"] = rules
    data.pop("extends", None)
    return data, origin


class _Builder:
    """Builds model objects from schema-valid documents, adding semantic problems to `report`."""

    def __init__(self, report: ProblemReport, broken: set[str] | frozenset[str] = frozenset()):
        self.report = report
        self.broken = broken
        self.parents: dict[str, tuple[str, ...]] = {}  # programme → what it extends, nearest first

    def problem(self, doc: Document, code: str, message: str, pointer: str,
                hint: str | None = None, severity: str = "error") -> None:
        self.report.add(doc.problem(code, message, pointer, hint, severity))

    # --- ladders ----------------------------------------------------------------------------
    def ladders(self, docs: list[Document]) -> dict[str, Ladder]:
        out: dict[str, Ladder] = {}
        for doc in docs:
            data = doc.data
            if data["id"] in out:
                self.problem(doc, "duplicate_id", f"ladder id {data['id']!r} is defined twice",
                             "/id")
                continue
            out[data["id"]] = self.ladder(doc, data["levels"], "/levels", data["id"],
                                          Names.of(data["names"]))
        return out

    def ladder(self, doc: Document, levels: list[dict], pointer: str, ladder_id: str,
               names: Names) -> Ladder:
        built, seen = [], set()
        for i, item in enumerate(levels):
            if item["id"] in seen:
                self.problem(doc, "duplicate_id", f"level {item['id']!r} appears twice",
                             f"{pointer}/{i}/id")
            seen.add(item["id"])
            req = item.get("requires")
            if i > 0 and req is None:
                self.problem(doc, "level_without_requirement",
                             f"level {item['id']!r} above the first needs `requires`",
                             f"{pointer}/{i}")
            requirement = None
            if req:
                requirement = LevelRequirement(
                    relation=req["relation"], of=req["of"], tiers=tuple(req.get("tiers", ())),
                    references=tuple(req.get("references", ())), reference=req.get("reference"),
                    class_label=req.get("class"), if_none=req.get("if_none", "stop"))
            built.append(Level(item["id"], Names.of(item["names"]), requirement, item.get("score")))
        return Ladder(ladder_id, names, tuple(built))

    def unique(self, docs: list[Document], what: str):
        """The documents whose id is not taken by an earlier one; a repeat is reported."""
        seen: set[str] = set()
        for doc in docs:
            if doc.data["id"] in seen:
                self.problem(doc, "duplicate_id", f"{what} {doc.data['id']!r} is defined twice",
                             "/id")
                continue
            seen.add(doc.data["id"])
            yield doc

    # --- indicator sets ---------------------------------------------------------------------
    def programmes(self, docs: list[Document],
                   ladders: dict[str, Ladder]) -> dict[str, tuple[dict, Ladder]]:
        """Programme documents by id, each merged with the programmes it `extends` and with its
        built ladder: (merged data, ladder)."""
        own = {doc.data["id"]: doc for doc in self.unique(docs, "programme")}
        out: dict[str, tuple[dict, Ladder]] = {}
        for pid, doc in own.items():
            chain = self.lineage(doc, own)
            if chain is None:
                continue
            data, origin = merged_programme(chain)
            ladder_doc = origin["ladder"]
            if isinstance(data["ladder"], str):
                found = ladders.get(data["ladder"])
                if found is None:
                    self.problem(ladder_doc, "unknown_ladder", f"unknown ladder {data['ladder']!r}",
                                 "/ladder", close(data["ladder"], ladders))
                    continue
                ladder = found
            else:
                ladder = self.ladder(ladder_doc, data["ladder"], "/ladder", pid,
                                     Names.of(data["names"]))
            self.check_programme(doc, data, origin, ladder)
            out[pid] = (data, ladder)
            self.parents[pid] = tuple(d.data["id"] for d in chain[-2::-1])
        return out

    def lineage(self, doc: Document, own: dict[str, Document]) -> list[Document] | None:
        """The programme and the programmes it extends, the farthest parent first; None (with a
        located problem) when a parent is unknown or the chain comes back to itself."""
        chain = [doc]
        while "extends" in chain[-1].data:
            child = chain[-1]
            parent_id = child.data["extends"]
            if parent_id in self.broken:
                return None  # its own problems are reported
            parent = own.get(parent_id)
            if parent is None:
                self.problem(child, "unknown_parent_programme",
                             f"programme {child.data['id']!r} extends an unknown programme "
                             f"{parent_id!r}", "/extends", close(parent_id, own))
                return None
            if parent in chain:
                cycle = " → ".join(d.data["id"] for d in chain[chain.index(parent):])
                self.problem(doc, "programme_extends_cycle",
                             f"programme {doc.data['id']!r}: extends comes back to itself "
                             f"({cycle} → {parent_id})", "/extends",
                             "a programme may extend a chain of others, never itself")
                return None
            chain.append(parent)
        return chain[::-1]

    def sets(self, docs: list[Document],
             programmes: dict[str, tuple[dict, Ladder]]) -> dict[str, IndicatorSet]:
        out: dict[str, IndicatorSet] = {}
        for doc in self.unique(docs, "indicator set"):
            out[doc.data["id"]] = self.indicator_set(doc, doc.data, programmes)
        return out

    def indicator_set(self, doc: Document, data: dict,
                      programmes: dict[str, tuple[dict, Ladder]]) -> IndicatorSet:
        parameters = {}
        for pid, p in data["parameters"].items():
            ptr = f"/parameters/{pid}"
            if p.get("unit"):
                self.check_unit(doc, p["unit"], f"{ptr}/unit", pid)
            if p["kind"] == "category" and not p.get("values"):
                self.problem(doc, "category_without_values",
                             f"category parameter {pid!r} lists no allowed values", ptr)
            self.check_range(doc, p, ptr)
            parameters[pid] = Parameter(pid, Names.of(p["names"]), p["kind"], p.get("unit"),
                                        tuple(p.get("values", ())), p.get("minimum"),
                                        p.get("maximum"))
        segments: list[Segment] = []
        for i, s in enumerate(data.get("segments", [])):
            ptr = f"/segments/{i}"
            if any(s["id"] == other.id for other in segments):
                self.problem(doc, "duplicate_id", f"segment {s['id']!r} appears twice", f"{ptr}/id")
            self.check_condition(doc, s["where"], parameters, f"{ptr}/where")
            segments.append(Segment(s["id"], Names.of(s["names"]), condition_of(s["where"])))
        self.check_overlaps(doc, segments)
        segment_ids = {s.id for s in segments}
        indicators: dict[str, Indicator] = {}
        indicator_ids = [i["id"] for i in data["indicators"]]
        derived: list[tuple[Any, str]] = []
        for i, ind in enumerate(data["indicators"]):
            ptr = f"/indicators/{i}"
            if ind["id"] in indicators:
                self.problem(doc, "duplicate_id", f"indicator {ind['id']!r} appears twice",
                             f"{ptr}/id")
                continue
            if ind["id"] in parameters:
                self.problem(doc, "duplicate_id",
                             f"{ind['id']!r} is both a parameter and an indicator", f"{ptr}/id")
            indicators[ind["id"]] = self.indicator(doc, ind, ptr, parameters, segment_ids,
                                                   indicator_ids)
            if indicators[ind["id"]].derived is not None:
                derived.append((indicators[ind["id"]].derived, f"{ptr}/derived/formula"))
        for formula, ptr in derived:  # every indicator known: their possible ranges too
            self.report.extend(derived_formula_problems(doc, formula, parameters, indicators, ptr))
        listed = {}
        entries = dict(data.get("programmes", {}))
        for pid, (prog, _) in programmes.items():  # not listed: the nearest parent's lists
            parent = next((p for p in self.parents.get(pid, ()) if p in entries), None)
            if pid not in entries and parent is not None and data["id"] in prog.get(
                    "categories", [data["id"]]):
                entries[pid] = entries[parent]
        for pid, entry in entries.items():
            ptr = f"/programmes/{pid}"
            if pid not in programmes:
                if pid not in self.broken:
                    self.problem(doc, "unknown_programme", f"unknown programme {pid!r}", ptr,
                                 close(pid, programmes))
                continue
            for key in ("indicators", "required"):
                if pid not in data.get("programmes", {}):
                    break  # the parent's lists: checked (and reported) under the parent
                for k, ind_id in enumerate(entry.get(key, [])):
                    if ind_id not in indicators:
                        self.problem(doc, "unknown_indicator", f"unknown indicator {ind_id!r}",
                                     f"{ptr}/{key}/{k}", close(ind_id, indicators))
            prog, ladder = programmes[pid]
            listed[pid] = self.programme(prog, ladder, indicators, entry, doc, ptr)
        return IndicatorSet(data["id"], Names.of(data["names"]), parameters, segments, indicators,
                            listed, doc.path, doc.sha256)

    def indicator(self, doc: Document, ind: dict, ptr: str, parameters: dict,
                  segment_ids: set[str], indicator_ids: list[str]) -> Indicator:
        if ind.get("unit"):
            self.check_unit(doc, ind["unit"], f"{ptr}/unit", ind["id"])
        for j, seg in enumerate(ind.get("segments", [])):
            if seg not in segment_ids:
                self.problem(doc, "unknown_segment", f"unknown segment {seg!r}",
                             f"{ptr}/segments/{j}", close(seg, segment_ids))
        if ind["direction"] in ("higher", "lower") and ind["kind"] not in ("quantity",):
            self.problem(doc, "direction_kind_mismatch",
                         f"direction {ind['direction']!r} needs kind 'quantity'",
                         f"{ptr}/direction")
        if ind["direction"] == "target" and "target" not in ind:
            self.problem(doc, "target_missing", "direction 'target' needs `target`", ptr)
        self.check_range(doc, ind, ptr)
        derived = None
        if "derived" in ind:
            names = [*parameters, *[x for x in indicator_ids if x != ind["id"]]]
            derived = self.compile(doc, ind["derived"]["formula"], names, f"{ptr}/derived/formula")

        comparison = ind.get("comparison", {"method": "full"})
        tol = ind.get("tolerance", {})
        dtol = ind.get("derived", {}).get("tolerance", {})
        target = ind.get("target", {})
        return Indicator(
            id=ind["id"], names=Names.of(ind["names"]), cls=ind["class"], kind=ind["kind"],
            direction=ind["direction"], unit=ind.get("unit"), test_method=ind.get("test_method"),
            method=comparison["method"], digits=comparison.get("digits"),
            tol_abs=float(tol.get("abs", 0.0)), tol_rel=float(tol.get("rel", 0.0)),
            weight=float(ind.get("weight", 1.0)),
            segments=tuple(ind["segments"]) if "segments" in ind else None,
            target=target.get("value"), target_band=target.get("band"),
            order=tuple(ind.get("order", ())), derived=derived,
            derived_tol_abs=float(dtol.get("abs", 0.0)),
            derived_tol_rel=float(dtol.get("rel", 0.0)),
            minimum=ind.get("minimum"), maximum=ind.get("maximum"))

    def check_programme(self, doc: Document, prog: dict, origin: dict[str, Any],
                        ladder: Ladder) -> None:
        """What a programme must get right, merged with its parents: levels its rules name, level
        scores for a weighted score, a source for an official programme; a rule kind the engine
        does not know is refused here, never skipped at run time. Each problem names the file
        and place where the part was written (`origin`: key or rule index → (document, index))."""
        from benchmark.engine.rules import RULE_KINDS

        level_ids = [lv.id for lv in ladder.levels]
        for r, (rdoc, j) in zip(prog["rules"], origin["rules"], strict=True):
            rptr = f"/rules/{j}"
            if r["kind"] not in RULE_KINDS:
                self.problem(rdoc, "unknown_rule_kind", f"unknown rule kind {r['kind']!r}",
                             f"{rptr}/kind", close(r["kind"], RULE_KINDS))
            for key, level in (("level", r.get("level")),
                               ("bonus/level", (r.get("bonus") or {}).get("level"))):
                if level and level not in level_ids:
                    self.problem(rdoc, "unknown_level", f"unknown level {level!r}",
                                 f"{rptr}/{key}", close(level, level_ids))
            if r["kind"] == "composite_place" and ("top" in r) == ("top_percent" in r):
                self.problem(rdoc, "composite_cutoff_missing",
                             "a composite_place rule needs exactly one of `top` (N) and "
                             "`top_percent` (p)", rptr)
            if r["kind"] == "weighted_score":
                missing = [lv.id for lv in ladder.levels if lv.score is None]
                if missing:
                    self.problem(rdoc, "level_score_missing",
                                 "a weighted score needs a `score` on every ladder level; missing: "
                                 + ", ".join(missing), rptr)
        if prog["basis"]["kind"] == "official" and not prog["basis"].get("source"):
            self.problem(origin["basis"], "official_without_source",
                         "an official programme must cite its published scheme", "/basis")

    def programme(self, prog: dict, ladder: Ladder, indicators: dict[str, Indicator],
                  entry: dict, set_doc: Document, set_ptr: str) -> Programme:
        """A programme as it applies to one category: rules written `indicators: listed` or
        `required` judge the category's lists (`entry`)."""
        rules = []
        for r in prog["rules"]:
            subjects: tuple[str, ...] = ()
            if r.get("indicators") == "listed":
                subjects = tuple(entry.get("indicators", ()))
            elif r.get("indicators") == "comprehensive":
                subjects = tuple(entry.get("comprehensive", ()))
            elif r.get("indicators") == "required":
                subjects = tuple(entry.get("required", entry.get("indicators", ())))
            if r.get("indicators") and not subjects:
                self.problem(set_doc, "programme_list_missing",
                             f"programme {prog['id']!r} rule {r['id']!r} judges the indicators "
                             "the category lists, and it lists none", set_ptr,
                             f"add `indicators: [...]` under programmes/{prog['id']}")
            if r.get("check") == "core_count":
                core = sum(1 for i in indicators.values() if i.cls == "core")
                if core < (r.get("at_least") or 0):
                    self.problem(set_doc, "core_count_low",
                                 f"the set has {core} core indicators; the rule asks for "
                                 f"{r['at_least']} (the Leader rules say 'in principle')", set_ptr,
                                 severity="warning")
            rules.append(Rule(
                id=r["id"], kind=r["kind"], check=r.get("check"), level=r.get("level"),
                classes=tuple(r.get("classes", ("core",))), indicators=subjects,
                at_least=r.get("at_least"), pass_mark=r.get("pass_mark"), bonus=r.get("bonus"),
                description=text_form(r.get("description")),
                place=r.get("place"), tier=r.get("tier"), forms=tuple(r.get("forms", ())),
                top=r.get("top"), top_percent=r.get("top_percent")))
        basis = prog["basis"]
        source = source_of(basis.get("source"))
        return Programme(prog["id"], Names.of(prog["names"]), basis["kind"],
                         text_form(basis["statement"]) or Names("", ""), source, ladder,
                         tuple(prog.get("overall_classes", ("core",))), tuple(rules),
                         dict(prog.get("peers", {})),
                         text_form(entry.get("note")))

    # --- references -------------------------------------------------------------------------
    def references(self, docs: list[Document],
                   sets: dict[str, IndicatorSet]) -> dict[str, ReferenceEdition]:
        out: dict[str, ReferenceEdition] = {}
        for doc in docs:
            data = doc.data
            if data["id"] in out:
                self.problem(doc, "duplicate_id",
                             f"reference {data['id']!r} is also defined in {out[data['id']].path}",
                             "/id")
                continue
            out[data["id"]] = self.reference(doc, data, sets)
        return out

    def reference(self, doc: Document, data: dict,
                  sets: dict[str, IndicatorSet]) -> ReferenceEdition:
        self.report.extend(reference_id_problems(doc, data))
        dates = data["dates"]
        edition = ReferenceEdition(
            id=data["id"], titles=Names.of(data["titles"]), tier=data["tier"], body=data["body"],
            mandatory=data["mandatory"], in_force=dt.date.fromisoformat(dates["in_force"]),
            published=_date(dates.get("published")), withdrawn=_date(dates.get("withdrawn")),
            supersedes=tuple(data.get("supersedes", ())), superseded_by=data.get("superseded_by"),
            adoption_source=(data.get("adoption") or {}).get("source"),
            adoption_degree=(data.get("adoption") or {}).get("degree"),
            source=source_of(data.get("source")),
            note=text_form(data.get("note")), path=doc.path, sha256=doc.sha256)
        if edition.published and edition.in_force < edition.published:
            self.problem(doc, "dates_inconsistent", "in_force is before published", "/dates")
        if edition.withdrawn and edition.withdrawn <= edition.in_force:
            self.problem(doc, "dates_inconsistent", "withdrawn is not after in_force", "/dates")
        for i, g in enumerate(data.get("governs", [])):
            iset = sets.get(g["indicator_set"])
            if iset is None or g["indicator"] not in iset.indicators:
                if g["indicator_set"] not in self.broken:
                    self.problem(doc, "unknown_indicator", f"{g['indicator_set']!r} has no "
                                 f"indicator {g['indicator']!r}", f"/governs/{i}")
                continue
            edition.governs += ((g["indicator_set"], g["indicator"],
                                 tuple(g["segments"]) if "segments" in g else None),)
        default_verified = data.get("verified", False)
        for i, v in enumerate(data["values"]):
            built = self.reference_value(doc, edition, v, f"/values/{i}", sets, default_verified)
            if built:
                edition.values.append(built)
        return edition

    def reference_value(self, doc: Document, edition: ReferenceEdition, v: dict, ptr: str,
                        sets: dict[str, IndicatorSet],
                        default_verified: bool) -> ReferenceValue | None:
        iset = sets.get(v["indicator_set"])
        if iset is None and v["indicator_set"] in self.broken:
            return None
        if iset is None:
            self.problem(doc, "unknown_indicator_set",
                         f"unknown indicator set {v['indicator_set']!r}",
                         f"{ptr}/indicator_set", close(v["indicator_set"], sets))
            return None
        indicator = iset.indicators.get(v["indicator"])
        if indicator is None:
            self.problem(doc, "unknown_indicator",
                         f"indicator set {iset.id!r} has no indicator {v['indicator']!r}",
                         f"{ptr}/indicator", close(v["indicator"], iset.indicators))
            return None
        seg_ids = {s.id for s in iset.segments}
        for j, seg in enumerate(v.get("segments", [])):
            if seg not in seg_ids:
                self.problem(doc, "unknown_segment", f"unknown segment {seg!r} in {iset.id!r}",
                             f"{ptr}/segments/{j}", close(seg, seg_ids))
        self.check_condition(doc, v.get("where", {}), iset.parameters, f"{ptr}/where")
        factor, offset = 1.0, 0.0
        if indicator.kind == "ordinal":
            pass  # grades are ranks: no unit
        elif indicator.unit is None:
            self.problem(doc, "unit_mismatch", f"indicator {indicator.id!r} has no unit",
                         f"{ptr}/unit")
        else:
            try:
                factor, offset = units.conversion(v["unit"], indicator.unit, indicator=indicator.id)
            except UnitError as exc:
                self.report.extend(p.at(doc.path, f"{ptr}/unit", doc.line(f"{ptr}/unit"))
                                   for p in exc.problems)
        if not (v.get("source") or edition.source):
            self.problem(doc, "value_without_source",
                         "the value names no source and neither does its document", ptr,
                         "add `source: {title, url}` to the value or the document")
        bands: dict[str, Any] = {}
        for seg in iset.segments:  # sample formulas across the value's segments' bands too
            if v.get("segments") is None or seg.id in v["segments"]:
                for key, spec in seg.where.items():
                    bands.setdefault(key, spec)
        bands.update(condition_of(v.get("where")))
        limits: list[Bound] = []
        classes: list[GradeClass] = []
        for op, spec in (v.get("limit") or {}).items():
            thr = self.threshold(doc, spec, f"{ptr}/limit/{op}", iset, indicator.order)
            self.check_possible(doc, indicator, thr, factor, offset, f"{ptr}/limit/{op}", bands,
                                iset.parameters)
            limits.append(Bound(op, thr))
            self.check_op(doc, indicator, op, f"{ptr}/limit/{op}", allow_eq=True)
        for j, c in enumerate(v.get("classes", [])):
            ops = [k for k in ("ge", "gt", "le", "lt") if k in c]
            cptr = f"{ptr}/classes/{j}"
            if len(ops) > 1:
                self.problem(doc, "class_bound_count", "a class has one bound", cptr)
            bound = None
            if ops:
                self.check_op(doc, indicator, ops[0], f"{cptr}/{ops[0]}")
                bound = Bound(ops[0], self.threshold(doc, c[ops[0]], f"{cptr}/{ops[0]}", iset,
                                                     indicator.order))
                self.check_possible(doc, indicator, bound.threshold, factor, offset,
                                    f"{cptr}/{ops[0]}", bands, iset.parameters)
            elif j != len(v["classes"]) - 1:
                self.problem(doc, "class_without_bound",
                             "only the last (worst) class may have no bound", cptr)
            if any(c["label"] == other.label for other in classes):
                self.problem(doc, "duplicate_id", f"class label {c['label']!r} appears twice",
                             f"{cptr}/label")
            classes.append(GradeClass(c["label"], bound, c.get("verified"),
                                      text_form(c.get("note"))))
        self.check_monotone(doc, indicator, classes, ptr, bands)
        if v.get("minimum_class") and v["minimum_class"] not in [c.label for c in classes]:
            self.problem(doc, "unknown_class",
                         f"minimum_class {v['minimum_class']!r} is not a class",
                         f"{ptr}/minimum_class",
                         close(v["minimum_class"], [c.label for c in classes]))
        eff = v.get("effective", {})
        if eff.get("from") and eff.get("until") and (
                dt.date.fromisoformat(eff["from"]) > dt.date.fromisoformat(eff["until"])):
            self.problem(doc, "dates_inconsistent", f"effective from {eff['from']} is after "
                         f"until {eff['until']}", f"{ptr}/effective",
                         "write the first day it applies as `from`, the last as `until`")
        return ReferenceValue(
            edition_id=edition.id, indicator_set=iset.id, indicator=indicator.id, unit=v["unit"],
            factor=factor, offset=offset,
            segments=tuple(v["segments"]) if "segments" in v else None,
            where=condition_of(v.get("where")), effective_from=_date(eff.get("from")),
            effective_until=_date(eff.get("until")), limits=tuple(limits), classes=tuple(classes),
            minimum_class=v.get("minimum_class"), clause=text_form(v.get("clause")),
            source=source_of(v.get("source")) or edition.source,
            verified=v.get("verified", default_verified), note=text_form(v.get("note")),
            pointer=ptr,
            basis=text_form(v.get("basis")), same_basis=bool(v.get("same_basis", False)))

    def threshold(self, doc: Document, spec: Any, ptr: str, iset: IndicatorSet,
                  order: tuple[str, ...] = ()) -> Threshold:
        if isinstance(spec, str):  # a grade of an ordinal indicator: its rank
            if spec not in order:
                self.problem(doc, "unknown_grade", f"{spec!r} is not a grade of the indicator",
                             ptr, "one of: " + ", ".join(order) if order else
                             "only ordinal indicators take grades as thresholds")
                return Threshold(constant=float("nan"))
            return Threshold(constant=float(order.index(spec)))
        if isinstance(spec, (int, float)):
            return Threshold(constant=float(spec))
        if "formula" in spec:
            formula = self.compile(doc, spec["formula"], iset.parameters, f"{ptr}/formula")
            return Threshold(formula=formula, round=spec.get("round"))
        table = spec["table"]
        param = iset.parameters.get(table["parameter"])
        if param is None:
            self.problem(doc, "unknown_parameter", f"unknown parameter {table['parameter']!r}",
                         f"{ptr}/table/parameter", close(table["parameter"], iset.parameters))
            return Threshold(constant=float("nan"))
        xs = np.array([p[0] for p in table["points"]], dtype=float)
        ys = np.array([p[1] for p in table["points"]], dtype=float)
        if table.get("unit") and param.unit:
            try:
                xs = units.convert(xs, table["unit"], param.unit, indicator=param.id)
            except UnitError as exc:
                self.report.extend(p.at(doc.path, f"{ptr}/table/unit",
                                        doc.line(f"{ptr}/table/unit"))
                                   for p in exc.problems)
        if np.any(np.diff(xs) <= 0):
            self.problem(doc, "table_not_sorted",
                         "table points must have increasing parameter values",
                         f"{ptr}/table/points")
        between = table.get("between", "none")
        if between != "none" and not table.get("between_note"):
            self.problem(doc, "between_without_note",
                         f"between: {between} needs `between_note` saying where the rule "
                         "comes from",
                         f"{ptr}/table")
        return Threshold(table_parameter=param.id, table_x=tuple(xs), table_y=tuple(ys),
                         between=between, between_note=text_form(table.get("between_note")))

    # --- checks -----------------------------------------------------------------------------
    def compile(self, doc: Document, source: str, names: Iterable[str], ptr: str):
        try:
            return compile_formula(source, names)
        except FormulaError as exc:
            self.report.extend(p.at(doc.path, ptr, doc.line(ptr)) for p in exc.problems)
            return None

    def check_unit(self, doc: Document, text: str, ptr: str, what: str) -> None:
        try:
            units.parse_unit(text, indicator=what)
        except UnitError as exc:
            self.report.extend(p.at(doc.path, ptr, doc.line(ptr)) for p in exc.problems)

    def check_condition(self, doc: Document, where: dict, parameters: dict[str, Parameter],
                        ptr: str) -> None:
        for key, spec in where.items():
            param = parameters.get(key)
            if param is None:
                self.problem(doc, "unknown_parameter", f"unknown parameter {key!r}", f"{ptr}/{key}",
                             close(key, parameters))
                continue
            if isinstance(spec, dict) and param.kind not in ("quantity", "integer"):
                self.problem(doc, "condition_kind_mismatch",
                             f"bounds on {param.kind} parameter {key!r}", f"{ptr}/{key}")
            if isinstance(spec, dict) and _band_empty(Band(**spec)):
                self.problem(doc, "range_inverted",
                             f"the band on {key!r} ({Band(**spec).describe()}) holds no value",
                             f"{ptr}/{key}",
                             "write the lower end as gt/ge and the upper end as lt/le")
            if not isinstance(spec, dict) and param.values:
                allowed = {str(x) for x in param.values}
                for value in spec if isinstance(spec, list) else [spec]:
                    if str(value) not in allowed:
                        self.problem(doc, "unknown_category",
                                     f"{value!r} is not a value of {key!r}",
                                     f"{ptr}/{key}", "one of: " + ", ".join(sorted(allowed)))

    def check_range(self, doc: Document, item: dict, ptr: str) -> None:
        if item.get("minimum", -np.inf) > item.get("maximum", np.inf):
            self.problem(doc, "range_inverted", "`minimum` is above `maximum`", f"{ptr}/minimum")

    def check_possible(self, doc: Document, indicator: Indicator, thr: Threshold, factor: float,
                       offset: float, ptr: str, where: dict,
                       parameters: dict[str, Parameter] | None = None) -> None:
        """A threshold outside the indicator's possible values (a negative efficiency …) or, for
        a formula, not finite somewhere in its parameters' bands (overflow, log of 0 …): checked
        at the bands' ends and at the points where a part of it is singular (see
        `formula_check_points`)."""
        if thr.formula is not None:
            points = formula_check_points(thr.formula, where, parameters or {})
            if points is None:
                return  # a parameter with no band and no possible range: checked at run time
            values = _on_grid(thr.formula, points)
            broken = _first_not_finite(values, points)
            if broken:
                self.problem(doc, "formula_not_finite", f"the formula gives {broken}",
                             f"{ptr}/formula",
                             "check the formula and the band of parameters it is used for")
                return
            found = values  # every one finite
            extremes = np.array([values.min(), values.max()])
        elif thr.constant is not None:
            found = extremes = np.array([thr.constant])
        else:
            found = np.asarray(thr.table_y, dtype=float)
            extremes = np.array([found.min(), found.max()]) if found.size else found
        low = -np.inf if indicator.minimum is None else indicator.minimum
        high = np.inf if indicator.maximum is None else indicator.maximum
        ends = extremes * factor + offset
        if np.all((ends >= low) & (ends <= high)):
            return  # the extremes are possible, so is every value (a NaN fails and is looked at)
        shown = found * factor + offset
        for y in found[(shown < low) | (shown > high)][:1]:  # the first impossible one
            why = outside_range(y * factor + offset, indicator.minimum, indicator.maximum)
            if why:
                # a formula sampled beyond where products exist (an open band) only warns; the
                # engine checks the threshold again at the declared parameters
                self.problem(doc, "value_out_of_range",
                             f"threshold {y:g} for {indicator.id!r} is impossible: {why} "
                             f"{indicator.unit or ''}".rstrip()
                             + (" (at some parameter value the formula was checked at)"
                                if thr.formula is not None else ""), ptr,
                             severity="warning" if thr.formula is not None else "error")
                return

    def check_overlaps(self, doc: Document, segments: list[Segment]) -> None:
        for i, a in enumerate(segments):
            for b in segments[i + 1:]:
                if _conditions_overlap(a.where, b.where):
                    self.problem(doc, "segments_overlap",
                                 f"segments {a.id!r} and {b.id!r} overlap: a product could fall "
                                 "in both", f"/segments/{segments.index(b)}",
                                 "make the bands meet with one side open (lt/ge)")

    def check_op(self, doc: Document, indicator: Indicator, op: str, ptr: str,
                 allow_eq: bool = False) -> None:
        if indicator.direction == "higher" and op in ("le", "lt"):
            self.problem(doc, "bound_direction_mismatch",
                         f"{op} bound on {indicator.id!r}, where higher is better", ptr)
        if indicator.direction == "lower" and op in ("ge", "gt"):
            self.problem(doc, "bound_direction_mismatch",
                         f"{op} bound on {indicator.id!r}, where lower is better", ptr)

    def check_monotone(self, doc: Document, indicator: Indicator, classes: list[GradeClass],
                       ptr: str, where: dict) -> None:
        """Best class first: thresholds must get less strict down the table, at every parameter
        value checked (constants; table points; formulas across the value's `where` bands)."""
        if not indicator.sign:
            return
        samples = _samples(classes, where)
        bounded = [(j, c, c.bound) for j, c in enumerate(classes) if c.bound is not None]
        for (_, above, above_bound), (j, cur, cur_bound) in itertools.pairwise(bounded):
            a = above_bound.threshold.evaluate(samples, _n(samples))
            b = cur_bound.threshold.evaluate(samples, _n(samples))
            ok = np.isnan(a) | np.isnan(b) | ((b - a) * indicator.sign <= 1e-12)
            if not np.all(ok):
                k = int(np.argmin(ok))
                self.problem(doc, "grades_not_monotone",
                             f"class {cur.label!r} ({b[k]:g}) is stricter than the class above it, "
                             f"{above.label!r} ({a[k]:g}); list classes best first",
                             f"{ptr}/classes/{j}")

    def cross_checks(self, sets: dict[str, IndicatorSet],
                     references: dict[str, ReferenceEdition]) -> None:
        """Checks that need every file: ladder requirements naming references and classes."""
        for iset in sets.values():
            for prog in iset.programmes.values():
                for level in prog.ladder.levels:
                    req = level.requires
                    if not req or req.of != "class" or req.reference is None:
                        continue
                    ref = references.get(req.reference)
                    where = f"programme {prog.id!r}, level {level.id!r}"
                    if ref is None:
                        self.report.add(Problem(
                            "unknown_reference",
                            f"{where} names unknown reference {req.reference!r}",
                            file=iset.path, hint=close(req.reference, references)))
                    elif not any(v.class_bound(req.class_label or "") for v in ref.values):
                        self.report.add(Problem("unknown_class",
                                                f"{where}: {req.reference} has no class "
                                                f"{req.class_label!r}", file=iset.path))


def _n(samples: dict) -> int:
    return len(next(iter(samples.values()))) if samples else 1


def _samples(classes: list[GradeClass], where: dict) -> dict[str, np.ndarray]:
    """Parameter values to check a class table at: table points, and 25 points across each
    bounded `where` band of a formula's parameters (log-spaced when the band is positive)."""
    points: dict[str, list[float]] = {}
    for c in classes:
        thr = c.bound.threshold if c.bound else None
        if thr is None:
            continue
        if thr.table_parameter:
            points.setdefault(thr.table_parameter, []).extend(thr.table_x)
        if thr.formula is not None:
            for name in thr.formula.names:
                band = where.get(name)
                if isinstance(band, Band):
                    lo = band.ge if band.ge is not None else band.gt
                    hi = band.le if band.le is not None else band.lt
                    if lo is not None and hi is not None:
                        grid = np.geomspace(lo, hi, 25) if lo > 0 else np.linspace(lo, hi, 25)
                        points.setdefault(name, []).extend(grid.tolist())
    if not points:
        return {}
    # check each parameter's points with the others held at their first point
    n = max(len(v) for v in points.values())
    return {k: np.resize(np.asarray(sorted(set(v)), dtype=float), n) for k, v in points.items()}


def _conditions_overlap(a: dict, b: dict) -> bool:
    for key in set(a) | set(b):
        if key not in a or key not in b:
            continue
        x, y = a[key], b[key]
        if isinstance(x, Band) and isinstance(y, Band):
            if not x.overlaps(y):
                return False
        elif (isinstance(x, tuple) and isinstance(y, tuple)
              and not {str(v) for v in x} & {str(v) for v in y}):
            return False
    return True


def number_counts(edition: ReferenceEdition) -> tuple[int, int]:
    """(numbers, unverified numbers) of an edition: a constant or a formula counts one, a table one
    per point; a class's own `verified` overrides its value's."""
    total = unverified = 0
    for v in edition.values:
        marked = [(b, v.verified) for b in v.limits]
        marked += [(c.bound, v.verified if c.verified is None else c.verified)
                   for c in v.classes if c.bound is not None]
        for bound, verified in marked:
            n = len(bound.threshold.table_x) if bound.threshold.table_parameter else 1
            total += n
            unverified += 0 if verified else n
    return total, unverified


def validate_paths(paths: list[Path], data_dir: str | Path | None = None) -> ProblemReport:
    """Problems of the given files (catalogue files or declarations), checked in the context of
    the catalogue; with no paths, the whole catalogue."""
    from benchmark.declaration import declaration_from_document

    files: list[Path] = []
    for p in paths:
        try:
            folder = p.is_dir()
        except OSError:  # a name too long …: read_document reports it
            folder = False
        if folder:
            files.extend(sorted(x for x in p.rglob("*")
                                if x.suffix.lower() in (".yaml", ".yml", ".json")))
        else:
            files.append(p)
    decls, others, organisation = [], [], []
    for f in files:
        doc, problems = read_document(f)
        if doc is not None and schema_for(doc) == "declaration":
            decls.append((doc, problems))
        elif doc is not None and schema_for(doc) in ("org-scheme", "org-assessment"):
            organisation.append(f)
        else:
            others.append(f)
    root = Path(data_dir) if data_dir else default_data_dir()
    root_files = ({p.resolve() for p, _ in catalogue_files(root)}
                  if (root / "indicator_sets").is_dir() else set())
    extra = [f for f in others if f.resolve() not in root_files]
    catalogue, report = check_catalogue(root, extra)
    if paths:  # keep only the problems of the files asked about, plus catalogue-wide failures
        wanted = {str(f) for f in others} | {_display(f, root) for f in others}
        report = ProblemReport([p for p in report.problems
                                if p.file in wanted or p.code == "catalogue_not_found"])
    for doc, problems in decls:
        problems = problems + schema_problems(doc, "declaration")
        report.extend(problems)
        if any(p.severity == "error" for p in problems) or catalogue is None:
            continue
        try:
            declaration_from_document(doc, catalogue)
        except InputError as exc:
            report.extend(exc.problems)
    if organisation or not paths:  # schemes and assessments: benchmark.organisation checks them
        from benchmark.organisation.scheme import shipped_scheme_files, validate_organisation_files
        report.extend(validate_organisation_files(organisation or shipped_scheme_files(data_dir),
                                                  data_dir))
    return report


# --- semantic checks a schema cannot make -------------------------------------------------------

def _band_empty(band: Band) -> bool:
    """No value lies in the band (ge 10 and le 5; gt 5 and lt 5 …)."""
    lo = band.ge if band.ge is not None else band.gt
    hi = band.le if band.le is not None else band.lt
    if lo is None or hi is None:
        return False
    return lo > hi or (lo == hi and (band.gt is not None or band.lt is not None))


_INVISIBLE = {"Cf", "Cc", "Co", "Cn", "Zl", "Zp"}


def id_problem(text: str) -> str | None:
    """Why `text` cannot be an id or label, or None: invisible or format characters (a zero-width
    space makes two ids look the same) or a form NFKC would change (full-width "ＧＢ")."""
    bad = [c for c in text if unicodedata.category(c) in _INVISIBLE]
    if bad:
        return "has invisible characters (" + ", ".join(f"U+{ord(c):04X}" for c in bad[:3]) + ")"
    if unicodedata.normalize("NFKC", text) != text:
        return f"is not in NFKC form (write {unicodedata.normalize('NFKC', text)!r})"
    if text != text.strip():
        return "has leading or trailing spaces"
    return None


def reference_id_problems(doc: Document, data: dict) -> list[Problem]:
    """The edition's id, the editions it names and its class labels: visible, NFKC text."""
    named = [("/id", data.get("id"))]
    named += [(f"/supersedes/{i}", x) for i, x in enumerate(data.get("supersedes") or [])]
    named.append(("/superseded_by", data.get("superseded_by")))
    for i, v in enumerate(data.get("values") or []):
        named += [(f"/values/{i}/classes/{j}/label", c.get("label"))
                  for j, c in enumerate(v.get("classes") or [])]
    problems = []
    for ptr, text in named:
        why = id_problem(text) if isinstance(text, str) else None
        if why:
            problems.append(doc.problem("id_not_plain", f"{text!r} {why}", ptr,
                                        "ids and labels are compared as written: type them "
                                        "plainly"))
    return problems


def supersession_problems(references: dict[str, ReferenceEdition]) -> list[Problem]:
    """An edition that supersedes itself, or a cycle of supersession (A → B → A): the status of
    every edition in it would depend on the order the files were read."""
    problems = []
    successors: dict[str, set[str]] = {}
    for r in references.values():
        for old in r.supersedes:
            successors.setdefault(old, set()).add(r.id)
        if r.superseded_by:
            successors.setdefault(r.id, set()).add(r.superseded_by)
        if r.id in r.supersedes or r.superseded_by == r.id:
            problems.append(Problem("supersession_cycle", f"{r.id} supersedes itself", file=r.path,
                                    pointer="/supersedes" if r.id in r.supersedes else
                                    "/superseded_by", hint="name the edition it replaces"))
    reported: set[frozenset[str]] = set()
    for start in sorted(successors):
        path, stack = [start], [iter(sorted(successors.get(start, ())))]
        while stack:  # depth-first: a path back to `start` is a cycle
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                path.pop()
                continue
            if nxt == start and len(path) > 1 and frozenset(path) not in reported:
                reported.add(frozenset(path))
                for member in path:  # each file of the circle is told
                    edition = references.get(member)
                    if edition is not None:
                        problems.append(Problem(
                            "supersession_cycle", "supersession goes round in a circle: "
                            + " → ".join([*path, start]), file=edition.path,
                            pointer="/supersedes",
                            hint="an edition is replaced by a later one, never by one it "
                                 "replaced"))
            elif nxt not in path and len(path) < len(successors) + 1:
                path.append(nxt)
                stack.append(iter(sorted(successors.get(nxt, ()))))
    return problems


_GRID = 257  # points across a band, besides its ends and the singular points found on them
_MAX_POINTS = 200_000  # parameter combinations checked for one formula
_UNBOUNDED_DECADES = 6  # a band open on one side is checked this far beyond its finite end


def _extent(name: str, band: Any, parameters: dict, open_ends: bool = False
            ) -> tuple[float, float] | None:
    """The closed interval of parameter values to check: the band intersected with the
    parameter's possible range; an open end is moved one float inward."""
    lo, hi, lo_open, hi_open = -np.inf, np.inf, False, False
    if isinstance(band, Band):
        if band.ge is not None:
            lo, lo_open = band.ge, False
        elif band.gt is not None:
            lo, lo_open = band.gt, True
        if band.le is not None:
            hi, hi_open = band.le, False
        elif band.lt is not None:
            hi, hi_open = band.lt, True
    item = parameters.get(name)
    minimum, maximum = getattr(item, "minimum", None), getattr(item, "maximum", None)
    if minimum is not None and minimum > lo:
        lo, lo_open = float(minimum), open_ends
    if maximum is not None and maximum < hi:
        hi, hi_open = float(maximum), open_ends
    if not np.isfinite(lo) and not np.isfinite(hi):
        return None
    if not np.isfinite(hi):
        hi, hi_open = lo + max(abs(lo), 1.0) * 10.0 ** _UNBOUNDED_DECADES, False
    if not np.isfinite(lo):
        lo, lo_open = hi - max(abs(hi), 1.0) * 10.0 ** _UNBOUNDED_DECADES, False
    # an open band end: the next float inside; a possible range's end left out (`open_ends`):
    # a billionth of the span inside, so that a quotient near it does not merely overflow
    step = (hi - lo) * 1e-9
    if lo_open:
        lo = lo + step if open_ends and lo == minimum else float(np.nextafter(lo, np.inf))
    if hi_open:
        hi = hi - step if open_ends and hi == maximum else float(np.nextafter(hi, -np.inf))
    return (lo, hi) if lo <= hi else None


@functools.lru_cache(maxsize=4096)
def _sensitive_parts(source: str) -> tuple[str, ...]:
    """Sub-expressions at whose zeros a formula may be singular or change branch: divisors,
    arguments of log/ln/log10/sqrt, bases and exponents of powers, and both sides of
    comparisons (as their difference)."""
    parts = []
    for node in ast.walk(ast.parse(source, mode="eval")):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            parts.append(node.right)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            parts += [node.left, node.right]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                "log", "ln", "log10", "sqrt") and node.args:
            parts.append(node.args[0])
        elif isinstance(node, ast.Compare) and len(node.comparators) == 1:
            parts.append(ast.BinOp(node.left, ast.Sub(), node.comparators[0]))
    return tuple(ast.unparse(p) for p in parts if not isinstance(p, ast.Constant))


@functools.lru_cache(maxsize=4096)
def _compiled_part(text: str, names: frozenset[str]):
    """A sub-expression of a formula compiled (the same parts recur across a table's formulas:
    log10(rated_power) …); a compiled formula is immutable, so it is shared."""
    return compile_formula(text, names)


def _zeros(part, name: str, grid: np.ndarray, fixed: dict[str, float]) -> list[float]:
    """Where `part` (a compiled sub-expression) is zero or changes sign along `grid` of `name`,
    the others held at `fixed`: found by bisection to the last float."""
    def at(x):
        return np.broadcast_to(part(**{**fixed, name: x}), np.shape(x))

    y = at(grid)
    roots = [float(x) for x in grid[y == 0]]
    ok = np.isfinite(y[:-1]) & np.isfinite(y[1:])
    for i in np.flatnonzero(ok & (np.sign(y[:-1]) * np.sign(y[1:]) < 0))[:64]:
        a, b, ya = float(grid[i]), float(grid[i + 1]), float(y[i])
        for _ in range(1100):  # halving a float interval ends within ~1100 steps
            m = a + (b - a) / 2
            if m in (a, b):
                break
            ym = float(at(np.array(m)))
            if ym == 0:
                a = b = m
                break
            if np.sign(ym) == np.sign(ya):
                a, ya = m, ym
            else:
                b = m
        roots += [a, b]
    return roots


def formula_check_points(formula, where: dict, parameters: dict,
                         open_ends: bool = False) -> dict[str, np.ndarray] | None:
    """Parameter values at which a formula must be finite: each parameter's band (intersected
    with its possible range) at both ends, across a grid, and at every point where a divisor, a
    log or sqrt argument, a power or a comparison of the formula is zero or changes sign, with
    the floats either side — not a fixed sample, which misses a singular point between samples.
    Several parameters: every combination (thinned to _MAX_POINTS), as an open grid (arrays that
    broadcast together). None when a parameter has neither band nor possible range. `open_ends`:
    the possible range's ends are excluded."""
    extents = {}
    for name in sorted(formula.names):
        extent = _extent(name, where.get(name), parameters, open_ends)
        if extent is None:
            return None
        extents[name] = extent
    mids = {n: (lo + hi) / 2 for n, (lo, hi) in extents.items()}
    parts = []
    for text in _sensitive_parts(formula.source):
        try:
            parts.append(_compiled_part(text, formula.names))
        except FormulaError:
            continue
    axes: dict[str, np.ndarray] = {}
    for name, (lo, hi) in extents.items():
        if lo > 0 and hi / lo > 100:
            grid = np.geomspace(lo, hi, _GRID)
        else:
            grid = np.linspace(lo, hi, _GRID)
        found = [lo, hi, *grid.tolist()]
        for part in parts:
            if name in part.names:
                fixed = {n: mids[n] for n in part.names if n != name}
                found += _zeros(part, name, grid, fixed)
        near = np.array(found, dtype=float)
        near = np.concatenate([near, np.nextafter(near, np.inf), np.nextafter(near, -np.inf)])
        axes[name] = np.unique(near[(near >= lo) & (near <= hi)])
    per_axis = int(_MAX_POINTS ** (1 / max(len(axes), 1)))
    for name, values in axes.items():
        if len(axes) > 1 and len(values) > per_axis:  # keep the ends and singular points first
            lo, hi = extents[name]
            keep = np.unique(np.concatenate([[lo, hi], values[:: max(1, len(values) // per_axis)]]))
            axes[name] = keep
    names = list(axes)
    mesh = np.meshgrid(*[axes[n] for n in names], indexing="ij", sparse=True)
    return dict(zip(names, mesh, strict=True))


def _on_grid(formula, points: dict[str, np.ndarray]) -> np.ndarray:
    """`formula` at every combination of an open grid (`formula_check_points`), flat in the
    grid's order. A part that uses one parameter is computed once per value of it, not once per
    combination: the same numbers, several times faster on a two-parameter grid."""
    shape = np.broadcast_shapes(*(x.shape for x in points.values()))
    return np.broadcast_to(formula(**points), shape).ravel()


def _grid_point(points: dict[str, np.ndarray], k: int) -> str:
    """The parameter values of combination `k` of an open grid, as a problem shows them."""
    shape = np.broadcast_shapes(*(x.shape for x in points.values()))
    return ", ".join(f"{name} = {float(np.broadcast_to(x, shape).flat[k])!r}"
                     for name, x in points.items())


def _first_not_finite(values: np.ndarray, points: dict[str, np.ndarray]) -> str | None:
    """Where a formula's values on an open grid (`_on_grid`) are first not finite, as a problem
    says it ("inf at x = 0.0"); None if every one is finite."""
    finite = np.isfinite(values)
    if finite.all():
        return None
    k = int(np.argmin(finite))
    return f"{values[k]:g} at {_grid_point(points, k)}"


def derived_formula_problems(doc: Document, formula, parameters: dict[str, Parameter],
                             indicators: dict[str, Indicator], ptr: str) -> list[Problem]:
    """A derived indicator's formula that divides by zero (or is otherwise not finite) somewhere
    inside the possible ranges of what it derives from. The ranges' own ends are left to the
    declaration check, which refuses the declared values at which the formula breaks."""
    ranges = {**parameters, **indicators}
    points = formula_check_points(formula, {}, ranges, open_ends=True)
    if points is None:
        return []
    broken = _first_not_finite(_on_grid(formula, points), points)
    if broken is None:
        return []
    return [doc.problem("formula_not_finite", f"the derived formula gives {broken}",
                        ptr, "a division by zero? check the formula and the possible ranges "
                        "(minimum, maximum) of what it uses")]


def threshold_problems(catalogue: Catalogue, iset: IndicatorSet,
                       params: dict[str, Any]) -> list[Problem]:
    """Formula thresholds of the category's reference values that are not finite at a
    declaration's parameters, where the value applies (its segments and `where`): a located
    error, never a silent "no threshold"."""
    numeric = {k: np.array([float(v)]) for k, v in params.items()
               if isinstance(v, (int, float)) and not isinstance(v, bool)}
    given = {**{k: np.array([v], dtype=object) for k, v in params.items()}, **numeric}
    segment = next((s.id for s in iset.segments if condition_mask(s.where, given, 1)[0]), None)
    problems = []
    for edition in catalogue.references.values():
        for value in edition.values:
            if value.indicator_set != iset.id or (value.segments is not None
                                                  and segment not in value.segments):
                continue
            bounds = [*value.limits, *[c.bound for c in value.classes if c.bound is not None]]
            formulas = [b.threshold.formula for b in bounds if b.threshold.formula is not None]
            if not formulas or not condition_mask(value.where, given, 1)[0]:
                continue
            for formula in formulas:
                if not formula.names <= numeric.keys():
                    continue
                y = float(np.ravel(formula(**{n: numeric[n] for n in formula.names}))[0])
                if np.isfinite(y):
                    continue
                at = ", ".join(f"{n} = {float(numeric[n][0]):g}" for n in sorted(formula.names))
                name = sorted(formula.names)[0]
                problems.append(Problem(
                    "threshold_not_finite", f"the threshold of {edition.id} for "
                    f"{value.indicator!r} ({edition.path} {value.pointer}) is {y:g} at {at}: "
                    "it cannot be compared with", pointer=f"/product/parameters/{name}",
                    hint="check the parameter; if it is right, the catalogue's formula needs "
                         "fixing (`benchmark validate`)"))
    return problems
