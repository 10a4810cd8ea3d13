"""The programme cycle of a Leader-style programme year (DOMAIN §5, "公开—排行—领跑"): open a
year with its key fields, import each field's platform snapshot, rank and shortlist (the rank API,
`leaders.rank_file`), record commitment letters, open and close the public notice (公示) with its
objections and their outcome, publish the final list, and review a published list against a later
snapshot or date.

State lives in SQLite, one file per programme year (`<folder>/<programme>-<year>.sqlite`). Every
step is a record with its date, its inputs' SHA-256 and the SHA-256 of what it produced, chained
by hash (`audit.record_hash`), so the list can be re-derived from the stored snapshots and
checked (`verify`). The order of the steps is enforced: a step out of order is an InputError
(exit 2) with a stable reason code, and nothing is recorded.

What the module assumes, as no published text gives it (said in the list it publishes):
  * a leader is a shortlisted standard (`rank`'s composite shortlist) whose enterprise sent its
    commitment letter and against which no objection was upheld;
  * in a later snapshot, a standard number that is absent is withdrawn from the platform, and
    one whose rows differ (values, parameters, title, references, models) was changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmark import wording
from benchmark.audit import canonical, record_hash
from benchmark.errors import InputError, Problem
from benchmark.model import Catalogue

OUTCOMES = ("upheld", "rejected")  # of an objection during the public notice
REMOVALS = ("standard_withdrawn", "standard_changed", "reference_withdrawn",
            "reference_superseded", "fell_out_of_top")
GENESIS = "0" * 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS year (programme TEXT, year INTEGER, fields TEXT, scheme TEXT,
                                 opened TEXT, catalogue TEXT);
CREATE TABLE IF NOT EXISTS steps (seq INTEGER PRIMARY KEY, step TEXT, day TEXT, inputs TEXT,
                                  output TEXT, detail TEXT, hash TEXT);
CREATE TABLE IF NOT EXISTS snapshots (seq INTEGER, field TEXT, name TEXT, sha256 TEXT,
                                      content BLOB);
"""


def state_path(folder: str | Path, programme: str, year: int) -> Path:
    """The SQLite file of one programme year."""
    return Path(folder) / f"{programme}-{year}.sqlite"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _problem(code: str, message: str, path: Path | str, hint: str | None = None) -> InputError:
    return InputError(Problem(code, message, file=str(path), hint=hint))


class ProgrammeYear:
    """One programme year's state: its key fields and the steps recorded so far."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self.conn = conn
        row = conn.execute("SELECT programme, year, fields, scheme, opened, catalogue "
                           "FROM year").fetchone()
        self.programme, self.year = row[0], int(row[1])
        self.fields: list[str] = json.loads(row[2])
        self.scheme, self.opened, self.catalogue_sha = row[3], row[4], row[5]

    # --- reading the record -------------------------------------------------------------------
    def steps(self, kind: str | None = None) -> list[dict]:
        """The steps recorded (of one kind), in order, each decoded."""
        return self._read(kind)

    def last(self, kind: str | None = None) -> dict | None:
        """The last step recorded (of one kind): one row read, not the whole log."""
        found = self._read(kind, last=True)
        return found[0] if found else None

    def _read(self, kind: str | None, last: bool = False) -> list[dict]:
        where = "" if kind is None else " WHERE step = ?"
        order = " ORDER BY seq DESC LIMIT 1" if last else " ORDER BY seq"
        rows = self.conn.execute("SELECT seq, step, day, inputs, output, detail, hash FROM steps"
                                 + where + order, () if kind is None else (kind,)).fetchall()
        return [{"seq": r[0], "step": r[1], "day": r[2], "inputs": json.loads(r[3]),
                 "output": r[4], "detail": json.loads(r[5]), "hash": r[6]} for r in rows]

    def snapshot(self, field: str) -> tuple[str, str, bytes] | None:
        """The latest snapshot of a field: (file name, SHA-256, content)."""
        row = self.conn.execute("SELECT name, sha256, content FROM snapshots WHERE field = ? "
                                "ORDER BY seq DESC LIMIT 1", (field,)).fetchone()
        return (row[0], row[1], bytes(row[2])) if row else None

    # --- writing ------------------------------------------------------------------------------
    def record(self, step: str, day: dt.date, inputs: dict[str, str], detail: Any,
               snapshot: tuple[str, str, str, bytes] | None = None) -> dict:
        """Append one step (and a snapshot's bytes) in one transaction; its hash chains it to
        the previous step."""
        last = self.conn.execute("SELECT seq, hash FROM steps ORDER BY seq DESC LIMIT 1") \
            .fetchone()
        seq, previous = (last[0] + 1, last[1]) if last else (1, GENESIS)
        output = _sha(canonical(detail).encode())
        body = {"seq": seq, "step": step, "day": day.isoformat(), "inputs": inputs,
                "output": output}
        digest = record_hash(body, previous)
        with self.conn:
            self.conn.execute("INSERT INTO steps VALUES (?, ?, ?, ?, ?, ?, ?)",
                              (seq, step, day.isoformat(), canonical(inputs), output,
                               canonical(detail), digest))
            if snapshot is not None:
                self.conn.execute("INSERT INTO snapshots VALUES (?, ?, ?, ?, ?)",
                                  (seq, *snapshot))
        return {**body, "detail": detail, "hash": digest}

    def refuse(self, code: str, message: str, hint: str | None = None) -> InputError:
        return _problem(code, f"{self.programme} {self.year}: {message}", self.path, hint)

    def require(self, step: str, code: str, message: str, hint: str | None = None) -> dict:
        found = self.last(step)
        if found is None:
            raise self.refuse(code, message, hint)
        return found

    def forbid(self, step: str, code: str, message: str, hint: str | None = None) -> None:
        if self.last(step) is not None:
            raise self.refuse(code, message, hint)

    def check_day(self, day: dt.date) -> None:
        """A step is never dated before the step recorded before it."""
        last = self.last()
        if last and day.isoformat() < last["day"]:
            raise self.refuse("cycle_date_before_last_step",
                              f"date {day} is before the last step ({last['step']} on "
                              f"{last['day']})", "steps are recorded in date order")


def open_year(folder: str | Path, programme: str, year: int, fields: list[str],
              catalogue: Catalogue, day: dt.date, scheme: str | None = None) -> ProgrammeYear:
    """Open a programme year with its key fields (product categories of the catalogue that list
    the programme) and, optionally, the scheme it publishes (a file name or URL, as text)."""
    path = state_path(folder, programme, year)
    problems = []
    if path.exists():
        problems.append(Problem("cycle_year_exists", f"{programme} {year} is already open",
                                file=str(path), hint="each programme year is opened once"))
    if not fields:
        problems.append(Problem("cycle_fields_missing", "a programme year needs key fields",
                                file=str(path), hint="give --field CATEGORY (repeatable)"))
    for f in fields:
        if f not in catalogue.sets:
            problems.append(Problem("unknown_category", f"unknown key field (category) {f!r}",
                                    file="--field", hint="known: " + ", ".join(catalogue.sets)))
        elif programme not in catalogue.sets[f].programmes:
            problems.append(Problem("unknown_programme", f"category {f!r} has no programme "
                                    f"{programme!r}", file="--programme", hint="one of: " +
                                    ", ".join(catalogue.sets[f].programmes)))
    if len(set(fields)) != len(fields):
        problems.append(Problem("cycle_field_repeated", "a key field is given twice",
                                file="--field"))
    if problems:
        raise InputError(problems)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(_SCHEMA)
    with conn:
        conn.execute("INSERT INTO year VALUES (?, ?, ?, ?, ?, ?)",
                     (programme, year, canonical(fields), scheme, day.isoformat(),
                      catalogue.sha256))
    py = ProgrammeYear(path, conn)
    py.record("open", day, {"catalogue": catalogue.sha256},
              {"programme": programme, "year": year, "fields": fields, "scheme": scheme})
    return py


def load_year(folder: str | Path, programme: str, year: int) -> ProgrammeYear:
    """An open programme year; InputError `cycle_year_unknown` when it was never opened."""
    path = state_path(folder, programme, year)
    if not path.is_file():
        opened = sorted(p.stem for p in Path(folder).glob("*.sqlite")) \
            if Path(folder).is_dir() else []
        raise _problem("cycle_year_unknown", f"no programme year {programme} {year} in {folder}",
                       path, "open it first with `benchmark cycle open`" +
                       (f"; open: {', '.join(opened)}" if opened else ""))
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
        return ProgrammeYear(path, conn)
    except (sqlite3.Error, TypeError) as exc:
        raise _problem("cycle_state_unreadable", f"cannot read the programme year: {exc}",
                       path) from None


# --- snapshot, rank, shortlist -----------------------------------------------------------------

def import_snapshot(py: ProgrammeYear, field: str, table: Path, catalogue: Catalogue,
                    day: dt.date) -> dict:
    """Store a platform snapshot (a population table of one key field) after checking that it
    reads; before the shortlist only (a later snapshot is for `review`)."""
    if field not in py.fields:
        raise py.refuse("cycle_field_unknown", f"{field!r} is not a key field of the year",
                        "key fields: " + ", ".join(py.fields))
    py.forbid("shortlist", "cycle_snapshot_after_shortlist",
              "the shortlist is fixed; a later snapshot is reviewed with `cycle review`")
    py.check_day(day)
    from benchmark.population import load_population

    pop = load_population(table, catalogue, field)  # InputError: the file's problems
    content = Path(table).read_bytes()
    sha = _sha(content)
    detail = {"field": field, "file": Path(table).name, "rows": len(pop),
              "unusable": len(pop.excluded)}
    return py.record("snapshot", day, {"snapshot": sha}, detail,
                     (field, Path(table).name, sha, content))


def _stored_snapshot(py: ProgrammeYear, field: str, folder: str,
                     sha: str | None = None) -> Path:
    """The stored snapshot of `field` (the latest, or the one of SHA-256 `sha`), written to a
    file in `folder` under its original name."""
    if sha is None:
        found = py.snapshot(field)
    else:
        row = py.conn.execute("SELECT name, sha256, content FROM snapshots WHERE field = ? AND "
                              "sha256 = ? LIMIT 1", (field, sha)).fetchone()
        found = (row[0], row[1], bytes(row[2])) if row else None
    if found is None:
        raise py.refuse("cycle_snapshot_missing", f"no stored snapshot of {field}")
    name, _, content = found
    path = Path(folder) / field / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def candidates_of(ranking) -> list[dict]:
    """The shortlisted rows of a ranking, one per row: identity, segment, composite rank."""
    comp = ranking.composite
    fields = ranking.assessment.population.fields
    rows = ranking.assessment.population.rows
    index = {int(r): i for i, r in enumerate(rows)}
    out = []
    for rec in comp[comp["shortlisted"]].itertuples():
        i = index[int(rec.row)]
        out.append({"row": int(rec.row), "segment": str(rec.segment), "rank": int(rec.rank),
                    **{f: str(fields[f][i]) if f in fields else ""
                       for f in ("enterprise", "standard_number", "standard_title", "model")}})
    return sorted(out, key=lambda c: (c["segment"], c["rank"], c["row"]))


def _rank_fields(py: ProgrammeYear, catalogue: Catalogue, day: dt.date,
                 shas: dict[str, str] | None = None) -> dict[str, list]:
    from benchmark.leaders import rank_file

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for field in py.fields:
            path = _stored_snapshot(py, field, tmp, (shas or {}).get(f"snapshot:{field}"))
            out[field] = candidates_of(rank_file(path, catalogue, field, py.programme, day))
    return out


def rank_year(py: ProgrammeYear, catalogue: Catalogue, day: dt.date) -> dict:
    """Rank every key field's latest snapshot under the programme (the rank API) and record the
    shortlisted candidates."""
    missing = [f for f in py.fields if py.snapshot(f) is None]
    if missing:
        raise py.refuse("cycle_snapshot_missing", "no snapshot of " + ", ".join(missing),
                        "import one with `benchmark cycle snapshot`")
    py.forbid("shortlist", "cycle_rank_after_shortlist", "the shortlist is already fixed")
    py.check_day(day)
    detail = {"candidates": _rank_fields(py, catalogue, day)}
    inputs = {f"snapshot:{f}": py.snapshot(f)[1] for f in py.fields}  # type: ignore[index]
    inputs["catalogue"] = catalogue.sha256
    return py.record("rank", day, inputs, detail)


def fix_shortlist(py: ProgrammeYear, day: dt.date) -> dict:
    """Fix the shortlist from the last ranking: the standards (by number) to be noticed."""
    ranked = py.require("rank", "cycle_shortlist_before_rank", "nothing is ranked yet",
                        "run `benchmark cycle rank` first")
    py.forbid("shortlist", "cycle_shortlist_twice", "the shortlist is already fixed")
    py.check_day(day)
    standards = _standards(ranked["detail"]["candidates"])
    return py.record("shortlist", day, {"rank": ranked["output"]}, {"standards": standards})


def _standards(candidates: dict[str, list]) -> list[dict]:
    """One entry per standard (key field, enterprise, number): its title and models."""
    grouped: dict[tuple[str, str, str], dict] = {}
    for field, rows in candidates.items():
        for c in rows:
            key = (field, c["enterprise"], c["standard_number"])
            entry = grouped.setdefault(key, {"field": field, "enterprise": c["enterprise"],
                                             "standard_number": c["standard_number"],
                                             "standard_title": c["standard_title"],
                                             "models": [], "segment": c["segment"],
                                             "rank": c["rank"]})
            if c["model"] and c["model"] not in entry["models"]:
                entry["models"].append(c["model"])
            entry["rank"] = min(entry["rank"], c["rank"])
    return [grouped[k] for k in sorted(grouped)]


def _shortlisted(py: ProgrammeYear, standard: str) -> dict:
    shortlist = py.require("shortlist", "cycle_not_shortlisted_yet", "no shortlist is fixed yet")
    for entry in shortlist["detail"]["standards"]:
        if entry["standard_number"] == standard:
            return entry
    raise py.refuse("cycle_standard_not_shortlisted", f"standard {standard!r} is not on the "
                    "shortlist", "shortlisted: " + ", ".join(
                        e["standard_number"] for e in shortlist["detail"]["standards"]))


# --- commitment letters, public notice ---------------------------------------------------------

def record_commitment(py: ProgrammeYear, standard: str, day: dt.date,
                      letter: Path | None = None) -> dict:
    """The enterprise's commitment letter (企业承诺书) for a shortlisted standard; the letter's
    file, when given, is recorded by its SHA-256."""
    entry = _shortlisted(py, standard)
    py.forbid("publish", "cycle_already_published", "the list is already published")
    py.check_day(day)
    if any(s["detail"]["standard_number"] == standard for s in py.steps("commitment")):
        raise py.refuse("cycle_commitment_twice", f"the commitment letter for {standard!r} is "
                        "already recorded")
    inputs = {"letter": _sha(letter.read_bytes())} if letter else {}
    return py.record("commitment", day, inputs, {"standard_number": standard,
                                                 "enterprise": entry["enterprise"],
                                                 "letter": letter.name if letter else None})


def open_notice(py: ProgrammeYear, start: dt.date, end: dt.date) -> dict:
    """Open the public notice of the shortlist, from `start` to `end` (both included)."""
    py.require("shortlist", "cycle_notice_before_shortlist",
               "the public notice needs a shortlist", "run `benchmark cycle shortlist` first")
    py.forbid("notice_open", "cycle_notice_twice", "the public notice was already opened")
    if end < start:
        raise py.refuse("cycle_notice_dates", f"the notice ends ({end}) before it starts "
                        f"({start})")
    py.check_day(start)
    shortlist = py.last("shortlist")
    assert shortlist is not None
    return py.record("notice_open", start, {"shortlist": shortlist["output"]},
                     {"start": start.isoformat(), "end": end.isoformat()})


def _notice(py: ProgrammeYear) -> dict:
    opened = py.require("notice_open", "cycle_notice_not_open", "no public notice is open",
                        "open it with `benchmark cycle notice-open`")
    if py.last("notice_close") is not None:
        raise py.refuse("cycle_notice_not_open", "the public notice is already closed")
    return opened


def record_objection(py: ProgrammeYear, standard: str, day: dt.date, outcome: str,
                     note: str = "") -> dict:
    """An objection raised during the public notice against a shortlisted standard, with its
    outcome: `upheld` removes the standard from the list, `rejected` does not."""
    opened = _notice(py)
    _shortlisted(py, standard)
    if outcome not in OUTCOMES:
        raise py.refuse("cycle_objection_outcome", f"unknown outcome {outcome!r}",
                        "one of: " + ", ".join(OUTCOMES))
    start, end = (dt.date.fromisoformat(opened["detail"][k]) for k in ("start", "end"))
    if not start <= day <= end:
        raise py.refuse("cycle_objection_outside_notice", f"{day} is outside the public notice "
                        f"({start} to {end})")
    py.check_day(day)
    return py.record("objection", day, {"notice": opened["output"]},
                     {"standard_number": standard, "outcome": outcome, "note": note})


def close_notice(py: ProgrammeYear, day: dt.date) -> dict:
    """Close the public notice, on or after its last day."""
    opened = _notice(py)
    end = dt.date.fromisoformat(opened["detail"]["end"])
    if day < end:
        raise py.refuse("cycle_notice_period_running", f"the public notice runs until {end}; "
                        f"it cannot close on {day}")
    py.check_day(day)
    return py.record("notice_close", day, {"notice": opened["output"]},
                     {"objections": len(py.steps("objection"))})


# --- the final list and its review -------------------------------------------------------------

def derive_list(py: ProgrammeYear) -> list[dict]:
    """The final list from the record: each shortlisted standard with its commitment letter and
    no upheld objection; the others with why they are left out."""
    shortlist = py.last("shortlist")
    assert shortlist is not None
    letters = {s["detail"]["standard_number"] for s in py.steps("commitment")}
    upheld = {s["detail"]["standard_number"] for s in py.steps("objection")
              if s["detail"]["outcome"] == "upheld"}
    out = []
    for entry in shortlist["detail"]["standards"]:
        number = entry["standard_number"]
        reason = ("objection_upheld" if number in upheld else
                  None if number in letters else "no_commitment_letter")
        message = wording.text("cycle_text", reason, standard=number) if reason else None
        out.append({**entry, "listed": reason is None, "reason": reason, "message": message})
    return out


def publish_list(py: ProgrammeYear, day: dt.date) -> dict:
    """Publish the final list (enterprise, standard number and name, models) after the notice."""
    py.require("notice_close", "cycle_publish_before_notice",
               "the list is published after the public notice closes")
    py.forbid("publish", "cycle_already_published", "the list is already published")
    py.check_day(day)
    entries = derive_list(py)
    inputs = {s["step"] + f":{s['seq']}": s["output"] for s in py.steps()
              if s["step"] in ("shortlist", "commitment", "objection", "notice_close")}
    return py.record("publish", day, inputs, {"entries": entries})


def _rows_by_standard(pop) -> dict[str, list[int]]:
    """The rows of each standard number (in order of first appearance), ascending; all rows
    under "" when the population has no standard numbers."""
    numbers = pop.fields.get("standard_number")
    if not len(pop):
        return {}
    if numbers is None:
        return {"": list(range(len(pop)))}
    codes, uniques = pd.factorize(np.asarray(numbers, dtype=object).astype(str))
    order = np.argsort(codes, kind="stable")
    ends = np.cumsum(np.bincount(codes, minlength=len(uniques)))[:-1]
    return {str(u): rows.tolist() for u, rows in zip(uniques, np.split(order, ends), strict=True)}


def _fingerprint(pop, rows: list[int]) -> str:
    """What a standard declares on the platform, canonical: every indicator, parameter and
    identity field of its rows, in model order."""
    def cell(x: Any) -> Any:
        if isinstance(x, float | np.floating):
            return None if np.isnan(x) else float(x)
        return None if x is None else str(x)

    parts = []
    for i in rows:
        parts.append({"values": {k: cell(v[i]) for k, v in sorted(pop.values.items())},
                      "labels": {k: cell(v[i]) for k, v in sorted(pop.labels.items())},
                      "parameters": {k: cell(v[i]) for k, v in sorted(pop.parameters.items())},
                      "fields": {k: cell(v[i]) for k, v in sorted(pop.fields.items())
                                 if k != "shipments"}})
    parts.sort(key=lambda p: canonical(p))
    return _sha(canonical(parts).encode())


def _reference_reasons(pop, rows: list[int], catalogue: Catalogue, day: dt.date) -> list[dict]:
    from benchmark.population import split_references

    texts = pop.fields.get("normative_references")
    found: list[dict] = []
    for i in rows:
        for ref in split_references(str(texts[i])) if texts is not None else []:
            status = catalogue.status_of(ref, day)
            code = {"withdrawn": "reference_withdrawn",
                    "superseded": "reference_superseded"}.get(status)
            if code and not any(r["reference"] == ref for r in found):
                found.append({"code": code, "reference": ref})
    return found


def review_list(py: ProgrammeYear, catalogue: Catalogue, day: dt.date,
                later: dict[str, Path] | None = None) -> dict:
    """Review the published list on `day`, against later snapshots of key fields when given
    (field → table): which leaders must be removed and why (REMOVALS), each with its reason."""
    published = py.require("publish", "cycle_review_before_publish",
                           "there is no published list to review")
    py.check_day(day)
    later = later or {}
    unknown = [f for f in later if f not in py.fields]
    if unknown:
        raise py.refuse("cycle_field_unknown", f"{', '.join(unknown)} is not a key field",
                        "key fields: " + ", ".join(py.fields))
    from benchmark.leaders import rank_file
    from benchmark.population import load_population

    inputs: dict[str, str] = {"list": published["output"], "catalogue": catalogue.sha256}
    now: dict[str, tuple[Any, set[str]]] = {}  # field → (population, shortlisted numbers)
    for field, table in sorted(later.items()):
        inputs[f"snapshot:{field}"] = _sha(Path(table).read_bytes())
        ranking = rank_file(table, catalogue, field, py.programme, day)
        now[field] = (ranking.assessment.population,
                      {c["standard_number"] for c in candidates_of(ranking)})
    ranked = py.last("rank")
    assert ranked is not None
    with tempfile.TemporaryDirectory() as tmp:
        before = {f: load_population(_stored_snapshot(py, f, tmp,
                                                      ranked["inputs"].get(f"snapshot:{f}")),
                                     catalogue, f) for f in py.fields}
    rows_before = {f: _rows_by_standard(p) for f, p in before.items()}  # once per snapshot
    rows_now = {f: _rows_by_standard(p) for f, (p, _) in now.items()}
    entries = []
    for entry in published["detail"]["entries"]:
        if not entry["listed"]:
            continue
        field, number = entry["field"], entry["standard_number"]
        old = before[field]
        old_rows = rows_before[field].get(number, [])
        reasons: list[dict] = []
        if field in now:
            pop, top = now[field]
            rows = rows_now[field].get(number, [])
            if not rows:
                reasons.append({"code": "standard_withdrawn"})
            else:
                if _fingerprint(pop, rows) != _fingerprint(old, old_rows):
                    reasons.append({"code": "standard_changed"})
                reasons += _reference_reasons(pop, rows, catalogue, day)
                if number not in top:
                    reasons.append({"code": "fell_out_of_top"})
        else:
            reasons += _reference_reasons(old, old_rows, catalogue, day)
        for r in reasons:
            r["message"] = wording.text("cycle_text", r["code"], standard=number,
                                        reference=r.get("reference", ""), date=day.isoformat())
        entries.append({"field": field, "enterprise": entry["enterprise"],
                        "standard_number": number, "standard_title": entry["standard_title"],
                        "models": entry["models"], "removed": bool(reasons),
                        "reasons": reasons})
    return py.record("review", day, inputs, {"entries": entries})


# --- verification ------------------------------------------------------------------------------

def verify_year(py: ProgrammeYear, catalogue: Catalogue) -> list[Problem]:
    """Check the record: the hash chain of the steps, each snapshot's SHA-256, and that ranking
    the stored snapshots again and deriving the list again give what was recorded."""
    problems: list[Problem] = []
    previous = GENESIS
    for s in py.steps():
        body = {k: s[k] for k in ("seq", "step", "day", "inputs", "output")}
        if _sha(canonical(s["detail"]).encode()) != s["output"] or \
                record_hash(body, previous) != s["hash"]:
            problems.append(Problem("cycle_record_altered", f"step {s['seq']} ({s['step']}) "
                                    "does not match its hash", file=str(py.path)))
        previous = s["hash"]
    for seq, field, sha, content in py.conn.execute(
            "SELECT seq, field, sha256, content FROM snapshots ORDER BY seq"):
        if _sha(bytes(content)) != sha:
            problems.append(Problem("cycle_snapshot_altered", f"snapshot of {field} (step "
                                    f"{seq}) does not match its SHA-256", file=str(py.path)))
    ranked = py.last("rank")
    if ranked is not None and not problems:
        if catalogue.sha256 != ranked["inputs"].get("catalogue"):
            problems.append(Problem("cycle_catalogue_changed", "the catalogue differs from the "
                                    "one the year was ranked with; the ranking is re-derived "
                                    "with the one given", file=str(py.path), severity="warning"))
        again = {"candidates": _rank_fields(py, catalogue, dt.date.fromisoformat(ranked["day"]),
                                            ranked["inputs"])}
        if _sha(canonical(again).encode()) != ranked["output"]:
            problems.append(Problem("cycle_ranking_differs", "ranking the stored snapshots "
                                    "again does not give the recorded candidates",
                                    file=str(py.path)))
    published = py.last("publish")
    if published is not None and not problems and \
            _sha(canonical({"entries": derive_list(py)}).encode()) != published["output"]:
        problems.append(Problem("cycle_list_differs", "the list derived from the record "
                                "differs from the published one", file=str(py.path)))
    return problems


def next_steps(py: ProgrammeYear) -> list[str]:
    """The steps the record lets come next, in the order the step functions above enforce it:
    snapshots of every key field, then rank (again, after a new snapshot), then the shortlist;
    commitment letters from the shortlist until the list is published; objections while the
    notice is open; the list after the notice closes; reviews of a published list."""
    done = {s["step"] for s in py.steps()}
    if "publish" in done:
        return ["review"]
    if "notice_close" in done:
        return ["commitment", "publish"]
    if "notice_open" in done:
        return ["commitment", "objection", "notice_close"]
    if "shortlist" in done:
        return ["commitment", "notice_open"]
    if any(py.snapshot(f) is None for f in py.fields):
        return ["snapshot"]
    return ["snapshot", "rank", "shortlist"] if "rank" in done else ["snapshot", "rank"]


def status(py: ProgrammeYear) -> dict:
    """The year at a glance: its key fields and their latest snapshots, the step it is at, the
    steps done (with dates), the steps that may come next, and the list when published."""
    steps = py.steps()
    snapshots = {}
    for field in py.fields:
        last = next((s for s in reversed(steps) if s["step"] == "snapshot"
                     and s["detail"]["field"] == field), None)
        snapshots[field] = None if last is None else {
            "file": last["detail"]["file"], "rows": last["detail"]["rows"], "day": last["day"],
            "sha256": last["inputs"]["snapshot"]}
    shortlist = py.last("shortlist")
    published = py.last("publish")
    notice = py.last("notice_open")
    return {"programme": py.programme, "year": py.year, "fields": py.fields,
            "scheme": py.scheme, "snapshots": snapshots,
            "at": {"step": steps[-1]["step"], "day": steps[-1]["day"]},
            "steps": [{"seq": s["seq"], "step": s["step"], "day": s["day"]} for s in steps],
            "next": next_steps(py),
            "shortlisted": len(shortlist["detail"]["standards"]) if shortlist else None,
            "commitments": len(py.steps("commitment")),
            "objections": len(py.steps("objection")),
            "notice": ({"start": notice["detail"]["start"], "end": notice["detail"]["end"],
                        "closed": py.last("notice_close") is not None} if notice else None),
            "list": published["detail"]["entries"] if published else None}


def status_lines(state: dict, lang: str) -> list[str]:
    """`status` in people's words, one line each, in `lang` (reports/labels.yaml
    `cycle_status`, `cycle_steps`); the next steps as the commands that take them."""
    steps = wording.words(lang, "cycle_steps")

    def line(code: str, **values: Any) -> str:
        return wording.text("cycle_status", code, **values)[lang]

    sep = "、" if lang == "zh" else ", "
    out = [line("year", programme=state["programme"], year=state["year"],
                fields=sep.join(state["fields"]))]
    for field, snap in state["snapshots"].items():
        out.append(line("snapshot", field=field, **snap) if snap else
                   line("no_snapshot", field=field))
    out.append(line("at", step=steps.get(state["at"]["step"], state["at"]["step"]),
                    day=state["at"]["day"], steps=len(state["steps"])))
    if state["shortlisted"] is not None:
        out.append(line("shortlist", shortlisted=state["shortlisted"],
                        commitments=state["commitments"], objections=state["objections"]))
    if state["notice"]:
        out.append(line("notice_closed" if state["notice"]["closed"] else "notice_open",
                        **state["notice"]))
    if state["list"] is not None:
        out.append(line("list", listed=sum(1 for e in state["list"] if e["listed"]),
                        shortlisted=len(state["list"])))
    commands = [f"benchmark cycle {s.replace('_', '-')}" for s in state["next"]]
    out.append(line("next", commands=" | ".join(commands)))
    return out
