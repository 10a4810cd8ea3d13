"""`benchmark cycle status`: where a programme year is, read from its SQLite record.

A whole year is run on the golden population tests/golden/populations/room-ac-hp-le4500 (as in
test_cycle.py); after every step, the status says that step is where the year is, and the step
run next is among the steps it says may come next (the same order the step commands enforce).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner, Result

from benchmark.cli import main

GOLDEN = Path(__file__).parent / "golden" / "populations"
TABLE = GOLDEN / "room-ac-hp-le4500.csv"
CASE = yaml.safe_load((GOLDEN / "room-ac-hp-le4500.yaml").read_text(encoding="utf-8"))
SET = CASE["set"]
PROG = "leader-selection"
STEPS = [  # (the command, its arguments); the record names a step with "_" for "-"
    ("open", ["--field", SET, "--scheme", "modelled scheme 2026", "--date", "2026-03-01"]),
    ("snapshot", [str(TABLE), "--field", SET, "--date", "2026-08-01"]),
    ("rank", ["--date", CASE["date"]]),
    ("shortlist", ["--date", CASE["date"]]),
    ("commitment", ["Q/AKT 001-2025", "--date", "2026-11-24"]),
    ("commitment", ["Q/BKT 001-2025", "--date", "2026-11-24"]),
    ("notice-open", ["--from", "2026-11-25", "--until", "2026-12-04"]),
    ("objection", ["Q/AKT 001-2025", "--outcome", "rejected", "--date", "2026-11-30"]),
    ("notice-close", ["--date", "2026-12-05"]),
    ("publish", ["--date", "2026-12-10"]),
    ("review", ["--date", "2027-01-10"]),
]


def run(state: Path, cmd: str, *rest: str) -> Result:
    return CliRunner().invoke(main, ["cycle", cmd, "--state", str(state), "-p", PROG,
                                     "--year", "2026", *rest])


def status(state: Path) -> dict:
    res = run(state, "status", "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_after_every_step_the_status_is_at_that_step_and_allows_the_next(tmp_path):
    state = tmp_path / "cycle"
    for k, (cmd, args) in enumerate(STEPS):
        if k:
            assert cmd.replace("-", "_") in status(state)["next"], (cmd, status(state)["next"])
        res = run(state, cmd, *args)
        assert res.exit_code == 0, res.output
        now = status(state)
        assert now["at"]["step"] == cmd.replace("-", "_")
        assert len(now["steps"]) == k + 1
    final = status(state)
    assert final["next"] == ["review"]
    assert final["commitments"] == 2 and final["objections"] == 1
    assert final["notice"] == {"start": "2026-11-25", "end": "2026-12-04", "closed": True}
    assert [e["standard_number"] for e in final["list"] if e["listed"]] == \
        ["Q/AKT 001-2025", "Q/BKT 001-2025"]  # both letters in, the objection rejected
    assert final["snapshots"][SET]["file"] == TABLE.name


def test_a_step_the_status_does_not_offer_is_refused(tmp_path):
    state = tmp_path / "cycle"
    assert run(state, STEPS[0][0], *STEPS[0][1]).exit_code == 0
    assert status(state)["next"] == ["snapshot"]  # no snapshot of the key field yet
    res = run(state, "rank", "--date", CASE["date"])
    assert res.exit_code == 2 and "cycle_snapshot_missing" in res.output


def test_status_in_words_names_the_step_and_the_commands_to_come(tmp_path):
    state = tmp_path / "cycle"
    for cmd, args in STEPS[:4]:
        assert run(state, cmd, *args).exit_code == 0
    zh = run(state, "status").output.splitlines()
    en = run(state, "status", "--lang", "en").output.splitlines()
    assert f"当前：{CASE['date']} 确定入围名单（已记录 4 步）" in zh
    assert f"at: shortlist fixed on {CASE['date']} (4 step(s) recorded)" in en
    assert "下一步：benchmark cycle commitment | benchmark cycle notice-open" in zh
    assert "shortlist_" not in "\n".join(zh) and "notice_open" not in "\n".join(zh)


def test_status_changes_nothing(tmp_path):
    state = tmp_path / "cycle"
    for cmd, args in STEPS[:2]:
        assert run(state, cmd, *args).exit_code == 0
    db = state / f"{PROG}-2026.sqlite"
    before = db.read_bytes()
    status(state)
    run(state, "status")
    assert db.read_bytes() == before


def test_status_of_a_year_never_opened_exits_2(tmp_path):
    res = run(tmp_path / "cycle", "status")
    assert res.exit_code == 2 and "cycle_year_unknown" in res.output
    assert "Traceback" not in res.output
