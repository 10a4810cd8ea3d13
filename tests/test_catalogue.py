"""The catalogue: loading and checking it, the shipped motor data, the loader's limits, and the
`benchmark validate` / `benchmark list` commands.

Broken catalogues are built in tmp_path from copies of the shipped ladder and motor files. Every
line a test breaks carries a `# BAD:<name>` comment, and the expected line of a problem is the line
of that marker, so the tests check the exact line and not just that some line was given.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from benchmark import loading
from benchmark.catalogue import check_catalogue, load_catalogue
from benchmark.cli import main
from benchmark.loading import read_document

REPO = Path(__file__).resolve().parents[1]

SET = "indicator_sets/three-phase-induction-motor.yaml"
LADDER = "ladders/cn-advancement.yaml"
EU = "reference_standards/EU_2019-1781.yaml"
GB = "reference_standards/GB_18613-2020.yaml"
IEC = "reference_standards/IEC_60034-30-1-2014.yaml"
LEADER = "programmes/leader.yaml"
MOTOR_FILES = (LADDER, LEADER, "programmes/shenzhen.yaml", SET, EU, GB, IEC,
               "indicator_sets/line-start-pm-motor.yaml")


# --- helpers -------------------------------------------------------------------------------

def copy_motor_catalogue(root: Path) -> Path:
    """A catalogue in `root` holding copies of the shipped ladder and motor files only."""
    for rel in MOTOR_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / rel, root / rel)
    return root


def edit(root: Path, rel: str, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in a catalogue file (fails if not exactly one)."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{rel}: expected one {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def append(root: Path, rel: str, text: str) -> None:
    with open(root / rel, "a", encoding="utf-8") as f:
        f.write(text)


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def line_of(root: Path, rel: str, marker: str) -> int:
    """1-based line of the one line of a file that contains `marker`."""
    hits = [i for i, line in enumerate((root / rel).read_text(encoding="utf-8").splitlines(), 1)
            if marker in line]
    assert len(hits) == 1, f"{rel}: marker {marker!r} on lines {hits}"
    return hits[0]


def codes(problems) -> list[str]:
    return [p.code for p in problems]


def run_cli(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(autouse=True)
def _no_data_env(monkeypatch):
    """The default catalogue is the shipped one, whatever the environment says."""
    monkeypatch.delenv("BENCHMARK_DATA", raising=False)


# --- 1. the shipped catalogue --------------------------------------------------------------

def test_shipped_catalogue_has_no_errors():
    catalogue, report = check_catalogue(REPO)
    assert [p.format() for p in report.errors] == []
    assert "three-phase-induction-motor" in catalogue.sets
    assert {"EU 2019/1781", "GB 18613-2020", "IEC 60034-30-1:2014"} <= set(catalogue.references)
    assert "cn-advancement" in catalogue.ladders
    assert set(MOTOR_FILES) <= set(catalogue.files)


def test_validate_command_accepts_shipped_catalogue():
    result = run_cli("validate")
    assert result.exit_code == 0, result.output
    assert "catalogue: 0 error(s)" in result.output


# --- 2. and 3. the motor data, as loaded -----------------------------------------------------

@pytest.fixture(scope="module")
def shipped():
    return load_catalogue(REPO)


def class_threshold(catalogue, edition: str, segment: str, label: str, kw: float) -> float:
    """The efficiency threshold of class `label` for a `segment` motor of `kw` rated output."""
    power = np.array([kw])
    matches = [v for v in catalogue.references[edition].values
               if v.indicator_set == "three-phase-induction-motor" and v.indicator == "efficiency"
               and v.segments == (segment,) and v.class_bound(label) is not None
               and v.where["rated_power"].contains(power)[0]]
    assert len(matches) == 1, f"{edition} {segment} {label} {kw} kW: {len(matches)} values"
    return float(matches[0].class_bound(label).threshold.evaluate({"rated_power": power}, 1)[0])


# REFERENCE_DATA.md §1: a manufacturer's table, 4-pole 1.5 kW: IE2 82.8 %, IE3 85.3 %.
@pytest.mark.parametrize("label, expected", [("IE3", 85.3), ("IE2", 82.8)])
def test_eu_class_4_pole_1_5_kw_matches_manufacturer_table(shipped, label, expected):
    assert class_threshold(shipped, "EU 2019/1781", "p4", label, 1.5) == pytest.approx(expected,
                                                                                       abs=1e-9)


def test_eu_minimum_from_2021_for_4_pole_1_5_kw_is_ie3(shipped):
    """REFERENCE_DATA §1: from 2021-07-01 at least IE3 (85.3 % at 4-pole 1.5 kW)."""
    power = np.array([1.5])
    limits = [v for v in shipped.references["EU 2019/1781"].values
              if v.segments == ("p4",) and v.limits and v.where["rated_power"].contains(power)[0]
              and str(v.effective_from) == "2021-07-01"]
    assert len(limits) == 1
    (bound,) = limits[0].limits
    assert bound.op == "ge"
    assert bound.threshold.evaluate({"rated_power": power}, 1)[0] == pytest.approx(85.3, abs=1e-9)


# The ratings of GB 18613-2020 Table 1 from 0.75 to 200 kW (REFERENCE_DATA.md §1).
GB_RATINGS = [0.75, 1.1, 1.5, 2.2, 3, 4, 5.5, 7.5, 11, 15, 18.5, 22, 30, 37, 45, 55, 75, 90, 110,
              132, 160, 200]


@pytest.mark.parametrize("segment", ["p2", "p4", "p6", "p8"])
def test_gb_table_lists_every_rating_from_0_75_to_200_kw(shipped, segment):
    values = [v for v in shipped.references["GB 18613-2020"].values
              if v.segments == (segment,) and v.where["rated_power"].contains(np.array([1.5]))[0]]
    assert len(values) == 1
    for label in ("1", "2", "3"):
        assert list(values[0].class_bound(label).threshold.table_x) == GB_RATINGS


# REFERENCE_DATA.md §1: GB grade 3 = IE3 formula, grade 2 = IE4 formula, 176 of 176 values.
@pytest.mark.parametrize("segment", ["p2", "p4", "p6", "p8"])
@pytest.mark.parametrize("grade, ie_class", [("3", "IE3"), ("2", "IE4")])
def test_gb_grade_equals_eu_formula_at_every_rating(shipped, segment, grade, ie_class):
    mismatches = []
    for kw in GB_RATINGS:
        gb = class_threshold(shipped, "GB 18613-2020", segment, grade, kw)
        eu = class_threshold(shipped, "EU 2019/1781", segment, ie_class, kw)
        if abs(gb - eu) >= 0.05:  # equal to 0.1 %
            mismatches.append((kw, gb, eu))
    assert mismatches == []


# --- 4. a broken catalogue: every problem in one run -----------------------------------------

DRAFT = "reference_standards/XX_draft.yaml"
SCHEMA_BROKEN = "indicator_sets/schema-broken.yaml"

BROKEN_EU_VALUES = """\
  - indicator_set: three-phase-induction-motor
    indicator: efficiency
    segments: [p4]
    unit: kW  # BAD:unit_dimension_mismatch
    limit: {ge: 80}
  - indicator_set: three-phase-induction-motor
    indicator: efficiency
    segments: [p4]
    unit: "%"
    classes:
      - {label: A, ge: 90}
      - {label: B, ge: 95}  # BAD:grades_not_monotone
      - {label: C}
  - indicator_set: three-phase-induction-motor
    indicator: effciency  # BAD:unknown_indicator
    unit: "%"
    limit: {ge: 80}
  - indicator_set: three-phase-induction-motor
    indicator: efficiency
    segments: [p44]  # BAD:unknown_segment
    unit: "%"
    limit: {ge: 80}
  - indicator_set: three-phase-induction-motor
    indicator: efficiency
    unit: "%"
    limit: {ge: {formula: "__import__('os')"}}  # BAD:import
  - indicator_set: three-phase-induction-motor
    indicator: efficiency
    unit: "%"
    limit: {ge: {formula: "9**9**9"}}  # BAD:exponent
  - indicator_set: three-phase-induction-motor
    indicator: efficiency
    unit: "%"
    clause: first
    clause: second  # BAD:duplicate_key
    limit: {ge: 80}
"""

DRAFT_TEXT = """\
schema: reference-standard/1
id: XX 1-2025
titles: {zh: 草案, en: A draft with one unsourced value}
tier: group
body: Nobody
mandatory: false
dates: {in_force: "2025-01-01"}
values:
  - indicator_set: three-phase-induction-motor
    indicator: efficiency
    unit: "%"
    limit: {ge: 80}
    source: {title: Somewhere citable}
  - indicator_set: three-phase-induction-motor  # BAD:value_without_source
    indicator: efficiency
    unit: "%"
    limit: {ge: 81}
"""

SCHEMA_BROKEN_TEXT = """\
schema: indicator-set/1
id: schema-broken
names: {zh: 坏, en: Broken}
parameters: {}
indicators:
  - id: x
    names: {zh: 甲, en: X}
    class: central  # BAD:schema_enum
    kind: boolean
    direction: equal
"""


def break_catalogue(root: Path) -> Path:
    copy_motor_catalogue(root)
    edit(root, SET, "    unit: mm/s\n", "    unit: mm/sx  # BAD:unit_unknown\n")
    edit(root, SET, "indicators:\n  - id: mandatory_conformity",
         "  - {id: p2-small, names: {zh: 小2极, en: Small 2-pole}, "
         "where: {poles: 2, rated_power: {ge: 0.12, le: 0.75}}}  # BAD:segments_overlap\n"
         "indicators:\n  - id: mandatory_conformity")
    edit(root, SET, "    test_method: GB/T 10069.1\n",
         "    test_method: GB/T 10069.1\n    segments: [p2, p44]  # BAD:unknown_segment\n")
    edit(root, SET, "    test_method: GB/T 1032\n",
         "    test_method: GB/T 1032\n    test_method: GB/T 1032-2012  # BAD:duplicate_key\n")
    edit(root, SET, "  leader:\n    indicators: [efficiency]\n",
         "  leader:  # BAD:core_count_low\n    indicators: [efficency]  # BAD:unknown_indicator\n")
    edit(root, LEADER, "check: core_count, at_least: 3,", "check: core_count, at_least: 5,")
    append(root, EU, BROKEN_EU_VALUES)
    write(root, DRAFT, DRAFT_TEXT)
    write(root, SCHEMA_BROKEN, SCHEMA_BROKEN_TEXT)
    return root


@dataclass(frozen=True)
class Expected:
    codes: tuple[str, ...]  # any of these reason codes
    file: str
    marker: str
    says: str | None = None  # text the message or hint must contain
    severity: str = "error"


EXPECTED = [
    Expected(("unit_unknown",), SET, "BAD:unit_unknown", "mm/sx"),
    Expected(("segments_overlap",), SET, "BAD:segments_overlap", "p2-small"),
    Expected(("unknown_segment",), SET, "BAD:unknown_segment", "'p4'"),
    Expected(("duplicate_key",), SET, "BAD:duplicate_key", "test_method"),
    Expected(("unknown_indicator",), SET, "BAD:unknown_indicator", "'efficiency'"),
    Expected(("core_count_low",), SET, "BAD:core_count_low", "5", severity="warning"),
    Expected(("unit_dimension_mismatch",), EU, "BAD:unit_dimension_mismatch", "kW"),
    Expected(("grades_not_monotone",), EU, "BAD:grades_not_monotone", "'B'"),
    Expected(("unknown_indicator",), EU, "BAD:unknown_indicator", "'efficiency'"),
    Expected(("unknown_segment",), EU, "BAD:unknown_segment", "'p4'"),
    Expected(("formula_call_not_allowed", "formula_name_unknown"), EU, "BAD:import", "__import__"),
    Expected(("formula_exponent_not_allowed",), EU, "BAD:exponent", "9**9"),
    Expected(("duplicate_key",), EU, "BAD:duplicate_key", "clause"),
    Expected(("value_without_source",), DRAFT, "BAD:value_without_source"),
    Expected(("schema_enum",), SCHEMA_BROKEN, "BAD:schema_enum", "basic, core, innovation"),
]


def _id(e: Expected) -> str:
    return f"{e.codes[0]}@{Path(e.file).stem}"


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    root = break_catalogue(tmp_path_factory.mktemp("broken"))
    _, report = check_catalogue(root)
    return root, report


@pytest.mark.parametrize("expected", EXPECTED, ids=_id)
def test_broken_catalogue_reports_problem_with_file_line_and_code(broken, expected):
    root, report = broken
    line = line_of(root, expected.file, expected.marker)
    found = [p for p in report.problems
             if p.code in expected.codes and p.file == expected.file and p.line == line]
    assert len(found) == 1, "\n".join(p.format() for p in report.problems)
    problem = found[0]
    assert problem.severity == expected.severity
    if expected.says:
        assert expected.says in f"{problem.message} {problem.hint}"


def test_broken_catalogue_reports_nothing_else(broken):
    """One run finds every problem, and no problem is reported twice or cascades."""
    root, report = broken
    wanted = sorted((e.file, line_of(root, e.file, e.marker)) for e in EXPECTED)
    assert sorted((p.file, p.line) for p in report.problems) == wanted
    assert len(report.warnings) == 1 and len(report.errors) == len(EXPECTED) - 1


def test_core_count_low_alone_is_a_warning_not_an_error(tmp_path):
    root = copy_motor_catalogue(tmp_path)
    edit(root, LEADER, "check: core_count, at_least: 3,", "check: core_count, at_least: 4,")
    catalogue, report = check_catalogue(root)
    assert report.errors == []
    assert codes(report.problems) == ["core_count_low"]
    assert catalogue.warnings == report.warnings
    result = run_cli("validate", "--data-dir", str(root))
    assert result.exit_code == 0, result.output
    assert "warning [core_count_low]" in result.output


@pytest.mark.parametrize("where, overlapping", [
    ("{poles: 2, rated_power: {ge: 1000}}", ["p2"]),          # both ends closed at 1000 kW
    ("{poles: 2, rated_power: {gt: 1000}}", []),              # meets p2 with one side open
    ("{poles: 2, rated_power: {lt: 0.12}}", []),
    ("{poles: 6, rated_power: {ge: 0.5, le: 2}}", ["p6"]),
    ("{poles: [4, 8], rated_power: {ge: 500}}", ["p4", "p8"]),
    ("{rated_power: {ge: 0.5, le: 2}}", ["p2", "p4", "p6", "p8"]),  # no pole condition
])
def test_segment_overlap_detection(tmp_path, where, overlapping):
    root = copy_motor_catalogue(tmp_path)
    edit(root, SET, "indicators:\n  - id: mandatory_conformity",
         f"  - {{id: extra, names: {{zh: 另, en: Extra}}, where: {where}}}\n"
         "indicators:\n  - id: mandatory_conformity")
    _, report = check_catalogue(root)
    overlaps = [p for p in report.problems if p.code == "segments_overlap"]
    assert sorted(p.message.split("'")[1] for p in overlaps) == overlapping
    assert all("'extra'" in p.message for p in overlaps)
    assert [p for p in report.errors if p.code != "segments_overlap"] == []


@pytest.mark.parametrize("kind", ["table", "formula"])
def test_non_monotone_grades_given_as_tables_or_formulas_are_reported(tmp_path, kind):
    root = copy_motor_catalogue(tmp_path)
    if kind == "table":
        a = "{table: {parameter: rated_power, points: [[1, 80], [2, 81]]}}"
        b = "{table: {parameter: rated_power, points: [[1, 90], [2, 91]]}}"
    else:
        a, b = '{formula: "80 + 0*rated_power"}', '{formula: "90 + 0*rated_power"}'
    append(root, EU, f"""\
  - indicator_set: three-phase-induction-motor
    indicator: efficiency
    segments: [p4]
    unit: "%"
    classes:
      - {{label: A, ge: {a}}}
      - {{label: B, ge: {b}}}  # BAD:grades_not_monotone
      - {{label: C}}
""")
    _, report = check_catalogue(root)
    assert [(p.code, p.line) for p in report.problems] == [
        ("grades_not_monotone", line_of(root, EU, "BAD:grades_not_monotone"))]


def test_unknown_table_unit_is_reported_with_its_line(tmp_path):
    root = copy_motor_catalogue(tmp_path)
    append(root, EU, """\
  - indicator_set: three-phase-induction-motor
    indicator: efficiency
    segments: [p4]
    unit: "%"
    limit:
      ge:
        table:
          parameter: rated_power
          unit: blorps  # BAD:unit_unknown
          points: [[1, 80], [2, 81]]
""")
    _, report = check_catalogue(root)
    assert [(p.code, p.file, p.line) for p in report.problems] == [
        ("unit_unknown", EU, line_of(root, EU, "BAD:unit_unknown"))]


@pytest.mark.xfail(strict=True, reason="cross-file checks (unknown_reference, unknown_class for a "
                   "level that requires a class) report the file but no line or pointer")
def test_level_requiring_unknown_reference_or_class_is_reported_with_its_line(tmp_path):
    root = copy_motor_catalogue(tmp_path)
    edit(root, SET, """\
    ladder: cn-advancement
    rules:
      - {id: basic-pass, kind: gate, check: basic_pass}
      - {id: references-valid""", """\
    ladder:
      - {id: none, names: {zh: 无, en: None}}
      - {id: ie3, names: {zh: IE3, en: IE3}, requires: {relation: meets, of: class, reference: EU 2019/1871, class: IE3}}  # BAD:unknown_reference
      - {id: ie9, names: {zh: IE9, en: IE9}, requires: {relation: meets, of: class, reference: EU 2019/1781, class: IE9}}  # BAD:unknown_class
    rules:
      - {id: basic-pass, kind: gate, check: basic_pass}
      - {id: references-valid""")
    edit(root, SET, "check: in_scope}\n      - {id: advanced-indicators, kind: conjunctive, "
                    "level: international_advanced,",
         "check: in_scope}\n      - {id: advanced-indicators, kind: conjunctive, level: ie3,")
    _, report = check_catalogue(root)
    assert sorted((p.code, p.line) for p in report.problems) == [
        ("unknown_class", line_of(root, SET, "BAD:unknown_class")),
        ("unknown_reference", line_of(root, SET, "BAD:unknown_reference")),
    ]


def test_unquoted_dates_in_a_reference_file_are_accepted(tmp_path):
    root = copy_motor_catalogue(tmp_path)
    edit(root, EU, 'dates: {in_force: "2021-07-01"}', "dates: {in_force: 2021-07-01}")
    catalogue, report = check_catalogue(root)
    assert report.errors == []
    assert str(catalogue.references["EU 2019/1781"].in_force) == "2021-07-01"


# --- 5. `benchmark validate` on broken input ------------------------------------------------

def _listed(output: str, file: str, line: int, code: str) -> bool:
    return any(out.startswith(f"{file}:{line} ") and f"[{code}]" in out
               for out in output.splitlines())


def test_validate_command_lists_every_problem_of_a_broken_catalogue(broken):
    root, _ = broken
    result = run_cli("validate", "--data-dir", str(root))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for e in EXPECTED:
        line = line_of(root, e.file, e.marker)
        assert any(_listed(result.output, e.file, line, code) for code in e.codes), (
            f"{e.file}:{line} [{e.codes[0]}] not in\n{result.output}")
    assert f"catalogue: {len(EXPECTED) - 1} error(s), 1 warning(s)" in result.output


def test_validate_command_on_one_file_of_the_catalogue(broken):
    root, _ = broken
    result = run_cli("validate", str(root / SET), "--data-dir", str(root))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for e in (e for e in EXPECTED if e.file == SET):
        assert _listed(result.output, SET, line_of(root, SET, e.marker), e.codes[0]), result.output
    assert EU not in result.output  # only the file asked about


def test_validate_command_on_one_draft_file_outside_the_catalogue(tmp_path):
    draft = write(tmp_path, "draft.yaml", DRAFT_TEXT.replace(
        "    indicator: efficiency\n    unit: \"%\"\n    limit: {ge: 80}\n",
        "    indicator: efficency  # BAD:unknown_indicator\n    unit: \"%\"\n    limit: {ge: 80}\n"))
    result = run_cli("validate", str(draft))  # against the shipped catalogue
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for marker, code in (("BAD:unknown_indicator", "unknown_indicator"),
                         ("BAD:value_without_source", "value_without_source")):
        assert _listed(result.output, str(draft), line_of(tmp_path, "draft.yaml", marker), code), \
            result.output


def test_validate_command_on_a_missing_file(tmp_path):
    result = run_cli("validate", str(tmp_path / "nowhere.yaml"))
    assert result.exit_code == 2
    assert "[file_not_found]" in result.output
    assert "Traceback" not in result.output


# --- 6. the loader's limits ------------------------------------------------------------------

def billion_laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def read(tmp_path: Path, name: str, content: str | bytes):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return read_document(path)


def test_alias_bomb_is_refused_quickly(tmp_path):
    start = time.perf_counter()
    doc, problems = read(tmp_path, "bomb.yaml", billion_laughs(9))
    assert time.perf_counter() - start < 2.0
    assert doc is None
    assert codes(problems) == ["yaml_alias_limit"]


def test_too_many_aliases_are_refused(tmp_path):
    text = "a: &a x\nb: [" + ", ".join(["*a"] * (loading.MAX_ALIASES + 1)) + "]\n"
    doc, problems = read(tmp_path, "aliases.yaml", text)
    assert doc is None and codes(problems) == ["yaml_alias_limit"]


def test_a_few_aliases_are_fine(tmp_path):
    doc, problems = read(tmp_path, "ok.yaml", billion_laughs(3))
    assert problems == [] and len(doc.data["l2"]) == 9 and doc.data["l2"][0][0] == ["lol"] * 9


@pytest.mark.parametrize("name, text", [
    ("flow.yaml", "[" * 100 + "]" * 100),
    ("block.yaml", "".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "v\n"),
    ("deep.json", "[" * 100 + "]" * 100),
    ("very-deep.yaml", "[" * 20000 + "]" * 20000),
    ("very-deep.json", "[" * 20000 + "]" * 20000),
])
def test_deep_nesting_is_refused(tmp_path, name, text):
    doc, problems = read(tmp_path, name, text)
    assert doc is None and codes(problems) == ["nesting_too_deep"]


@pytest.mark.parametrize("name, content, code", [
    ("empty.yaml", "", "file_empty"),
    ("blank.yaml", "  \n\n", "file_empty"),
    ("comment.yaml", "# nothing here\n", "file_empty"),
    ("empty.json", "", "file_empty"),
    ("latin1.yaml", "name: Gr\xfcn\n".encode("latin-1"), "file_encoding"),
    ("bad.json", b'{"a": "\xff"}', "file_encoding"),
])
def test_unreadable_files_are_refused(tmp_path, name, content, code):
    doc, problems = read(tmp_path, name, content)
    assert doc is None and codes(problems) == [code]
    assert problems[0].file == str(tmp_path / name)


@pytest.mark.parametrize("name, text, code, line", [
    ("bad.yaml", "a: 1\nb: 2\n  c: 3\n", "yaml_syntax", 3),
    ("tab.yaml", "a: 1\nb:\n\t- x\n", "yaml_syntax", 3),
    ("bad.json", '{\n  "a": 1\n  "b": 2\n}\n', "json_syntax", 3),
    ("trailing.json", '{\n  "a": 1,\n}\n', "json_syntax", 3),
])
def test_syntax_errors_give_the_line(tmp_path, name, text, code, line):
    doc, problems = read(tmp_path, name, text)
    assert doc is None
    assert [(p.code, p.line) for p in problems] == [(code, line)]


def test_file_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(loading, "MAX_BYTES", 16)
    doc, problems = read(tmp_path, "at-limit.yaml", "a: 123456789012\n")  # 16 bytes
    assert problems == [] and doc.data == {"a": 123456789012}
    doc, problems = read(tmp_path, "over-limit.yaml", "a: 1234567890123\n")  # 17 bytes
    assert doc is None and codes(problems) == ["file_too_large"]


def test_duplicate_yaml_key_is_flagged_with_its_line(tmp_path):
    _doc, problems = read(tmp_path, "dup.yaml", "a: 1\nb:\n  c: 1\n  c: 2\n")
    assert [(p.code, p.line, p.pointer) for p in problems] == [("duplicate_key", 4, "/b/c")]


def test_duplicate_json_key_is_flagged(tmp_path):
    _doc, problems = read(tmp_path, "dup.json", '{\n  "a": 1,\n  "a": 2\n}\n')
    assert [(p.code, p.line) for p in problems] == [("duplicate_key", 3)]


def test_unquoted_dates_stay_strings(tmp_path):
    doc, problems = read(tmp_path, "dates.yaml",
                         "in_force: 2021-06-01\nlist: [2020-07-01]\nwhen: 2021-06-01T10:00:00\n")
    assert problems == []
    assert doc.data == {"in_force": "2021-06-01", "list": ["2020-07-01"],
                        "when": "2021-06-01T10:00:00"}


def test_lines_are_recorded_for_pointers(tmp_path):
    doc, problems = read(tmp_path, "lines.yaml", "a: 1\nb:\n  - x\n  - {c: 2}\n")
    assert problems == []
    assert (doc.line("/a"), doc.line("/b/0"), doc.line("/b/1/c"), doc.line("/b/1/c/zz")) == \
        (1, 3, 4, 4)


def test_bom_is_allowed(tmp_path):
    doc, problems = read(tmp_path, "bom.yaml", "\ufeffa: 1\n".encode("utf-8"))
    assert problems == [] and doc.data == {"a": 1}


# --- 7. `benchmark list` and help -------------------------------------------------------------

def test_list_references_shows_gb_18613_2020_in_force():
    result = run_cli("list", "references", "--date", "2026-11-23")
    assert result.exit_code == 0, result.output
    (row,) = [r for r in result.output.splitlines() if r.startswith("GB 18613-2020\t")]
    assert "in_force on 2026-11-23" in row
    assert "\tnational\tmandatory\t" in row


def test_list_references_before_gb_18613_2020_came_into_force():
    result = run_cli("list", "references", "--date", "2021-05-31")
    (row,) = [r for r in result.output.splitlines() if r.startswith("GB 18613-2020\t")]
    assert "not_yet_in_force on 2021-05-31" in row


@pytest.mark.parametrize("what, expected", [
    ("sets", "three-phase-induction-motor\t"),
    ("programmes", "three-phase-induction-motor\tleader\tmodelled"),
])
def test_list_sets_and_programmes(what, expected):
    result = run_cli("list", what)
    assert result.exit_code == 0, result.output
    assert any(r.startswith(expected) for r in result.output.splitlines())


@pytest.mark.parametrize("command", [[], *[[name] for name in sorted(main.commands)]],
                         ids=lambda c: " ".join(c) or "benchmark")
def test_every_command_has_help(command):
    result = run_cli(*command, "--help")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    cmd = main if not command else main.commands[command[0]]
    help_text = (cmd.help or "").strip()
    assert help_text, f"{command} has no help text"
    assert help_text.split()[0] in result.output


# --- 8. the catalogue hash ---------------------------------------------------------------------

def test_catalogue_hash_identifies_the_content(tmp_path):
    one = copy_motor_catalogue(tmp_path / "one")
    two = copy_motor_catalogue(tmp_path / "two")
    hash_one = load_catalogue(one).sha256
    assert load_catalogue(two).sha256 == hash_one  # same content, different folder
    edit(two, EU, "# EU Commission Regulation", "# Eu Commission Regulation")  # one byte
    changed = load_catalogue(two)
    assert changed.sha256 != hash_one
    assert len(changed.sha256) == 64


# --- 9. load time: the same documents and checks, computed faster --------------------------------

def _read_all(paths):
    return [(doc and (doc.data, doc.lines, doc.sha256), [p.__dict__ for p in problems])
            for doc, problems in map(read_document, paths)]


@pytest.mark.skipif(loading._FastLoader is None, reason="PyYAML built without libyaml")
def test_libyaml_reads_every_file_as_the_python_loader_does(monkeypatch):
    """Data, lines, hashes and problems of every catalogue file and every bad input are those
    of the pure-Python loader, whose messages the problems quote."""
    paths = sorted(p for folder in ("indicator_sets", "ladders", "programmes",
                                    "reference_standards", "tests/bad_inputs")
                   for p in (REPO / folder).rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
    assert len(paths) > 100
    fast = _read_all(paths)
    monkeypatch.setattr(loading, "_FastLoader", None)
    assert fast == _read_all(paths)


@pytest.mark.skipif(loading._FastLoader is None, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("name, code", [("alias-many.yaml", "yaml_alias_limit"),
                                        ("deep-nesting.yaml", "nesting_too_deep"),
                                        ("deep-nesting-block.yaml", "nesting_too_deep")])
def test_a_limit_hit_on_libyaml_is_refused_without_parsing_again(monkeypatch, name, code):
    """The limits are the same code on either parser: a document libyaml stops at a limit is
    refused there, not parsed a second time by the Python loader."""
    class NotRun:
        def __init__(self, text):
            raise AssertionError("parsed a second time")
    monkeypatch.setattr(loading, "_LimitedLoader", NotRun)
    doc, problems = read_document(REPO / "tests" / "bad_inputs" / "declarations" / name)
    assert doc is None and [p.code for p in problems] == [code] and problems[0].line


def test_a_syntax_error_names_the_character_found(tmp_path):
    """A document libyaml refuses is read by the Python loader, whose message says what it
    found (libyaml's: "found character that cannot start any token")."""
    _doc, problems = read(tmp_path, "tab.yaml", "a: 1\nb:\n\t- x\n")
    assert [(p.code, p.line) for p in problems] == [("yaml_syntax", 3)]
    assert "found character '\\t' that cannot start any token" in problems[0].message


def test_a_formula_checked_on_an_open_grid_equals_every_combination(shipped):
    """The check points of a two-parameter formula broadcast to every combination, and the
    formula there gives what it gives on the dense mesh, point for point."""
    from benchmark.catalogue import _grid_point, _on_grid, formula_check_points

    iset = shipped.sets["centrifugal-pump"]
    value = next(v for e in shipped.references.values() for v in e.values
                 if v.indicator_set == iset.id and v.classes
                 and len(v.classes[0].bound.threshold.formula.names) == 2)
    formula = value.classes[0].bound.threshold.formula
    points = formula_check_points(formula, {}, iset.parameters)
    names = sorted(points)
    dense = dict(zip(names, (m.ravel() for m in np.meshgrid(
        *[points[n].ravel() for n in names], indexing="ij")), strict=True))
    assert _on_grid(formula, points).shape == (len(dense[names[0]]),)
    np.testing.assert_array_equal(_on_grid(formula, points), formula(**dense))
    k = len(dense[names[0]]) // 3
    assert _grid_point(points, k) == ", ".join(f"{n} = {float(dense[n][k])!r}" for n in names)
