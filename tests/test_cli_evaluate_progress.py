"""`benchmark evaluate TABLE` shows its progress on a terminal as `rank` does: the stages
(reading, assessing, writing the verdict tables, then reports when any are made), the rows done
and rows per second within each, and the file being written, and at the end each stage's time;
with --quiet or off a terminal, nothing. Through click's CliRunner on a
1,000-row table (a terminal forced: click draws its bar only on one); the files are the same
bytes with progress shown or not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_verdict_table import DATE, SET, motor_frame

from benchmark import cli
from benchmark.batch import evaluate_files
from benchmark.cli import StageProgress, main

STAGES = {"en": ("reading", "assessing", "writing", "reports", "rows/s"),
          "zh": ("读取", "评定", "写入", "报告", "每秒")}


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("progress") / "applicants.csv"
    motor_frame(1000, seed=37).to_csv(path, index=False)
    return path


@pytest.fixture
def terminal(monkeypatch):
    """Standard error taken for a terminal, every update drawn."""
    import click._termui_impl

    monkeypatch.setattr(click._termui_impl, "isatty", lambda stream: True)
    monkeypatch.setattr(cli, "shows_progress", lambda: cli.verbosity() >= cli.NORMAL)
    monkeypatch.setattr(StageProgress, "REDRAW_SECONDS", 0.0)


def evaluate(table: Path, out: Path, *options: str):
    res = CliRunner().invoke(main, ["evaluate", str(table), "--set", SET, "--date", DATE,
                                    "--reports", "all", "--format", "json", "--table-format",
                                    "csv,parquet", "--no-audit", "-o", str(out), *options])
    assert res.exit_code == 0, res.output
    return res


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_terminal_shows_each_stage_with_rows_per_second(table, tmp_path, terminal, lang):
    res = evaluate(table, tmp_path / "out", "--lang", lang)
    shown = res.stderr
    assert all(word in shown for word in STAGES[lang]), shown[-500:]
    at = [shown.index(word) for word in STAGES[lang][:4]]
    assert at == sorted(at)  # the stages in their order
    assert "applicants.verdicts.csv" in shown and "applicants.verdicts.parquet" in shown
    assert "1,000" in shown  # the rows done, read and written
    assert "rows/s" not in res.stdout and "每秒" not in res.stdout


def test_quiet_shows_nothing_and_writes_the_same_files(table, tmp_path, terminal):
    shown = evaluate(table, tmp_path / "shown", "--lang", "en")
    quiet = evaluate(table, tmp_path / "quiet", "--lang", "en", "-q")
    assert quiet.stderr == "" and quiet.stdout == ""
    assert "rows/s" in shown.stderr
    assert files(tmp_path / "quiet") == files(tmp_path / "shown")


def test_no_progress_off_a_terminal(table, tmp_path):
    res = evaluate(table, tmp_path / "out")
    assert "rows/s" not in res.output and "reading" not in res.output


class Recorded:
    """The Stages told by evaluate_files, in order."""

    def __init__(self) -> None:
        self.told: list[tuple[str, object]] = []

    def __call__(self, stage: str) -> None:
        self.told.append(("stage", stage))

    def rows(self, done: int) -> None:
        self.told.append(("rows", done))

    def detail(self, text: str) -> None:
        self.told.append(("detail", text))


def test_the_api_tells_stages_rows_and_files(table, tmp_path):
    stages = Recorded()
    result = evaluate_files([table], "leader", dt.date.fromisoformat(DATE), tmp_path / "out",
                            ["json"], "en", set_id=SET, reports="eligible",
                            table_formats=["csv", "xlsx"], stages=stages)
    told = stages.told
    assert [x for kind, x in told if kind == "stage"] == ["reading", "assessing", "writing",
                                                          "reports"]
    by_stage: dict[object, list] = {}
    stage: object = None
    for kind, x in told:
        if kind == "stage":
            stage = x
        else:
            by_stage.setdefault(stage, []).append((kind, x))
    assert ("rows", 1000) in by_stage["reading"] and ("rows", 1000) in by_stage["assessing"]
    made = [x for kind, x in by_stage["reports"] if kind == "rows"]
    assert made == sorted(made) and made[-1] == len(result.results) > 0  # made and written
    details = [x for kind, x in by_stage["writing"] if kind == "detail"]
    assert details == ["applicants.verdicts.csv", "applicants.verdicts.en.xlsx"]
    rows = [x for kind, x in by_stage["writing"] if kind == "rows"]
    assert rows[-1] == 1000  # the verdict table's rows written


# --- evaluate DATASET --dask: the rows of the parts the workers wrote, as they come back -------


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    from test_dask import ROOM_AC, room_air_conditioners, usable, write_dataset

    folder = tmp_path_factory.mktemp("dataset") / "export"
    write_dataset(folder, {ROOM_AC: usable(room_air_conditioners(2000, 7))}, parts=4)
    return folder


def on_dask(dataset: Path, out: Path, *options: str):
    from test_dask import ON, ROOM_AC

    res = CliRunner().invoke(main, ["evaluate", str(dataset), "--set", ROOM_AC, "--date", ON,
                                    "--lang", "en", "-o", str(out), "--dask", "local:2",
                                    *options])
    assert res.exit_code == 0, res.output
    return res


def test_dask_evaluation_tells_the_rows_written_as_parts_come_back(dataset, tmp_path, terminal):
    import pandas as pd

    res = on_dask(dataset, tmp_path / "out")
    rows = sum(len(pd.read_parquet(p))
               for p in (tmp_path / "out" / "export.verdicts").glob("part-*.parquet"))
    assert "writing" in res.stderr and f"{rows:,} rows" in res.stderr, res.stderr[-300:]
    assert on_dask(dataset, tmp_path / "quiet", "-q").output == ""


def test_dataset_parts_tell_their_rows_in_one_process(dataset, tmp_path):
    from test_dask import ON, ROOM_AC

    from benchmark.distributed import evaluate_dataset

    told: list[int] = []
    summary, _, _ = evaluate_dataset(dataset, ROOM_AC, "leader", dt.date.fromisoformat(ON),
                                     tmp_path / "out", ["parquet"], "en", progress=told.append)
    assert len(told) == 4 and told == sorted(told) and told[-1] == summary["rows"]
