"""Programme `extends`: a programme written on top of another takes its rules and settings; the
loader refuses a cycle or an unknown parent where it is written (file, JSON pointer, line)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmark.catalogue import check_catalogue, load_catalogue
from benchmark.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def copy_catalogue(tmp_path: Path) -> Path:
    for folder in ("indicator_sets", "ladders", "programmes", "reference_standards"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def test_leader_selection_is_leader_plus_its_own_rule(cat):
    iset = cat.sets["room-air-conditioner"]
    leader, selection = iset.programmes["leader"], iset.programmes["leader-selection"]
    assert [r.id for r in selection.rules] == [r.id for r in leader.rules] + ["leader-threshold"]
    assert selection.rules[:-1] == leader.rules  # the same rules, judging the same lists
    assert selection.ladder == leader.ladder and selection.peers == leader.peers
    assert selection.basis_kind == leader.basis_kind == "modelled"
    assert selection.names.en != leader.names.en  # its own name
    text = (ROOT / "programmes/leader-selection.yaml").read_text(encoding="utf-8")
    assert "extends: leader" in text and "basic-pass" not in text  # no copy


def test_a_category_that_lists_only_the_parent_gets_the_child_with_the_parents_lists(cat):
    iset = cat.sets["water-closet"]
    leader, selection = iset.programmes["leader"], iset.programmes["leader-selection"]
    assert "leader-selection" not in (ROOT / "indicator_sets/water-closet.yaml").read_text(
        encoding="utf-8")  # `indicators: listed` is resolved from leader's entry
    (listed,) = {r.indicators for r in leader.rules if r.id == "graded-core-leading"}
    assert selection.rules[-1].indicators == listed


def test_a_rule_of_the_same_id_replaces_the_parents_in_place(tmp_path):
    root = copy_catalogue(tmp_path)
    (root / "programmes/strict.yaml").write_text(
        "schema: programme/1\nid: strict\nextends: leader\n"
        "names: {zh: 严格, en: Strict}\npeers: {shortlist: 3}\nrules:\n"
        "  - {id: score, kind: weighted_score, pass_mark: 80}\n", encoding="utf-8")
    cat = load_catalogue(root)
    leader = cat.sets["room-air-conditioner"].programmes["leader"]
    strict = cat.sets["room-air-conditioner"].programmes["strict"]
    assert [r.id for r in strict.rules] == [r.id for r in leader.rules]
    assert {r.id: r.pass_mark for r in strict.rules}["score"] == 80
    assert strict.peers == {**leader.peers, "shortlist": 3}  # peers merged key by key


def test_cycle_and_unknown_parent_are_refused_where_written(tmp_path):
    root = copy_catalogue(tmp_path)
    for pid, parent in (("ring-a", "ring-b"), ("ring-b", "ring-a"), ("orphan", "leadr")):
        (root / f"programmes/{pid}.yaml").write_text(
            f"schema: programme/1\nid: {pid}\nnames: {{zh: 示例, en: Example}}\n"
            f"extends: {parent}\n", encoding="utf-8")
    _, report = check_catalogue(root)
    by_code: dict[str, list] = {}
    for p in report.problems:
        by_code.setdefault(p.code, []).append(p)
    cycles = by_code["programme_extends_cycle"]
    assert sorted(Path(p.file).name for p in cycles) == ["ring-a.yaml", "ring-b.yaml"]
    assert all(p.pointer == "/extends" and p.line == 4 for p in cycles)
    assert "ring-a → ring-b → ring-a" in next(
        p.message for p in cycles if p.file.endswith("ring-a.yaml"))
    (unknown,) = by_code["unknown_parent_programme"]
    assert unknown.file.endswith("orphan.yaml") and unknown.pointer == "/extends"
    assert unknown.hint and "'leader'" in unknown.hint


def test_a_programme_without_extends_must_write_its_rules(tmp_path):
    root = copy_catalogue(tmp_path)
    (root / "programmes/bare.yaml").write_text(
        "schema: programme/1\nid: bare\nnames: {zh: 示例, en: Example}\n", encoding="utf-8")
    _, report = check_catalogue(root)
    missing = [p for p in report.problems if p.file.endswith("bare.yaml")]
    assert missing and all(p.severity == "error" for p in missing)
    assert {"basis", "ladder", "rules"} <= {w for p in missing for w in
                                            ("basis", "ladder", "rules") if w in p.message}


def test_cli_refuses_the_cycle_with_exit_2_and_no_traceback(tmp_path):
    root = copy_catalogue(tmp_path)
    (root / "programmes/loop.yaml").write_text(
        "schema: programme/1\nid: loop\nnames: {zh: 示例, en: Example}\nextends: loop\n",
        encoding="utf-8")
    res = CliRunner().invoke(main, ["list", "programmes", "--data-dir", str(root)])
    assert res.exit_code == 2
    assert "programme_extends_cycle" in res.output and "loop.yaml" in res.output
    assert "Traceback" not in res.output
