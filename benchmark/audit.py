"""The audit record: one row per evaluation, appended to an embedded SQLite database.

A record says what was evaluated and what came out: the input files and their SHA-256 (from the
result's provenance), the catalogue hash and the hash of every reference file used, programme,
evaluation date, include_superseded, verdict, overall level, engine version, the options the run
was given, and the SHA-256 of every report file written. The record is canonical JSON, and its
`record_hash` covers it together with the previous record's hash, so the records form a chain in
which an edited or deleted row shows. Nothing in the record depends on the wall clock: the time
of recording is kept in a separate `recorded_at` column, outside the hash and outside any report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any, Iterable

from benchmark.errors import InputError, Problem
from benchmark.loading import file_sha256

SCHEMA_VERSION = 1

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
    recorded_at TEXT NOT NULL           -- UTC wall clock; not part of the record or its hash
)
"""


def canonical(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same text."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False, default=str)


def record_hash(record: dict, previous_hash: str) -> str:
    return hashlib.sha256(f"{previous_hash}\n{canonical(record)}".encode("utf-8")).hexdigest()


def build_record(result: dict, report_paths: Iterable[Path | str], options: dict) -> dict:
    """The record of one evaluation (`Evaluation.to_dict()` or the report JSON read back)."""
    prov = result.get("provenance") or {}
    reports: dict[str, str] = {}
    for path in report_paths:
        try:
            reports[str(path)] = file_sha256(Path(path))
        except OSError as exc:
            raise InputError(Problem("audit_report_unreadable", f"cannot hash the report: {exc}",
                                     file=str(path))) from None
    return {
        "schema_version": SCHEMA_VERSION,
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


def _connect(db_path: Path | str) -> sqlite3.Connection:
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(db_path), isolation_level=None)  # explicit transactions below
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version not in (0, SCHEMA_VERSION):
        conn.close()
        raise InputError(Problem("audit_schema_version",
                                 f"audit database schema version {version}; this engine writes "
                                 f"version {SCHEMA_VERSION}", file=str(db_path),
                                 hint="use a new database file, or an engine that knows this one"))
    return conn


def append_record(db_path: Path | str, result: dict, report_paths: Iterable[Path | str],
                  options: dict | None = None) -> dict:
    """Append the record of one evaluation; returns it with seq, record_hash and previous_hash.

    `result` is `Evaluation.to_dict()` (or the report JSON read back); `report_paths` are the files
    written for it (their SHA-256 are taken now); `options` are the run's options or argv, kept as
    given (they must be JSON-serialisable; paths become text)."""
    record = build_record(result, report_paths, options or {})
    conn = _connect(db_path)
    try:
        conn.execute("BEGIN IMMEDIATE")  # the previous hash and the insert in one transaction
        conn.execute(_CREATE)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        row = conn.execute("SELECT record_hash FROM evaluations "
                           "ORDER BY seq DESC LIMIT 1").fetchone()
        previous = row[0] if row else ""
        digest = record_hash(record, previous)
        cursor = conn.execute(
            "INSERT INTO evaluations (record_hash, previous_hash, record, declaration, programme, "
            "evaluation_date, verdict, overall_level, catalogue_sha256, engine_version, "
            "recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (digest, previous, canonical(record), record["declaration"], record["programme"],
             record["evaluation_date"], record["verdict"], record["overall_level"],
             record["catalogue_sha256"], record["engine_version"],
             dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()
    return {**record, "seq": cursor.lastrowid, "record_hash": digest, "previous_hash": previous}


def records(db_path: Path | str) -> list[dict]:
    """Every record, oldest first: the record's fields plus seq, record_hash, previous_hash,
    recorded_at and `intact` (the stored hash matches the record and the chain is unbroken)."""
    if not Path(db_path).exists():
        return []
    conn = _connect(db_path)
    try:
        has_table = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                 "name = 'evaluations'").fetchone()
        rows = conn.execute("SELECT seq, record_hash, previous_hash, record, recorded_at "
                            "FROM evaluations ORDER BY seq").fetchall() if has_table else []
    finally:
        conn.close()
    out, previous = [], ""
    for seq, digest, prev, text, recorded_at in rows:
        record = json.loads(text)
        intact = prev == previous and record_hash(record, prev) == digest
        out.append({**record, "seq": seq, "record_hash": digest, "previous_hash": prev,
                    "recorded_at": recorded_at, "intact": intact})
        previous = digest
    return out
