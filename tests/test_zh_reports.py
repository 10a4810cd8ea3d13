"""Chinese reports are Chinese (issue 14): every command of `make demo` is run through CliRunner
into a temporary folder, and every zh report it writes (evaluation, study, organisation and
ranking; Markdown, HTML, XLSX, CSV) and every message it prints under `--lang zh` is searched for
the catalogue's ASCII identifiers: indicator, parameter, segment, category, programme, rule,
ladder and level ids, the values of category parameters, reason and status codes, and Python's
True/False/None. Units, standard numbers and numbers are not identifiers and pass.

Clause texts and notes of reference values, and the titles and readings of an organisation
scheme's sources, are the source's own words, quoted as the catalogue holds them (the loaders have
no zh form for them yet); they are taken out before the search, only where they appear verbatim.
"""

from __future__ import annotations

import json
import re
import shlex
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from benchmark.catalogue import data_file, load_catalogue
from benchmark.cli import main
from benchmark.engine.rules import REASONS
from benchmark.engine.types import STATUSES, STEP_OUTCOMES, STEP_REASONS
from benchmark.model import Names
from benchmark.organisation.scheme import load_scheme, shipped_scheme_files
from benchmark.report import labels, md_escape

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
URL = re.compile(r"<?https?://\S+")  # an address is not wording
# a location is not wording: an absolute file path (…/leader/) or a JSON pointer (/8/apf) the
# command line prints where a problem is
PATH = re.compile(r"(?<!\S)(?:[A-Za-z]:)?[/\\][^\s：；，（）]+")


def demo_commands() -> list[list[str]]:
    """The `benchmark` commands of the Makefile's demo recipe, with its date."""
    text = data_file("Makefile").read_text(encoding="utf-8")
    date = re.search(r"^DEMO_DATE \?= (\S+)$", text, re.M)
    recipe = re.search(r"^demo:.*\n((?:\t.*\n)+)", text, re.M)
    assert date and recipe, "the Makefile has a demo recipe and a DEMO_DATE"
    out = []
    for line in recipe.group(1).splitlines():
        words = shlex.split(line.strip())
        if words and words[0] == "$(BIN)/benchmark":
            out.append([w.replace("$(DEMO_DATE)", date.group(1)) for w in words[1:]])
    return out


def identifiers() -> dict[str, str]:
    """Every ASCII identifier of the catalogue and the engine, and what it is."""
    cat = load_catalogue()
    ids: dict[str, str] = {}

    def add(kind: str, *words: object) -> None:
        for w in words:
            if isinstance(w, str) and WORD.fullmatch(w):
                ids.setdefault(w, kind)

    for s in cat.sets.values():
        add("category", s.id)
        for p in s.parameters.values():
            add("parameter", p.id)
            add("parameter value", *map(str, p.values))
        add("segment", *(g.id for g in s.segments))
        add("indicator", *s.indicators)
        for prog in s.programmes.values():
            add("programme", prog.id)
            add("rule", *(r.id for r in prog.rules))
    for ladder in cat.ladders.values():
        add("ladder", ladder.id)
        add("level", *(lv.id for lv in ladder.levels))
    for path in shipped_scheme_files():
        scheme = load_scheme(path)
        add("organisation scheme", scheme.id)
        add("scheme criterion", *(c.id for c in scheme.criteria))
        add("scheme group", *(g.id for g in scheme.dimensions))
        add("scheme grade", *(g.id for g in scheme.grades))
    add("reason code", *REASONS, *STEP_REASONS, *STATUSES, *STEP_OUTCOMES)
    add("Python value", "True", "False", "None")
    return ids


def quoted_texts() -> list[str]:
    """Clause texts, notes and source titles of the reference values, longest first (as the
    catalogue holds them: the source's words, with no zh form yet)."""
    cat = load_catalogue()
    texts: set[str | None] = set()

    def add(*forms: Names | None) -> None:
        texts.update(t for f in forms if f is not None for t in (f.zh, f.en))

    for edition in cat.references.values():
        add(edition.note)
        for source in [edition.source, *(v.source for v in edition.values)]:
            if source is not None:
                texts.add(source.title)
                add(source.note)
        for v in edition.values:
            add(v.clause, v.note)
            add(*(c.note for c in v.classes))
    for path in shipped_scheme_files():  # the organisation schemes' sources, as cited
        for cited in load_scheme(path).sources:
            for key in ("title", "read"):
                texts.update((cited.get(key) or {}).values())
    shown = {t for t in texts if t}
    shown |= {md_escape(t) for t in shown}  # as the Markdown reports write them
    return sorted(shown, key=len, reverse=True)


class _Text(HTMLParser):
    """The text a reader sees in an HTML page (not its style, script or markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("style", "script")

    def handle_endtag(self, tag):
        self.hidden -= tag in ("style", "script")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def reader_text(path: Path) -> str:
    if path.suffix == ".html":
        parser = _Text()
        parser.feed(path.read_text(encoding="utf-8"))
        return "\n".join(parser.parts)
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        cells = []
        for sheet in book.worksheets:
            cells.append(sheet.title)
            for row in sheet.iter_rows(values_only=True):
                cells += [str(c) for c in row if c is not None]
        return "\n".join(cells)
    return path.read_text(encoding="utf-8-sig")


def leaks(name: str, text: str, ids: dict[str, str], quoted: list[str]) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for q in quoted:
            line = line.replace(q, " ")
        line = URL.sub(" ", line)
        for m in WORD.finditer(line):
            word = m.group(0).strip("-")
            if word in ids:
                found.append(f"{name}:{number}: {ids[word]} {word!r} in {line.strip()[:100]!r}")
    return found


def is_zh(path: Path) -> bool:
    # the ranking's XLSX and tables carry no language in their names; the demo asks for zh
    in_ranking = path.parent.name == "ranking" and path.suffix in (".xlsx", ".csv")
    return ".zh." in path.name or in_ranking


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Each demo command run into a temporary folder: {command: (exit, output)}, the folder."""
    root = tmp_path_factory.mktemp("demo")
    runs = {}
    for n, words in enumerate(demo_commands()):
        words = [str(root / Path(w).relative_to("out/demo")) if w.startswith("out/demo")
                 else str(data_file(w)) if w.startswith("examples/") else w for w in words]
        result = CliRunner().invoke(main, words)
        runs[f"{n}:{words[0]}"] = (result.exit_code, result.output, result.exception)
    return runs, root


def _owned(path: Path) -> bool:
    """Reports rendered by the templates, report/study.py and organisation/report.py; the
    evaluation's XLSX (report/xlsx.py) and the ranking report (report/ranking.py) are checked by
    the next test."""
    evaluation_xlsx = path.suffix == ".xlsx" and path.parent.name == "leader"
    return path.parent.name != "ranking" and not evaluation_xlsx


def _engine_wording(lang: str) -> re.Pattern:
    """The engine's scope sentences (engine/explain.py fills them with parameter ids)."""
    template = labels(lang)["notice_text"]["outside_scope"]
    head, _, tail = template.partition("{scope}")
    return re.compile(re.escape(head) + ".*?" + re.escape(tail))


def test_the_demo_runs_every_command(demo):
    runs, root = demo
    assert len(runs) == 6
    for command, (code, output, exc) in runs.items():
        assert code == 0, (command, output, exc)
    assert sorted({p.parent.name for p in root.rglob("*.zh.*")}) == [
        "leader", "organisations", "ranking", "study"]


def test_zh_reports_of_the_templates_hold_no_identifier(demo):
    _, root = demo
    ids, quoted = identifiers(), quoted_texts()
    scope = _engine_wording("zh")
    found, read = [], 0
    for path in sorted(root.rglob("*")):
        if path.is_file() and is_zh(path) and _owned(path):
            read += 1
            text = scope.sub(" ", reader_text(path))
            found += leaks(str(path.relative_to(root)), text, ids, quoted)
    assert read >= 40  # 13 evaluations × 3 + a study + organisations
    assert not found, "\n".join(found[:40])


def test_every_zh_report_and_message_of_the_demo_holds_no_identifier(demo):
    runs, root = demo
    ids, quoted = identifiers(), quoted_texts()
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and is_zh(path):
            found += leaks(str(path.relative_to(root)), reader_text(path), ids, quoted)
    for command, (_, output, _) in runs.items():
        found += leaks(command, PATH.sub(" ", output), ids, quoted)
    assert not found, "\n".join(found[:40])


def test_the_search_finds_what_it_looks_for(tmp_path):
    """The search is not blind: an enum code, a rule id, an indicator id and True are found;
    a unit, a standard number and a quoted clause are not."""
    ids, quoted = identifiers(), quoted_texts()
    assert {"heat_pump", "basic-pass", "apf", "True"} <= set(ids)
    page = tmp_path / "r.zh.md"
    page.write_text("类型 = heat_pump; basic-pass; apf 5.20 W·h/W·h; True\n", encoding="utf-8")
    words = [re.search(r"'(\S+)' in ", x).group(1) for x in leaks("r", reader_text(page), ids,
                                                                 quoted)]
    assert words == ["heat_pump", "basic-pass", "apf", "True"]
    clean = f"GB 21455-2019 {quoted[0]} 38 dB(A) 1,000 kW"
    assert leaks("r", clean, ids, quoted) == []


# --- reasons and warnings as codes, in words wherever they are shown ---------------------------


@pytest.fixture(scope="module")
def ranked_1000(tmp_path_factory):
    """A 1,000-row population (the generator of tests/test_ranking_scale.py) with rows left out
    for each cause — every 10th cites a withdrawn normative reference (GB 12021.3-2004, a failed
    gate), every 25th declares an APF of 2.00 (below the domestic mandatory requirement, as in
    tests/test_leaders.py), every 50th both, one cell unreadable — ranked in zh and in en:
    {lang: (exit, output, folder)}."""
    from test_ranking_scale import table

    root = tmp_path_factory.mktemp("ranked")
    path = table(root, 1_000)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    every = pd.Series(range(len(frame)))
    frame["规范性引用文件"] = "GB 21455-2019"
    frame.loc[every % 10 == 0, "规范性引用文件"] = "GB 21455-2019；GB 12021.3-2004"
    heat_pump = frame["type"] == "heat_pump"
    frame.loc[heat_pump & (every % 25 == 0), "apf [W·h/W·h]"] = "2.00"
    frame.to_csv(path, index=False, lineterminator="\n")
    out = {}
    for lang in ("zh", "en"):
        res = CliRunner().invoke(main, ["rank", str(path), "--set", "room-air-conditioner",
                                        "--date", "2026-11-23", "--lang", lang, "--format",
                                        "json,csv,parquet", "-o", str(root / lang)])
        out[lang] = (res.exit_code, res.output, root / lang)
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_exclusion_reason_is_its_codes_in_words(ranked_1000, lang):
    """Per row, the CSV's reason is the Parquet's reason code and parameters put in words by
    labels.yaml: a failed gate by the rule's name, an indicator by its name, an unusable row by
    its problem code; every cause of a row listed."""
    code, output, out = ranked_1000[lang]
    assert code == 0, output
    cat = load_catalogue()
    iset = cat.sets["room-air-conditioner"]
    rules = {r.id: r.description for r in iset.programmes["leader"].rules if r.description}
    R = labels(lang)["ranking"]
    codes = pd.read_parquet(out / "excluded.parquet")
    shown = pd.read_csv(out / "excluded.csv", encoding="utf-8-sig", dtype=str)
    assert len(codes) == len(shown) > 1
    assert set(codes["reason_code"].astype(str)) == {
        "gate_failed", "below_mandatory", "gate_failed; below_mandatory", "unusable_row"}
    for (_, c), reason in zip(codes.astype(str).iterrows(), shown[R["columns"]["reason"]],
                              strict=True):
        causes = reason.split("; ")
        gates = [g for g in c["gates"].split("; ") if g]
        below = [i for i in c["indicators"].split("; ") if i]
        assert len(causes) == len(gates) + len(below) + (c["reason_code"] == "unusable_row")
        for g in gates:
            assert R["reasons"]["gate_failed"].replace("{rule}", getattr(rules[g], lang)) \
                in causes
        for i in below:
            name = getattr(iset.indicators[i].names, lang)
            assert R["reasons"]["below_mandatory"].replace("{indicator}", name) in causes
        if c["reason_code"] == "unusable_row":
            assert f"[{c['problem_code']}]" in reason
    assert "references-valid" not in WORD.findall(" ".join(shown[R["columns"]["reason"]]))


def test_ranking_warnings_are_codes_in_json_and_words_on_the_command_line(ranked_1000):
    """ranking.json keeps each warning as {code, indicator, segment, …}; the command line says
    each once, in the --lang, with the indicator's and segment's names."""
    for lang in ("zh", "en"):
        _, output, out = ranked_1000[lang]
        result = json.loads((out / "ranking.json").read_text(encoding="utf-8"))
        assert result["warnings"] and all(set(w) >= {"code", "indicator", "segment", "n"}
                                          for w in result["warnings"])
        told_lines = [x for x in output.splitlines()
                      if x.startswith(labels(lang)["cli"]["warning"].split("{")[0])]
        assert len(told_lines) == len(result["warnings"])
        for w, line in zip(result["warnings"], told_lines, strict=True):
            assert result["indicator_names"][w["indicator"]][lang] in line
            assert result["segments"][w["segment"]][lang] in line
            assert not {w["indicator"], w["segment"], w["code"]} & set(WORD.findall(line))
            assert f"{w['n']} " in line
    assert {w["code"] for w in result["warnings"]} <= {"small_sample", "no_values",
                                                       "too_few_topk", "saturated"}


def test_unusable_row_problem_in_zh_names_the_indicator_and_keeps_the_stable_head(ranked_1000):
    """Under --lang zh the problem line of an unusable row keeps `file:line /pointer: error
    [code]` (scripts find it in any language) and says what is wrong in zh, the indicator by
    its zh name; under en it is the engine's English line."""
    iset = load_catalogue().sets["room-air-conditioner"]
    _, zh, _ = ranked_1000["zh"]
    _, en, _ = ranked_1000["en"]
    line_zh = next(x for x in zh.splitlines() if "error [requirement_unreadable]" in x)
    line_en = next(x for x in en.splitlines() if "error [requirement_unreadable]" in x)
    assert line_zh.split(" error ")[0] == line_en.split(" error ")[0]  # the same location
    assert iset.indicators["apf"].names.zh in line_zh
    assert labels("zh")["problems"]["requirement_unreadable"] in line_zh
    assert "cannot read the requirement 'high'" in line_en


def test_console_tables_line_up_in_terminal_columns():
    """A Chinese character takes two terminal columns: every line's last column starts at the
    same terminal column, whatever mix of Chinese and ASCII the cells before it hold."""
    from benchmark.cli import _width, aligned

    rows = [["符合资格", "国内领先", "a.yaml"], ["not_eligible", "-", "b.yaml"],
            ["无法评价", "等级无法评定：介于不符合与国内领先之间", "c.yaml"]]
    lines = aligned(rows)
    starts = {_width(line[: line.rindex(row[-1])]) for line, row in zip(lines, rows, strict=True)}
    widest = [max(_width(row[k]) for row in rows) for k in (0, 1)]  # 19 Chinese: 38
    assert widest == [12, 38]
    assert len(starts) == 1 and starts.pop() == widest[0] + 2 + widest[1] + 2
