"""A population table's category looked up once (`catalogue.indicator_set`), and populations
of chunks or pieces joined by one function (`population._concatenate`), whichever path reads
them (one process, or Dask parts and segments)."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pytest
from test_dask import room_air_conditioners

from benchmark.catalogue import indicator_set, load_catalogue
from benchmark.errors import InputError
from benchmark.population import ROW_MEMBERS, _concatenate, load_population
from benchmark.study import compare_study

AC = "room-air-conditioner"


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    path = tmp_path_factory.mktemp("t") / "ac.csv"
    room_air_conditioners(1000, seed=11).to_csv(path, index=False)
    return path


def test_an_unknown_category_is_the_same_problem_from_every_command(cat, table):
    """Reading a population and a comparison study name an unknown category as the catalogue
    does: same code, message and hint (the nearest known id)."""
    with pytest.raises(InputError) as direct:
        indicator_set(cat, "room-air-conditoner")
    with pytest.raises(InputError) as read:
        load_population(table, cat, "room-air-conditoner".replace("ditio", "dito"))
    with pytest.raises(InputError) as study:
        compare_study(cat, "room-air-conditoner".replace("ditio", "dito"), dt.date(2026, 11, 23))
    assert read.value.problems == study.value.problems == direct.value.problems
    assert direct.value.code == "unknown_category"
    assert repr(AC) in (direct.value.problems[0].hint or "")


def _rows(pop) -> dict:
    """Every per-row member of a population as lists of reprs (NaN equals NaN), to compare."""
    def plain(x):
        if isinstance(x, dict):
            return {k: plain(v) for k, v in x.items()}
        if isinstance(x, tuple):
            return tuple(plain(v) for v in x)
        return None if x is None else [repr(v) for v in np.asarray(x, dtype=object)]
    return {name: plain(getattr(pop, name)) for name in ROW_MEMBERS}


def test_pieces_joined_in_an_order_are_the_rows_taken_in_that_order(cat, table):
    """Three pieces of a population joined with `keep` (as Dask joins a segment's pieces) are
    left as they were, and the joined rows in an order are the whole population's rows in that
    order, member by member, the model still arrow strings."""
    whole = load_population(table, cat, AC)
    edges = [0, 300, 700, len(whole)]
    pieces = [_concatenate([load_population(table, cat, AC)], np.arange(a, b), keep=True)
              for a, b in itertools.pairwise(edges)]
    before = [_rows(p) for p in pieces]
    order = np.random.default_rng(1).permutation(len(whole))
    joined = _concatenate(pieces, order, keep=True)
    assert [_rows(p) for p in pieces] == before
    assert _rows(joined) == _rows(_concatenate([whole], order, keep=True))
    assert joined.rows.tolist() == whole.rows[order].tolist()
    assert type(joined.fields["model"]) is type(whole.fields["model"])
    assert len({len(joined)} | {len(v) for v in joined.values.values()}) == 1
