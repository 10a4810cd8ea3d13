"""Verifying a report: recompute the evaluation from what the report records and say what differs.

A JSON report records its provenance: the input files with their SHA-256, the evaluation date,
include_superseded, the catalogue hash and the engine version; the programme is in
`programme.id`, and each reference used names its catalogue file and that file's SHA-256.
`verify_report` re-reads the inputs, compares their hashes, compares the catalogue (naming the
reference files that changed), evaluates again with the same programme and date and compares the
result with the report field by field, naming each difference by JSON pointer.

A JSON file whose `kind` records no inputs by design (`NOT_RECOMPUTED`: a verdict table's
summary) is skipped, and the result says so (`Verification.skipped`).

A report whose provenance is malformed (an impossible date, `inputs` not a mapping of file to
SHA-256, a table row that is not a whole number from 1, a row past the table's end) is refused
with `provenance_invalid` problems, each at its JSON pointer, before anything is recomputed.

Findings are `Problem`s with these codes:
  input_missing           an input named in the provenance cannot be found
  input_changed           an input's SHA-256 differs from the one recorded
  input_invalid           the input no longer reads as a declaration (its problems follow)
  catalogue_changed       the catalogue hash differs
  reference_file_changed  a reference file the report used differs, or is gone
  engine_version_changed  another engine version made the report (a warning)
  report_field_changed    inputs and catalogue are as recorded, yet a field differs: the report
                          was edited (or the engine changed)
  result_changed          a field differs, as explained by the changed input or catalogue
  not_recomputed          a ranking of a dataset of parts: hashes checked, not ranked again
                          (a warning)

A peer ranking (`kind: peer_ranking`, `benchmark rank`'s ranking.json) is ranked again from the
table and mapping its provenance names, with its recorded settings (`recompute_ranking`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmark import __version__
from benchmark.catalogue import load_catalogue
from benchmark.declaration import load_declaration
from benchmark.errors import InputError, Problem, worded
from benchmark.loading import file_sha256, pointer_join


@dataclass
class Verification:
    """The outcome: `ok` when no finding is an error; `recomputed` is the new to_dict() (None
    when it could not be computed)."""

    report: str
    findings: list[Problem] = field(default_factory=list)
    recomputed: dict | None = None
    skipped: str | None = None  # the kind of a report that records nothing to recompute

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]


def _read_report(path: Path) -> dict:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(Problem("file_not_found", "no such report", file=str(path),
                                 **worded("no_such_report"))) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(Problem("report_unreadable", f"not a JSON report: {exc}",
                                 file=str(path))) from None
    prov = report.get("provenance") if isinstance(report, dict) else None
    needed = ("inputs", "evaluation_date", "catalogue_sha256")
    if not isinstance(prov, dict) or any(k not in prov for k in needed) or \
            not isinstance(report.get("programme"), dict) or "id" not in report["programme"]:
        raise InputError(Problem("report_without_provenance",
                                 "the report does not record its provenance (inputs, evaluation "
                                 "date, catalogue hash) and programme", file=str(path),
                                 pointer="/provenance",
                                 hint="verify the JSON report that `benchmark evaluate` wrote"))
    problems = provenance_problems(report, str(path))
    if problems:
        raise InputError(problems)
    return report


# kinds that by design record no provenance to recompute: `verify` skips them, saying so
NOT_RECOMPUTED = ("verdict_summary",)


def _kind(path: Path) -> str | None:
    """The `kind` a JSON report names (None when it names none or cannot be read)."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return report.get("kind") if isinstance(report, dict) else None


_SHA256 = re.compile(r"[0-9a-f]{64}")


def provenance_problems(report: dict, file: str) -> list[Problem]:
    """What makes a report's provenance unusable for recomputing it, each at its pointer."""
    problems: list[Problem] = []

    def bad(pointer: str, message: str, hint: str | None = None) -> None:
        problems.append(Problem("provenance_invalid", message, file=file, pointer=pointer,
                                hint=hint or "verify the JSON report `benchmark evaluate` wrote, "
                                             "unedited"))

    prov = report["provenance"]
    inputs = prov["inputs"]
    if not isinstance(inputs, dict) or not inputs:
        bad("/provenance/inputs", "inputs must map each input file to its SHA-256")
        inputs = {}
    for name, digest in inputs.items():
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            bad(pointer_join("/provenance/inputs", name), f"{digest!r:.80} is not a SHA-256")
    try:
        dt.date.fromisoformat(prov["evaluation_date"])
    except (TypeError, ValueError):
        bad("/provenance/evaluation_date", f"{prov['evaluation_date']!r:.40} is not a date",
            "a date as YYYY-MM-DD")
    for key, kind, what in (("catalogue_sha256", str, "text"), ("engine_version", str, "text"),
                            ("include_superseded", bool, "true or false"),
                            ("declaration", str, "text")):
        if key in prov and not isinstance(prov[key], kind):
            bad(f"/provenance/{key}", f"{key} must be {what}")
    if not isinstance(report["programme"]["id"], str):
        bad("/programme/id", "the programme id must be text")
    declaration = prov.get("declaration") or next(iter(inputs), None)
    if isinstance(declaration, str):
        name, sep, row = declaration.rpartition("#row")
        if sep and not re.fullmatch(r"[1-9][0-9]{0,8}", row):
            bad("/provenance/declaration", f"table row {row!r:.20} is not a row number (1 = the "
                "first data row)")
        if (name if sep else declaration) not in inputs:
            bad("/provenance/declaration", "the declaration is not among the inputs")
    for key, fields in (("table", ("set", "mapping")), ("population", ("file", "mapping"))):
        part = prov.get(key)
        if part is None:
            continue
        if not isinstance(part, dict):
            bad(f"/provenance/{key}", f"{key} must be an object")
            continue
        for field_ in fields:
            value = part.get(field_)
            if value is not None and not isinstance(value, str):
                bad(f"/provenance/{key}/{field_}", f"{field_} must be text")
            elif field_ in ("file", "mapping") and value is not None and value not in inputs:
                bad(f"/provenance/{key}/{field_}", f"{value!r:.80} is not among the inputs")
        if key == "population" and not isinstance(part.get("file"), str):
            bad("/provenance/population/file", "the population file is not named")
    used = report.get("references_used", [])
    entry = str if report.get("kind") == "peer_ranking" else dict  # a ranking names editions
    if not isinstance(used, list) or not all(isinstance(r, entry) for r in used):
        bad("/references_used", "references_used must be a list of "
            + ("edition names" if entry is str else "objects"))
    return problems


def find_input(recorded: str, report_dir: Path, base_dir: Path | None = None) -> Path | None:
    """Where an input named in the provenance is now: as written if absolute; else relative to
    `base_dir`, the current folder, or the report's folder (first that exists)."""
    path = Path(recorded)
    if path.is_absolute():
        return path if path.is_file() else None
    for base in [b for b in (base_dir, Path.cwd(), report_dir) if b is not None]:
        if (base / path).is_file():
            return base / path
    return None


def differences(old: Any, new: Any, pointer: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(pointer, old, new) for every leaf that differs between two JSON values."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            child = pointer_join(pointer, key)
            if key not in new:
                yield child, old[key], None
            elif key not in old:
                yield child, None, new[key]
            else:
                yield from differences(old[key], new[key], child)
    elif isinstance(old, list) and isinstance(new, list):
        for i in range(max(len(old), len(new))):
            child = pointer_join(pointer, i)
            if i >= len(new):
                yield child, old[i], None
            elif i >= len(old):
                yield child, None, new[i]
            else:
                yield from differences(old[i], new[i], child)
    elif old != new or isinstance(old, bool) != isinstance(new, bool):  # 1 == True, yet differs
        yield pointer, old, new


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def recompute(report: dict, inputs: dict[str, Path], catalogue, report_file: str,
              hashes: dict[str, str]) -> dict:
    """The report's result made again from its recorded inputs (found at `inputs`, their SHA-256
    now `hashes`), read the way the provenance says they were read: a declaration file
    or a table row, and a population."""
    from benchmark.batch import read_table_input, report_result, table_results, with_provenance
    from benchmark.engine.assess import peer_context
    from benchmark.population import load_population

    prov = report["provenance"]
    recorded = prov.get("declaration") or next(iter(prov["inputs"]))
    table = prov.get("table") or {}
    programme = report["programme"]["id"]
    on = dt.date.fromisoformat(prov["evaluation_date"])
    superseded = bool(prov.get("include_superseded", False))
    row_result = None
    if "#row" in recorded:
        name, row = recorded.rsplit("#row", 1)
        mapping = inputs.get(table["mapping"]) if table.get("mapping") else None
        pop = read_table_input(inputs[name], catalogue, table.get("set"), mapping, display=name)
        category = pop.category
    else:
        decl = load_declaration(inputs[recorded], catalogue, display=recorded)
        category = decl.category
    population = context = None
    peers = prov.get("population") or {}
    if peers:
        mapping = inputs.get(peers["mapping"]) if peers.get("mapping") else None
        population = load_population(inputs[peers["file"]], catalogue, category, mapping,
                                     display=peers["file"])
        context = peer_context(population, catalogue, programme, on, superseded)
    if "#row" in recorded:
        index = [k for k, r in enumerate(pop.rows) if str(int(r)) == row]
        if not index:
            raise InputError(Problem("provenance_invalid", f"row {row} is not a usable row of "
                                     f"the table {name}", file=report_file,
                                     pointer="/provenance/declaration"))
        row_result = next(iter(table_results(name, pop, catalogue, programme, on, superseded,
                                             index, context)))[1]
    sources = {"set": table.get("set"), "mapping": table.get("mapping"),
               "population_mapping": peers.get("mapping")}
    if row_result is not None:
        return with_provenance(row_result, recorded, pop.sha256, catalogue, programme,
                               population, sources, hashes)
    return report_result(decl, catalogue, programme, on, superseded, population, sources, hashes,
                         context)


def recompute_ranking(report: dict, inputs: dict[str, Path], catalogue,
                      report_file: str, hashes: dict[str, str]) -> dict:
    """A peer ranking made again as `benchmark rank` made it: its recorded population (table and
    mapping), category, programme, date, include_superseded and settings; inputs named as
    recorded."""
    from benchmark.leaders import rank_file
    from benchmark.report.ranking import ranking_result

    prov, settings = report["provenance"], report.get("settings") or {}
    table, mapping = prov["population"]["file"], prov["population"].get("mapping")
    r = rank_file(inputs[table], catalogue, report.get("category", ""), report["programme"]["id"],
                  dt.date.fromisoformat(prov["evaluation_date"]), inputs.get(mapping),
                  settings.get("method"), settings.get("shortlist"), settings.get("tiers"),
                  int(settings.get("seed", 0)),
                  bool(prov.get("include_superseded", False)), display=table)
    return ranking_result(r, hashes, catalogue.sha256)


def verify_report(report_json_path: str | Path, data_dir: str | Path | None = None,
                  base_dir: str | Path | None = None) -> Verification:
    """Recompute the evaluation a JSON report records and compare; see the module docstring.

    Raises InputError when the report is not a readable JSON report with provenance, or when the
    current catalogue does not load."""
    path = Path(report_json_path)
    kind = _kind(path)
    if kind in NOT_RECOMPUTED:
        return Verification(str(path), skipped=kind)
    if kind == "organisation_assessment":  # another result kind, recomputed by its own module
        from benchmark.organisation.verify import verify_assessment_report
        return verify_assessment_report(path, json.loads(path.read_text(encoding="utf-8")),
                                        base_dir)
    report = _read_report(path)
    out = Verification(str(path))
    prov = report["provenance"]

    def finding(code: str, message: str, pointer: str | None = None, file: str | None = None,
                severity: str = "error", hint: str | None = None) -> None:
        out.findings.append(Problem(code, message, file=file or str(path), pointer=pointer,
                                    hint=hint, severity=severity))

    recorded_version = prov.get("engine_version", report.get("engine_version"))
    if recorded_version != __version__:
        finding("engine_version_changed", f"made by engine {recorded_version}; this is "
                f"{__version__}: differences may come from the engine",
                "/provenance/engine_version", severity="warning")

    inputs, hashes = input_findings(prov["inputs"], path.parent, base_dir, finding)

    catalogue = load_catalogue(data_dir)
    if catalogue.sha256 != prov["catalogue_sha256"]:
        changed = len(out.findings)
        for i, ref in enumerate(report.get("references_used", [])):
            if not isinstance(ref, dict):  # a ranking names editions, not their files
                continue
            file, digest = ref.get("file"), ref.get("sha256")
            if not file:
                continue
            now = catalogue.files.get(file)
            if now is None:
                finding("reference_file_changed", f"reference file {file} ({ref.get('id')}) is no "
                        "longer in the catalogue", f"/references_used/{i}/sha256", file=file)
            elif now != digest:
                finding("reference_file_changed", f"reference file {file} ({ref.get('id')}) has "
                        "changed since the report was made", f"/references_used/{i}/sha256",
                        file=file)
        where = ("see the reference files below" if len(out.findings) > changed else
                 "no reference file the report used has changed, so the change is in another "
                 "file (indicator set, ladder, another reference)")
        out.findings.insert(changed, Problem(
            "catalogue_changed", f"the catalogue has changed since the report was made: {where}",
            file=str(path), pointer="/provenance/catalogue_sha256"))

    if len(inputs) != len(prov["inputs"]):
        return out  # an input is missing: nothing to recompute from
    ranking = report.get("kind") == "peer_ranking"
    if ranking and "population" not in prov:
        finding("not_recomputed", "a ranking of a dataset of parts is not recomputed: its parts' "
                "SHA-256 and the catalogue are checked", "/provenance/inputs", severity="warning")
        return out
    try:
        result = (recompute_ranking if ranking else recompute)(report, inputs, catalogue,
                                                               str(path), hashes)
    except InputError as exc:
        if any(p.code == "provenance_invalid" for p in exc.problems):
            raise
        for p in exc.problems:
            finding("input_invalid", p.format(), p.pointer, file=p.file)
        return out
    out.recomputed = json.loads(json.dumps(result, ensure_ascii=False))  # as JSON reads it back
    explained = any(f.code in ("input_changed", "catalogue_changed") and f.severity == "error"
                    for f in out.findings)
    field_findings(report, out, explained, finding)
    return out


def input_findings(recorded: dict[str, str], report_dir: Path, base_dir: str | Path | None,
                   finding: Callable[..., None],
                   fallback: Callable[[str], Path | None] | None = None
                   ) -> tuple[dict[str, Path], dict[str, str]]:
    """Where each recorded input is now (see `find_input`; `fallback` may find it elsewhere) and
    its SHA-256 now, with an `input_missing` or `input_changed` finding for each that is gone or
    changed."""
    inputs: dict[str, Path] = {}
    hashes: dict[str, str] = {}
    for name, digest in recorded.items():
        found = find_input(name.rsplit("#row", 1)[0], report_dir,
                           Path(base_dir) if base_dir else None)
        if found is None and fallback is not None:
            found = fallback(name)
        if found is None:
            finding("input_missing", f"input {name} cannot be found",
                    pointer_join("/provenance/inputs", name), file=name,
                    hint="run from the folder the evaluation ran in, or give base_dir")
            continue
        inputs[name] = found
        now = hashes[name] = file_sha256(found)
        if now != digest:
            finding("input_changed", f"input {name} has changed since the report was made "
                    f"(SHA-256 {digest[:12]}… then, {now[:12]}… now)",
                    pointer_join("/provenance/inputs", name), file=name)
    return inputs, hashes


def field_findings(report: dict, out: Verification, explained: bool,
                   finding: Callable[..., None]) -> None:
    """A finding for every field of the report that differs from `out.recomputed`:
    `result_changed` when a changed input `explained` it, else `report_field_changed`."""
    said = {f.pointer for f in out.findings}  # hashes already reported above are not repeated
    for pointer, old, new in differences(report, out.recomputed):
        moved = pointer == "/engine_version" and "/provenance/engine_version" in said
        if pointer in said or moved:
            continue
        finding("result_changed" if explained else "report_field_changed",
                f"{pointer or '/'}: the report says {_short(old)}, recomputed {_short(new)}",
                pointer or "")
