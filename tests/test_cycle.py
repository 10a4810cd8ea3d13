"""The programme cycle through the command line (benchmark/cycle.py): open → snapshot → rank →
shortlist → commitment letters → public notice → list → review, on the golden population
tests/golden/populations/room-ac-hp-le4500 (leaders A and B, worked by hand in its YAML). A
review after B's standard is withdrawn removes exactly B. Steps out of order exit 2."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner, Result

from benchmark.cli import main

GOLDEN = Path(__file__).parent / "golden" / "populations"
TABLE = GOLDEN / "room-ac-hp-le4500.csv"
CASE = yaml.safe_load((GOLDEN / "room-ac-hp-le4500.yaml").read_text(encoding="utf-8"))
SET = CASE["set"]
PROG = "leader-selection"


def run(state: Path, *args: str) -> Result:
    cmd, rest = args[0], list(args[1:])
    return CliRunner().invoke(main, ["cycle", cmd, "--state", str(state), "-p", PROG,
                                     "--year", "2026", *rest])


def ok(state: Path, *args: str) -> Result:
    res = run(state, *args)
    assert res.exit_code == 0, res.output
    return res


def published_year(state: Path, tmp_path: Path) -> None:
    ok(state, "open", "--field", SET, "--scheme", "modelled scheme 2026", "--date", "2026-03-01")
    ok(state, "snapshot", str(TABLE), "--field", SET, "--date", "2026-08-01")
    ok(state, "rank", "--date", CASE["date"])
    ok(state, "shortlist", "--date", CASE["date"])
    letter = tmp_path / "letter-A.pdf"
    letter.write_bytes(b"%PDF-1.4 commitment letter of A")
    ok(state, "commitment", "Q/AKT 001-2025", "--letter", str(letter), "--date", "2026-11-24")
    ok(state, "commitment", "Q/BKT 001-2025", "--date", "2026-11-24")
    ok(state, "notice-open", "--from", "2026-11-25", "--until", "2026-12-04")
    ok(state, "objection", "Q/AKT 001-2025", "--outcome", "rejected", "--note", "value doubted",
       "--date", "2026-11-30")
    ok(state, "notice-close", "--date", "2026-12-05")


def test_end_to_end_review_after_a_withdrawal_removes_exactly_that_leader(tmp_path):
    state = tmp_path / "state"
    published_year(state, tmp_path)
    out = tmp_path / "list"
    ok(state, "publish", "--date", "2026-12-10", "-o", str(out))
    entries = json.loads((out / "list.json").read_text(encoding="utf-8"))["detail"]["entries"]
    listed = [e for e in entries if e["listed"]]
    assert sorted(e["enterprise"] for e in listed) == CASE["programmes"][PROG]["leaders"]
    a = next(e for e in listed if e["enterprise"] == "A")
    assert (a["standard_number"], a["standard_title"], a["models"]) == (
        "Q/AKT 001-2025", "房间空气调节器", ["KFR-35GW/A"])
    # a later snapshot without B's standard: B is withdrawn from the platform
    later = tmp_path / "later.csv"
    frame = pd.read_csv(TABLE, dtype=str)
    frame[frame["enterprise"] != "B"].to_csv(later, index=False)
    review = tmp_path / "review"
    ok(state, "review", "--snapshot", f"{SET}={later}", "--date", "2027-03-01",
       "-o", str(review))
    found = json.loads((review / "review.json").read_text(encoding="utf-8"))["detail"]
    removed = {e["enterprise"]: [r["code"] for r in e["reasons"]]
               for e in found["entries"] if e["removed"]}
    assert removed == {"B": ["standard_withdrawn"]}
    (b,) = [e for e in found["entries"] if e["enterprise"] == "B"]
    assert "withdrawn" in b["reasons"][0]["message"]["en"] and "废止" in \
        b["reasons"][0]["message"]["zh"]
    assert ok(state, "verify").exit_code == 0


def test_every_step_is_recorded_with_its_inputs_hashes_and_the_record_verifies(tmp_path):
    state = tmp_path / "state"
    published_year(state, tmp_path)
    ok(state, "publish", "--date", "2026-12-10")
    db = state / f"{PROG}-2026.sqlite"
    with sqlite3.connect(db) as conn:
        steps = conn.execute("SELECT step, inputs FROM steps ORDER BY seq").fetchall()
    kinds = [s for s, _ in steps]
    assert kinds == ["open", "snapshot", "rank", "shortlist", "commitment", "commitment",
                     "notice_open", "objection", "notice_close", "publish"]
    import hashlib

    inputs = {s: json.loads(i) for s, i in steps}
    assert inputs["snapshot"]["snapshot"] == hashlib.sha256(TABLE.read_bytes()).hexdigest()
    assert inputs["rank"][f"snapshot:{SET}"] == inputs["snapshot"]["snapshot"]
    res = ok(state, "verify")
    assert "intact" in res.output
    # a stored step altered afterwards is found
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE steps SET detail = replace(detail, 'KFR-35GW/A', 'KFR-35GW/X') "
                     "WHERE step = 'publish'")
    res = run(state, "verify")
    assert res.exit_code == 1 and "cycle_record_altered" in res.output


def test_an_upheld_objection_or_a_missing_letter_keeps_a_standard_off_the_list(tmp_path):
    state = tmp_path / "state"
    ok(state, "open", "--field", SET, "--date", "2026-03-01")
    ok(state, "snapshot", str(TABLE), "--field", SET, "--date", "2026-08-01")
    ok(state, "rank", "--date", CASE["date"])
    ok(state, "shortlist", "--date", CASE["date"])
    ok(state, "commitment", "Q/AKT 001-2025", "--date", "2026-11-24")
    ok(state, "commitment", "Q/BKT 001-2025", "--date", "2026-11-24")
    ok(state, "notice-open", "--from", "2026-11-25", "--until", "2026-12-04")
    ok(state, "objection", "Q/BKT 001-2025", "--outcome", "upheld", "--date", "2026-11-28")
    ok(state, "notice-close", "--date", "2026-12-04")
    res = ok(state, "publish", "--date", "2026-12-10")
    assert "not listed (objection_upheld)\tB" in res.output and "listed\tA" in res.output


def test_a_changed_standard_is_removed_as_changed(tmp_path):
    state = tmp_path / "state"
    published_year(state, tmp_path)
    ok(state, "publish", "--date", "2026-12-10")
    later = tmp_path / "later.csv"
    frame = pd.read_csv(TABLE, dtype=str)
    frame.loc[frame["enterprise"] == "A", "model"] = "KFR-35GW/A2"
    frame.to_csv(later, index=False)
    res = ok(state, "review", "--snapshot", f"{SET}={later}", "--date", "2027-03-01")
    assert "remove (standard_changed)\tA" in res.output and "keep\tB" in res.output


@pytest.mark.parametrize(("steps", "code"), [
    ([], "cycle_year_unknown"),
    ([("open", "--field", SET, "--date", "2026-03-01")], "cycle_notice_before_shortlist"),
])
def test_notice_before_shortlist_or_unknown_year_exits_2(tmp_path, steps, code):
    state = tmp_path / "state"
    for step in steps:
        ok(state, *step)
    res = run(state, "notice-open", "--from", "2026-11-25", "--until", "2026-12-04")
    assert res.exit_code == 2 and code in res.output
    assert "Traceback" not in res.output and "nothing was written" in res.output


def test_closing_the_notice_twice_exits_2_and_records_nothing(tmp_path):
    state = tmp_path / "state"
    published_year(state, tmp_path)
    db = state / f"{PROG}-2026.sqlite"
    with sqlite3.connect(db) as conn:
        before = conn.execute("SELECT count(*) FROM steps").fetchone()[0]
    res = run(state, "notice-close", "--date", "2026-12-06")
    assert res.exit_code == 2 and "cycle_notice_not_open" in res.output
    assert "already closed" in res.output
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM steps").fetchone()[0] == before


def test_more_steps_out_of_order_exit_2(tmp_path):
    state = tmp_path / "state"
    ok(state, "open", "--field", SET, "--date", "2026-03-01")
    assert "cycle_year_exists" in run(state, "open", "--field", SET).output
    assert "cycle_snapshot_missing" in run(state, "rank", "--date", CASE["date"]).output
    assert "cycle_shortlist_before_rank" in run(state, "shortlist").output
    assert "cycle_publish_before_notice" in run(state, "publish").output
    ok(state, "snapshot", str(TABLE), "--field", SET, "--date", "2026-08-01")
    ok(state, "rank", "--date", CASE["date"])
    ok(state, "shortlist", "--date", CASE["date"])
    res = run(state, "commitment", "Q/CKT 001-2025", "--date", "2026-11-24")
    assert res.exit_code == 2 and "cycle_standard_not_shortlisted" in res.output
    res = run(state, "notice-open", "--from", "2026-12-04", "--until", "2026-11-25")
    assert res.exit_code == 2 and "cycle_notice_dates" in res.output
    res = run(state, "snapshot", str(TABLE), "--field", SET, "--date", "2026-11-24")
    assert res.exit_code == 2 and "cycle_snapshot_after_shortlist" in res.output


def test_every_cycle_command_has_help():
    group = main.commands["cycle"]
    for name, command in group.commands.items():
        assert command.help, name


def test_a_step_after_a_deleted_step_is_recorded_and_the_record_fails_verify(tmp_path):
    """A step's number follows the last step's (one query for its number and hash), so a step
    deleted from the middle of the record does not make the next step collide with a stored
    one; verify then finds the broken chain."""
    state = tmp_path / "state"
    published_year(state, tmp_path)
    db = state / f"{PROG}-2026.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM steps WHERE step = 'objection'")
    ok(state, "publish", "--date", "2026-12-10")
    with sqlite3.connect(db) as conn:
        seqs = [s for (s,) in conn.execute("SELECT seq FROM steps ORDER BY seq")]
    assert seqs == [1, 2, 3, 4, 5, 6, 7, 9, 10]  # the objection (8) deleted
    res = run(state, "verify")
    assert res.exit_code == 1 and "cycle_record_altered" in res.output
