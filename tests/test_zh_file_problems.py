"""A file that cannot be read — none there, a folder or a device, the system refusing it, empty,
too large, not a table by its suffix, not UTF-8 — told under --lang zh with its particulars in
zh (reports/labels.yaml `problem_messages`, `reading_hints`), under en as the engine wrote it
before; the same wording for a table (`rank`) and a YAML or JSON document (`evaluate`)."""

from __future__ import annotations

import errno
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from benchmark.cli import main
from benchmark.loading import unreadable_file
from benchmark.report import labels
from benchmark.wording import problem_said

ENGLISH = re.compile(r"[A-Za-z]{3,}")
NAMED = re.compile(  # what a zh line names as written: quoted, YAML, suffixes, a setting
    r"“[^”]*”|YAML|JSON|\.[a-z]+\b|BENCHMARK_\w+|UTF-8|b'[^']*'")
ZH = labels("zh")


def lines(*args: str, env: dict | None = None) -> tuple[str, str]:
    """The first line of the command's output under zh and under en (exit status 2)."""
    out = []
    for lang in ("zh", "en"):
        res = CliRunner().invoke(main, [*args, "--lang", lang], env=env)
        assert res.exit_code == 2 and "Traceback" not in res.output, res.output
        out.append(res.output.splitlines()[0])
    return out[0], out[1]


def said(line: str, code: str) -> str:
    """What a zh problem line says after its head, the code's words checked and taken off."""
    text = line.split(f"[{code}] ", 1)[1]
    assert text.startswith(f"{ZH['problems'][code]}（"), line
    return text


CASES = {  # file name, its bytes → code, the English after the code, what the zh line quotes
    "none.csv": (None, "file_not_found", "no such file", None),
    "empty.csv": (b"", "file_empty", "the file is empty", "0"),
    "table.foo": (b"a,b\n1,2\n", "table_format_unknown", ".foo is not a table format "
                  "(hint: use .csv, .tsv, .txt, .xlsx or .parquet)", "“.foo”"),
    "large.csv": (b"a,b\n" + b"1,2\n" * 100, "file_too_large", "file is 404 bytes; the limit "
                  "for a table is 100 (hint: split the table, or set BENCHMARK_MAX_TABLE_BYTES)",
                  "404"),
}


@pytest.mark.parametrize("name", CASES)
def test_a_table_that_cannot_be_read_is_told_in_zh(tmp_path, name):
    content, code, english, shown = CASES[name]
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    zh, en = lines("rank", str(path), "--set", "room-air-conditioner", "-o", str(tmp_path / "o"),
                   env={"BENCHMARK_MAX_TABLE_BYTES": "100"})
    assert en == f"{path}: error [{code}] {english}"
    text = said(zh, code)
    assert shown is None or shown in text
    assert not ENGLISH.findall(NAMED.sub("", text)), zh


def test_a_device_and_a_document_that_cannot_be_read_are_told_in_zh(tmp_path):
    zh, en = lines("evaluate", "/dev/null", "-o", str(tmp_path / "o"))
    assert en.endswith("[file_not_regular] a device, not a regular file "
                       "(hint: give a YAML, JSON or table file)")
    assert not ENGLISH.findall(NAMED.sub("", said(zh, "file_not_regular"))), zh
    for name, content, code, english in [
            ("blank.yaml", b"  \n", "file_empty", "the file is empty"),
            ("comment.yaml", b"# only\n", "file_empty", "the document is empty"),
            ("latin.yaml", b"a: \xff\n", "file_encoding",
             "not UTF-8 text (byte 3: b'\\xff') (hint: save the file as UTF-8)")]:
        path = tmp_path / name
        path.write_bytes(content)
        zh, en = lines("evaluate", str(path), "-o", str(tmp_path / "o"))
        assert en.endswith(f"error [{code}] {english}")
        text = said(zh, code)
        assert not ENGLISH.findall(NAMED.sub("", text)), zh
        assert code != "file_encoding" or "3" in text


def test_a_file_the_system_refuses_is_told_by_its_error_number():
    """Permission refused: its words in zh; another refusal: the system's own words quoted."""
    refused = unreadable_file("t.csv", PermissionError(errno.EACCES, "Permission denied"))
    other = unreadable_file("t.csv", OSError(errno.EIO, "Input/output error"))
    assert (refused.code, refused.message) == ("file_unreadable", "Permission denied")
    assert (other.code, other.message) == ("file_unreadable", "Input/output error")
    assert problem_said(refused, ZH)[0] == ZH["problem_messages"]["no_permission"]
    assert not ENGLISH.findall(problem_said(refused, ZH)[0])
    assert "“Input/output error”" in problem_said(other, ZH)[0]


def test_a_missing_report_database_or_dataset_is_told_in_zh(tmp_path):
    """verify and audit name what is missing (a report, an audit database, a folder of reports);
    a dataset folder without Parquet files or without the category's folder says so."""
    none = tmp_path / "none"
    db = tmp_path / "audit.sqlite"
    for args, english, shown in [
            (["verify", str(none / "r.json")], "no such report", "报告"),
            (["audit", "verify", str(none / "a.sqlite")], "no such audit database", "审计数据库"),
            (["audit", "verify", str(db), "--reports", str(none)], "no such folder", "文件夹")]:
        if "--reports" in args:  # a database that is there, a folder of reports that is not
            CliRunner().invoke(main, ["evaluate", "examples/declarations", "--programme",
                                      "leader", "--date", "2026-11-23", "--format", "json",
                                      "-o", str(tmp_path / "out"), "--audit-db", str(db), "-q"])
            assert db.is_file()
        zh, en = lines(*args)
        assert en.endswith(f"error [file_not_found] {english}"), en
        text = said(zh, "file_not_found")
        assert shown in text and not ENGLISH.findall(NAMED.sub("", text)), zh
    split = tmp_path / "export"
    (split / "category=refrigerator").mkdir(parents=True)
    for folder, code, english in [
            (split, "dataset_category_missing", "the dataset has no folder for "
             "'room-air-conditioner' (hint: categories: refrigerator)"),
            (split / "category=refrigerator", "dataset_empty", "no Parquet file in the dataset "
             "(hint: a folder of .parquet files, or a glob such as 'export/*.parquet')")]:
        zh, en = lines("rank", str(folder), "--set", "room-air-conditioner",
                       "-o", str(tmp_path / "o"))
        assert en == f"{folder}: error [{code}] {english}"
        text = said(zh, code)
        named = NAMED.sub("", text).replace("refrigerator", "").replace("Parquet", "")
        assert not ENGLISH.findall(named), zh  # the category's id and the format as written
    zh = lines("rank", str(split), "--set", "room-air-conditioner")[0]
    assert "“room-air-conditioner”" in said(zh, "dataset_category_missing")


def test_an_xlsx_too_large_unzipped_is_told_in_zh(tmp_path):
    path = tmp_path / "t.xlsx"
    pd.DataFrame({"a": range(100)}).to_excel(path, index=False)
    zh, en = lines("rank", str(path), "--set", "room-air-conditioner", "-o", str(tmp_path / "o"),
                   env={"BENCHMARK_MAX_XLSX_BYTES": "1000"})
    assert "[file_too_large] the XLSX unzips to " in en and "BENCHMARK_MAX_XLSX_BYTES" in en
    text = said(zh, "file_too_large")
    assert "1,000" in text and "XLSX" in text
    assert not ENGLISH.findall(NAMED.sub("", text).replace("XLSX", "").replace("CSV", "")), zh
