"""The individual reports of a table's rows made in worker processes (`evaluate --jobs N`,
`batch.in_processes`): the same files, byte for byte, and the same audit records as one
process makes, in the same order, with a folder of declarations beside the table; a worker
that fails leaves no report and no record, and says so in one line. Through click's CliRunner
on a 120-row motor table (tests/test_verdict_table.py's generator), every report format but
pdf."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_verdict_table import DATE, SET, motor_frame

from benchmark import batch
from benchmark.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "declarations"


def inputs(tmp_path: Path) -> list[str]:
    """The shipped example declarations (a folder) and a 120-row motor table, made once."""
    table, folder = tmp_path / "applicants.csv", tmp_path / "declarations"
    if not table.exists():
        frame = motor_frame(120, seed=7)
        frame.loc[5, "model"] = frame.loc[4, "model"]  # two rows of one model: stems apart
        frame.to_csv(table, index=False)
        shutil.copytree(EXAMPLES, folder)
    return [str(folder), str(table)]


def evaluate(tmp_path: Path, name: str, *extra: str):
    return CliRunner().invoke(main, ["evaluate", *inputs(tmp_path), "--set", SET,
                                     "--date", DATE, "--reports", "all",
                                     "--format", "json,md,html,xlsx", "-o",
                                     str(tmp_path / name), "-q", *extra])


def records(folder: Path) -> list[dict]:
    """The audit records as written, their paths made relative to the output folder."""
    with sqlite3.connect(folder / "audit.sqlite") as db:
        rows = [r[0] for r in db.execute("SELECT record FROM evaluations ORDER BY seq")]
    return [json.loads(r.replace(f"{folder}/", "")) for r in rows]


def test_reports_made_in_processes_are_the_files_one_process_makes(tmp_path):
    one = evaluate(tmp_path, "one", "--jobs", "1")
    assert one.exit_code == 0, one.output
    three = evaluate(tmp_path, "three", "--jobs", "3")
    assert three.exit_code == 0, three.output
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*")
                   if p.is_file() and not p.name.startswith("audit.sqlite"))
    reports = [f for f in files if "-row" in f.name]
    assert len(reports) == 4 * 120  # json, md, html and xlsx of every row
    assert len({f.name.split(".")[0] for f in reports}) == 120  # two rows of one model too
    assert files == sorted(p.relative_to(tmp_path / "three")
                           for p in (tmp_path / "three").rglob("*")
                           if p.is_file() and not p.name.startswith("audit.sqlite"))
    for f in files:
        assert (tmp_path / "one" / f).read_bytes() == (tmp_path / "three" / f).read_bytes(), f
    made = records(tmp_path / "one")
    assert len(made) == 120 + len(list(EXAMPLES.glob("*.yaml")))
    assert made == records(tmp_path / "three")


def test_the_default_uses_processes_for_many_reports(tmp_path, monkeypatch):
    used = []
    monkeypatch.setattr(batch, "PROCESSES_FROM", 100)
    monkeypatch.setattr(batch, "in_processes",
                        lambda work, tasks, jobs: used.append(jobs) or batch.itertools.chain
                        .from_iterable(work(*t) for t in tasks))
    monkeypatch.setattr(batch, "_cpus", lambda: 2)
    assert evaluate(tmp_path, "default").exit_code == 0
    assert used == [2]
    monkeypatch.setattr(batch, "PROCESSES_FROM", 121)  # 120 reports of rows: fewer
    assert evaluate(tmp_path, "fewer").exit_code == 0
    assert used == [2]


def test_no_more_workers_than_tasks(tmp_path, monkeypatch):
    used = []
    monkeypatch.setattr(batch, "in_processes",
                        lambda work, tasks, jobs: used.append((jobs, len(tasks))) or batch
                        .itertools.chain.from_iterable(work(*t) for t in tasks))
    assert evaluate(tmp_path, "eight", "--jobs", "8").exit_code == 0
    assert used == [(3, 3)]  # 120 rows: three tasks of REPORTS_PER_TASK (50) rows at most
    res = CliRunner().invoke(main, ["evaluate", inputs(tmp_path)[1], "--set", SET, "--date",
                                    DATE, "--reports", "1,2,3", "--format", "md", "-o",
                                    str(tmp_path / "one-task"), "-q", "--jobs", "8"])
    assert res.exit_code == 0, res.output
    assert used == [(3, 3)]  # one task: made here, no worker forked
    assert len(list((tmp_path / "one-task").glob("*-row*.md"))) == 3


def test_a_worker_that_fails_leaves_no_report_and_no_record(tmp_path, monkeypatch):
    render = batch.render_markdown

    def failing(result, lang, template_dir=None):  # in a worker: the table's 77th row
        if result["declaration"]["file"].endswith("#row77"):
            raise RuntimeError("the renderer broke")
        return render(result, lang, template_dir)

    monkeypatch.setattr(batch, "render_markdown", failing)
    res = evaluate(tmp_path, "broken", "--jobs", "2")
    assert res.exit_code == 70 and "Traceback" not in res.output, res.output
    assert res.output.strip().splitlines() == [res.output.strip()]  # one line, under -q too
    assert "internal error (RuntimeError: the renderer broke)" in res.output
    left = [p for p in (tmp_path / "broken").rglob("*") if p.is_file()]
    assert not [p for p in left if "-row" in p.name or p.suffix in (".md", ".json", ".csv")]
    if (tmp_path / "broken" / "audit.sqlite").exists():
        assert records(tmp_path / "broken") == []


@pytest.mark.parametrize("jobs", ["0", "-1", "x"])
def test_jobs_must_be_a_whole_number_from_one(tmp_path, jobs):
    res = evaluate(tmp_path, "o", "--jobs", jobs)
    assert res.exit_code == 2 and "--jobs" in res.output and "Traceback" not in res.output
    assert jobs == "x" or "[option_out_of_range]" in res.output
    assert not (tmp_path / "o").exists()


def test_in_processes_keeps_the_tasks_order_and_needs_no_picklable_work():
    local = {k: f"row {k}" for k in range(40)}  # what the workers inherit, never sent

    def work(start: int, stop: int) -> list:
        return [(local[k], batch.os.getpid()) for k in range(start, stop)]

    made = list(batch.in_processes(work, [(k, min(k + 3, 40)) for k in range(0, 40, 3)], 2))
    assert [text for text, _ in made] == [local[k] for k in range(40)]
    assert batch.os.getpid() not in {pid for _, pid in made}
