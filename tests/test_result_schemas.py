"""Every JSON result names its kind and schema version, and the results `benchmark evaluate`,
`compare` and `assess-organisation` write validate against the JSON Schemas shipped beside the
input schemas (evaluation.schema.json, study.schema.json, organisation.schema.json)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from benchmark.catalogue import data_file, load_catalogue
from benchmark.cli import main
from benchmark.loading import schema_path, validator

DATE = "2026-11-23"


def _run(*args: str) -> None:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, (args, result.output, result.exception)


def _problems(name: str, doc: dict) -> list[str]:
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
            for e in validator(name).iter_errors(doc)]


def _results(folder) -> list[tuple[str, dict]]:
    return [(p.name, json.loads(p.read_text(encoding="utf-8")))
            for p in sorted(folder.glob("*.json"))]


@pytest.mark.parametrize("name", ["study", "organisation"])
def test_result_schemas_are_valid_schemas(name):
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(json.loads(schema_path(name).read_text(encoding="utf-8")))


def test_every_study_validates(tmp_path):
    """Every category, with and without superseded editions, one with a parameter given."""
    for set_id in sorted(load_catalogue().sets):
        _run("compare", "--set", set_id, "--date", DATE, "--format", "json",
             "-o", str(tmp_path / set_id))
        _run("compare", "--set", set_id, "--date", DATE, "--include-superseded", "--format",
             "json", "-o", str(tmp_path / f"{set_id}-all"))
    _run("compare", "--set", "three-phase-induction-motor", "--param", "rated_power=1.5kW",
         "--date", DATE, "--format", "json", "-o", str(tmp_path / "motor-1.5"))
    results = [r for folder in sorted(tmp_path.iterdir()) for r in _results(folder)]
    assert len(results) == 2 * len(load_catalogue().sets) + 1
    for name, doc in results:
        assert (doc["kind"], doc["schema_version"]) == ("comparison_study", 1), name
        assert _problems("study", doc) == [], name
    given = json.loads(next((tmp_path / "motor-1.5").glob("*.json")).read_text("utf-8"))
    assert given["parameters"]["rated_power"]["canonical"] == 1.5


def test_a_result_that_breaks_the_study_schema_is_caught(tmp_path):
    """The schema is not a blank cheque: an unknown field, a wrong kind or an operator the
    engine does not write is refused."""
    _run("compare", "--set", "room-air-conditioner", "--date", DATE, "--format", "json",
         "-o", str(tmp_path))
    (_, doc), = _results(tmp_path)
    assert _problems("study", {**doc, "extra": 1})
    assert _problems("study", {**doc, "kind": "evaluation"})
    seg = json.loads(json.dumps(doc["segments"][0]))
    cell = next(c for row in seg["rows"] for c in row["cells"].values() if c and c["entries"])
    cell["entries"][0]["op"] = ">="
    assert _problems("study", {**doc, "segments": [seg]})


def test_every_organisation_result_validates(tmp_path):
    _run("assess-organisation", str(data_file("examples", "organisations")), "--date", DATE,
         "--format", "json", "-o", str(tmp_path))
    results = _results(tmp_path)
    assert len(results) == 5
    statuses = set()
    for name, doc in results:
        assert (doc["kind"], doc["schema_version"]) == ("organisation_assessment", 1), name
        assert _problems("organisation", doc) == [], name
        statuses.add(doc["status"])
    assert statuses == {"graded", "knocked_out", "not_assessable"}  # every branch is checked
    _, doc = results[0]
    assert _problems("organisation", {**doc, "status": "passed"})
    assert _problems("organisation", {**doc, "criteria": [{**doc["criteria"][0], "x": 1}]})


def test_every_evaluation_validates(tmp_path):
    _run("evaluate", str(data_file("examples", "declarations")), "--programme", "leader",
         "--date", DATE, "--format", "json", "-o", str(tmp_path))
    results = _results(tmp_path)
    assert len(results) == 13
    for name, doc in results:
        assert (doc["kind"], doc["schema_version"]) == ("evaluation", 2), name
        assert _problems("evaluation", doc) == [], name


def test_the_ranking_result_names_its_kind_and_schema_version(tmp_path):
    _run("rank", str(data_file("examples", "populations", "room-air-conditioners.csv")),
         "--set", "room-air-conditioner", "--date", DATE, "--format", "json",
         "-o", str(tmp_path))
    (_, doc), = _results(tmp_path)
    assert doc["kind"] == "peer_ranking"
    assert isinstance(doc["schema_version"], int)
