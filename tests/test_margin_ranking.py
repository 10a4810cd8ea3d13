"""Per-row margin ranking (programme registry-peers-margin): tiers and the leader threshold on
the % below each model's own US federal maximum annual energy, where raw annual energy rewards
small units. Worked by hand from 10 CFR 430.32(a), product class 3 (refrigerator-freezer,
top-mounted, automatic defrost, no icemaker): maximum = 8.07·AV + 233.7 kWh/yr (AV in ft³),
rounded to the nearest kWh/yr (reference_standards/US_10CFR430.32a_2014.yaml).

  S: AV 10 ft³, max round(314.4) = 314, declares 300 → margin (314 − 300)/314 = 4.4586 %
  T: AV 10 ft³, max 314, declares 310 → 1.2739 %
  M: AV 15 ft³, max round(354.75) = 355, declares 330 → 7.0423 %
  L: AV 20 ft³, max round(395.1) = 395, declares 340 → 13.9241 %

Tiers (5; boundary of tier t at position ceil((1 − t/5)·3) of the values sorted worst first):
  raw (lower is better) 340, 330, 310, 300 → boundaries 300, 310, 310, 330 and the worst ranked
  value 340 (no domestic mandatory value is declared for these rows): S 1, T 2, M 4, L 5;
  margin (higher is better) 1.27, 4.46, 7.04, 13.92 → 13.92, 7.04, 7.04, 4.46 and the floor 0 %
  (a margin below 0 is worse than the model's own limit): L 1, M 2, S 4, T 5.
Leader threshold (percentile:5, position ceil(0.95·3) = 3): raw 300 kWh/yr (S), margin 13.92 % (L).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from benchmark.cli import main

FT3 = 28.316846592  # litres per cubic foot, as the reference file converts
ROWS = [("S", 10, 300), ("L", 20, 340), ("M", 15, 330), ("T", 10, 310)]


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "fridges.csv"
    pd.DataFrame([{"enterprise": e, "model": f"{e}-{av}", "standard": f"Q/{e} 001-2025",
                   "type": "refrigerator_freezer", "us_product_class": "3",
                   "adjusted_volume [L]": av * FT3, "annual_energy [kWh/year]": kwh}
                  for e, av, kwh in ROWS]).to_csv(path, index=False)
    return path


def ranked(table: Path, programme: str, out: Path) -> tuple[dict, pd.Series]:
    res = CliRunner().invoke(main, ["rank", str(table), "--set", "household-refrigerator",
                                    "-p", programme, "--date", "2026-11-23", "--format",
                                    "parquet", "-o", str(out)])
    assert res.exit_code == 0, res.output
    tiers = pd.read_parquet(out / "tiers.parquet")  # ids and codes (the CSV is in words)
    thresholds = pd.read_parquet(out / "thresholds.parquet").set_index("indicator").loc[
        "annual_energy"]
    return dict(zip(tiers["enterprise"], tiers["tier_annual_energy"], strict=True)), thresholds


def test_raw_and_margin_rankings_differ_as_worked_by_hand(table, tmp_path):
    raw, raw_thr = ranked(table, "registry-peers", tmp_path / "raw")
    margin, margin_thr = ranked(table, "registry-peers-margin", tmp_path / "margin")
    assert raw == {"S": 1, "T": 2, "M": 4, "L": 5}
    assert margin == {"L": 1, "M": 2, "S": 4, "T": 5}
    assert (raw_thr["basis"], raw_thr["unit"], raw_thr["threshold"]) == ("value", "kWh/year",
                                                                         300.0)
    assert list(raw_thr["edges"]) == [300, 310, 310, 330, 340]
    assert (margin_thr["basis"], margin_thr["unit"]) == ("margin", "%")
    assert margin_thr["threshold"] == pytest.approx(100 * 55 / 395)
    assert list(margin_thr["edges"]) == pytest.approx(
        [100 * 55 / 395, 100 * 25 / 355, 100 * 25 / 355, 100 * 14 / 314, 0.0])
    assert margin_thr["floor"] == 0.0
