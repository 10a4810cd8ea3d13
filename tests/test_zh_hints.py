"""What is left of English inside a zh problem line, worded in zh from reports/labels.yaml with
the problem's own values: a unit that converts by no factor and offset (`units`), the hints of
a formula that cannot be read or evaluated (`formula`), and an organisation assessment's
unknown criterion and evidence, with the scheme's own "did you mean" (`organisation.scheme`).
The English messages and hints are the engine's as before."""

from __future__ import annotations

import re

import pytest
import yaml
from click.testing import CliRunner
from test_organisation import SCHEME_ID, full

from benchmark import units
from benchmark.cli import main
from benchmark.errors import InputError, Problem
from benchmark.formula import ALLOWED_FUNCTIONS, compile_formula
from benchmark.organisation import find_scheme
from benchmark.report import labels
from benchmark.wording import problem_said

ZH = labels("zh")
ENGLISH = re.compile(r"[A-Za-z]{3,}")


def raised(call) -> Problem:
    with pytest.raises(InputError) as caught:
        call()
    (problem,) = caught.value.problems
    return problem


def test_a_logarithmic_conversion_is_told_in_zh():
    p = raised(lambda: units.conversion("dB", "1"))
    assert (p.code, p.message, p.hint) == (
        "unit_not_linear", "cannot convert 'dB' to '1': the conversion is logarithmic, not a "
        "plain factor and offset", "give the value in '1' directly")
    message, hint = problem_said(p, ZH)
    assert "“dB”" in message and "“1”" in message and not ENGLISH.findall(message)
    assert hint == "请直接以“1”给出数值"


FORMULAS = [  # source, declared parameters → English hint, zh hint
    ("a +", ["a"], "allowed: numbers, declared parameter names", "可用的写法：数、已声明的参数名"),
    ("ln + 1", [], "declared parameters: none; ln is a function: call it as ln(...)",
     "已声明的参数：无；ln 是函数，请写成 ln(...)"),
    ("Pon + 1", ["Po"], "declared parameters: Po; did you mean Po?",
     "已声明的参数：Po；是否应为：Po"),
    ("x + 1", ["Po"], "declared parameters: Po", "已声明的参数：Po"),
]


@pytest.mark.parametrize(("source", "declared", "english", "zh"), FORMULAS)
def test_a_formulas_hint_is_worded_in_zh(source, declared, english, zh):
    p = raised(lambda: compile_formula(source, declared))
    assert p.hint.startswith(english)
    hint = problem_said(p, ZH)[1]
    assert hint.startswith(zh)
    names = {*ALLOWED_FUNCTIONS, *declared, "and", "or", "not"}  # the formula's own words
    assert not [w for w in ENGLISH.findall(hint) if w not in names], hint


def test_a_formula_given_too_few_values_says_what_it_uses_in_zh():
    p = raised(lambda: compile_formula("a + b", ["a", "b"])(a=1.0))
    assert p.hint == "the formula uses a, b"
    assert problem_said(p, ZH)[1] == "公式使用的参数：a, b"


def test_an_unknown_criterion_and_evidence_are_told_in_zh(tmp_path):
    scheme = find_scheme(SCHEME_ID)
    data = full(scheme)
    first = scheme.criteria[0]
    data["criteria"][first.id + "x"] = {"review": {"value": True}}
    data["criteria"][first.id]["self"]["evidence"]["nope"] = "x"
    path = tmp_path / "org.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    told = {}
    for lang in ("zh", "en"):
        res = CliRunner().invoke(main, ["assess-organisation", str(path), "--lang", lang,
                                        "-o", str(tmp_path / lang)])
        assert res.exit_code == 2 and "Traceback" not in res.output, res.output
        told[lang] = res.output.splitlines()
    unknown_en = next(x for x in told["en"] if "[criterion_unknown]" in x)
    unknown_zh = next(x for x in told["zh"] if "[criterion_unknown]" in x)
    assert unknown_en.endswith(f"has no criterion '{first.id}x' (hint: did you mean "
                               f"'{first.id}'?)")
    assert unknown_zh.endswith(f"（评价方案“{scheme.id}”中没有评价项“{first.id}x”）"
                               f"（提示：是否应为：{first.id}）")
    evidence_zh = next(x for x in told["zh"] if "[evidence_unknown]" in x)
    assert f"评价项“{first.id}”不要求证据“nope”" in evidence_zh
    assert "one of" not in evidence_zh and "可选：" in evidence_zh
