"""The audit record: one row per evaluation, appended to an embedded SQLite database.

A record says what was evaluated and what came out: the input files and their SHA-256 (from the
result's provenance), the catalogue hash and the hash of every reference file used, programme,
evaluation date, include_superseded, verdict, overall level, engine version, the options the run
was given, and the SHA-256 of every report file written. The record is canonical JSON, and its
`record_hash` covers it together with the previous record's hash, so the records form a chain in
which an edited or deleted row shows. Nothing in the record depends on the wall clock: the time
of recording is kept in a separate `recorded_at` column, outside the hash and outside any report.

The records of one run are appended in one transaction (`append_records`), tagged with the run's
`batch` (the name of its staging folder, outside the hash), so that a run killed between recording
and placing its reports can be finished on the next start (`batch_recorded`). Deleting the last
records leaves an intact chain; the **anchor** shows it: `<db name>.anchor` beside the database
(`audit.sqlite.anchor`, JSON) gives the record count and the last record's hash, rewritten after
every append; a copy kept elsewhere is the published anchor to check
against (`benchmark audit verify --anchor COPY`). `check_database` refuses a database that cannot
take the next record before any work is done; `verify_database` lists everything wrong.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from benchmark.errors import InputError, Problem, worded
from benchmark.loading import file_sha256

SCHEMA_VERSION = 2  # 2: the `batch` column; a version-1 database is upgraded when appended to
RECORD_VERSION = 1  # the fields of a record (unchanged by database version 2)
ANCHOR_SCHEMA = "audit-anchor/1"

_CREATE = """
CREATE TABLE IF NOT EXISTS evaluations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record_hash TEXT NOT NULL UNIQUE,   -- sha256 of previous_hash + record
    previous_hash TEXT NOT NULL,        -- '' for the first record
    record TEXT NOT NULL,               -- canonical JSON: what record_hash covers
    declaration TEXT,                   -- copies of record fields, for queries
    programme TEXT,
    evaluation_date TEXT,
    verdict TEXT,
    overall_level TEXT,
    catalogue_sha256 TEXT,
    engine_version TEXT,
    recorded_at TEXT NOT NULL,          -- UTC wall clock; not part of the record or its hash
    batch TEXT                          -- the run that wrote it; not part of the record or hash
)
"""


@dataclass
class AuditTrail:
    """Where a run's records go, and the options to record with them."""

    db: Path
    options: dict = field(default_factory=dict)


def canonical(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same text."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False, default=str)


def record_hash(record: dict, previous_hash: str) -> str:
    return hashlib.sha256(f"{previous_hash}\n{canonical(record)}".encode()).hexdigest()


def anchor_path(db_path: Path | str) -> Path:
    """Where the anchor of a database is published: `audit.sqlite.anchor` beside `audit.sqlite`
    (JSON, but not named *.json: it is not a report)."""
    db_path = Path(db_path)
    return db_path.with_name(f"{db_path.name}.anchor")


def build_record(result: dict, report_paths: Iterable[Path | str], options: dict) -> dict:
    """The record of one evaluation (`Evaluation.to_dict()` or the report JSON read back), the
    reports hashed from their files."""
    reports: dict[str, str] = {}
    for path in report_paths:
        try:
            reports[str(path)] = file_sha256(Path(path))
        except OSError as exc:
            raise InputError(Problem("audit_report_unreadable", f"cannot hash the report: {exc}",
                                     file=str(path))) from None
    return record_of(result, reports, options)


def record_of(result: dict, reports: dict[str, str], options: dict) -> dict:
    """The record of one evaluation whose report files have the SHA-256 `reports`."""
    prov = result.get("provenance") or {}
    return {
        "schema_version": RECORD_VERSION,
        "inputs": dict(sorted((prov.get("inputs") or {}).items())),
        "catalogue_sha256": prov.get("catalogue_sha256"),
        "references": {r["file"]: r["sha256"] for r in result.get("references_used", [])
                       if r.get("file")},
        "programme": (result.get("programme") or {}).get("id"),
        "evaluation_date": prov.get("evaluation_date", result.get("evaluation_date")),
        "include_superseded": bool(prov.get("include_superseded", False)),
        "engine_version": prov.get("engine_version", result.get("engine_version")),
        "declaration": (result.get("declaration") or {}).get("file"),
        "verdict": result.get("verdict"),
        "overall_level": (result.get("overall_level") or {}).get("id"),
        "reports": dict(sorted(reports.items())),
        "options": json.loads(canonical(options or {})),
    }


def recorded(result: dict) -> dict:
    """Of an evaluation result, what `record_of` reads (and its overall level whole, which a
    command's line shows): kept of each report of a batch once its files are written, so that
    the records are appended in one transaction without holding every result."""
    return {"provenance": result.get("provenance"),
            "references_used": [{"file": r.get("file"), "sha256": r.get("sha256")}
                                for r in result.get("references_used", [])],
            "programme": {"id": (result.get("programme") or {}).get("id")},
            "evaluation_date": result.get("evaluation_date"),
            "engine_version": result.get("engine_version"),
            "declaration": {"file": (result.get("declaration") or {}).get("file")},
            "verdict": result.get("verdict"), "overall_level": result.get("overall_level")}


def _problem(code: str, message: str, db_path: Path | str, hint: str | None = None,
             severity: str = "error", pointer: str | None = None, **wording: Any) -> Problem:
    return Problem(code, message, file=str(db_path), hint=hint, severity=severity,
                   pointer=pointer, **wording)


def _database_error(exc: sqlite3.Error, db_path: Path | str) -> InputError:
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return InputError(_problem("audit_db_unwritable", f"the audit database cannot be written "
                                   f"({text})", db_path, "give --audit-db a writable file, or "
                                   "--no-audit"))
    if "full" in text:
        return InputError(_problem("audit_db_unwritable", f"the disk is full ({text})", db_path,
                                   "free some space and run again"))
    if "locked" in text or "busy" in text:
        return InputError(_problem("audit_db_busy", f"another run holds the audit database "
                                   f"({text})", db_path, "wait for it and run again"))
    return InputError(_problem("audit_db_invalid", f"not a usable SQLite audit database "
                               f"({text})", db_path, "give --audit-db a new file, or the "
                               "database `benchmark evaluate` made"))


def _connect(db_path: Path | str, create: bool = True) -> sqlite3.Connection:
    """A connection to an audit database of a known schema version (InputError otherwise)."""
    db_path = Path(db_path)
    if db_path.exists() and not db_path.is_file():
        raise InputError(_problem("audit_db_invalid", "not a file", db_path,
                                  "give --audit-db a file path"))
    if not create and not db_path.exists():
        raise InputError(_problem("file_not_found", "no such audit database", db_path,
                                  **worded("no_such_audit_db")))
    try:
        if create:
            db_path.parent.mkdir(parents=True, exist_ok=True)
        mode = "rwc" if create else "rw"
        conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode={mode}", uri=True,
                               isolation_level=None, timeout=10)  # transactions below
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        columns = [row[1] for row in conn.execute("PRAGMA table_info(evaluations)")]
    except sqlite3.Error as exc:
        raise _database_error(exc, db_path) from None
    except OSError as exc:
        raise InputError(_problem("audit_db_unwritable", f"cannot create the audit database "
                                  f"({exc.strerror or exc})", db_path)) from None
    if version not in (0, 1, SCHEMA_VERSION):
        conn.close()
        raise InputError(_problem("audit_schema_version",
                                  f"audit database schema version {version}; this engine writes "
                                  f"version {SCHEMA_VERSION}", db_path,
                                  "use a new database file, or an engine that knows this one"))
    if version and not {"seq", "record_hash", "previous_hash", "record"} <= set(columns):
        conn.close()
        raise InputError(_problem("audit_db_invalid", "the database has no table of "
                                  "evaluations in the audit schema", db_path,
                                  "give --audit-db a new file"))
    return conn


def _upgrade(conn: sqlite3.Connection) -> None:
    """Inside a write transaction: the table, and version 1 upgraded to 2 (the batch column)."""
    conn.execute(_CREATE)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(evaluations)")]
    if "batch" not in columns:
        conn.execute("ALTER TABLE evaluations ADD COLUMN batch TEXT")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def append_record(db_path: Path | str, result: dict, report_paths: Iterable[Path | str],
                  options: dict | None = None) -> dict:
    """Append the record of one evaluation; returns it with seq, record_hash and previous_hash.

    `result` is `Evaluation.to_dict()` (or the report JSON read back); `report_paths` are the files
    written for it (their SHA-256 are taken now); `options` are the run's options or argv, kept as
    given (they must be JSON-serialisable; paths become text)."""
    record = build_record(result, report_paths, options or {})
    return append_records(db_path, [record])[0]


def append_records(db_path: Path | str, records_: list[dict], batch: str | None = None
                   ) -> list[dict]:
    """Append records in one transaction (all or none), then publish the anchor; returns them
    with seq, record_hash and previous_hash."""
    conn = _connect(db_path)
    out = []
    try:
        try:
            conn.execute("BEGIN IMMEDIATE")  # the previous hash and the inserts in one transaction
            _upgrade(conn)
            row = conn.execute("SELECT record_hash FROM evaluations "
                               "ORDER BY seq DESC LIMIT 1").fetchone()
            previous = row[0] if row else ""
            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            for record in records_:
                digest = record_hash(record, previous)
                cursor = conn.execute(
                    "INSERT INTO evaluations (record_hash, previous_hash, record, declaration, "
                    "programme, evaluation_date, verdict, overall_level, catalogue_sha256, "
                    "engine_version, recorded_at, batch) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (digest, previous, canonical(record), record["declaration"],
                     record["programme"], record["evaluation_date"], record["verdict"],
                     record["overall_level"], record["catalogue_sha256"],
                     record["engine_version"], now, batch))
                out.append({**record, "seq": cursor.lastrowid, "record_hash": digest,
                            "previous_hash": previous})
                previous = digest
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        publish_anchor(conn, db_path)
    except sqlite3.Error as exc:
        raise _database_error(exc, db_path) from None
    finally:
        conn.close()
    return out


def publish_anchor(conn: sqlite3.Connection, db_path: Path | str) -> dict:
    """Write the anchor (record count, last record hash) from the database as it is, holding
    its write lock so no other run appends in between."""
    conn.execute("BEGIN IMMEDIATE")
    try:  # read only: the transaction is there for its lock, and rolled back
        count, last = _count_and_last(conn)
        anchor = {"schema": ANCHOR_SCHEMA, "database": Path(db_path).name, "records": count,
                  "last_record_hash": last}
        path = anchor_path(db_path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(anchor, indent=2, sort_keys=True) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    return anchor


def _count_and_last(conn: sqlite3.Connection) -> tuple[int, str]:
    has_table = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                             "name = 'evaluations'").fetchone()
    if not has_table:
        return 0, ""
    count = conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
    row = conn.execute("SELECT record_hash FROM evaluations ORDER BY seq DESC LIMIT 1").fetchone()
    return count, row[0] if row else ""


def schema_version(db_path: Path | str) -> int:
    """The database's schema version (0 for an empty one)."""
    conn = _connect(db_path, create=False)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def batch_recorded(db_path: Path | str, batch: str) -> bool:
    """Whether a run's records are in the database (its transaction committed)."""
    if not Path(db_path).is_file():
        return False
    conn = _connect(db_path, create=False)
    try:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(evaluations)")]
        if "batch" not in columns:
            return False
        return conn.execute("SELECT 1 FROM evaluations WHERE batch = ? LIMIT 1",
                            (batch,)).fetchone() is not None
    except sqlite3.Error as exc:
        raise _database_error(exc, db_path) from None
    finally:
        conn.close()


def records(db_path: Path | str) -> list[dict]:
    """Every record, oldest first: the record's fields plus seq, record_hash, previous_hash,
    recorded_at and `intact` (the stored hash matches the record and the chain is unbroken)."""
    if not Path(db_path).exists():
        return []
    conn = _connect(db_path, create=False)
    try:
        has_table = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                 "name = 'evaluations'").fetchone()
        rows = conn.execute("SELECT seq, record_hash, previous_hash, record, recorded_at "
                            "FROM evaluations ORDER BY seq").fetchall() if has_table else []
    except sqlite3.Error as exc:
        raise _database_error(exc, db_path) from None
    finally:
        conn.close()
    out, previous = [], ""
    for seq, digest, prev, text, recorded_at in rows:
        try:
            record = json.loads(text)
            intact = prev == previous and record_hash(record, prev) == digest
        except (TypeError, ValueError):
            record, intact = {}, False
        out.append({**record, "seq": seq, "record_hash": digest, "previous_hash": prev,
                    "recorded_at": recorded_at, "intact": intact})
        previous = digest
    return out


def read_anchor(path: Path) -> tuple[dict | None, list[Problem]]:
    """The anchor at `path` (None when missing), or the problems that make it unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, []
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return None, [_problem("audit_anchor_invalid", f"the anchor cannot be read ({exc})", path)]
    if not isinstance(data, dict) or data.get("schema") != ANCHOR_SCHEMA or \
            not isinstance(data.get("records"), int) or isinstance(data.get("records"), bool) or \
            not isinstance(data.get("last_record_hash"), str):
        return None, [_problem("audit_anchor_invalid", f"not an anchor ({ANCHOR_SCHEMA}: "
                               "records, last_record_hash)", path)]
    return data, []


def chain_problems(db_path: Path | str, rows: list[dict],
                   anchor_file: Path | None = None) -> list[Problem]:
    """Broken links in the chain, and the database against its anchor: fewer records than the
    anchor counts (the last ones deleted), another hash at the anchor's position (rewritten), or
    more records (appended after the anchor was written: a warning)."""
    problems = [_problem("audit_record_altered", f"record {r['seq']} does not match its hash or "
                         "its predecessor's: it was edited, or a record before it was deleted",
                         db_path, pointer=f"/evaluations/{r['seq']}")
                for r in rows if not r["intact"]]
    path = anchor_file or anchor_path(db_path)
    anchor, unreadable = read_anchor(path)
    problems += unreadable
    # a version-1 database had no anchor: it gets one when next appended to
    if anchor is None and not unreadable and rows and schema_version(db_path) >= 2:
        problems.append(_problem("audit_anchor_missing", f"no anchor at {path}: deleted records "
                                 "at the end could not be seen", db_path,
                                 "restore the anchor, or check against a published copy with "
                                 "--anchor"))
    if anchor is None:
        return problems
    count, last = anchor["records"], anchor["last_record_hash"]
    if len(rows) < count:
        problems.append(_problem("audit_record_deleted", f"the anchor {path} counts {count} "
                                 f"record(s); the database has {len(rows)}: the last "
                                 f"{count - len(rows)} were deleted", db_path))
    elif count and rows[count - 1]["record_hash"] != last:
        problems.append(_problem("audit_anchor_mismatch", f"record {count} is not the one the "
                                 f"anchor {path} names (last_record_hash {last[:12]}…): records "
                                 "were replaced", db_path))
    elif len(rows) > count:
        problems.append(_problem("audit_anchor_behind", f"{len(rows) - count} record(s) after "
                                 f"the anchor {path}: a run stopped before publishing it; the "
                                 "next run rewrites it", db_path, severity="warning"))
    return problems


def check_database(db_path: Path | str) -> None:
    """Refuse, before any work, a database the next records cannot be appended to: unusable
    (not SQLite, another schema, read-only, no room to create it) or tampered with (a broken
    chain, records deleted or replaced against the anchor). A database that does not exist yet
    is fine when its folder can take it; nothing is created."""
    db_path = Path(db_path)
    if not db_path.exists():
        folder = db_path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        _check_writable(folder, db_path)
        return
    conn = _connect(db_path, create=False)
    try:
        conn.execute("BEGIN IMMEDIATE")  # takes the write lock: a read-only file refuses here
        conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        raise _database_error(exc, db_path) from None
    finally:
        conn.close()
    _check_writable(db_path.parent, db_path)
    problems = [p for p in chain_problems(db_path, records(db_path)) if p.severity == "error"]
    if problems:
        raise InputError([replace(p, hint=p.hint or "the audit trail has been altered: find out "
                                  "why before adding to it, or use a new --audit-db")
                          for p in problems])


def _check_writable(folder: Path, db_path: Path) -> None:
    """The database's folder takes new files (its journal, the anchor): tried, not assumed."""
    try:
        if not folder.is_dir():
            raise NotADirectoryError(20, "not a folder")
        with tempfile.TemporaryFile(dir=folder, prefix=".benchmark-probe-"):
            pass
    except OSError as exc:
        raise InputError(_problem("audit_db_unwritable", f"the folder {folder} cannot take the "
                                  f"audit database ({exc.strerror or exc})", db_path,
                                  "give --audit-db a writable place, or --no-audit")) from None


def repair_anchor(db_path: Path | str) -> None:
    """Republish the anchor of a database that ran ahead of it (a run killed before writing
    it); leaves an anchor that shows deleted or replaced records alone."""
    db_path = Path(db_path)
    if not db_path.is_file():
        return
    problems = chain_problems(db_path, records(db_path))
    if any(p.code == "audit_anchor_behind" for p in problems) and \
            not any(p.severity == "error" for p in problems):
        conn = _connect(db_path, create=False)
        try:
            publish_anchor(conn, db_path)
        except sqlite3.Error as exc:
            raise _database_error(exc, db_path) from None
        finally:
            conn.close()


REPORT_SUFFIXES = (".json", ".md", ".html", ".pdf", ".xlsx", ".csv")


def report_problems(rows: list[dict], reports_dir: Path, db_path: Path | str) -> list[Problem]:
    """Every report file in `reports_dir` must have a record that names it (by file name) with
    its SHA-256; a staging folder left by a stopped run is a warning."""
    recorded: dict[str, set[str]] = {}
    for r in rows:
        for path, digest in (r.get("reports") or {}).items():
            recorded.setdefault(Path(path).name, set()).add(digest)
    problems = []
    skip = {Path(db_path).name, anchor_path(db_path).name}
    for path in sorted(reports_dir.iterdir()):
        if path.name.startswith(".staging-") and path.is_dir():
            problems.append(Problem("audit_run_interrupted", "a run stopped before placing its "
                                    "reports: the next `benchmark evaluate` into this folder "
                                    "finishes or removes them", file=str(path),
                                    severity="warning"))
            continue
        if path.name.startswith(".") or path.name in skip or not path.is_file() or \
                path.suffix.lower() not in REPORT_SUFFIXES:
            continue
        digest = file_sha256(path)
        if path.name not in recorded:
            problems.append(Problem("audit_report_unrecorded", "no audit record names this "
                                    "report", file=str(path)))
        elif digest not in recorded[path.name]:
            problems.append(Problem("audit_report_changed", f"the report's SHA-256 "
                                    f"{digest[:12]}… is not the one any record gives: it was "
                                    "changed after it was written", file=str(path)))
    return problems


def verify_database(db_path: Path | str, reports_dir: Path | None = None,
                    anchor_file: Path | None = None) -> tuple[list[dict], list[Problem]]:
    """The records and every problem: the chain, the anchor, and with `reports_dir` the report
    files against the records. InputError when the database cannot be read at all."""
    rows = records(db_path) if Path(db_path).exists() else None
    if rows is None:
        raise InputError(_problem("file_not_found", "no such audit database", db_path,
                                  **worded("no_such_audit_db")))
    problems = chain_problems(db_path, rows, anchor_file)
    if reports_dir is not None:
        if not Path(reports_dir).is_dir():
            raise InputError(Problem("file_not_found", "no such folder", file=str(reports_dir),
                                     **worded("no_such_folder")))
        problems += report_problems(rows, Path(reports_dir), db_path)
    return rows, problems
