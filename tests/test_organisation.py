"""Organisational scored schemes (issue 16): golden cases worked by hand on the shipped modelled
scheme (schemes/gbt-20004.2-modelled.yaml), bad input through the CLI, the ranked list, byte-
identical output, the HTML report in headless Chromium, the audit record and `benchmark verify`.

Golden totals are worked from the scheme's points (criterion points listed in the scheme file;
they sum to 100) and its grade minimums (one star 70, two stars 85, three stars 95, read in the
SAC notice of 2024-08-15; "以上" includes the number, Civil Code art. 1259). Each case starts
from an assessment with every criterion at full points and evidence listed, and changes a few.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from benchmark.audit import records
from benchmark.catalogue import data_file
from benchmark.cli import main, told
from benchmark.credit_code import check_credit_code
from benchmark.errors import InputError
from benchmark.organisation import assess, find_scheme, load_assessment, load_scheme
from benchmark.organisation.assess import assess_files, batch_scores
from benchmark.organisation.score import competition_ranks
from benchmark.report.pdf import CHROMIUM_FLAGS

DATE = dt.date(2026, 11, 23)
SCHEME_ID = "gbt-20004.2-modelled"
EXAMPLES = data_file("examples", "organisations")
CHROMIUM = shutil.which("chromium")
OFFLINE = ("--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND")
SCRIPT_NAME = "<script>alert(1)</script>联盟"
FORMULA_NAME = '=HYPERLINK("http://x","y")'


@pytest.fixture(scope="module")
def scheme():
    return find_scheme(SCHEME_ID)


def full(scheme, name="测试联盟", code="51100000MJ0012345W") -> dict:
    """Every criterion at full points, self and review, with all evidence listed."""
    criteria = {}
    for c in scheme.criteria:
        value = {"yes_no": True, "graded": c.points, "proportion": 1}[c.kind]
        criteria[c.id] = {"self": {"value": value,
                                   "evidence": {e.id: f"{e.id}.pdf" for e in c.evidence}},
                          "review": {"value": value}}
    return {"schema": "org-assessment/1", "scheme": scheme.id,
            "organisation": {"name": name, "credit_code": code}, "criteria": criteria}


def review(data: dict, criterion: str, value=None, **extra) -> dict:
    entry = data["criteria"][criterion]
    entry["review"] = {**({"value": value} if value is not None else {}), **extra}
    return data


def write(folder: Path, data: dict, name: str = "org") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def result_of(scheme, folder: Path, data: dict) -> dict:
    return assess(scheme, [load_assessment(write(folder, data), scheme)], DATE)[0]


def codes(result: dict) -> list[tuple[str, str]]:
    return [(f["code"], f["criterion"]) for f in result["findings"]]


# --- the shipped data ---------------------------------------------------------------------------


def test_shipped_scheme_is_modelled_and_adds_up(scheme):
    assert scheme.basis == "modelled"
    assert sum(c.weighted_points for c in scheme.criteria) == 100 == scheme.total_points
    assert [(g.id, g.min) for g in scheme.grades] == [("one-star", 70), ("two-star", 85),
                                                      ("three-star", 95)]
    assert all(g.verified is False for g in scheme.grades)  # read in copies of the notice
    assert {k for k, v in scheme.rules.items() if v["basis"] == "assumption"} == {
        "missing_evidence", "knock_out", "grade_boundary", "self_above_review"}
    assert [d.id for d in scheme.dimensions] == ["management", "standards", "innovation",
                                                 "benefits"]
    assert {c.id for c in scheme.criteria if c.knock_out_min is not None} == {
        "m1-legal-person", "m6-fees", "m7-patents"}
    assert all(s.get("url") and s.get("read") for s in scheme.sources)


def test_example_credit_codes_pass_the_check():
    for path in sorted(EXAMPLES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert check_credit_code(data["organisation"]["credit_code"]) == [], path.name


# --- golden cases -------------------------------------------------------------------------------


def test_full_marks(scheme, tmp_path):
    r = result_of(scheme, tmp_path, full(scheme))
    assert (r["status"], r["grade"], r["total"]["low"], r["total"]["high"]) == (
        "graded", "three-star", 100, 100)
    assert [d["low"] for d in r["dimensions"]] == [25, 35, 20, 20]
    assert r["findings"] == [] and r["next_grade"]["grade"] is None


BOUNDARIES = [
    # s1-procedure "no" (−5): 95 reaches three stars (the minimum belongs to the grade)
    ({"s1-procedure": False}, 95, "three-star"),
    # and s2-consultation 99.9 % of 10 points = 9.99 (−0.01): 94.99, two stars
    ({"s1-procedure": False, "s2-consultation": 0.999}, 94.99, "two-star"),
    # s1 no (−5), s2 half (−5), b4-adoption no (−4), b2-training 3 of 4 (−1): 85
    ({"s1-procedure": False, "s2-consultation": 0.5, "b4-adoption": False, "b2-training": 3},
     85, "two-star"),
    # and s6-disclosure 99.8 % of 5 = 4.99 (−0.01): 84.99, one star
    ({"s1-procedure": False, "s2-consultation": 0.5, "b4-adoption": False, "b2-training": 3,
      "s6-disclosure": 0.998}, 84.99, "one-star"),
    # s2 none (−10), s1 no (−5), i2-stricter none (−8), b4 no (−4), b2 1 of 4 (−3): 70
    ({"s2-consultation": 0, "s1-procedure": False, "i2-stricter": 0, "b4-adoption": False,
      "b2-training": 1}, 70, "one-star"),
    # and s4-drafting 90 % of 5 = 4.5 (−0.5): 69.5, below one star
    ({"s2-consultation": 0, "s1-procedure": False, "i2-stricter": 0, "b4-adoption": False,
      "b2-training": 1, "s4-drafting": 0.9}, 69.5, "no-star"),
]


@pytest.mark.parametrize("changes, total, grade", BOUNDARIES)
def test_grade_boundaries_either_side(scheme, tmp_path, changes, total, grade):
    data = full(scheme)
    for criterion, value in changes.items():
        review(data, criterion, value)
    r = result_of(scheme, tmp_path, data)
    assert r["total"]["low"] == r["total"]["high"] == total
    assert (r["status"], r["grade"]) == ("graded", grade)


def test_next_grade_points_and_criteria(scheme, tmp_path):
    data = full(scheme)
    review(data, "s1-procedure", False)
    review(data, "s2-consultation", 0.999)
    r = result_of(scheme, tmp_path, data)  # 94.99: two stars, 0.01 from three
    n = r["next_grade"]
    assert (n["grade"], n["needs"], n["reachable"]) == ("three-star", 0.01, True)
    assert n["candidates"] == [
        {"criterion": "s1-procedure", "available": 5, "status": "scored"},
        {"criterion": "s2-consultation", "available": 0.01, "status": "scored"}]


def test_knock_out_criterion_leaves_no_grade_whatever_the_total(scheme, tmp_path):
    data = full(scheme)
    review(data, "m6-fees", False, note="收费管理办法未公开")
    r = result_of(scheme, tmp_path, data)  # 100 − 3 = 97: three stars by the total
    assert r["total"]["low"] == 97
    assert (r["status"], r["grade"], r["knock_out"]) == ("knocked_out", None, "fails")
    assert r["grade_range"] == {"low": "knocked_out", "high": "knocked_out"}
    assert r["next_grade"]["blocked_by"] == ["m6-fees"]
    assert r["next_grade"]["grade_without_knock_out"] == "three-star"
    assert ("knock_out_failed", "m6-fees") in codes(r)


def test_knock_out_not_reviewed_makes_the_grade_not_assessable(scheme, tmp_path):
    data = review(full(scheme), "m1-legal-person")  # the review has not scored it
    r = result_of(scheme, tmp_path, data)
    assert (r["status"], r["knock_out"]) == ("not_assessable", "not_assessable")
    assert r["grade_range"] == {"low": "knocked_out", "high": "three-star"}
    assert (r["total"]["low"], r["total"]["high"]) == (98, 100)
    assert ("knock_out_not_assessed", "m1-legal-person") in codes(r)


def test_missing_evidence_scores_zero_by_the_review(scheme, tmp_path):
    data = full(scheme)
    review(data, "s2-consultation", 1, evidence_not_found=["consultation-records"])
    del data["criteria"]["i1-transfer"]["self"]["evidence"]  # reviewer still gave 8 points
    r = result_of(scheme, tmp_path, data)  # 100 − 10 − 8 = 82: one star
    assert (r["total"]["low"], r["grade"]) == (82, "one-star")
    rows = {c["id"]: c for c in r["criteria"]}
    assert rows["s2-consultation"]["status"] == "evidence_missing"
    assert rows["s2-consultation"]["score"] == 0
    assert rows["s2-consultation"]["review"]["points"] == 10  # what the reviewer wrote
    found = {f["criterion"]: f for f in r["findings"] if f["code"] == "evidence_missing"}
    assert set(found) == {"s2-consultation", "i1-transfer"}
    assert found["i1-transfer"]["params"] == {"evidence": ["novelty-report"], "review_points": 8}


def test_missing_evidence_on_an_unreviewed_criterion_is_noted_not_scored(scheme, tmp_path):
    data = review(full(scheme), "b1-feedback")
    del data["criteria"]["b1-feedback"]["self"]["evidence"]
    r = result_of(scheme, tmp_path, data)
    assert (r["total"]["low"], r["total"]["high"]) == (94, 100)
    assert {("evidence_not_listed", "b1-feedback"), ("not_assessed", "b1-feedback")} <= \
        set(codes(r))


def test_self_score_above_the_review_is_flagged(scheme, tmp_path):
    data = full(scheme)
    review(data, "m3-department", 3)                       # self 5, review 3: +2, flagged
    data["criteria"]["m4-strategy"]["self"]["value"] = 2   # self 2, review 4: −2, not flagged
    r = result_of(scheme, tmp_path, data)
    rows = {c["id"]: c for c in r["criteria"]}
    assert (rows["m3-department"]["difference"], rows["m3-department"]["self_above_review"]) == \
        (2, True)
    assert (rows["m4-strategy"]["difference"], rows["m4-strategy"]["self_above_review"]) == \
        (-2, False)
    assert [f for f in r["findings"] if f["code"] == "self_above_review"] == [
        {"code": "self_above_review", "criterion": "m3-department",
         "params": {"self_points": 5, "review_points": 3, "difference": 2}}]
    assert (r["total"]["low"], r["total"]["self"]) == (98, 98)  # 100 − 2 and 100 − 2


def test_not_assessed_points_that_could_change_the_grade(scheme, tmp_path):
    r = result_of(scheme, tmp_path, review(full(scheme), "b1-feedback"))  # 6 points open
    assert (r["status"], r["grade"]) == ("not_assessable", None)
    assert (r["total"]["low"], r["total"]["high"]) == (94, 100)
    assert r["grade_range"] == {"low": "two-star", "high": "three-star"}


def test_not_assessed_points_that_cannot_change_the_grade(scheme, tmp_path):
    data = full(scheme)
    review(data, "s1-procedure", False)      # −5
    review(data, "s2-consultation", 0.5)     # −5
    review(data, "b2-training")              # 4 points not assessed: 86..90, two stars either way
    r = result_of(scheme, tmp_path, data)
    assert (r["total"]["low"], r["total"]["high"]) == (86, 90)
    assert (r["status"], r["grade"]) == ("graded", "two-star")
    assert ("not_assessed", "b2-training") in codes(r)


def test_proportion_points_round_half_to_even(scheme, tmp_path):
    # s6-disclosure: 5 points × 1/8 = 0.625 → 0.62 to 2 decimals, half to even
    data = review(full(scheme), "s6-disclosure", {"count": 1, "of": 8})
    rows = {c["id"]: c for c in result_of(scheme, tmp_path, data)["criteria"]}
    assert rows["s6-disclosure"]["score"] == 0.62


def fixture_scheme(tmp_path: Path):
    """A two-criterion scheme written here (a fixture, not reference data): criterion a, graded
    in half points, 4 points × weight 1.5 × dimension weight 2 = 12, knock-out below 2 points;
    criterion b, yes/no, 2 points × 2 = 4; total 16; "pass" from 12; self-above tolerance 1."""
    path = tmp_path / "scheme.yaml"
    rule = {"basis": "assumption", "note": {"zh": "测试", "en": "test"}}
    path.write_text(yaml.safe_dump({
        "schema": "org-scheme/1", "id": "fixture", "names": {"zh": "测试", "en": "test"},
        "basis": "modelled", "statement": {"zh": "测试", "en": "test"}, "total_points": 16,
        "rules": {"missing_evidence": rule, "knock_out": rule, "grade_boundary": rule,
                  "self_above_review": {**rule, "tolerance": 1}},
        "grades": [{"id": "pass", "names": {"zh": "合格", "en": "pass"}, "min": 12}],
        "below_grades": {"id": "fail", "names": {"zh": "不合格", "en": "fail"}},
        "dimensions": [{"id": "d", "names": {"zh": "维", "en": "d"}, "weight": 2, "items": [
            {"id": "i", "names": {"zh": "项", "en": "i"}, "criteria": [
                {"id": "a", "names": {"zh": "甲", "en": "a"}, "kind": "graded", "points": 4,
                 "step": 0.5, "weight": 1.5, "knock_out": {"min": 2}, "evidence": []},
                {"id": "b", "names": {"zh": "乙", "en": "b"}, "kind": "yes_no", "points": 2,
                 "evidence": []}]}]}]}, allow_unicode=True), encoding="utf-8")
    return load_scheme(path)


@pytest.mark.parametrize("a_self, a_review, total, status, grade, flagged", [
    (1.5, 1.5, 8.5, "knocked_out", None, False),   # 1.5 × 3 + 4, below the knock-out minimum 2
    (2.5, 2.5, 11.5, "graded", "fail", False),     # 2.5 × 3 + 4 = 11.5 < 12
    (3, 2.5, 11.5, "graded", "fail", True),        # self 9 vs review 7.5: +1.5 > tolerance 1
    (3, 3, 13, "graded", "pass", False),           # 3 × 3 + 4 = 13
    (3.5, 3, 13, "graded", "pass", True),          # +1.5 flagged
    (2.5, 2, 10, "graded", "fail", True),          # at the knock-out minimum: holds; +1.5
])
def test_weights_knock_out_minimum_and_steps(tmp_path, a_self, a_review, total, status, grade,
                                             flagged):
    scheme = fixture_scheme(tmp_path)
    assert [c.weighted_points for c in scheme.criteria] == [12, 4]
    data = {"schema": "org-assessment/1", "scheme": "fixture",
            "organisation": {"name": "x", "credit_code": "51100000MJ0012345W"},
            "criteria": {"a": {"self": {"value": a_self}, "review": {"value": a_review}},
                         "b": {"self": {"value": True}, "review": {"value": True}}}}
    r = result_of(scheme, tmp_path, data)
    assert (r["total"]["low"], r["status"], r["grade"]) == (total, status, grade)
    assert r["criteria"][0]["self_above_review"] is flagged


def test_weighted_scheme_must_add_up(tmp_path):
    path = tmp_path / "scheme.yaml"
    text = (data_file("schemes", "gbt-20004.2-modelled.yaml").read_text(encoding="utf-8")
            .replace("total_points: 100", "total_points: 99"))
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_scheme(path)
    assert [p.code for p in exc.value.problems] == ["points_total_mismatch"]
    assert exc.value.problems[0].pointer == "/total_points" and exc.value.problems[0].line


# --- the batch: one computation, ranked list --------------------------------------------------


def test_batch_is_one_computation_and_agrees_with_one_at_a_time(scheme):
    files = sorted(EXAMPLES.glob("*.yaml"))
    batch = [load_assessment(f, scheme) for f in files]
    together = assess(scheme, batch, DATE)
    alone = [assess(scheme, [a], DATE)[0] for a in batch]
    assert together == alone
    s = batch_scores(scheme, batch)
    assert s.points.shape == (len(files), len(scheme.criteria))


def test_competition_ranks_are_one_plus_the_number_strictly_higher():
    rng = np.random.default_rng(7)
    totals = rng.integers(60, 100, 200).astype(float)
    ranked = rng.random(200) < 0.8
    ranks = competition_ranks(totals, ranked)
    pool = totals[ranked]
    for t, k, r in zip(totals, ranked, ranks, strict=False):
        assert r == ((pool > t).sum() + 1 if k else 0)


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_examples_ranked_list(tmp_path):
    out = tmp_path / "out"
    done = invoke("assess-organisation", str(EXAMPLES), "--date", "2026-11-23", "--format",
                  "json,md,html,xlsx", "-o", str(out), "--no-audit")
    assert done.exit_code == 0, done.output
    raw = (out / "organisations.zh.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:6] == ["名次", "组织", "统一社会信用代码", "状态", "等级", "总分（评审）"]
    assert rows[0][6:10] == ["组织管理和运行", "团体标准管理", "标准与创新", "标准实施效益"]
    # worked by hand from the example files: 97, 86.05, 71.05; knocked out 83.05; 69.05–89.05
    assert [(r[0], r[4], r[5]) for r in rows[1:]] == [
        ("1", "三星级", "97"), ("2", "二星级", "86.05"), ("3", "一星级", "71.05"),
        ("—", "不评定等级（否决项未满足）", "83.05"), ("—", "未达星级 – 二星级", "69.05–89.05")]
    book = openpyxl.load_workbook(out / "organisations.zh.xlsx")
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[2]][:6] == [1, "示例轨道交通产业联合会", "51110000MJ97531028",
                                                "已评定等级", "三星级", 97]
    md = (out / "organisations.zh.md").read_text(encoding="utf-8")
    assert "| 1 | 示例轨道交通产业联合会 |" in md and "建模示例" in md


def test_equal_totals_share_a_rank(scheme, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder, full(scheme, "乙联盟"), "b")
    write(folder, full(scheme, "甲联盟"), "a")
    write(folder, review(full(scheme, "丙联盟"), "s1-procedure", False), "c")
    batch = assess_files([folder], DATE, tmp_path / "out", ["json"], "en")
    assert [(r["rank"], r["organisation"]) for r in batch.ranked] == [
        (1, "乙联盟"), (1, "甲联盟"), (3, "丙联盟")]  # inside a rank: by name (code points)


def test_output_is_byte_identical(tmp_path):
    for name in ("one", "two"):
        done = invoke("assess-organisation", str(EXAMPLES), "--date", "2026-11-23",
                      "--format", "json,md,html,xlsx", "--lang", "en", "-o",
                      str(tmp_path / name), "--no-audit")
        assert done.exit_code == 0, done.output
    one = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert one == sorted(p.name for p in (tmp_path / "two").iterdir()) and len(one) == 23
    for name in one:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_english_reports(tmp_path):
    done = invoke("assess-organisation", str(EXAMPLES / "association-knock-out.yaml"), "--date",
                  "2026-11-23", "--format", "md,xlsx", "--lang", "en", "-o", str(tmp_path),
                  "--no-audit")
    assert done.exit_code == 0, done.output
    md = (tmp_path / "association-knock-out.en.md").read_text(encoding="utf-8")
    assert "NO GRADE (knock-out)" in md and "MODELLED" in md and "ASSUMPTION" in md
    assert "Fee management regulated and disclosed: knock-out criterion not met" in md
    sheets = openpyxl.load_workbook(tmp_path / "association-knock-out.en.xlsx").sheetnames
    assert sheets == ["Summary", "Dimensions", "Criteria", "Findings"]


def test_spreadsheet_text_is_neutralised(scheme, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder, full(scheme, FORMULA_NAME))
    invoke("assess-organisation", str(folder), "--date", "2026-11-23", "--format", "xlsx",
           "-o", str(tmp_path / "out"), "--no-audit")
    rows = list(csv.reader(io.StringIO(
        (tmp_path / "out" / "organisations.zh.csv").read_text(encoding="utf-8-sig"))))
    assert rows[1][1] == "'" + FORMULA_NAME
    for book in (tmp_path / "out" / "org.zh.xlsx", tmp_path / "out" / "organisations.zh.xlsx"):
        cells = [c for ws in openpyxl.load_workbook(book).worksheets for row in ws.iter_rows()
                 for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
        assert cells and all(c.data_type == "s" and c.value.startswith("'") for c in cells)


# --- bad input ----------------------------------------------------------------------------------


BAD = [
    # (what to change, reason code, JSON pointer)
    (lambda d: d["organisation"].update(credit_code="51100000MJ0012345X"),
     "credit_code_check_digit", "/organisation/credit_code"),
    (lambda d: d["criteria"].update({"m9-unknown": {"review": {"value": True}}}),
     "criterion_unknown", "/criteria/m9-unknown"),
    (lambda d: review(d, "m3-department", 6), "value_out_of_range",
     "/criteria/m3-department/review/value"),
    (lambda d: review(d, "m3-department", 3.5), "value_not_on_step",
     "/criteria/m3-department/review/value"),
    (lambda d: review(d, "m2-platform", 3), "value_wrong_kind",
     "/criteria/m2-platform/review/value"),
    (lambda d: review(d, "s2-consultation", {"count": 21, "of": 20}), "value_out_of_range",
     "/criteria/s2-consultation/review/value/count"),
    (lambda d: review(d, "s2-consultation", 1.5), "value_out_of_range",
     "/criteria/s2-consultation/review/value"),
    (lambda d: d["criteria"]["m4-strategy"]["self"]["evidence"].update({"nope": "x"}),
     "evidence_unknown", "/criteria/m4-strategy/self/evidence/nope"),
    (lambda d: d.pop("organisation"), "schema_required", ""),
    (lambda d: d.update(scheme="no-such-scheme"), "scheme_not_found", "/scheme"),
]


@pytest.mark.parametrize("change, code, pointer", BAD, ids=[b[1] + str(i) for i, b in
                                                            enumerate(BAD)])
def test_bad_assessment_exit_2_with_code_and_location(scheme, tmp_path, change, code, pointer):
    data = full(scheme)
    change(data)
    path = write(tmp_path, data)
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["assess-organisation", str(path), "-o", str(out)])
    assert done.exit_code == 2, done.output
    assert "Traceback" not in done.output and not out.exists()
    line = next(x for x in done.output.splitlines() if f"[{code}]" in x)
    assert line.startswith(f"{path}:")
    assert f" {pointer}:" in line or (not pointer and f"{path}:1: error" in line)


def test_every_problem_of_every_file_is_listed_together(scheme, tmp_path):
    one = full(scheme)
    one["organisation"]["credit_code"] = "123"
    review(one, "b2-training", 9)
    two = full(scheme)
    review(two, "m2-platform", 3)
    three = full(scheme)
    review(three, "m2-platform", "yes")  # not even a value: a schema problem
    paths = [write(tmp_path, one, "one"), write(tmp_path, two, "two"),
             write(tmp_path, three, "three")]
    done = CliRunner().invoke(main, ["assess-organisation", *map(str, paths), "-o",
                                     str(tmp_path / "out")])
    assert done.exit_code == 2
    found = [(x.split(":")[0], x.split("[")[1].split("]")[0]) for x in done.output.splitlines()
             if "[" in x]
    assert sorted(found) == sorted([
        (str(paths[0]), "credit_code_length"), (str(paths[0]), "value_out_of_range"),
        (str(paths[1]), "value_wrong_kind"), (str(paths[2]), "schema_oneOf")])
    assert told("zh", "input_errors", errors=4) in done.output  # the default --lang


def test_assessments_under_different_schemes(scheme, tmp_path):
    other = tmp_path / "schemes"
    other.mkdir()
    text = data_file("schemes", "gbt-20004.2-modelled.yaml").read_text(encoding="utf-8")
    (other / "copy.yaml").write_text(text.replace("id: gbt-20004.2-modelled", "id: copy"),
                                     encoding="utf-8")
    a = full(scheme)
    b = {**full(scheme), "scheme": "copy"}
    done = CliRunner().invoke(main, ["assess-organisation", str(write(tmp_path, a, "a")),
                                     str(write(tmp_path, b, "b")), "--data-dir", str(tmp_path),
                                     "-o", str(tmp_path / "out")])
    assert done.exit_code == 2 and "[scheme_mixed]" in done.output
    done = CliRunner().invoke(main, ["assess-organisation", str(tmp_path / "b.yaml"),
                                     "--scheme", str(other / "copy.yaml"), "--no-audit",
                                     "-o", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    done = CliRunner().invoke(main, ["assess-organisation", str(tmp_path / "a.yaml"),
                                     "--scheme", str(other / "copy.yaml"),
                                     "-o", str(tmp_path / "out2")])
    assert done.exit_code == 2 and "[scheme_mismatch]" in done.output


def test_bad_scheme_file(tmp_path, scheme):
    text = data_file("schemes", "gbt-20004.2-modelled.yaml").read_text(encoding="utf-8")
    text = text.replace("    min: 85\n", "    min: 60\n").replace("points: 8\n", "points: 7.5\n", 1)
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    done = CliRunner().invoke(main, ["assess-organisation", str(EXAMPLES), "--scheme", str(path),
                                     "-o", str(tmp_path / "out")])
    assert done.exit_code == 2
    for code, pointer in [("points_total_mismatch", "/total_points"),
                          ("grades_not_increasing", "/grades/1/min"),
                          ("step_not_dividing", "/dimensions/2/items/0/criteria/0/step")]:
        assert any(f"[{code}]" in x and f" {pointer}:" in x for x in done.output.splitlines()), \
            (code, done.output)


def test_unknown_format(tmp_path):
    done = CliRunner().invoke(main, ["assess-organisation", str(EXAMPLES), "--format", "pdf",
                                     "-o", str(tmp_path / "out")])
    assert done.exit_code == 2 and "[format_unknown]" in done.output


def test_validate_checks_schemes_and_assessments(scheme, tmp_path):
    done = invoke("validate", str(EXAMPLES), str(data_file("schemes")))
    assert done.exit_code == 0 and "0 error(s)" in done.output, done.output
    data = full(scheme)
    review(data, "m3-department", 7)
    path = write(tmp_path, data)
    done = CliRunner().invoke(main, ["validate", str(path)])
    assert done.exit_code == 2
    assert f"{path}:" in done.output and "[value_out_of_range]" in done.output


# --- HTML in Chromium -------------------------------------------------------------------------


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium (make sysdeps)")
def test_html_report_in_headless_chromium(scheme, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    data = review(full(scheme, SCRIPT_NAME), "m6-fees", False, note="<b>未公开</b>")
    write(folder, data)
    invoke("assess-organisation", str(folder), "--date", "2026-11-23", "--format", "html",
           "-o", str(tmp_path / "out"), "--no-audit")
    page = tmp_path / "out" / "org.zh.html"
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not any(x in html for x in ('src="', "href=", "@import", "url("))
    shot = tmp_path / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, *OFFLINE, f"--user-data-dir={profile}",
                               "--hide-scrollbars", f"--screenshot={shot}",
                               "--window-size=1280,2000", "--dump-dom", page.as_uri()],
                              capture_output=True, timeout=90, stdin=subprocess.DEVNULL,
                              check=False)
    dom = done.stdout.decode("utf-8")
    assert "不评定等级（否决项）" in dom and "收费管理规范并公开" in dom and "建模示例" in dom
    assert "&lt;b&gt;未公开&lt;/b&gt;" in dom  # the reviewer's note stayed text
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 30_000


# --- audit and verify -------------------------------------------------------------------------


def test_audit_record_and_verify(tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(EXAMPLES, folder)
    out = tmp_path / "out"
    done = invoke("assess-organisation", str(folder), "--date", "2026-11-23", "-o", str(out))
    assert done.exit_code == 0, done.output
    rows = records(out / "audit.sqlite")
    assert len(rows) == 5 and all(r["intact"] for r in rows)
    by_file = {Path(r["declaration"]).name: r for r in rows}
    rec = by_file["association-knock-out.yaml"]
    assert (rec["verdict"], rec["overall_level"], rec["programme"]) == (
        "knocked_out", "knocked_out", f"scheme:{SCHEME_ID}")
    assert rec["evaluation_date"] == "2026-11-23"
    assert set(rec["inputs"]) == {str(folder / "association-knock-out.yaml"),
                                  "schemes/gbt-20004.2-modelled.yaml"}
    lists = {"organisations.zh.csv", "organisations.zh.md", "organisations.zh.xlsx"}
    assert {Path(p).name for p in rec["reports"]} == {"association-knock-out.json",
                                                      "association-knock-out.zh.md", *lists}
    # every file written has a record naming its SHA-256, the ranked list's too (as evaluate's
    # summary.csv), all recorded in one transaction
    with sqlite3.connect(out / "audit.sqlite") as conn:
        batches = conn.execute("SELECT DISTINCT batch FROM evaluations").fetchall()
    assert len(batches) == 1 and batches[0][0]
    done = invoke("audit", "verify", "--reports", str(out))
    assert done.exit_code == 0 and done.output.strip().endswith(": intact"), done.output
    report = out / "association-knock-out.json"
    done = CliRunner().invoke(main, ["verify", str(report)])
    assert done.exit_code == 0 and "matches" in done.output, done.output

    edited = json.loads(report.read_text(encoding="utf-8"))
    edited["total"]["low"] = 95
    report.write_text(json.dumps(edited, ensure_ascii=False), encoding="utf-8")
    done = CliRunner().invoke(main, ["verify", str(report)])
    assert done.exit_code == 1 and "[report_field_changed]" in done.output
    assert "/total/low" in done.output

    source = folder / "alliance-two-star.yaml"
    source.write_text(source.read_text(encoding="utf-8").replace(
        "review: {value: 4, note: 报告未量化经济效益}", "review: {value: 6}"), encoding="utf-8")
    done = CliRunner().invoke(main, ["verify", str(out / "alliance-two-star.json")])
    assert done.exit_code == 1
    assert "[input_changed]" in done.output and "[result_changed]" in done.output
    assert "/total/low" in done.output


def test_verify_a_report_with_its_input_gone(tmp_path, scheme):
    path = write(tmp_path, full(scheme))
    batch = assess_files([path], DATE, tmp_path / "out", ["json"])
    path.unlink()
    done = CliRunner().invoke(main, ["verify", str(batch.results[0][1][0])])
    assert done.exit_code == 1 and "[input_missing]" in done.output


def test_result_is_json_safe_and_self_describing(scheme, tmp_path):
    r = result_of(scheme, tmp_path, full(scheme))
    assert json.loads(json.dumps(r, allow_nan=False)) == r
    assert r["kind"] == "organisation_assessment"
    assert r["scheme"]["basis"] == "modelled" and r["scheme"]["assumptions"]
    assert copy.deepcopy(r) == r


def test_own_wording_from_a_template_dir(tmp_path):
    own = tmp_path / "templates"
    own.mkdir()
    (own / "labels.yaml").write_text(
        "zh:\n  organisation:\n    title: 某评价机构良好行为评价报告\n", encoding="utf-8")
    done = invoke("assess-organisation", str(EXAMPLES / "alliance-two-star.yaml"), "--date",
                  "2026-11-23", "--template-dir", str(own), "-o", str(tmp_path / "out"),
                  "--no-audit")
    assert done.exit_code == 0, done.output
    md = (tmp_path / "out" / "alliance-two-star.zh.md").read_text(encoding="utf-8")
    assert md.startswith("# 某评价机构良好行为评价报告 — 示例智能家电产业技术联盟")
    assert "## 各维度得分" in md  # the rest of the shipped wording stays
