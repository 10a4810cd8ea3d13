"""The words of a gap and of a scope: a value exactly at a limit it must pass says "must be
below/above" (never "improve by 0"), and a scope gives each number with its parameter's unit.

The transformer example (400 kVA, amorphous alloy core, Dyn11) declares no-load loss ≤ 0.16 kW,
exactly GB 20052-2024 表1 grade 1 for that row (0.16 kW, lower is better); domestic leading asks
to beat the strictest domestic value (ladders/cn-advancement.yaml), so the value must be below
0.16 kW.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmark import wording
from benchmark.catalogue import load_catalogue
from benchmark.cli import main
from benchmark.model import Band

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples/declarations"
DATE = "2026-11-23"  # the demo's date


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Every example declaration evaluated under the Leader programme, in zh and in en."""
    out = tmp_path_factory.mktemp("gaps")
    for lang in ("zh", "en"):
        result = CliRunner().invoke(main, [
            "evaluate", str(EXAMPLES), "--programme", "leader", "--date", DATE, "--lang", lang,
            "--format", "json,md,html", "-o", str(out)])
        assert result.exit_code in (0, 1), result.output
    return out


def test_a_value_at_a_limit_it_must_beat_says_must_be_below(reports):
    data = json.loads((reports / "transformer-sbh25-400.json").read_text(encoding="utf-8"))
    (gap,) = [g for g in data["gaps"] if g["indicator"] == "no_load_loss"]
    assert gap["level"] == "domestic_leading" and gap["required"] == pytest.approx(0.16)
    assert gap["at_limit"] is True and gap["side"] == "below"
    assert gap["improve_by"] == 0 and math.copysign(1, gap["improve_by"]) == 1  # not -0.0
    zh = (reports / "transformer-sbh25-400.zh.md").read_text(encoding="utf-8")
    en = (reports / "transformer-sbh25-400.en.md").read_text(encoding="utf-8")
    assert "需低于 0.16 kW" in zh and "需提高 0 kW" not in zh
    assert "must be below 0.16 kW" in en and "improve by 0 kW" not in en
    html = (reports / "transformer-sbh25-400.zh.html").read_text(encoding="utf-8")
    assert "需低于 0.16 kW" in html


def test_no_report_asks_to_improve_by_nothing(reports):
    """Every gap either improves by a positive amount or says which side of the limit to be."""
    for path in sorted(reports.glob("*.json")):
        for gap in json.loads(path.read_text(encoding="utf-8"))["gaps"]:
            assert gap["at_limit"] or gap["improve_by"] > 0, (path.name, gap)
            assert gap["side"] in ("below", "above")
    for path in sorted(reports.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        assert "需提高 0 " not in text and "improve by 0 " not in text, path.name
        assert "需提高 -" not in text and "improve by -" not in text, path.name


@pytest.fixture(scope="module")
def motor_parameters():
    return load_catalogue().sets["three-phase-induction-motor"].parameters


def test_a_band_gives_each_end_with_the_parameters_unit(motor_parameters):
    said = wording.scope({"rated_power": Band(ge=0.12, le=0.55)}, motor_parameters)
    assert said == {"zh": "额定功率 ≥ 0.12 kW 且 ≤ 0.55 kW",
                    "en": "Rated output power ≥ 0.12 kW and ≤ 0.55 kW"}


def test_declared_values_are_given_with_their_units(motor_parameters):
    said = wording.scope({"rated_power": [1.5], "poles": [4]}, motor_parameters)
    assert said["zh"] == "额定功率为1.5 kW；极数为4"  # poles have no unit
    assert said["en"] == "Rated output power: 1.5 kW; Number of poles: 4"


def test_the_segment_sentence_of_a_report_gives_units(reports):
    """The example motor (1.5 kW) is outside the EU Table 27 band of 0.12–0.55 kW."""
    zh = (reports / "motor-leader.zh.md").read_text(encoding="utf-8")
    en = (reports / "motor-leader.en.md").read_text(encoding="utf-8")
    assert "额定功率 ≥ 0.12 kW 且 ≤ 0.55 kW" in zh
    assert "Rated output power ≥ 0.12 kW and ≤ 0.55 kW" in en
