"""Issue 15 class 3 and 7: no report without its audit record, and `benchmark audit verify`.

Before the issue, the audit record was appended after the reports were placed: an unusable audit
database left reports behind while saying "nothing was written" (or crashed), a kill during the
audit step left reports with no record, and two runs into one -o overwrote each other silently.
Here: the database is checked before any work; reports and records are one step (staging inside
-o, one transaction, then placed; a killed run finished or cleaned on the next start); the output
folder is locked; `benchmark audit verify` checks the chain, the anchor (deleted last records) and
the report files. The kill test SIGKILLs `benchmark evaluate` at seeded random moments.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmark import audit
from benchmark.cli import main, told

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "declarations"
DATE = "2026-11-23"


N_EXAMPLES = len(list(EXAMPLES.glob("*.yaml")))


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exc_info is None or result.exc_info[0] is SystemExit, result.output
    assert "Traceback" not in result.output
    return result


def evaluate(out: Path, *extra):
    return run("evaluate", EXAMPLES, "-o", out, "--date", DATE, *extra)


def reports(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir()
                  if p.suffix in (".json", ".md", ".csv")) if out.exists() else []


def refused(result, code: str) -> None:
    assert result.exit_code == 2, result.output
    assert f"error [{code}]" in result.output, result.output
    assert told("zh", "input_errors", errors=1) in result.output  # evaluate's default --lang


# --- the audit database is checked before any work ---------------------------------------------

def test_wrong_schema_version_writes_no_report(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    db = out / "audit.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    refused(evaluate(out), "audit_schema_version")
    assert reports(out) == []


@pytest.mark.parametrize("content", [b"just some notes\n", b"SQLite format 3\x00" + b"\xff" * 200])
def test_a_file_that_is_not_a_database_writes_no_report(content, tmp_path):
    out = tmp_path / "out"
    db = tmp_path / "notes.sqlite"
    db.write_bytes(content)
    refused(evaluate(out, "--audit-db", db), "audit_db_invalid")
    assert reports(out) == [] and db.read_bytes() == content


def test_a_device_as_the_database(tmp_path):
    refused(evaluate(tmp_path / "out", "--audit-db", "/dev/full"), "audit_db_invalid")
    assert reports(tmp_path / "out") == []


@pytest.fixture
def mount(tmp_path):
    """A tmpfs of its own (root only): read-only, or tiny; skipped where mounting is refused."""
    mounted = []

    def make(name: str, options: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
                              capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(point)
        return point

    yield make
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def test_read_only_database_and_output_folder(tmp_path, mount):
    ro = mount("ro", "size=4m")
    assert evaluate(ro / "out").exit_code == 0
    before = {p.name: p.read_bytes() for p in (ro / "out").iterdir()}
    subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
    # the database read-only, reports elsewhere: refused before any report is written
    refused(evaluate(tmp_path / "elsewhere", "--audit-db", ro / "out" / "audit.sqlite"),
            "audit_db_unwritable")
    assert reports(tmp_path / "elsewhere") == []
    # -o itself on the read-only file system
    refused(evaluate(ro / "out"), "output_unwritable")
    refused(evaluate(ro / "new"), "output_unwritable")
    assert {p.name: p.read_bytes() for p in (ro / "out").iterdir()} == before


def test_full_disk_leaves_neither_reports_nor_records(tmp_path, mount):
    tiny = mount("tiny", "size=96k")
    out = tiny / "out"
    result = evaluate(out, "--format", "json,md,html")
    assert result.exit_code == 2, result.output
    assert "[output_unwritable]" in result.output or "[audit_db_unwritable]" in result.output
    assert reports(out) == [] and not list(out.glob(".staging-*"))
    assert audit.records(out / "audit.sqlite") == [] if (out / "audit.sqlite").exists() else True


# --- two runs into one folder --------------------------------------------------------------------

def test_a_second_run_into_a_locked_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)  # another run holds the folder
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        refused(evaluate(out), "output_locked")
        refused(run("rank", REPO / "examples/populations/room-air-conditioners.csv", "--set",
                    "room-air-conditioner", "-o", out, "--date", DATE), "output_locked")
        assert list(out.iterdir()) == []
    finally:
        os.close(fd)
    assert evaluate(out).exit_code == 0


# --- a run killed half-way is finished or cleaned on the next start ----------------------------

def test_a_run_killed_after_recording_is_finished_on_the_next_start(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    # what a SIGKILL between the commit and the placing leaves, built by hand
    from benchmark import report

    first = tmp_path / "first"
    assert evaluate(first).exit_code == 0
    staging = out / ".staging-killed"
    staging.mkdir()
    names = sorted(p.name for p in first.iterdir() if p.suffix in (".json", ".md", ".csv"))
    for name in names:
        (staging / name).write_bytes((first / name).read_bytes())
    (staging / "MANIFEST.json").write_text(json.dumps(
        {"files": names, "audit_db": str((out / "audit.sqlite").resolve())}), encoding="utf-8")
    rows = audit.records(first / "audit.sqlite")
    records = [{k: r[k] for k in r if k not in ("seq", "record_hash", "previous_hash",
                                                "recorded_at", "intact")} for r in rows]
    for record in records:
        record["reports"] = {str(out / Path(p).name): h for p, h in record["reports"].items()}
    audit.append_records(out / "audit.sqlite", records, batch=".staging-killed")
    assert reports(out) == []  # killed before placing: no report yet, the records are in
    assert report.recover_staging(out)
    assert reports(out) == names and not staging.exists()
    result = run("audit", "verify", "--reports", out)
    assert result.exit_code == 0, result.output


def test_a_run_killed_before_recording_is_removed_on_the_next_start(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    staging = out / ".staging-killed"
    staging.mkdir()
    (staging / "motor-leader.json").write_text("{}", encoding="utf-8")
    (staging / "MANIFEST.json").write_text(json.dumps(
        {"files": ["motor-leader.json"], "audit_db": str((out / "audit.sqlite").resolve())}),
        encoding="utf-8")
    (out / ".half-written").mkdir()  # not ours: left alone
    assert evaluate(out).exit_code == 0
    assert not staging.exists() and (out / ".half-written").exists()
    assert json.loads((out / "motor-leader.json").read_text(encoding="utf-8"))["verdict"]
    assert run("audit", "verify", "--reports", out).exit_code == 0


def test_an_interruption_while_recording_leaves_nothing(tmp_path, monkeypatch):
    """Ctrl-C (or any exception) after staging, before the records are committed: the staging
    folder is removed, no report is placed, no record added."""
    out = tmp_path / "out"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(audit, "append_records", interrupted)
    result = CliRunner().invoke(main, ["evaluate", str(EXAMPLES), "-o", str(out), "--date", DATE])
    assert result.exit_code != 0
    assert not out.exists() or list(out.iterdir()) == []


# --- benchmark audit verify --------------------------------------------------------------------

def _db(tmp_path: Path) -> tuple[Path, Path]:
    out = tmp_path / "out"
    assert evaluate(out).exit_code == 0
    assert evaluate(out, "--programme", "shenzhen").exit_code == 0
    return out, out / "audit.sqlite"


def test_audit_verify_passes_on_an_untouched_database(tmp_path):
    out, db = _db(tmp_path)
    result = run("audit", "verify", db, "--reports", out)
    assert result.exit_code == 0, result.output
    assert f"{len(audit.records(db))} record(s)" in result.output and "intact" in result.output
    anchor = json.loads((out / "audit.sqlite.anchor").read_text(encoding="utf-8"))
    assert anchor["records"] == len(audit.records(db)) == 2 * N_EXAMPLES


def test_deleted_last_record_is_seen_by_the_anchor(tmp_path):
    out, db = _db(tmp_path)
    published = tmp_path / "published.anchor"
    published.write_bytes((out / "audit.sqlite.anchor").read_bytes())
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM evaluations WHERE seq = (SELECT MAX(seq) FROM evaluations)")
    assert all(r["intact"] for r in audit.records(db))  # the chain alone cannot tell
    result = run("audit", "verify", db)
    assert result.exit_code == 1 and "[audit_record_deleted]" in result.output, result.output
    # and the next run refuses to add to it, before writing anything
    refused(evaluate(tmp_path / "more", "--audit-db", db), "audit_record_deleted")
    assert reports(tmp_path / "more") == []
    # the anchor beside the database replaced by one matching the shortened chain: the
    # published copy still tells
    (out / "audit.sqlite.anchor").unlink()
    assert "[audit_anchor_missing]" in run("audit", "verify", db).output
    result = run("audit", "verify", db, "--anchor", published)
    assert result.exit_code == 1 and "[audit_record_deleted]" in result.output


def test_edited_record_and_edited_report_are_named(tmp_path):
    out, db = _db(tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE evaluations SET record = replace(record, '\"lang\":\"zh\"', "
                     "'\"lang\":\"en\"') WHERE seq = 2")
    report = out / "motor-leader.json"
    report.write_text(report.read_text(encoding="utf-8").replace('"verdict": "', '"verdict": " '),
                      encoding="utf-8")
    (out / "stray.md").write_text("# not from a run\n", encoding="utf-8")
    result = run("audit", "verify", "--reports", out)
    assert result.exit_code == 1, result.output
    assert "/evaluations/2: error [audit_record_altered]" in result.output
    assert f"{report}: error [audit_report_changed]" in result.output
    assert f"{out / 'stray.md'}: error [audit_report_unrecorded]" in result.output


def test_audit_verify_of_no_database_and_of_a_text_file(tmp_path):
    refused_result = run("audit", "verify", tmp_path / "none.sqlite")
    assert refused_result.exit_code == 2 and "[file_not_found]" in refused_result.output
    text = tmp_path / "notes.sqlite"
    text.write_text("hello\n", encoding="utf-8")
    result = run("audit", "verify", text)
    assert result.exit_code == 2 and "[audit_db_invalid]" in result.output


def test_a_version_1_database_is_upgraded_and_keeps_its_chain(tmp_path):
    out = tmp_path / "out"
    assert evaluate(out, "--no-audit").exit_code == 0
    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as conn:  # the version-1 schema, as the engine wrote it before
        conn.execute(audit._CREATE.replace(",\n    batch TEXT                          -- the run "
                                           "that wrote it; not part of the record or hash", ""))
        conn.execute("PRAGMA user_version = 1")
    result_json = json.loads((out / "motor-leader.json").read_text(encoding="utf-8"))
    record = audit.build_record(result_json, [out / "motor-leader.json"], {})
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO evaluations (record_hash, previous_hash, record, recorded_at) "
                     "VALUES (?, '', ?, 'then')", (audit.record_hash(record, ""),
                                                   audit.canonical(record)))
    assert evaluate(tmp_path / "new", "--audit-db", db).exit_code == 0
    rows = audit.records(db)
    assert len(rows) == 1 + N_EXAMPLES and all(r["intact"] for r in rows)
    assert run("audit", "verify", db).exit_code == 0


def test_every_report_has_a_record_naming_its_hash(tmp_path):
    out, db = _db(tmp_path)
    recorded = {(Path(p).name, h) for r in audit.records(db) for p, h in r["reports"].items()}
    from benchmark.loading import file_sha256

    for path in out.iterdir():
        if path.suffix in (".json", ".md", ".csv"):
            assert (path.name, file_sha256(path)) in recorded, path.name


# --- the kill test -------------------------------------------------------------------------------

def test_evaluate_killed_at_random_moments_never_leaves_a_report_without_its_record(tmp_path):
    """SIGKILL `benchmark evaluate` at 20 seeded random moments (bounded by the time a whole run
    takes), the runs sharing one -o and one database: after each, every report in -o has its
    record and `benchmark audit verify` passes; the next start finishes or cleans the staging."""
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "BENCHMARK_DATA")}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    command = [sys.executable, "-m", "benchmark", "evaluate", str(EXAMPLES), "-o", str(out),
               "--date", DATE, "--format", "json,md,html"]
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=REPO, env=env, capture_output=True, timeout=300)
    whole = time.perf_counter() - start  # one full run: the kills fall inside it
    rng = random.Random(15)
    deadline = time.perf_counter() + 600
    outcomes = {"killed": 0, "finished": 0}
    for _ in range(20):
        assert time.perf_counter() < deadline, "the kill test ran out of time"
        child = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3 * whole, 1.05 * whole))
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            outcomes["killed"] += 1
        else:
            outcomes["finished"] += 1
        child.wait(timeout=60)
        result = run("audit", "verify", "--reports", out)
        assert result.exit_code == 0, result.output
        assert "error [" not in result.output, result.output
    assert outcomes["killed"] >= 5, outcomes  # the moments fell inside runs, mostly
    # the next start finishes or removes what the last kill left, and all still verifies
    final = subprocess.run(command, cwd=REPO, env=env, capture_output=True, timeout=300)
    assert final.returncode == 0, final.stderr.decode()
    assert not list(out.glob(".staging-*"))
    result = run("audit", "verify", "--reports", out)
    assert result.exit_code == 0 and "warning" not in result.output, result.output


_KILL_AT = """
import os, signal, sys
from benchmark import audit, report
point, n = sys.argv[1], int(sys.argv[2])
calls = [0]

def killing(real):
    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    return wrapper

if point == "replace":  # every rename: anchor, reports moved into place
    os.replace = killing(os.replace)
elif point == "anchor":  # after the commit, before the anchor is published
    audit.publish_anchor = killing(audit.publish_anchor)
elif point == "stage":  # while the reports are written to the staging folder
    report._write_fd = killing(report._write_fd)
from benchmark.cli import main
sys.argv = ["benchmark", *sys.argv[3:]]
main()
"""


@pytest.mark.parametrize("point, n", [("stage", 1), ("stage", 4), ("anchor", 1), ("replace", 1),
                                      ("replace", 2), ("replace", 6)])
def test_evaluate_killed_at_each_step_of_writing(point, n, tmp_path):
    """SIGKILL at a chosen step: while staging, between the commit and the anchor, and at each
    rename (the anchor, then each report moved into place). After it every report in -o has its
    record; the next start completes the run (or removes it) and all verifies."""
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "BENCHMARK_DATA")}
    args = ["evaluate", str(EXAMPLES / "motor-leader.yaml"),
            str(EXAMPLES / "eps-usb-charger-10w.yaml"), "-o", str(out), "--date", DATE]
    assert evaluate_once(args, env, tmp_path) == 0  # an earlier run's reports are there too
    killed = subprocess.run([sys.executable, "-c", _KILL_AT, point, str(n), *args], cwd=REPO,
                            env=env, capture_output=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    result = run("audit", "verify", "--reports", out)
    assert result.exit_code == 0 and "error [" not in result.output, result.output
    assert evaluate_once(args, env, tmp_path) == 0
    assert not list(out.glob(".staging-*"))
    result = run("audit", "verify", "--reports", out)
    assert result.exit_code == 0 and "warning" not in result.output, result.output


def evaluate_once(args: list[str], env: dict, tmp_path: Path) -> int:
    """One `benchmark evaluate` in a child process; its exit status."""
    done = subprocess.run([sys.executable, "-m", "benchmark", *args], cwd=REPO, env=env,
                          capture_output=True, timeout=300)
    return done.returncode
