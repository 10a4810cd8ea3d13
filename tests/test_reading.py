"""Reading text tables: the one CSV reader (pyarrow, every cell as text) keeps what a table means
— names of empty and repeated headers, spaces after a delimiter, decimal commas outside the
identity columns, the encoding decided by the whole file — and a row of the wrong width is
reported at its line, every such row together, before anything is written."""

from __future__ import annotations

import codecs
import hashlib
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_dask import room_air_conditioners

from benchmark.catalogue import load_catalogue
from benchmark.cli import main
from benchmark.errors import InputError
from benchmark.population import (
    _decodes_as_utf8,
    _file_sha256,
    load_population,
    read_table,
)

AC = "room-air-conditioner"
MOTOR = "three-phase-induction-motor"
MOTOR_HEADER = "enterprise,standard,标准名称,model,rated_power [kW],poles,efficiency [%]," \
               "noise [dB(A)],mandatory_conformity"


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def test_empty_and_repeated_headers_are_named_as_pandas_names_them(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,,a, b,a\n1,2,3,4,5\n", encoding="utf-8")
    frame, _ = read_table(path)
    assert list(frame.columns) == ["a", "Unnamed: 1", "a.1", "b", "a.2"]
    assert frame.iloc[0].tolist() == ["1", "2", "3", "4", "5"]  # cells as text


@pytest.mark.parametrize("header", ["a,a,b,a.1,", "a,a.1,a", "x,x,x.1,x.2,x"])
def test_a_repeated_header_skips_names_other_headers_have(tmp_path, header):
    path = tmp_path / "t.csv"
    path.write_text(header + "\n" + ",".join(map(str, range(header.count(",") + 1))) + "\n",
                    encoding="utf-8")
    frame, _ = read_table(path)
    assert list(frame.columns) == list(pd.read_csv(path, nrows=0).columns)


def test_spaces_after_the_delimiter_are_left_out(tmp_path, cat):
    path = tmp_path / "m.csv"
    path.write_text(MOTOR_HEADER + "\n"
                    "甲公司, Q/JDJ 1-2025, 三相异步电动机, M1, 1.5, 4, 90.6,   , 是\n",
                    encoding="utf-8")
    pop = load_population(path, cat, MOTOR)
    assert pop.fields["model"].tolist() == ["M1"]
    assert pop.values["efficiency"].tolist() == [90.6]
    assert np.isnan(pop.values["noise"]).all()  # a cell of spaces is empty


def test_a_quoted_cell_after_spaces_is_unquoted_as_pandas_reads_it(tmp_path):
    path = tmp_path / "q.csv"
    text = ('enterprise, "standard"\nA, "Q/XX 001-2025"\nB,"Q/""Y"" 2"\nC, "say ""hi"""\n'
            'D,   \nE, x "y"\nF,  "z"  \n')
    path.write_text(text, encoding="utf-8")
    frame, _ = read_table(path)
    expected = _as_pandas_read_it(path)
    assert list(frame.columns) == list(expected.columns) == ["enterprise", "standard"]
    assert _cells(frame) == _cells(expected)
    assert frame["standard"].tolist()[:3] == ["Q/XX 001-2025", 'Q/"Y" 2', 'say "hi"']


def test_decimal_commas_are_read_outside_the_identity_columns(tmp_path, cat):
    """A semicolon table from a decimal-comma locale: "90,6" is 90.6, but the model "M-1,5"
    stays as written (an identifier is text, not a number)."""
    path = tmp_path / "m.csv"
    path.write_text(MOTOR_HEADER.replace(",", ";") + "\n"
                    "甲公司;Q/JDJ 1-2025;三相异步电动机;M-1,5;1,5;4;90,6;62;是\n",
                    encoding="utf-8")
    pop = load_population(path, cat, MOTOR)
    assert pop.fields["model"].tolist() == ["M-1,5"]
    assert pop.values["efficiency"].tolist() == [90.6]
    assert pop.parameters["rated_power"].tolist() == [1.5]


def test_the_whole_file_decides_the_encoding(tmp_path, cat):
    """A GB 18030 export whose first 64 KiB are ASCII (the part sniffed) is read as GB 18030,
    not as UTF-8 with a decoding error further on."""
    path = tmp_path / "gbk.csv"
    lines = [MOTOR_HEADER.replace("标准名称", "standard_title")]
    lines += [f"ACME,Q/ACME {k}-2025,motor,M{k},1.5,4,90.6,62,yes" for k in range(1500)]
    lines += ["甲电机有限公司,Q/JDJ 1-2025,三相异步电动机,M1,1.5,4,90.6,62,是"]
    path.write_bytes("\n".join(lines).encode("gb18030") + b"\n")
    assert path.read_bytes()[: 1 << 16].isascii()
    pop = load_population(path, cat, MOTOR)
    assert pop.fields["enterprise"][-1] == "甲电机有限公司"


def test_utf8_check_across_pieces_and_the_hash():
    """A character cut between two pieces read is still UTF-8; the SHA-256 is the file's."""
    piece = 8 << 20
    data = b"a" * (piece - 1) + "中".encode() + b"b"
    assert _decodes_as_utf8(data)
    assert _file_sha256(data).result() == hashlib.sha256(data).hexdigest()
    assert not _decodes_as_utf8(data[:-2])  # the file ends inside a character
    assert not _decodes_as_utf8(b"a" * piece + "中".encode("gb18030"))
    assert _decodes_as_utf8(codecs.BOM_UTF8 + "中".encode())


def test_rows_of_the_wrong_width_are_all_reported_at_their_lines(tmp_path):
    """A 1,000-row export with a row holding an unquoted delimiter and a row missing its last
    cells: one table_syntax problem per row, at its line, exit status 2, nothing written."""
    path = tmp_path / "ac.csv"
    room_air_conditioners(1000, seed=5).to_csv(path, index=False)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[10] = lines[10] + ",extra"  # line 11
    lines[700] = lines[700].rsplit(",", 3)[0]  # line 701
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["rank", str(path), "--set", AC, "--date", "2026-11-23",
                                    "--format", "csv,json", "-o", str(out)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert res.output.count("[table_syntax]") == 2
    assert f"{path}:11" in res.output and f"{path}:701" in res.output
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("long_row", [False, True])
def test_rows_of_the_wrong_width_are_found_in_every_chunk(tmp_path, cat, monkeypatch, long_row):
    """Each row of the wrong width listed once, at its line; also when a row (row 20) is longer
    than a block of text, so that the table is read again with larger blocks."""
    import benchmark.population as population

    monkeypatch.setattr(population, "CHUNK_ROWS", 7)
    if long_row:
        monkeypatch.setattr(population, "READ_BLOCK", 256)
    path = tmp_path / "m.csv"
    row = "甲公司,Q/JDJ 1-2025,三相异步电动机,M{},1.5,4,90.6,62,是"
    lines = [MOTOR_HEADER] + [row.format(k) for k in range(30)]
    lines[3] += ",x"
    if long_row:
        lines[20] = lines[20].replace("M19", "M" + "9" * 2000)
    lines[25] += ",x,y"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_population(path, cat, MOTOR)
    assert [(p.code, p.line) for p in exc.value.problems] == [("table_syntax", 4),
                                                              ("table_syntax", 26)]
    del lines[25], lines[3]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    pop = load_population(path, cat, MOTOR)
    assert pop.fields["model"].tolist() == [line.split(",")[3] for line in lines[1:]]


def test_a_quoted_cell_may_hold_line_breaks(tmp_path, cat):
    path = tmp_path / "m.csv"
    path.write_text(MOTOR_HEADER + ",normative_references\n"
                    '甲公司,Q/JDJ 1-2025,三相异步电动机,M1,1.5,4,90.6,62,是,"GB 18613-2020\n'
                    'GB/T 1032-2023"\n', encoding="utf-8")
    pop = load_population(path, cat, MOTOR)
    assert pop.fields["normative_references"].tolist() == ["GB 18613-2020\nGB/T 1032-2023"]


def test_bad_utf8_after_a_bom_is_an_encoding_problem(tmp_path, cat):
    path = tmp_path / "m.csv"
    path.write_bytes(codecs.BOM_UTF8 + (MOTOR_HEADER + "\n").encode() +
                     "甲公司,Q/JDJ 1-2025,三相异步电动机,M1,1.5,4,90.6,62,是\n".encode("gb18030"))
    with pytest.raises(InputError) as exc:
        load_population(path, cat, MOTOR)
    assert [p.code for p in exc.value.problems] == ["file_encoding"]
    assert exc.value.problems[0].file == str(path)


def test_identity_text_is_cleaned_once_per_distinct_cell(tmp_path, cat):
    """NFC, outer spaces stripped, control characters escaped, in arrow strings and in object
    cells alike (CSV and XLSX give different kinds of column)."""
    import pandas as pd

    from benchmark.population import identity_text

    cells = [" M1 ", "cafe\u0301", "bell\x07", None, "  ", "Ｍ２", 5]
    expected = ["M1", "café", "bell\\x07", "", "", "Ｍ２", "5"]
    assert identity_text(pd.Series(cells, dtype=object)).tolist() == expected
    assert identity_text(pd.Series(cells[:-1], dtype="str")).tolist() == expected[:-1]


def test_wrong_width_lines_count_a_title_above_the_header(tmp_path, cat):
    from benchmark.population import table_options

    path = tmp_path / "m.csv"
    path.write_text("Declared standards, 2026\n" + MOTOR_HEADER + "\n"
                    "甲公司,Q/JDJ 1-2025,三相异步电动机,M1,1.5,4,90.6\n", encoding="utf-8")
    with table_options(header_row=2), pytest.raises(InputError) as exc:
        load_population(path, cat, MOTOR)
    assert [(p.code, p.line) for p in exc.value.problems] == [("table_syntax", 3)]


def test_utf8_text_with_gb18030_bytes_further_on_is_an_encoding_problem(tmp_path, cat):
    """First bytes of Chinese text in UTF-8 decide UTF-8; a GB 18030 row further on is a clear
    encoding problem, not the whole file read as GB 18030 (every UTF-8 character garbled)."""
    path = tmp_path / "m.csv"
    row = "甲公司,Q/JDJ 1-2025,三相异步电动机,M{},1.5,4,90.6,62,是\n"
    path.write_bytes((MOTOR_HEADER + "\n").encode() + row.format(1).encode() +
                     row.format(2).encode("gb18030"))
    with pytest.raises(InputError) as exc:
        load_population(path, cat, MOTOR)
    assert [p.code for p in exc.value.problems] == ["file_encoding"]


def test_model_text_is_cleaned_as_every_identity_text(tmp_path, cat):
    """The model field is held as arrow strings; its cells are cleaned as the others are."""
    path = tmp_path / "m.csv"
    row = "甲公司,Q/JDJ 1-2025,三相异步电动机,{},1.5,4,90.6,62,是\n"
    path.write_text(MOTOR_HEADER + "\n" + "".join(row.format(m) for m in
                    ["\"M1 \"", "cafe\u0301", "bell\x07", "", "M1 "]), encoding="utf-8")
    pop = load_population(path, cat, MOTOR)
    assert pop.fields["model"].tolist() == ["M1", "café", "bell\\x07", "", "M1"]
    assert pop.fields["enterprise"].tolist() == ["甲公司"] * 5


def test_a_repeating_identity_field_is_a_code_per_row_into_its_texts(tmp_path, cat):
    """An identity field that repeats is held as one code per row into its distinct texts as
    cleaned: cells that clean to the same text share its code, and the texts are read back
    cell for cell."""
    import pandas as pd

    path = tmp_path / "m.csv"
    row = "{},Q/JDJ 1-2025,三相异步电动机,M1,1.5,4,90.6,62,是\n"
    path.write_text(MOTOR_HEADER + "\n" + "".join(row.format(e) for e in
                    ["甲公司", "\" 甲公司\"", "乙公司", "甲公司 "]), encoding="utf-8")
    pop = load_population(path, cat, MOTOR)
    held = pop.fields["enterprise"]
    assert isinstance(held, pd.Categorical) and held.categories.is_unique
    assert held.tolist() == ["甲公司", "甲公司", "乙公司", "甲公司"]
    assert len(set(held.codes[[0, 1, 3]].tolist())) == 1


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx", ".csv"])
def test_headers_are_cleaned_in_every_format(tmp_path, suffix):
    import pandas as pd

    path = tmp_path / f"t{suffix}"
    frame = pd.DataFrame({" apf ": [1.0], "cafe\u0301 ": [2.0]})  # NFC, outer spaces
    if suffix == ".parquet":
        frame.to_parquet(path)
    elif suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False)
    assert list(read_table(path)[0].columns) == ["apf", "café"]


@pytest.mark.parametrize("text", ["enterprise,standard,model", "enterprise,standard,model\n"])
def test_a_header_without_rows_is_an_empty_table(tmp_path, text):
    path = tmp_path / "h.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_table(path)
    assert [p.code for p in info.value.problems] == ["table_empty"]


def _cells(frame: pd.DataFrame) -> list[list[str]]:
    """The cells of a frame as text, "" for missing, without the spaces at either end (which
    are cleaned off every cell after reading)."""
    return [[v.strip() for v in row] for row in frame.fillna("").values.tolist()]


def _as_pandas_read_it(path, **options) -> pd.DataFrame:
    """The table as the old reader (pandas, cells as text, spaces after a delimiter skipped)
    read it."""
    return pd.read_csv(path, skipinitialspace=True, keep_default_na=False, na_values=[""],
                       dtype=str, **options)


def test_a_line_of_spaces_is_skipped_as_a_blank_line_is(tmp_path):
    """pandas' reader skips a line of spaces or tabs as it skips an empty line; so does this one
    (in the middle, before the first row and at the end), and a real short row is still an
    error at its line."""
    path = tmp_path / "s.csv"
    path.write_text("a,b\n   \n1,2\n  \t \n\n3,4\n   ", encoding="utf-8")
    frame, _ = read_table(path)
    assert frame.values.tolist() == _as_pandas_read_it(path).values.tolist() == [["1", "2"],
                                                                                  ["3", "4"]]
    path.write_text("a,b\n1,2\n   \n3\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_table(path)
    assert [(p.code, p.line) for p in exc.value.problems] == [("table_syntax", 4)]


def test_header_row_counts_rows_as_a_spreadsheet_shows_them(tmp_path, cat):
    """--header-row 2 under a title whose quoted cell holds a line break is the header on the
    third line, as pandas' reader (and a spreadsheet) counts rows; problems are still reported
    at the physical line of the file."""
    path = tmp_path / "m.csv"
    title = '"Declared standards\r\n2026",,,,,,,,\r\n'
    row = "甲公司,Q/JDJ 1-2025,三相异步电动机,M{},1.5,4,90.6,62,是\r\n"
    path.write_bytes((title + MOTOR_HEADER + "\r\n" + row.format(1) + row.format(2)).encode())
    from benchmark.population import table_options

    with table_options(header_row=2):
        frame, _ = read_table(path)
        pop = load_population(path, cat, MOTOR)
    expected = _as_pandas_read_it(path, skiprows=1)
    assert list(frame.columns) == list(expected.columns) == MOTOR_HEADER.split(",")
    assert frame.values.tolist() == expected.values.tolist()
    assert frame.attrs["header_line"] == 3
    assert pop.fields["model"].tolist() == ["M1", "M2"]
    path.write_bytes((title + MOTOR_HEADER + "\r\n" + row.format(1) + "x,y\r\n").encode())
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["rank", str(path), "--set", MOTOR, "--header-row", "2",
                                    "--date", "2026-11-23", "-o", str(out)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert f"{path}:5: error [table_syntax]" in res.output


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_quote_after_spaces_around_a_delimiter_has_a_hint_saying_so(tmp_path, lang):
    """`1, "a,b"`: the quote after a space does not quote the cell for this reader, so the row
    has a cell too many; its hint says to take out the space (in the command's language), where
    an unquoted delimiter keeps the hint to quote the cell. A 1,000-row export, every row at
    its line, exit status 2, nothing written."""
    from benchmark.report import labels

    path = tmp_path / "ac.csv"
    frame = room_air_conditioners(1000, seed=3)
    frame.to_csv(path, index=False)
    lines = path.read_text(encoding="utf-8").splitlines()
    first, *rest = lines[20].split(",")
    lines[20] = first + ', "' + rest[0] + ',x"' + "," + ",".join(rest[1:])  # line 21
    lines[30] = lines[30] + ",extra"  # line 31
    model = frame.columns.get_loc("型号")
    cells = lines[40].split(",")
    cells[model] = ' "' + cells[model] + '\nsecond line"'  # lines 41 and 42, both short
    lines[40] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["rank", str(path), "--set", AC, "--date", "2026-11-23",
                                    "--lang", lang, "-o", str(out)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    hints = labels(lang)["reading_hints"]
    shown = {re.match(r"\S+:\d+", line)[0]: line for line in res.output.splitlines()
             if "[table_syntax]" in line}
    assert sorted(shown) == sorted(f"{path}:{n}" for n in (21, 31, 41, 42))
    for n in (21, 41, 42):
        assert hints["quote_after_spaces"] in shown[f"{path}:{n}"]
    assert hints["wrong_width"] in shown[f"{path}:31"]
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "gb18030"])
def test_a_quoted_cell_of_spaces_then_a_quote_keeps_its_quotes_as_pandas_reads_it(
        tmp_path, monkeypatch, encoding):
    """`1,"  ""q"" "` is the text `  "q" `, and `2, "q"` is `q`: pyarrow gives both cells as
    spaces then a quoted text, and the file itself tells which quote opens a cell after spaces.
    Read a few rows at a time, around blank lines, lines of spaces and a quoted line break,
    every cell is as pandas' reader reads it (spaces at either end cleaned off later)."""
    import benchmark.population as population

    monkeypatch.setattr(population, "CHUNK_ROWS", 3)
    rows = ['1,"  ""q"""', '2, "q"', "", '3,"  ""q"" and ""r"""', "   ", '4, "x""y"',
            '5,"l1\n  ""l2"""', '6, "z"  ', '7,"  ""甲"""', '8, "  ""乙"""', "9,  10"]
    path = tmp_path / "q.csv"
    path.write_bytes(('id, "standard"\n' + "\n".join(rows * 3) + "\n").encode(encoding))
    frame, _ = read_table(path)
    expected = _as_pandas_read_it(path, encoding=encoding)

    assert list(frame.columns) == ["id", "standard"]
    assert _cells(frame) == _cells(expected)
    assert frame["standard"].tolist()[:4] == ['"q"', "q", '"q" and "r"', 'x"y']


def test_cells_opened_by_spaces_are_found_in_a_tab_table_with_a_row_of_empty_cells(tmp_path):
    """A tab table's line of one tab is a row of two empty cells (not a blank line): the cells
    after it are still told apart at their rows, as pandas' reader reads them."""
    path = tmp_path / "q.tsv"
    path.write_text('id\tstandard\n1\t"  ""q"""\n\t\n2\t "q"\n   \n3\t"  ""r"""\n4\t "s"\n',
                    encoding="utf-8")
    frame, _ = read_table(path)
    expected = _as_pandas_read_it(path, sep="\t")
    assert _cells(frame) == _cells(expected)
    assert frame["standard"].fillna("").tolist() == ['"q"', "", "q", '"r"', "s"]


_FRAGMENTS = ["a", "Q/XX 001-2025", "中", "", "  ", ' "q"', '  "z"  ', ' "a" b', ' ""', ' """"',
              ' "  ""w"""', ' "甲 ""乙"""', '"  ""q"""', '"x""y"', '"a b"', '"l1\nl2"', '""',
              '"  "', '"a"b', 'x "y"']


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(st.sampled_from(_FRAGMENTS), min_size=3, max_size=3),
                     min_size=1, max_size=7),
       delimiter=st.sampled_from([",", "\t", ";"]),
       encoding=st.sampled_from(["utf-8", "utf-16", "gb18030"]),
       end=st.sampled_from(["", "\n   ", "\n"]))
def test_every_cell_is_read_as_pandas_reads_it(tmp_path, monkeypatch, rows, delimiter,
                                                encoding, end):
    """Tables of cells quoted at the delimiter, after spaces, with doubled quotes, quoted line
    breaks and text after a closing quote, in three encodings, read two rows at a time, with
    lines of spaces: every cell is as pandas' reader (spaces after the delimiter skipped)
    reads it."""
    import benchmark.population as population

    monkeypatch.setattr(population, "CHUNK_ROWS", 2)
    path = tmp_path / "t.csv"
    lines = [delimiter.join(["h1", " h2", "h3"])] + [delimiter.join(r) for r in rows]
    path.write_bytes(("\n".join(lines) + end + "\n").encode(encoding))
    frame, _ = read_table(path, delimiter=delimiter)
    assert _cells(frame) == _cells(_as_pandas_read_it(path, sep=delimiter, encoding=encoding))


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(st.sampled_from([*_FRAGMENTS, "x" * 300]), min_size=3,
                              max_size=3), min_size=1, max_size=12),
       block=st.sampled_from([64, 200, 1 << 10]),
       encoding=st.sampled_from(["utf-8", "utf-16", "gb18030"]))
def test_cells_are_the_same_whatever_the_blocks_the_text_is_parsed_in(tmp_path, monkeypatch,
                                                                      rows, block, encoding):
    """pyarrow parses the text a block of bytes at a time (population.READ_BLOCK) and cannot
    read a row longer than a block: such a table is read again with larger blocks, from where
    it was. Rows longer than a block, and quoted line breaks across blocks, read as pandas'
    reader reads them, each row once."""
    import benchmark.population as population

    monkeypatch.setattr(population, "READ_BLOCK", block)
    monkeypatch.setattr(population, "LARGEST_BLOCK", 1 << 20)
    monkeypatch.setattr(population, "CHUNK_ROWS", 5)
    path = tmp_path / "t.csv"
    lines = [",".join(["h1", " h2", "h3"])] + [",".join(r) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    frame, _ = read_table(path)
    assert len(frame) == len(rows)
    assert _cells(frame) == _cells(_as_pandas_read_it(path, sep=",", encoding=encoding))


def test_a_row_longer_than_the_largest_block_is_a_clear_error(tmp_path, monkeypatch):
    import benchmark.population as population

    monkeypatch.setattr(population, "READ_BLOCK", 256)
    monkeypatch.setattr(population, "LARGEST_BLOCK", 1024)
    path = tmp_path / "t.csv"
    path.write_text("h1,h2\n1,2\n3," + "x" * 3000 + "\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_table(path)
    assert [p.code for p in exc.value.problems] == ["table_unreadable"]
