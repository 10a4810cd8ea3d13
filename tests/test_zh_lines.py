"""The lines `validate`, `verify`, `audit verify` and the `cycle` steps print, in the language of
`--lang` (reports/labels.yaml, section `cli`): with --lang zh none of their English words is
left; without --lang they print as before (en, pinned by the commands' own tests).

A whole programme year (the golden population of tests/test_cycle.py) and a 25-declaration
evaluation (examples/declarations, repeated) are run through click's CliRunner."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from test_cycle import PROG, SET, TABLE

from benchmark.catalogue import data_file
from benchmark.cli import main
from benchmark.report import labels

# the keys of the lines checked here (a block of their own in labels.yaml)
KEYS = ("validated", "validated_catalogue", "verify_skipped", "verify_matches",
        "verify_mismatch", "audit_verified", "audit_reports", "problems_found", "intact",
        "cycle_opened", "cycle_snapshot", "cycle_ranked", "cycle_commitment",
        "cycle_notice_opened", "cycle_objection", "cycle_upheld", "cycle_rejected",
        "cycle_notice_closed", "cycle_listed", "cycle_not_listed", "cycle_keep", "cycle_remove",
        "cycle_files", "cycle_verified", "cycle_intact")
TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")  # a code (objection_upheld) is one token
PATH = re.compile(r"(?<!\S)(?:[A-Za-z]:)?[/\\][^\s：；，（）]+")


def english_words() -> set[str]:
    """Every word of the en lines (placeholders left out) that the zh lines do not write too."""
    en, zh = labels("en")["cli"], labels("zh")["cli"]
    words = {w for k in KEYS for w in TOKEN.findall(re.sub(r"\{[^}]*\}", " ", en[k]))}
    in_zh = {w for k in KEYS for w in TOKEN.findall(re.sub(r"\{[^}]*\}", " ", zh[k]))}
    return {w for w in words - in_zh if len(w) > 2}


def left_in_english(res: Result) -> list[str]:
    """The English words of a command's standard output (its lines, not the problems on
    standard error), paths left out."""
    words = english_words()
    return [f"{w!r} in {line!r}" for line in res.stdout.splitlines()
            for w in TOKEN.findall(PATH.sub(" ", line)) if w in words]


def invoke(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def test_the_english_words_are_found():
    """The check finds what it looks for: an en line has them, its zh line none."""
    assert {"error", "warning", "matches", "intact", "listed", "keep"} <= english_words()


def test_validate_in_zh():
    en, zh = invoke("validate"), invoke("validate", "--lang", "zh")
    assert en.exit_code == zh.exit_code == 0, zh.output
    assert en.stdout.strip().startswith("catalogue: 0 error(s)")
    assert zh.stdout.strip().startswith("目录：0 个错误")
    assert left_in_english(zh) == [] and left_in_english(en) != []


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """25 declarations evaluated with their audit record: (output folder, report files)."""
    root = tmp_path_factory.mktemp("evaluated")
    examples = sorted(data_file("examples", "declarations").glob("*.yaml"))
    folder = root / "declarations"
    folder.mkdir()
    for k in range(25):  # the examples repeated under their own names
        src = examples[k % len(examples)]
        shutil.copy(src, folder / f"{k:02d}-{src.name}")
    out = root / "out"
    res = invoke("evaluate", folder, "--format", "json", "--date", "2026-06-01", "-o", out)
    assert res.exit_code in (0, 1), res.output
    return out, sorted(out.glob("*.json"))


def test_verify_in_zh(evaluated):
    _, reports = evaluated
    assert len(reports) == 25
    zh = invoke("verify", *reports[:3], "--lang", "zh", "--base-dir", Path.cwd())
    assert zh.exit_code == 0, zh.output
    assert [line.rsplit("：", 1)[1] for line in zh.stdout.splitlines()] == ["一致"] * 3
    assert left_in_english(zh) == []


def test_audit_verify_in_zh(evaluated):
    out, _ = evaluated
    en = invoke("audit", "verify", "--reports", out)
    zh = invoke("audit", "verify", "--reports", out, "--lang", "zh")
    assert en.exit_code == zh.exit_code == 0, zh.output
    assert en.stdout.strip().endswith("checked: intact") and zh.stdout.strip().endswith("：完好")
    assert left_in_english(zh) == [] and left_in_english(en) != []


def test_a_programme_year_in_zh(tmp_path):
    state = tmp_path / "state"
    letter = tmp_path / "letter-A.pdf"
    letter.write_bytes(b"%PDF-1.4 commitment letter of A")
    steps = [("open", "--field", SET, "--date", "2026-03-01"),
             ("snapshot", TABLE, "--field", SET, "--date", "2026-08-01"),
             ("rank", "--date", "2026-11-20"), ("shortlist", "--date", "2026-11-20"),
             ("commitment", "Q/AKT 001-2025", "--letter", letter, "--date", "2026-11-24"),
             ("commitment", "Q/BKT 001-2025", "--date", "2026-11-24"),
             ("notice-open", "--from", "2026-11-25", "--until", "2026-12-04"),
             ("objection", "Q/BKT 001-2025", "--outcome", "upheld", "--date", "2026-11-28"),
             ("notice-close", "--date", "2026-12-05"),
             ("publish", "--date", "2026-12-10", "-o", tmp_path / "list"),
             ("review", "--date", "2027-03-01"), ("verify",)]
    said = []
    for name, *rest in steps:
        res = invoke("cycle", name, "--state", state, "-p", PROG, "--year", "2026", *rest,
                     "--lang", "zh")
        assert res.exit_code == 0, (name, res.output)
        assert res.stdout.strip(), name
        assert left_in_english(res) == [], (name, left_in_english(res))
        said.append(res.stdout)
    published = said[-3]
    assert "未列入（objection_upheld）\tB" in published and "列入\tA" in published
    assert "文件在 " in published
    assert said[-1].strip().endswith("：完好；名单可重新推导")


def test_stage_progress_times_its_stages_with_or_without_a_bar():
    """The seconds of each stage (the rows-per-second lines) come from the progress itself."""
    from benchmark.cli import StageProgress

    progress = StageProgress()  # no bar: not a terminal, --quiet
    for stage in ("reading", "assessing", "ranking", "writing"):
        progress(stage)
    progress.stop()
    progress.stop()  # a second stop adds nothing
    assert [stage for stage, _ in progress.times] == ["reading", "assessing", "ranking", "writing"]
    assert all(seconds >= 0 for _, seconds in progress.times)


@pytest.mark.parametrize(("lang", "label"), [("zh", "排名"), ("en", "ranking")])
def test_the_rank_progress_bar_is_labelled_in_the_command_language(tmp_path, monkeypatch, lang,
                                                                  label):
    import contextlib

    from test_dask import room_air_conditioners

    from benchmark import cli

    labels_seen = []

    @contextlib.contextmanager
    def recorded(name, stages, lang="en"):
        labels_seen.append(name)
        yield cli.StageProgress()

    monkeypatch.setattr(cli, "stage_progress", recorded)
    path = tmp_path / "room-ac.csv"
    room_air_conditioners(1_000, seed=5).to_csv(path, index=False)
    res = invoke("rank", path, "--set", "room-air-conditioner", "--date", "2026-06-01",
                 "--format", "json", "-o", tmp_path / "out", "--lang", lang)
    assert res.exit_code == 0, res.output
    assert labels_seen == [label]
