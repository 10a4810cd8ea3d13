"""What an assessment holds per row: an array every row of which holds the same value is held as
that one value (engine.assess.one_value), and reads as the array it stands for; a yes/no label
is yes only where it is the boolean True."""

from __future__ import annotations

import datetime as dt
import importlib

import numpy as np
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
