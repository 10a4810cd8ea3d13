"""What an assessment holds per row: an array every row of which holds the same value is held as
that one value (engine.assess.one_value), and reads as the array it stands for; a yes/no label
is yes only where it is the boolean True."""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from test_dask import room_air_conditioners

from benchmark.catalogue import load_catalogue
from benchmark.engine import assess
from benchmark.engine.assess import ROW_FLAGS
from benchmark.population import load_population

assess_module = importlib.import_module("benchmark.engine.assess")  # not the function
SET = "room-air-conditioner"
ON = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def population(tmp_path_factory):
    """A room-AC table of several segments (heat pumps and cooling-only units of each size)."""
    path = tmp_path_factory.mktemp("held") / "room-ac.parquet"
    room_air_conditioners(3000, seed=5).to_parquet(path, index=False)
    catalogue = load_catalogue()
    return catalogue, load_population(path, catalogue, SET)


def _held(a) -> list[tuple[str, np.ndarray]]:
    """(name, array) of every per-row array an assessment keeps in one byte."""
    out = [(f"{i}.{name}", getattr(r, name)) for i, r in a.indicators.items()
           for name in ROW_FLAGS if getattr(r, name) is not None]
    for rid, o in a.outcomes.items():
        out += [(f"{rid}.codes", o.codes), (f"{rid}.reason", o.reason)]
        out += [(f"{rid}.{k}", v) for k, v in o.subjects.items()]
    return out


@pytest.mark.parametrize("peers", [None, "self"])
def test_held_arrays_read_as_the_arrays_made(population, monkeypatch, peers):
    catalogue, pop = population
    assert len(np.unique(assess(pop, catalogue, "leader", ON).segment_code)) > 3
    held = _held(assess(pop, catalogue, "leader", ON, steps=True, population=peers))
    monkeypatch.setattr(assess_module, "one_value", lambda x: x)  # every array as made
    made = _held(assess(pop, catalogue, "leader", ON, steps=True, population=peers))
    assert [name for name, _ in held] == [name for name, _ in made]
    for (name, x), (_, y) in zip(held, made, strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert np.array_equal(x, y), name
    once = [name for name, x in held if x.strides == (0,)]
    assert once and len(once) < len(held)  # some held once (applies everywhere), some per row
    assert all(not x.flags.writeable for name, x in held if name in once)


def test_a_yes_no_label_is_yes_only_where_it_is_the_boolean_true(population):
    """A population made by hand may hold 1 or 1.0, which equal True: they are not a yes."""
    catalogue, pop = population
    said = np.array([True, 1, 1.0, np.True_, False, None], dtype=object)
    n = len(pop) - len(pop) % len(said)
    hand = replace(pop, labels={"mandatory_conformity": np.tile(said, n // len(said))},
                   **{name: _rows(getattr(pop, name), n) for name in ("rows", "fields",
                                                                     "parameters", "values")},
                   intervals={}, shipments=None, segment_codes=None)
    r = assess(hand, catalogue, "leader", ON).indicators["mandatory_conformity"]
    assert r.lowest[:len(said)].tolist() == [1, 0, 0, 1, 0, -1]
    assert r.declared[:len(said)].tolist() == [True] * 5 + [False]


def _rows(x, n: int):
    return {k: v[:n] for k, v in x.items()} if isinstance(x, dict) else x[:n]


def test_a_tables_labels_are_codes_read_as_declared(tmp_path):
    catalogue = load_catalogue()
    rows = [{"enterprise": "甲电机有限公司", "standard": "Q/JDJ 1-2025",
             "标准名称": "三相异步电动机", "model": f"M{i}", "rated_power [kW]": 1.5,
             "poles": 4, "efficiency [%]": 90.6, "noise [dB(A)]": 62,
             "mandatory_conformity": said}
            for i, said in enumerate(["是", "否", "", "yes", "否"])]
    path = tmp_path / "m.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    pop = load_population(path, catalogue, "three-phase-induction-motor")
    label = pop.labels["mandatory_conformity"]
    assert isinstance(label, pd.Categorical) and label.codes.dtype == np.int8
    r = assess(pop, catalogue, "leader", ON).indicators["mandatory_conformity"]
    seen = r.label_at(np.arange(5))
    assert seen.tolist() == [True, False, None, True, False]
    assert all(x is None or type(x) is bool for x in seen)
    assert r.declared.tolist() == [True, True, False, True, True]
    assert r.lowest.tolist() == [1, 0, -1, 1, 0]
