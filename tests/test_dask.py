"""`benchmark rank` of a partitioned Parquet dataset on a Dask cluster gives what one process gives.

The dataset is split by category the Hive way and each category into several parts: room air
conditioners (rows drawn from the shipped example table, values jittered) and household
refrigerators (the shipped foreign-registry example, read through its mapping). Each category is
ranked through the CLI in this process and on a `LocalCluster` of two workers; per-row tables
must be equal row for row and byte-equal when written the same way, and every other file
identical. The generator is shared with the benchmarks in tests/perf.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from benchmark.cli import main

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "populations"
ROOM_AC = "room-air-conditioner"
FRIDGE = "household-refrigerator"
FRIDGE_MAPPING = EXAMPLES / "registry-refrigerators.mapping.yaml"
ON = "2026-11-23"
KEYS = {"composite": ["row"], "tiers": ["row"], "excluded": ["row", "reason_code"]}
JITTERED_AC = ("apf [W·h/W·h]", "seer [W·h/W·h]", "eer [W/W]")


def _jittered(frame: pd.DataFrame, columns, rng: np.random.Generator) -> None:
    """Each numeric cell of `columns` times (1 + N(0, 3 %)), written back as text with the
    column's decimals; empty and non-numeric cells (a declared requirement as text) kept."""
    for column in columns:
        number = pd.to_numeric(frame[column], errors="coerce")
        digits = frame[column].str.partition(".")[2].str.len().max()
        jittered = (number * (1 + rng.normal(0, 0.03, len(frame)))).round(int(digits or 0))
        frame[column] = np.where(number.notna(), jittered.astype(str), frame[column])


def room_air_conditioners(n: int, seed: int = 0) -> pd.DataFrame:
    """`n` rows drawn from examples/populations/room-air-conditioners.csv (cells as text, as an
    export has them): the example's makers, credit codes and segments, energy efficiency values
    jittered, each model number made unique."""
    base = pd.read_csv(EXAMPLES / "room-air-conditioners.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    frame = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
    _jittered(frame, JITTERED_AC, rng)
    frame["型号"] = frame["型号"] + "-" + pd.Series(np.arange(n)).astype(str).str.zfill(7)
    return frame


def refrigerators(n: int, seed: int = 0) -> pd.DataFrame:
    """`n` rows drawn from examples/populations/registry-refrigerators.csv, annual energy
    jittered, model numbers unique."""
    base = pd.read_csv(EXAMPLES / "registry-refrigerators.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    frame = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
    _jittered(frame, ["Annual Energy Use (kWh/yr)"], rng)
    frame["Model Number"] = frame["Model Number"] + "-" + pd.Series(np.arange(n)).astype(str)
    return frame


def write_dataset(folder: Path, frames: dict[str, pd.DataFrame], parts: int) -> Path:
    """`folder/category=<id>/part-<i>.parquet`: each category's rows in `parts` consecutive
    parts."""
    for set_id, frame in frames.items():
        (folder / f"category={set_id}").mkdir(parents=True)
        for i, part in enumerate(np.array_split(np.arange(len(frame)), parts)):
            frame.iloc[part].to_parquet(folder / f"category={set_id}" / f"part-{i}.parquet",
                                        index=False)
    return folder


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as c:
        yield c


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("export") / "dataset"
    return write_dataset(folder, {ROOM_AC: room_air_conditioners(3000, 1),
                                  FRIDGE: refrigerators(1000, 2)}, parts=4)


def rank(population, set_id: str, out: Path, *extra: str,
         formats: str = "json,csv,parquet,md") -> None:
    args = ["rank", str(population), "--set", set_id, "--date", ON, "--format", formats,
            "-o", str(out), *extra]
    if set_id == FRIDGE:
        args += ["--mapping", str(FRIDGE_MAPPING)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output


def table(path: Path) -> pd.DataFrame:
    """A per-row table as written: one Parquet file, or a dataset's parts in path order."""
    files = sorted(path.glob("part-*.parquet")) if path.is_dir() else [path]
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False, engine="pyarrow", compression="zstd")
    return buf.getvalue()


@pytest.mark.parametrize(("set_id", "extra", "formats"), [
    (ROOM_AC, [], "json,csv,parquet,md"),
    (FRIDGE, [], "json,csv,parquet,md"),
    (ROOM_AC, ["-p", "leader-selection", "--lang", "en"], "json,parquet,html,xlsx,boards"),
    (ROOM_AC, ["-p", "leader-composite"], "json,parquet,md"),
])
def test_dask_gives_the_single_process_results(tmp_path, dataset, cluster, set_id, extra,
                                               formats):
    rank(dataset, set_id, tmp_path / "one", *extra, formats=formats)
    rank(dataset, set_id, tmp_path / "dask", *extra, "--dask", cluster.scheduler_address,
         formats=formats)
    one, dask = tmp_path / "one", tmp_path / "dask"
    written = sorted(p.name for p in one.iterdir())
    assert "thresholds.parquet" in written and "tiers.parquet" in written
    for name in written:
        stem = name.removesuffix(".parquet")
        if name.endswith(".parquet") and stem in KEYS:  # a dataset of parts with --dask
            parts = sorted((dask / stem).glob("part-*.parquet"))
            assert len(parts) > 1 or stem == "excluded"  # a part per segment ranked
            if stem == "composite":  # segment by segment: the parts in order are the table
                pd.testing.assert_frame_equal(table(one / name), table(dask / stem))
            a = table(one / name).sort_values(KEYS[stem], ignore_index=True)
            b = table(dask / stem).sort_values(KEYS[stem], ignore_index=True)
            pd.testing.assert_frame_equal(a, b)
            assert parquet_bytes(a) == parquet_bytes(b)
        else:
            assert (one / name).read_bytes() == (dask / name).read_bytes(), name
    result = json.loads((dask / "ranking.json").read_text(encoding="utf-8"))
    assert result["category"] == set_id and len({t["segment"] for t in result["thresholds"]}) > 1
    assert len(result["provenance"]["inputs"]) >= 4  # every part's digest (and the mapping)


def test_dataset_ranks_as_the_same_rows_in_one_file(tmp_path, dataset, cluster):
    parts = sorted((dataset / f"category={ROOM_AC}").glob("*.parquet"))
    whole = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    whole.to_parquet(tmp_path / "whole.parquet", index=False)
    rank(tmp_path / "whole.parquet", ROOM_AC, tmp_path / "file")
    rank(dataset, ROOM_AC, tmp_path / "dask", "--dask", cluster.scheduler_address)
    one = json.loads((tmp_path / "file" / "ranking.json").read_text(encoding="utf-8"))
    dask = json.loads((tmp_path / "dask" / "ranking.json").read_text(encoding="utf-8"))
    for result in (one, dask):
        del result["provenance"]["inputs"]
    assert one["provenance"].pop("population")["file"] == str(tmp_path / "whole.parquet")
    assert one == dask  # thresholds, tiers, excluded rows at the same row numbers …
    assert one["population"]["unusable_rows"] > 0  # the example's unreadable cell, drawn


def test_unusable_row_is_placed_at_its_dataset_row(tmp_path):
    frame = room_air_conditioners(200, 3)
    frame.loc[150, "apf [W·h/W·h]"] = "high"
    folder = write_dataset(tmp_path / "ds", {ROOM_AC: frame}, parts=2)  # row 151: part 2, row 51
    result = CliRunner().invoke(main, ["rank", str(folder), "--set", ROOM_AC, "--date", ON,
                                       "--format", "parquet", "--lang", "en",
                                       "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    excluded = pd.read_parquet(tmp_path / "out" / "excluded.parquet").set_index("row").astype(str)
    assert excluded.loc[151, ["reason_code", "problem_code", "problem_column"]].tolist() == [
        "unusable_row", "requirement_unreadable", "apf"]
    assert "'high'" in excluded.loc[151, "problem"]
    assert f"{folder} /151/apf" in result.output


def test_local_cluster_started_by_the_command(tmp_path, dataset):
    rank(dataset, FRIDGE, tmp_path / "one")
    rank(dataset, FRIDGE, tmp_path / "dask", "--dask", "local:2")
    for name in ("ranking.json", "thresholds.csv", "ranking.zh.md"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()


def test_every_part_problem_reported_together(tmp_path, cluster):
    frame = room_air_conditioners(100, 4)
    folder = write_dataset(tmp_path / "ds", {ROOM_AC: frame}, parts=3)
    for name in ("part-0.parquet", "part-2.parquet"):
        path = folder / f"category={ROOM_AC}" / name
        pd.read_parquet(path).rename(columns={"apf [W·h/W·h]": "apf [furlong]"}).to_parquet(path)
    result = CliRunner().invoke(main, ["rank", str(folder), "--set", ROOM_AC, "--format", "json",
                                       "-o", str(tmp_path / "out"), "--dask",
                                       cluster.scheduler_address])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "part-0.parquet" in result.output and "part-2.parquet" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("where", "code"), [
    ("nothing-here/*.parquet", "dataset_empty"),
    ("dataset", "dataset_category_missing"),
])
def test_dataset_problems(tmp_path, where, code):
    write_dataset(tmp_path / "dataset", {FRIDGE: refrigerators(10)}, parts=1)
    result = CliRunner().invoke(main, ["rank", str(tmp_path / where), "--set", ROOM_AC,
                                       "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and code in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("address", "code"), [("local:0", "dask_address_invalid"),
                                               ("local:many", "dask_address_invalid")])
def test_bad_dask_address(tmp_path, dataset, address, code):
    result = CliRunner().invoke(main, ["rank", str(dataset), "--set", ROOM_AC, "--dask", address,
                                       "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and code in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_missing_extra_named(tmp_path, dataset, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails as if not installed
    result = CliRunner().invoke(main, ["rank", str(dataset), "--set", ROOM_AC, "--dask", "local",
                                       "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "dask_not_installed" in result.output and "benchmark[dask]" in result.output
    assert not (tmp_path / "out").exists()


def test_a_file_with_brackets_is_a_file_and_a_glob_a_dataset(tmp_path):
    from benchmark.distributed import dataset_parts, is_dataset

    write_dataset(tmp_path / "ds", {ROOM_AC: room_air_conditioners(20)}, parts=2)
    named = tmp_path / "export [1].parquet"
    named.write_bytes((tmp_path / "ds" / f"category={ROOM_AC}" / "part-0.parquet").read_bytes())
    assert not is_dataset(named) and not is_dataset("-")
    pattern = str(tmp_path / "ds" / "*" / "part-*.parquet")
    assert is_dataset(pattern) and is_dataset(tmp_path / "ds")
    assert [p.name for p in dataset_parts(pattern, ROOM_AC)] == ["part-0.parquet",
                                                                  "part-1.parquet"]


# --- evaluate DATASET --dask ------------------------------------------------------------------


def usable(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows `evaluate` accepts: the shipped example has an unreadable requirement ('high'),
    which is an input error there (every row is evaluated)."""
    bad = frame.apply(lambda column: column.str.fullmatch("high")).any(axis=1)
    return frame[~bad].reset_index(drop=True)


@pytest.fixture(scope="module")
def declarations(tmp_path_factory) -> tuple[Path, Path]:
    """A dataset of 3,000 room air conditioners in 4 parts, and the same rows as one file."""
    folder = tmp_path_factory.mktemp("declarations")
    frame = usable(room_air_conditioners(3000, 5))
    write_dataset(folder / "dataset", {ROOM_AC: frame}, parts=4)
    frame.to_parquet(folder / "whole.parquet", index=False)
    return folder / "dataset", folder / "whole.parquet"


def evaluate(table, out: Path, *extra: str):
    return CliRunner().invoke(main, ["evaluate", str(table), "--set", ROOM_AC, "--date", ON,
                                     "--lang", "en", "-o", str(out), *extra])


@pytest.mark.parametrize("peers", [False, True])
def test_evaluate_on_dask_gives_the_single_process_verdicts(tmp_path, declarations, cluster,
                                                            peers):
    dataset, whole = declarations
    ranked = ["-p", "leader-selection", "--population", str(whole)] if peers else []
    one = evaluate(whole, tmp_path / "one", "--reports", "none", "--no-audit",
                   "--table-format", "csv,parquet", *ranked)
    assert one.exit_code == 0, one.output
    dask = evaluate(dataset, tmp_path / "dask", "--dask", cluster.scheduler_address, *ranked)
    assert dask.exit_code == 0, dask.output
    parts = sorted((tmp_path / "dask" / "dataset.verdicts").glob("part-*.parquet"))
    assert len(parts) == 4
    expected = pd.read_parquet(tmp_path / "one" / "whole.verdicts.parquet")
    got = table(tmp_path / "dask" / "dataset.verdicts")
    pd.testing.assert_frame_equal(expected, got)  # the same rows, in the same order
    assert parquet_bytes(expected) == parquet_bytes(got)
    assert list(got["row"]) == list(range(1, len(expected) + 1))  # numbered through the parts
    csv = pd.concat([pd.read_csv(p, encoding="utf-8-sig", dtype=str, keep_default_na=False)
                     for p in sorted(parts[0].parent.glob("part-*.csv"))], ignore_index=True)
    whole_csv = pd.read_csv(tmp_path / "one" / "whole.verdicts.csv", encoding="utf-8-sig",
                            dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(whole_csv, csv)
    summaries = [json.loads((tmp_path / name).read_text(encoding="utf-8"))
                 for name in ("one/whole.summary.json", "dask/dataset.summary.json")]
    assert summaries[0].pop("table") != summaries[1].pop("table")
    assert summaries[0] == summaries[1]  # counts, segments, levels, the most frequent reasons
    assert summaries[1]["rows"] == len(expected) and len(summaries[1]["by_segment"]) > 3
    md = (tmp_path / "dask" / "dataset.summary.en.md").read_text(encoding="utf-8")
    assert md == (tmp_path / "one" / "whole.summary.en.md").read_text(
        encoding="utf-8").replace(str(whole), str(dataset))
    assert not (tmp_path / "dask" / "audit.sqlite").exists()


def test_evaluate_bad_part_reported_with_its_file_and_row(tmp_path, cluster):
    folder = tmp_path / "ds"
    frame = usable(room_air_conditioners(400, 6))
    write_dataset(folder, {ROOM_AC: frame}, parts=4)
    bad = folder / f"category={ROOM_AC}" / "part-2.parquet"
    part = pd.read_parquet(bad)
    part.loc[part.index[7], "apf [W·h/W·h]"] = "very good"
    part.to_parquet(bad, index=False)
    (tmp_path / "out").mkdir()
    result = evaluate(folder, tmp_path / "out", "--dask", cluster.scheduler_address)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{bad}:9 /8/apf" in result.output  # the part's own line and row
    assert "requirement_unreadable" in result.output
    assert list((tmp_path / "out").rglob("*")) == []  # no part, no temporary file, no summary


def test_evaluate_rerun_with_fewer_parts_leaves_no_old_part(tmp_path, cluster):
    frame = usable(room_air_conditioners(300, 7))
    write_dataset(tmp_path / "four", {ROOM_AC: frame}, parts=4)
    write_dataset(tmp_path / "two", {ROOM_AC: frame}, parts=2)
    for name in ("four", "two"):
        (tmp_path / name / f"category={ROOM_AC}").rename(tmp_path / name / "export")
        result = evaluate(tmp_path / name / "export", tmp_path / "out", "--dask",
                          cluster.scheduler_address)
        assert result.exit_code == 0, result.output
    parts = sorted(p.name for p in (tmp_path / "out" / "export.verdicts").iterdir())
    assert parts == ["part-00000.csv", "part-00000.parquet", "part-00001.csv",
                     "part-00001.parquet"]
    assert len(table(tmp_path / "out" / "export.verdicts")) == len(frame)


@pytest.mark.parametrize(("extra", "code"), [
    (["--table-format", "xlsx"], "dask_table_format"),
    (["--reports", "all"], "dask_reports"),
])
def test_evaluate_on_dask_refuses_what_it_cannot_write(tmp_path, declarations, extra, code):
    dataset, whole = declarations
    result = evaluate(dataset, tmp_path / "out", "--dask", "local:1", *extra)
    assert result.exit_code == 2 and code in result.output and "Traceback" not in result.output
    result = evaluate(whole, tmp_path / "out", "--dask", "local:1")
    assert result.exit_code == 2 and "dask_needs_dataset" in result.output
    assert not (tmp_path / "out").exists()


def _values_shared(a) -> bool:
    """An indicator's value and declared interval are the population's values, not copies."""
    quantities = [i for i in a.indicators.values() if i.id in a.population.values]
    return bool(quantities) and all(i.value is a.population.values[i.id] and i.lo is i.value
                                    and i.hi is i.value for i in quantities)


def _dask_ranking(dataset, cluster):
    import datetime as dt

    from distributed import Client

    from benchmark.catalogue import load_catalogue
    from benchmark.distributed import rank_dataset

    with Client(cluster) as client:
        return rank_dataset(dataset, load_catalogue(), ROOM_AC, "leader-selection",
                            dt.date.fromisoformat(ON), client=client)


def test_the_driver_shares_the_indicators_values_with_the_joined_population(dataset, cluster):
    r, _ = _dask_ranking(dataset, cluster)
    assert _values_shared(r.assessment)


def test_the_driver_holds_the_joined_ranking_as_one_process_holds_it(dataset, cluster):
    """What the driver joins shares as one process's ranking shares: the per-row tables'
    identity is positions into the joined population's text (none of it sent by the
    workers); the segments' rankings are used up by the join (an indicator's values shared
    with the population: the test above)."""
    import datetime as dt

    import pyarrow as pa

    from benchmark.catalogue import load_catalogue
    from benchmark.leaders import rank_file
    from benchmark.population import is_positions

    r, staged = _dask_ranking(dataset, cluster)
    assert staged == []
    one = rank_file(sorted((dataset / f"category={ROOM_AC}").glob("*.parquet"))[0],
                    load_catalogue(), ROOM_AC, "leader-selection", dt.date.fromisoformat(ON))
    assert _values_shared(one.assessment)

    def text_of(column: pd.Series) -> int:  # where the text of a column of arrow text lies
        return pa.array(column.array).buffers()[2].address

    for x in (one, r):  # tiers: the population's own text; composite: positions into it
        model = pd.Series(x.assessment.population.fields["model"])
        assert text_of(x.tiers["model"]) == text_of(model)
        assert is_positions(x.composite["model"])
