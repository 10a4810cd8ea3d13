"""Explaining a row words its reasons and notes from reports/labels.yaml read once per run: no
file status is asked per text (session 6 asked two per text, which made `explain` 1.7× slower
and 10,000 Markdown reports 1.4× slower), and the engine's words are the reports' (one cache
entry for the shipped file)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from test_verdict_table import DATE, SET, motor_frame

from benchmark import wording
from benchmark.batch import assess_table, explain_rows, read_table_input
from benchmark.catalogue import load_catalogue
from benchmark.report import labels


@pytest.fixture(scope="module")
def assessed(tmp_path_factory):
    path = tmp_path_factory.mktemp("explain") / "applicants.csv"
    motor_frame(1000, seed=31).to_csv(path, index=False)
    catalogue = load_catalogue(None)
    pop = read_table_input(path, catalogue, SET, None)
    return str(path), pop, assess_table(str(path), pop, catalogue, "leader",
                                        dt.date.fromisoformat(DATE))


def test_explaining_rows_asks_no_file_status(assessed, monkeypatch):
    name, pop, a = assessed
    expected = dict(explain_rows(name, pop, a, range(25)))  # words read (or already read) here
    asked: list[str] = []
    real = os.stat

    def counted(path, *args, **kwargs):
        asked.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", counted)
    results = dict(explain_rows(name, pop, a, range(25)))
    monkeypatch.undo()
    assert asked == []
    assert results == expected
    assert {r["verdict"] for r in results.values()} <= {"eligible", "not_eligible",
                                                        "not_evaluable"}


def test_engine_and_reports_share_one_reading_of_the_shipped_file():
    shipped = wording.labels_file(wording.shipped_stamp())
    for lang in ("zh", "en"):
        assert labels(lang) is shipped[lang]
    assert wording.shipped_stamp() == wording.file_stamp(
        Path(wording.shipped_stamp()[0]))
