"""The assess and rank compute (issue 12): what is made once and shared (a segment's rows, the
rows failing a gate), and the faster kernels held to their definitions — competition ranks to
"1 + the rows strictly better on the keys in turn", the composite's order to rank then row, a
text parameter coded once to the same segments, the ranking's tier summaries to their members.
"""

from __future__ import annotations

import bisect
import datetime as dt
import importlib
import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_dask import room_air_conditioners
from test_engine_ranking_once import ranked  # noqa: F401  (a 1,000-row room-AC ranking)

from benchmark import leaders, ranking
from benchmark.catalogue import load_catalogue
from benchmark.engine import assess, standing
from benchmark.engine.assess import segments_of
from benchmark.engine.types import FAIL
from benchmark.population import load_population
from benchmark.report import ranking as report

ROOT = Path(__file__).resolve().parents[1]

SET = "room-air-conditioner"
ON = dt.date(2026, 11, 23)


def _competition_ranks(keys: list[np.ndarray], signs: list[int]) -> np.ndarray:
    """The definition: a row whose first key is present ranks 1 + the rows strictly better on
    the keys in turn (a NaN tie-breaker worse than every value, NaN equal to NaN); else 0."""
    def oriented(i: int) -> tuple:
        return tuple(math.inf if np.isnan(k[i]) else -s * float(k[i])
                     for k, s in zip(keys, signs, strict=True))
    present = [i for i in range(len(keys[0])) if not np.isnan(keys[0][i])]
    ordered = sorted(oriented(i) for i in present)
    out = np.zeros(len(keys[0]), dtype=np.int64)
    for i in present:
        out[i] = 1 + bisect.bisect_left(ordered, oriented(i))
    return out


@pytest.mark.parametrize("seed", range(40))
def test_competition_ranks_are_one_plus_the_rows_strictly_better(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 80)), int(rng.integers(1, 5))
    keys = [np.round(rng.normal(size=n), int(rng.integers(0, 2))) for _ in range(m)]
    for k in keys:
        k[rng.random(n) < 0.2] = np.nan
    keys[0][rng.random(n) < 0.1] = -0.0  # equal to 0.0
    signs = [int(s) for s in rng.choice([1, -1], m)]
    assert np.array_equal(ranking.competition_rank(keys, signs), _competition_ranks(keys, signs))


def test_competition_ranks_of_many_keys_with_many_distinct_values():
    """Six keys of 3,000 distinct values each: more combinations than an int64 holds, so the
    joint code is made dense on the way; the ranks still follow the definition."""
    rng = np.random.default_rng(7)
    keys = [rng.permutation(3000).astype(float) for _ in range(6)]
    keys[1][:1500] = keys[1][1500:]  # ties on the second key for the later keys to break
    keys[0] = np.floor(keys[0] / 100)  # 30 distinct primary values: many ties
    signs = [1, -1, 1, -1, 1, 1]
    assert np.array_equal(ranking.competition_rank(keys, signs), _competition_ranks(keys, signs))


@pytest.mark.parametrize("ascending", [True, False])
def test_the_composite_order_is_by_rank_then_row(ascending):
    rng = np.random.default_rng(3)
    rank = rng.integers(1, 50, 500)
    row = np.sort(rng.choice(10_000, 500, replace=False)) if ascending else \
        rng.integers(0, 100, 500)  # repeated, unordered row numbers take the general sort
    assert np.array_equal(leaders._by_rank_then_row(rank, row), np.lexsort((row, rank)))


def _orders_as_the_columns_in_turn(code: np.ndarray, columns: list[np.ndarray]) -> None:
    """`code` sorts the rows as `columns` do in turn (NaN last), and rows share a code exactly
    when they are equal in every column (NaN equal to NaN)."""
    keys = [np.where(np.isnan(c), np.inf, c) if c.dtype.kind == "f" else c for c in columns]
    by_code = np.argsort(code, kind="stable")
    assert np.array_equal(by_code, np.lexsort(keys[::-1]))
    for i, j in itertools.pairwise(by_code):
        same = all(k[i] == k[j] for k in keys)
        assert (code[i] == code[j]) == same


@pytest.mark.parametrize("kind", ["counts", "floats", "wide", "mixed"])
def test_joint_code_orders_as_the_columns_in_turn(kind):
    """The one joint key of the ranks, the composite's tie-breakers and the exclusion reasons:
    whole numbers placed by counting, floats with NaN and wide integers by sorting."""
    rng = np.random.default_rng(5)
    n = 300
    counts = [rng.integers(0, 6, n).astype(np.int8) for _ in range(3)]
    floats = [np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 4, n) / 2.0)
              for _ in range(3)]
    wide = [rng.integers(-2 ** 62, 2 ** 62, n) // 2 ** 60 * 2 ** 60 for _ in range(2)]
    columns = {"counts": counts, "floats": floats, "wide": wide,
               "mixed": [floats[0], counts[0], wide[0], counts[1] - 3]}[kind]  # < 0: shifted
    code = ranking.joint_code(columns)
    _orders_as_the_columns_in_turn(code, columns)
    dense = ranking.joint_code(columns, dense=True)
    _orders_as_the_columns_in_turn(dense, columns)
    assert set(dense.tolist()) == set(range(len(np.unique(code))))


def test_joint_code_does_not_overflow():
    # eight columns of 300 distinct values each: 300**8 > 2**62 codes before renumbering
    rng = np.random.default_rng(6)
    columns = [rng.permutation(300) * 1.5 for _ in range(8)]
    _orders_as_the_columns_in_turn(ranking.joint_code(columns), columns)


def test_text_parameters_coded_once_find_the_same_segments():
    """Segments found on text parameters held as Python objects (coded once as categories) are
    those found on the same parameters as categories, as a table's reader holds them."""
    iset = load_catalogue().sets[SET]
    rng = np.random.default_rng(2)
    n = 2000
    texts: dict[str, np.ndarray] = {}
    for s in iset.segments:
        for key, spec in s.where.items():
            if isinstance(spec, tuple):
                choices = [str(v) for v in spec] + ["unknown", None]
                texts[key] = np.array(choices, dtype=object)[rng.integers(0, len(choices), n)]
    assert texts  # the category's segments test text parameters
    params = {**texts, "cooling_capacity": rng.uniform(1000, 20000, n)}
    as_categories = {k: (pd.Categorical(v) if k in texts else v) for k, v in params.items()}
    found = segments_of(iset, params, n)
    assert np.array_equal(found, segments_of(iset, as_categories, n))
    assert (found >= 0).any() and (found < 0).any()
    assert all(isinstance(v, np.ndarray) for v in params.values())  # the caller's left as is


def test_segment_rows_made_once_per_rank(tmp_path, monkeypatch):
    """A segment's rows are found once for the assessment, its standing context, its ranking
    and the ranking's summaries (they were found four or five times per `rank`)."""
    room_air_conditioners(1000, seed=11).to_csv(tmp_path / "room-ac.csv", index=False)
    catalogue = load_catalogue()
    pop = load_population(tmp_path / "room-ac.csv", catalogue, SET)
    made = []
    real = standing.segment_positions

    def counted(codes):
        made.append(np.array(codes))
        return real(codes)

    for module in (importlib.import_module("benchmark.engine.assess"), standing, leaders, report):
        if hasattr(module, "segment_positions"):
            monkeypatch.setattr(module, "segment_positions", counted)
    a = assess(pop, catalogue, "leader", ON, population="self")
    r = leaders.rank_population(a)
    report.ranking_result(r, {}, "")
    of_rows = [codes for codes in made if len(codes) == len(pop)]
    assert len(of_rows) == 1 and np.array_equal(of_rows[0], a.segment_code)
    expected = real(a.segment_code)
    assert list(a.segments) == list(expected)
    assert all(np.array_equal(a.segments[k], v) for k, v in expected.items())
    gates = [rule.id for rule in a.programme.rules if rule.kind == "gate"]
    assert np.array_equal(a.gate_failed,
                          np.any([a.rules[g] == FAIL for g in gates], axis=0))
    assert a.gate_failed.any() and not a.gate_failed.all()


def test_tier_summaries_are_their_members(ranked):  # noqa: F811
    """Each tier of a distribution: its number of rows and best / worst value are those of the
    segment's rows the tiers table puts in it."""
    r, a = ranked, ranked.assessment
    seen = 0
    for d in report.distributions(r):
        ind = a.indicators[d["indicator"]]
        code = a.segment_ids.index(d["segment"]) if d["segment"] else -1
        tier = r.tiers[f"tier_{d['indicator']}"].to_numpy()
        in_segment = a.segment_code == code
        assert [t["tier"] for t in d["tiers"]] == sorted(set(tier[in_segment & (tier > 0)]))
        for t in d["tiers"]:
            members = ind.value[in_segment & (tier == t["tier"])]
            assert t["n"] == len(members)
            good = members * ind.sign
            assert (t["best"], t["worst"]) == (members[good.argmax()], members[good.argmin()])
            seen += 1
    assert seen > 5


def test_composite_ranks_and_counts_are_held_narrow_and_written_as_int64(ranked):  # noqa: F811
    """The composite holds its ranks and counts in the narrowest integer type (a rank is at most
    the segment's rows, a count at most its indicators); its Parquet file, the API's tables and
    a pickled ranking's (a Dask worker's) have them as int64, the same numbers."""
    import io

    import pyarrow.parquet as pq

    held = ranked.composite
    columns = list(leaders.WRITTEN_TYPES)
    assert all(held[c].dtype.kind == "i" and held[c].dtype.itemsize < 8 for c in columns)
    out = io.BytesIO()
    report.table_parquet(report.table_frames(ranked)["composite"])(out)
    written = pq.read_table(io.BytesIO(out.getvalue()))
    for table in (written.to_pandas(), ranked.as_text()["composite"],
                  ranked.__getstate__()["composite"]):
        for c in columns:
            assert table[c].dtype == np.int64, c
            assert np.array_equal(table[c].to_numpy(), held[c].to_numpy()), c


def test_an_unusable_rows_identity_is_held_as_a_position_and_written_as_empty_text(ranked):  # noqa: F811
    """The excluded table holds the identity of every row as positions into the population's
    text, an unusable row's (none) as a null position, not a copy of the rows' text; written
    (Parquet, the API's tables) it is the row's text, "" for an unusable row."""
    import io

    import pyarrow.parquet as pq

    from benchmark.population import is_positions

    excluded = ranked.excluded
    unusable = (excluded["reason_code"] == "unusable_row").to_numpy()
    assert unusable.any() and not unusable.all()
    assert is_positions(excluded["model"])
    out = io.BytesIO()
    report.table_parquet(report.table_frames(ranked)["excluded"])(out)
    pop = ranked.assessment.population
    text = dict(zip(pop.rows.tolist(), pd.Series(pop.fields["model"]).tolist(), strict=True))
    for table in (pq.read_table(io.BytesIO(out.getvalue())).to_pandas(),
                  ranked.as_text()["excluded"]):
        model = table["model"].tolist()
        assert [m for m, u in zip(model, unusable, strict=True) if u] == [""] * unusable.sum()
        assert all(m == text[row] for m, row, u in zip(model, table["row"], unusable,
                                                       strict=True) if not u)


def test_more_tiers_than_a_byte_holds_are_written_as_ranked(tmp_path):
    """`--tiers` allows up to 1000: a tier past 127 is written as it is, not wrapped to a
    negative number (a tier held in one signed byte), and the summaries count it."""
    from click.testing import CliRunner

    from benchmark.cli import main

    table = ROOT / "examples" / "populations" / "room-air-conditioners.csv"
    result = CliRunner().invoke(main, [
        "rank", str(table), "--set", "room-air-conditioner", "--date", "2026-11-23",
        "--tiers", "200", "--format", "csv,json", "-o", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    tiers = pd.read_csv(tmp_path / "tiers.csv", encoding="utf-8-sig")
    columns = [c for c in tiers if c.startswith("档：")]
    assert columns and tiers[columns].to_numpy().min() >= 0
    assert tiers[columns].to_numpy().max() > 127  # 40 rows, 200 tiers: the worst are past 127
    assert tiers[columns].to_numpy().max() <= 200


def test_joint_code_places_yes_no_columns():
    """A yes/no column is a key like any other: False before True."""
    flags = np.array([True, False, True, False])
    assert ranking.joint_code([flags]).tolist() == [1, 0, 1, 0]
    assert ranking.joint_code([flags, np.array([3, 1, 2, 1])]).tolist() == \
        ranking.joint_code([flags.astype(int), np.array([3, 1, 2, 1])]).tolist()
