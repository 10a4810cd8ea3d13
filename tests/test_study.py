"""The comparison study: the matrix holds the numbers of the cited reference files (read from the
YAML here, never retyped), the most stringent value is marked, domestic vs international is
computed, a parameter-dependent threshold without its parameter names the parameter, superseded
editions only on request, and the `compare` command writes every format.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from benchmark.catalogue import data_file, load_catalogue
from benchmark.cli import main
from benchmark.errors import InputError
from benchmark.formula import compile_formula
from benchmark.report import labels
from benchmark.report.study import render_study_html, render_study_markdown, render_study_xlsx
from benchmark.study import compare_study

DATE = dt.date(2026, 11, 23)


def reference_yaml(name: str) -> dict:
    return yaml.safe_load(data_file("reference_standards", name).read_text(encoding="utf-8"))


def gb21455_apf_grade1(segment: str) -> float:
    doc = reference_yaml("GB_21455-2019.yaml")
    value = next(v for v in doc["values"] if v["indicator"] == "apf" and v["segments"] == [segment])
    return float(next(c for c in value["classes"] if c["label"] == "1")["ge"])


def top_runner_apf(kw: float) -> float:
    """The FY2027 target at `kw` from the file's formula (METI's table lists 6.6 at 3.2 kW)."""
    doc = reference_yaml("JP_TopRunner_AC_FY2027.yaml")
    ge = doc["values"][0]["limit"]["ge"]
    formula = compile_formula(ge["formula"], ["cooling_capacity"])
    return float(np.round(formula(cooling_capacity=kw * 1000.0), ge["round"]))


def gb18613_grade(segment: str, grade: str, kw: float) -> float:
    doc = reference_yaml("GB_18613-2020.yaml")
    value = next(v for v in doc["values"] if v["segments"] == [segment]
                 and v["where"]["rated_power"].get("ge") == 0.75)
    table = next(c for c in value["classes"] if c["label"] == grade)["ge"]["table"]
    return float(next(y for x, y in table["points"] if x == kw))


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def ac_study(catalogue):
    return compare_study(catalogue, "room-air-conditioner", DATE, segment="hp_le4500",
                         parameters=["cooling_capacity=3.2 kW", "installation=wall_hung",
                                     "region=general"])


def cell(study: dict, reference: str, indicator: str, segment: int = 0) -> dict | None:
    row = next(r for r in study["segments"][segment]["rows"] if r["reference"] == reference)
    return row["cells"][indicator]


def test_matrix_holds_the_cited_values(ac_study):
    gb = cell(ac_study, "GB 21455-2019", "apf")
    jp = cell(ac_study, "JP TopRunner AC FY2027", "apf")
    assert gb["status"] == jp["status"] == "value"
    assert gb["entries"][0]["value"] == pytest.approx(gb21455_apf_grade1("hp_le4500"))
    assert gb["entries"][0]["class_label"] == "1" and gb["entries"][0]["op"] == "ge"
    assert jp["entries"][0]["value"] == pytest.approx(top_runner_apf(3.2))
    assert jp["entries"][0]["verified"] is False  # the Top Runner file ships unverified
    assert [i["unit"] for i in ac_study["indicators"] if i["id"] == "apf"] == ["W·h/W·h"]


def test_most_stringent_and_domestic_vs_international(ac_study):
    gb_value, jp_value = gb21455_apf_grade1("hp_le4500"), top_runner_apf(3.2)
    assert jp_value > gb_value  # the premise of this case
    assert cell(ac_study, "JP TopRunner AC FY2027", "apf")["entries"][0]["most_stringent"] is True
    assert cell(ac_study, "GB 21455-2019", "apf")["entries"][0]["most_stringent"] is False
    s = ac_study["segments"][0]["summary"]["apf"]
    assert s["most_stringent"]["reference"] == "JP TopRunner AC FY2027"
    assert s["best_domestic"]["reference"] == "GB 21455-2019"
    assert s["best_international"]["reference"] == "JP TopRunner AC FY2027"
    assert s["difference_abs"] == pytest.approx(jp_value - gb_value)
    assert s["difference_rel"] == pytest.approx((jp_value - gb_value) / gb_value)
    assert s["comparison"] == "lags"


def test_domestic_ahead_on_motor_tables_and_formulas(catalogue):
    study = compare_study(catalogue, "three-phase-induction-motor", DATE,
                          parameters=["rated_power=1.5kW", "poles=4"])
    assert [s["id"] for s in study["segments"]] == ["p4"]  # poles=4 rules out the other segments
    gb = cell(study, "GB 18613-2020", "efficiency")["entries"][0]
    assert gb["value"] == pytest.approx(gb18613_grade("p4", "1", 1.5))
    assert gb["minimum"]["value"] == pytest.approx(gb18613_grade("p4", "3", 1.5))
    s = study["segments"][0]["summary"]["efficiency"]
    assert s["best_domestic"]["reference"] == "GB 18613-2020" and gb["most_stringent"]
    intl = s["best_international"]["value"]
    assert s["difference_abs"] == pytest.approx(intl - gb["value"]) and s["comparison"] == "leads"
    # a lower-is-better indicator with no reference: no row, listed as without values
    assert all(r["cells"]["noise"] is None for r in study["segments"][0]["rows"])


def test_parameter_needed_is_named_not_guessed(catalogue):
    study = compare_study(catalogue, "room-air-conditioner", DATE, segment="hp_le4500")
    jp = cell(study, "JP TopRunner AC FY2027", "apf")
    assert jp["status"] == "needs_parameter"
    assert sorted(jp["needs"]) == ["cooling_capacity", "installation", "region"]
    assert jp["entries"] == []
    s = study["segments"][0]["summary"]["apf"]
    assert "cooling_capacity" in s["needs"] and s["best_international"] is None
    assert s["difference_abs"] is None
    html = render_study_html(study, "zh")
    assert "需给定参数: 额定制冷量" in html and "cooling_capacity" not in html  # named, no id
    md = render_study_markdown(study, "en")
    assert "needs parameter: Rated cooling capacity" in md
    # motors: every threshold depends on the rating
    motor = compare_study(catalogue, "three-phase-induction-motor", DATE, segment="p4")
    for row in motor["segments"][0]["rows"]:
        assert "rated_power" in row["cells"]["efficiency"]["needs"], row["reference"]


def test_superseded_only_on_request_and_never_most_stringent(catalogue):
    plain = compare_study(catalogue, "room-air-conditioner", DATE, segment="hp_le4500")
    assert "GB 12021.3-2004" not in {r["id"] for r in plain["references"]}
    old = compare_study(catalogue, "room-air-conditioner", DATE, segment="hp_le4500",
                        include_superseded=True, parameters=["speed_control=fixed_speed"])
    ref = next(r for r in old["references"] if r["id"] == "GB 12021.3-2004")
    assert ref["status"] in ("withdrawn", "superseded")
    eer = cell(old, "GB 12021.3-2004", "eer")
    assert eer["entries"] and not eer["entries"][0]["most_stringent"]
    assert old["segments"][0]["summary"]["eer"]["most_stringent"] is None


def test_reference_filter_and_input_problems(catalogue):
    only = compare_study(catalogue, "room-air-conditioner", DATE, segment="hp_le4500",
                         references=["GB 21455-2019"])
    assert [r["id"] for r in only["references"]] == ["GB 21455-2019"]
    with pytest.raises(InputError) as exc:
        compare_study(catalogue, "room-air-conditioner", DATE, segment="nope",
                      references=["GB 99999-2099", "GB 18613-2020"],
                      parameters=["coolng_capacity=3200", "cooling_capacity=abc", "type"])
    codes = sorted(p.code for p in exc.value.problems)
    assert codes == sorted(["unknown_segment", "unknown_reference", "reference_not_in_category",
                            "unknown_parameter", "requirement_unreadable", "param_syntax"])
    with pytest.raises(InputError) as exc:
        compare_study(catalogue, "room-aircon", DATE)
    assert exc.value.code == "unknown_category"


def test_study_xlsx_matrix(ac_study):
    import io

    L = labels("zh")
    wb = openpyxl.load_workbook(io.BytesIO(render_study_xlsx(ac_study, "zh")))
    ws = wb[f"{L['matrix']} {ac_study['segments'][0]['names']['zh']}"]  # named as people say it
    assert ws.freeze_panes == "B2"
    header = [c.value for c in ws[1]]
    col = header.index("全年能源消耗效率 [W·h/W·h]")
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    jp = rows["JP TopRunner AC FY2027"]
    assert jp[col].data_type == "n" and jp[col].value == pytest.approx(top_runner_apf(3.2))
    assert L["most_stringent"] in jp[col + 1].value and L["unverified"] in jp[col + 1].value
    summary = wb[L["study_summary"]]
    row = [c.value for c in summary[2]]
    assert row[9] == pytest.approx(top_runner_apf(3.2) - gb21455_apf_grade1("hp_le4500"))
    assert render_study_xlsx(ac_study, "zh") == render_study_xlsx(ac_study, "zh")


def test_compare_command_writes_every_format(tmp_path):
    out = tmp_path / "study"
    res = CliRunner().invoke(main, [
        "compare", "--set", "room-air-conditioner", "--segment", "hp_le4500",
        "--param", "cooling_capacity=3.2kW", "--date", "2026-11-23",
        "--format", "html,xlsx,md,json", "--lang", "en", "-o", str(out)])
    assert res.exit_code == 0, res.output
    stem = "study-room-air-conditioner-hp_le4500"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{stem}.json", f"{stem}.en.md", f"{stem}.en.html", f"{stem}.en.xlsx"])
    data = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
    assert data["kind"] == "comparison_study" and data["evaluation_date"] == "2026-11-23"
    html = (out / f"{stem}.en.html").read_text(encoding="utf-8")
    assert "UNVERIFIED" in html and "most stringent" in html and "https://" not in html
    bad = CliRunner().invoke(main, ["compare", "--set", "room-air-conditioner", "--format", "docx",
                                    "-o", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "format_unknown" in bad.output and not (tmp_path / "x").exists()
