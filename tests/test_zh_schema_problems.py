"""A document that does not match its JSON Schema, under --lang zh: the common kinds of
violation (a required key missing, a value of the wrong type, not one of a list, a key not
allowed, a number out of its bounds, a text not in its pattern, a constant, a length, a date)
worded in zh from reports/labels.yaml (`problem_messages` `schema_<kind>`, the JSON types in
`json_types`) with the violation's own values; in English jsonschema's message as before. The
stable code (`schema_<kind>`), the location and the JSON form of a problem are unchanged."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmark.cli import main
from benchmark.errors import Term
from benchmark.loading import Document, schema_problems
from benchmark.report import labels
from benchmark.wording import problem_said

ZH = labels("zh")
ENGLISH = re.compile(r"[A-Za-z]{3,}")
DECLARATIONS = Path(__file__).parent / "bad_inputs" / "declarations"

CASES = [  # schema, document → code, jsonschema's English, the zh message, the zh hint
    ("mapping", {"header_row": 0}, "schema_minimum", "0 is less than the minimum of 1",
     "0 小于最小值 1", None),
    ("mapping", {"header_row": "x"}, "schema_type", "'x' is not of type 'integer'",
     "“x” 不是整数", None),
    ("mapping", {"encoding": "ebcdic"}, "schema_enum",
     "'ebcdic' is not one of ['utf-8', 'utf-8-sig', 'utf-16', 'gbk', 'gb18030', 'latin-1']",
     "“ebcdic” 不是可选的取值之一", "可选：utf-8, utf-8-sig, utf-16, gbk, gb18030, latin-1"),
    ("indicator-set", {"id": "Bad Id"}, "schema_pattern",
     "'Bad Id' does not match '^[a-z0-9][a-z0-9_.-]*$'",
     "“Bad Id” 不符合规定的写法（正则表达式 ^[a-z0-9][a-z0-9_.-]*$）", None),
    ("indicator-set", {"id": "x"}, "schema_required", "'names' is a required property",
     "缺少必需的键“names”", None),
    ("declaration", {"standard": {"date": "2025-1-1"}}, "schema_format",
     "'2025-1-1' is not a 'date'", "“2025-1-1”不是日期", "日期请写成 YYYY-MM-DD"),
    ("declaration", {"extra": 1}, "schema_additionalProperties",
     "Additional properties are not allowed ('extra' was unexpected)", "不允许的键：extra",
     "可用的键：enterprise, indicators, product, schema, standard"),
]


@pytest.mark.parametrize(("schema", "data", "code", "english", "message", "hint"), CASES)
def test_a_schema_violation_is_worded_in_zh_with_its_values(schema, data, code, english,
                                                            message, hint):
    found = [p for p in schema_problems(Document("d.yaml", data, ""), schema)
             if p.code == code and p.message == english]
    assert found, [p.message for p in schema_problems(Document("d.yaml", data, ""), schema)]
    assert problem_said(found[0], ZH) == (message, hint)
    assert "message_code" not in found[0].as_dict()  # the JSON form as before


@pytest.mark.parametrize(("name", "code", "english", "zh"), [
    ("top-level-list", "schema_type",
     "[{'enterprise': 'x'}, {'standard': 'y'}] is not of type 'object'",
     '[{"enterprise": "x"}, {"standard": "y"}] 不是对象（键: 值）'),
    ("enterprise-name-number", "schema_type", "12345 is not of type 'string'", "12345 不是文字"),
    ("missing-standard", "schema_required", "'standard' is a required property",
     "缺少必需的键“standard”"),
    ("wrong-schema-version", "schema_const", "'declaration/1' was expected",
     "此处应为 “declaration/1”"),
])
def test_a_declaration_that_does_not_match_its_schema_is_told_in_zh(tmp_path, name, code,
                                                                    english, zh):
    told = {}
    for lang in ("zh", "en"):
        res = CliRunner().invoke(main, ["evaluate", str(DECLARATIONS / f"{name}.yaml"),
                                        "--lang", lang, "-o", str(tmp_path / lang)])
        assert res.exit_code == 2 and "Traceback" not in res.output, res.output
        told[lang] = next(x for x in res.output.splitlines() if f"error [{code}]" in x)
    assert told["en"].endswith(f"error [{code}] {english}")
    assert told["zh"].endswith(f"error [{code}] {zh}")
    assert told["zh"].split(" error ")[0] == told["en"].split(" error ")[0]  # the same place
    assert not ENGLISH.findall(zh.replace("enterprise", "").replace("standard", "")
                               .replace("declaration", ""))


def test_several_json_types_are_worded_each_and_joined():
    found = schema_problems(Document("d.yaml", {"standard": {"date": 5}}, ""), "declaration")
    (wrong,) = [p for p in found if p.code == "schema_type"]
    assert problem_said(wrong, ZH)[0] == "5 不是文字"
    assert Term("json_types", "string", "null").worded(ZH["json_types"]) == "文字或空值（null）"
    assert str(Term("json_types", "string", "null")) == "string or null"
