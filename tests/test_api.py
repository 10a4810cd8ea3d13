"""The public Python API: what the README's example uses works, on the shipped examples."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import benchmark

ROOT = Path(__file__).resolve().parents[1]
DATE = "2026-11-23"


def test_evaluate_a_declaration_file():
    result = benchmark.evaluate(ROOT / "examples/declarations/motor-leader.yaml", "leader", DATE)
    assert result.verdict == "eligible"
    assert result.to_dict()["kind"] == "evaluation"


def test_evaluate_a_dataframe_gives_a_verdict_table():
    frame = pd.read_csv(ROOT / "examples/populations/room-air-conditioners.csv", dtype=str)
    frame = frame.drop(index=7)  # the example's unusable row
    table = benchmark.evaluate(frame, "leader", DATE, set_id="room-air-conditioner")
    assert len(table) == len(frame)
    assert set(table["verdict"]) <= {"eligible", "not_eligible", "not_evaluable"}
    assert {"model", "level:apf", "failed_rules"} <= set(table.columns)  # the README's columns
    ranked = benchmark.rank(frame, "room-air-conditioner", "leader", DATE)
    eligible = set(table.loc[table["verdict"] == "eligible", "row"])
    assert set(ranked.composite["row"]) == eligible  # the composite ranks the eligible rows


def test_rank_gives_tables_of_text_a_user_can_sort_and_search():
    """The API's tables hold the identity as text (the engine's own tables hold positions into
    the population's text, which pandas can neither sort nor search)."""
    path = ROOT / "examples/populations/room-air-conditioners.csv"
    for ranked in (benchmark.rank(path, "room-air-conditioner", "leader", DATE),
                   benchmark.rank(pd.read_csv(path, dtype=str), "room-air-conditioner",
                                  "leader", DATE)):
        for name in ("composite", "tiers", "excluded"):
            frame = getattr(ranked, name)
            models = frame["model"].sort_values()
            assert models.str.len().ge(0).all(), name  # searchable as text
            assert models.tolist() == sorted(frame["model"].tolist()), name


def test_compare_and_validate():
    study = benchmark.compare("three-phase-induction-motor", DATE, parameters=["rated_power=1.5kW"])
    assert study.references and study.indicators
    assert benchmark.validate().errors == []
    assert "py.typed" in {p.name for p in (ROOT / "benchmark").iterdir()}
