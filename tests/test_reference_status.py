"""`benchmark list references --date D`: the status of each edition on the dates the research file
(shared/REFERENCE_DATA_2.md) gives, each test citing the source of its dates, and the verified share
per file counting class-level marks."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from benchmark.cli import main

REFS = Path(__file__).resolve().parents[1] / "reference_standards"


@cache
def listing(day: str) -> dict[str, list[str]]:
    result = CliRunner().invoke(main, ["list", "references", "--date", day])
    assert result.exit_code == 0, result.output
    rows = {}
    for line in result.output.splitlines():
        cells = line.split("\t")
        rows[cells[0]] = cells
    return rows


def status(day: str) -> dict[str, str]:
    return {k: cells[3].split(" on ")[0] for k, cells in listing(day).items()}


def assert_statuses(day: str, expected: dict[str, str]) -> None:
    got = status(day)
    assert {k: got.get(k) for k in expected} == expected


def test_refrigerator_editions_around_2026_06_01():
    """GB 12021.2-2025 is mandatory from 2026-06-01 and replaces GB 12021.2-2015 (itbear.com.cn,
    passionategeekz.com, sectorvantage.com; REFERENCE_DATA_2.md finding 1)."""
    assert_statuses("2026-05-31", {"GB 12021.2-2015": "in_force",
                                   "GB 12021.2-2025": "not_yet_in_force"})
    assert_statuses("2026-12-01", {"GB 12021.2-2015": "superseded", "GB 12021.2-2025": "in_force"})


def test_refrigerator_2008_edition():
    """GB 12021.2-2008 in force 2009-05-01 (chinesestandards.org), replaced on 2016-10-01 when
    GB 12021.2-2015 came into force (en.cheaa.org)."""
    assert_statuses("2012-01-01", {"GB 12021.2-2008": "in_force",
                                   "GB 12021.2-2015": "not_yet_in_force"})
    assert_statuses("2016-10-01", {"GB 12021.2-2008": "superseded", "GB 12021.2-2015": "in_force"})


def test_room_ac_editions_on_2015_06_01():
    """GB 12021.3-2004 in force 2005-03-01 and replaced by GB 12021.3-2010 on 2010-06-01
    (iifiir.org; ac-dc.power.com); GB 21455-2008 replaced by GB 21455-2013 on 2013-10-01
    (ac-dc.power.com). The research pass found both shown in force on this date."""
    assert_statuses("2015-06-01", {"GB 12021.3-2004": "superseded", "GB 21455-2008": "superseded",
                                   "GB 12021.3-2010": "in_force", "GB 21455-2013": "in_force",
                                   "GB 21455-2019": "not_yet_in_force"})
    assert_statuses("2005-02-28", {"GB 12021.3-2004": "not_yet_in_force"})


def test_room_ac_editions_when_gb_21455_2019_comes_into_force():
    """GB 21455-2019 (effective 2020-07-01) replaces GB 12021.3-2010 and GB 21455-2013
    (ac-dc.power.com; en.cheaa.org)."""
    assert_statuses("2020-06-30", {"GB 12021.3-2010": "in_force", "GB 21455-2013": "in_force"})
    assert_statuses("2020-07-01", {"GB 12021.3-2010": "superseded", "GB 21455-2013": "superseded",
                                   "GB 21455-2019": "in_force"})


def test_eu_labels_and_gb_30255_on_2020_08_01():
    """EU 2019/2016 applies from 2021-03-01 and EU 2019/2015 from 2021-09-01 (EUR-Lex summaries);
    GB 30255-2019 in force 2020-05-01 (chinesestandard.net; Jiangmen customs article citing the
    SAMR announcement 2019 No. 4). The research pass found the opposite statuses on this date."""
    assert_statuses("2020-08-01", {"EU 2019/2015": "not_yet_in_force",
                                   "EU 2019/2016": "not_yet_in_force",
                                   "GB 30255-2019": "in_force"})
    assert_statuses("2021-03-01", {"EU 2019/2016": "in_force", "EU 2019/2015": "not_yet_in_force"})
    assert_statuses("2021-09-01", {"EU 2019/2015": "in_force"})


def test_power_supply_editions_around_2027_02_01():
    """GB 20943-2025, issued 2025-01-24, is implemented 2027-02-01 and replaces GB 20943-2013
    (chinesestandard.net)."""
    assert_statuses("2027-01-31", {"GB 20943-2013": "in_force",
                                   "GB 20943-2025": "not_yet_in_force"})
    assert_statuses("2027-02-01", {"GB 20943-2013": "superseded", "GB 20943-2025": "in_force"})


def test_us_power_supply_requirements_around_2016_02_10():
    """Level VI applies to direct-operation supplies from 2016-02-10; indirect-operation Class A
    supplies stay at the EISA values, so the EISA edition is not superseded (10 CFR
    430.32(w)(1)(ii)–(iii), eCFR copy)."""
    assert_statuses("2016-02-09", {"US DOE Level VI": "not_yet_in_force",
                                   "US EISA 2007 ClassA": "in_force"})
    assert_statuses("2026-12-01", {"US DOE Level VI": "in_force",
                                   "US EISA 2007 ClassA": "in_force"})


def test_motor_editions_around_2021_06_01():
    """GB 18613-2020 (published 2020-05-29, in force 2021-06-01) replaces GB 18613-2012 and
    GB 25958-2010 (front matter, wnwk.com/doc/2169356.html)."""
    assert_statuses("2021-05-31", {"GB 18613-2012": "in_force", "GB 25958-2010": "in_force",
                                   "GB 18613-2020": "not_yet_in_force"})
    assert_statuses("2021-06-01", {"GB 18613-2012": "superseded", "GB 25958-2010": "superseded",
                                   "GB 18613-2020": "in_force"})


def test_iec_motor_classes_2014_superseded_by_2025():
    """IEC 60034-30-1:2014, published March 2014, is superseded by IEC 60034-30-1:2025
    (drivesandautomation.co.uk; standards.iteh.ai); the 2025 edition's own date was not read."""
    assert_statuses("2014-03-01", {"IEC 60034-30-1:2014": "in_force"})
    assert_statuses("2026-12-01", {"IEC 60034-30-1:2014": "superseded",
                                   "IEC 60034-30-1:2025": "in_force"})


def test_top_runner_notification_date():
    """METI Notification No. 128 of 2022-05-31 set the FY2027 criteria (123deta.com;
    consumer-electronics.work/aircon/636/)."""
    assert_statuses("2022-05-30", {"JP TopRunner AC FY2027": "not_yet_in_force"})
    assert_statuses("2022-05-31", {"JP TopRunner AC FY2027": "in_force"})


def test_water_product_editions():
    """GB 34914-2021 in force 2022-07-01 replacing GB 34914-2017 (in force 2018-11-01;
    duodown.com, js.hczyw.com); GB 25502-2024 in force 2025-05-01 (bzchaxun.com)."""
    assert_statuses("2018-11-01", {"GB 34914-2017": "in_force",
                                   "GB 34914-2021": "not_yet_in_force"})
    assert_statuses("2022-07-01", {"GB 34914-2017": "superseded", "GB 34914-2021": "in_force"})
    assert_statuses("2025-04-30", {"GB 25502-2024": "not_yet_in_force"})
    assert_statuses("2025-05-01", {"GB 25502-2024": "in_force"})


def test_every_edition_in_force_on_a_date_after_its_in_force_date():
    """A property of every file: the day before `in_force` the edition is not yet in force, on it
    in force or (when a successor already is) superseded."""
    for path in sorted(REFS.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        start = dt.date.fromisoformat(doc["dates"]["in_force"])
        before = status((start - dt.timedelta(days=1)).isoformat())[doc["id"]]
        on = status(start.isoformat())[doc["id"]]
        assert before == "not_yet_in_force", doc["id"]
        assert on in ("in_force", "superseded"), doc["id"]


def numbers(doc: dict) -> tuple[int, int]:
    """(numbers, unverified numbers) counted from the file itself: a constant or formula is one
    number, a table one per point; a class's own `verified` overrides its value's."""
    total = unverified = 0
    for v in doc["values"]:
        default = v.get("verified", doc.get("verified", False))
        bounds = [(b, default) for b in (v.get("limit") or {}).values()]
        for c in v.get("classes", []):
            for op in ("ge", "gt", "le", "lt"):
                if op in c:
                    bounds.append((c[op], c.get("verified", default)))
        for thr, verified in bounds:
            n = len(thr["table"]["points"]) if isinstance(thr, dict) and "table" in thr else 1
            total += n
            unverified += 0 if verified else n
    return total, unverified


def test_gb_18613_counts_class_level_marks():
    """GB 18613-2020's grade-1 classes are unverified inside verified values: the listing counts
    them (the research pass found "8 unverified value(s)" shown although 208 of its then 384 numbers
    were unverified; REFERENCE_DATA_2.md finding 9)."""
    doc = yaml.safe_load((REFS / "GB_18613-2020.yaml").read_text(encoding="utf-8"))
    total, unverified = numbers(doc)
    row = listing("2026-12-01")["GB 18613-2020"]
    assert row[4] == f"{len(doc['values'])} value(s), {unverified} of {total} number(s) unverified"
    grade_1 = sum(len(c["ge"]["table"]["points"]) for v in doc["values"] for c in v["classes"]
                  if c["label"] == "1")
    assert unverified >= grade_1 > 0


@pytest.mark.parametrize("path", sorted(REFS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_file_shows_its_verified_share(path):
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    total, unverified = numbers(doc)
    cell = listing("2026-12-01")[doc["id"]][4]
    assert cell.startswith(f"{len(doc['values'])} value(s)")
    assert (f"{unverified} of {total} number(s) unverified" in cell) == bool(unverified)
    if not doc["values"]:  # an edition whose values are not in hand says what it governs
        assert cell == (f"0 value(s), values not in the catalogue "
                        f"(governs {len(doc['governs'])} indicator(s))")


def test_edition_named_only_in_a_successors_supersedes_is_superseded(tmp_path):
    """GB 30255-2013 has no file; GB 30255-2019 names it in `supersedes` and is in force from
    2020-05-01, so a standard citing GB 30255-2013 fails the references-valid gate on 2021-01-01
    ("an edition named in a successor's supersedes list is superseded from the successor's
    in-force date, file or no file", docs/verdicts.md §6)."""
    import json

    decl = {
        "schema": "declaration/1",
        "enterprise": {"name": "示例照明有限公司", "credit_code": "91330200MA2H6C4D9Y"},
        "standard": {"number": "Q/SLZM 001-2020", "title": "LED筒灯", "type": "enterprise",
                     "date": "2020-01-01", "normative_references": ["GB 30255-2013"]},
        "product": {"category": "light-source", "model": "TD-5",
                    "parameters": {"rated_power": "5 W", "cct": "3000 K",
                                   "product_type": "led_downlight", "supply": "mains"}},
        "indicators": {"mandatory_conformity": True, "luminous_efficacy": "≥ 100 lm/W",
                       "eta_tm": "≥ 100 lm/W", "cri": "≥ 80", "power_factor": "≥ 0.9"},
    }
    path = tmp_path / "downlight.yaml"
    path.write_text(yaml.safe_dump(decl, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["evaluate", str(path), "--date", "2021-01-01",
                                       "--format", "json", "-o", str(out), "--no-audit"])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "downlight.json").read_text(encoding="utf-8"))
    gate = next(r for r in report["rules"] if r["id"] == "references-valid")
    assert gate["outcome"] == "fail"
