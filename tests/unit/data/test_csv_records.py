"""Text files: every record is accounted for, or the load stops naming the lines.

Each failure class is reproduced with a small file written here; line numbers are
physical lines of the file (line 1 is the header).
"""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from analysis.data.csv_records import exact_records, scan_text, sniff_delimiter
from analysis.data.limits import Limits
from analysis.data.loader import load_dataset
from analysis.errors import DataLoadError


def load_error(path, mapping=None) -> DataLoadError:
    with pytest.raises(DataLoadError) as info:
        load_dataset(path, mapping)
    return info.value


def codes(err: DataLoadError) -> list[str]:
    return [i.code for i in err.report.errors]


def note_row(lines: list[str], row: int, note: str) -> None:
    """Replace the note (last field) of data row ``row`` (1-based) in place."""
    cells = lines[row].split(",")
    cells[-1] = note
    lines[row] = ",".join(cells)


def test_stray_quote_swallowing_rows_is_an_error_naming_the_line(patient_lines, write_lines):
    lines = patient_lines(1347)
    note_row(lines, 57, '"unfinished remark')     # opens a quoted field on line 58
    note_row(lines, 67, 'see above"')              # ... closed on line 68: 10 rows inside
    # The bare parser really does lose the rows without an error (the failure reproduced):
    path = write_lines(lines)
    assert len(pd.read_csv(path, dtype=str)) == 1337
    err = load_error(path)
    assert codes(err) == ["quote_spans_lines"]
    issue = err.report.errors[0]
    assert "opens a field on line 58 that is closed only on line 68" in issue.message
    assert "10 row(s) lost" in issue.message
    assert "multiline_fields = true" in issue.message


def test_quote_inside_a_field_keeps_every_row_and_the_text(patient_lines, write_lines):
    lines = patient_lines(1347)
    note_row(lines, 57, 'he said "stop" twice')   # quote not at the start: literal text
    note_row(lines, 60, '"quoted, with comma"')   # a properly quoted field
    ds = load_dataset(write_lines(lines))
    assert ds.provenance.rows == 1347
    assert ds.frame["patient_id"].iloc[[0, 56, 1346]].tolist() == ["P0001", "P0057", "P1347"]


def test_intended_line_breaks_load_when_declared(tmp_path, patient_lines, write_lines):
    lines = patient_lines(5)
    note_row(lines, 2, '"first line\nsecond line"')
    path = write_lines(lines)
    assert codes(load_error(path)) == ["quote_spans_lines"]
    ds = load_dataset(path, {"multiline_fields": True})
    assert ds.provenance.rows == 5
    assert ds.frame["patient_id"].tolist() == [f"P{i:04d}" for i in range(1, 6)]


def test_long_row_is_an_error_not_cut(patient_lines, write_lines):
    lines = patient_lines(20)
    lines[5] = lines[5] + ",extra"           # line 6 has 12 fields
    err = load_error(write_lines(lines))
    assert codes(err) == ["wrong_field_count"]
    assert "line 6 has 12" in err.report.errors[0].message


def test_short_row_is_an_error_not_padded(patient_lines, write_lines):
    lines = patient_lines(20)
    lines[7] = lines[7].rsplit(",", 2)[0]   # line 8 loses its last two fields
    # pandas alone pads the row with empty cells, silently:
    assert len(pd.read_csv(write_lines(lines), dtype=str)) == 20
    err = load_error(write_lines(lines))
    assert codes(err) == ["wrong_field_count"]
    assert "line 8 has 9" in err.report.errors[0].message
    assert "header's 11 fields" in err.report.errors[0].message


def test_utf8_file_with_one_cp1252_row_names_the_line(patient_lines, tmp_path):
    lines = patient_lines(30)
    note_row(lines, 3, "Zürich")                     # UTF-8
    note_row(lines, 12, "Müller")                    # line 13: written below in cp1252
    raw = b"\n".join(line.encode("cp1252" if i == 12 else "utf-8")
                     for i, line in enumerate(lines)) + b"\n"
    path = tmp_path / "mixed.csv"
    path.write_bytes(raw)
    err = load_error(path)
    assert codes(err) == ["mixed_encoding"]
    assert "except for line 13" in err.report.errors[0].message
    assert "Nothing was re-decoded" in err.report.errors[0].message


def test_whole_cp1252_file_loads_and_says_so(patient_lines, write_lines):
    lines = patient_lines(4)
    note_row(lines, 2, "Zürich")
    ds = load_dataset(write_lines(lines, encoding="cp1252"))
    assert ds.provenance.encoding == "cp1252"
    assert {"column": None, "conversion": "text decoded as cp1252", "count": 0} \
        in ds.provenance.conversions


def test_file_without_line_breaks_stops_at_once(tmp_path):
    path = tmp_path / "one_line.csv"
    path.write_bytes(b"a," * 500_000)        # 1 MB, no line break
    err = load_error(path)
    assert codes(err) == ["line_too_long"]
    assert "above the limit of 256 KB" in str(err)
    assert "EXPLORER_MAX_LINE_KB" in str(err)


def test_too_many_columns(tmp_path, limits_set):
    limits_set(max_columns=50)
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(60)) + "\n" + ",".join("1" * 60) + "\n")
    err = load_error(path)
    assert codes(err) == ["too_many_columns"]
    assert "has 60 columns in its header, above the limit of 50" in str(err)


def test_too_many_rows(patient_lines, write_lines, limits_set):
    limits_set(max_rows=10)
    err = load_error(write_lines(patient_lines(11)))
    assert codes(err) == ["too_many_rows"]


def test_header_on_row_3_is_found_and_header_row_reads_it(patient_lines, write_lines):
    lines = ["Study export 2024-05-01", ""] + patient_lines(6)
    path = write_lines(lines)
    err = load_error(path)
    hint = [i for i in err.report.warnings if i.code == "header_row"]
    assert len(hint) == 1
    assert "seems to be on row 3" in hint[0].message
    assert "set `header_row = 3` in the mapping" in hint[0].message
    ds = load_dataset(path, {"header_row": 3})
    assert ds.provenance.rows == 6
    assert ds.provenance.header_row == 3
    assert ds.frame["patient_id"].iloc[0] == "P0001"
    assert any("above the header skipped" in c["conversion"] for c in ds.provenance.conversions)


def test_scan_counts_match_csv_module(tmp_path):
    # reference: the csv module over the same text (physical lines, blank lines)
    text = "a,b\n1,2\n\n3,4\r\n5,6"
    path = tmp_path / "s.csv"
    path.write_bytes(text.encode())
    scan = scan_text(path, ",", Limits())
    assert scan.lines == 5
    assert scan.blank_lines == 0      # only blank lines at the end are counted by the scan
    assert scan.delimiters == 4
    walk = exact_records(path, "utf-8", ",", 1, 2)
    assert walk.records == sum(1 for r in csv.reader(text.splitlines()[1:]) if r) == 3


def test_blank_lines_inside_and_at_the_end_lose_no_row(patient_lines, write_lines):
    lines = patient_lines(10)
    lines[4:4] = ["", ""]                    # two blank lines inside
    ds = load_dataset(write_lines(lines + ["", ""]))    # and two at the end
    assert ds.frame["patient_id"].tolist() == [f"P{i:04d}" for i in range(1, 11)]
    scan = scan_text(write_lines(patient_lines(3) + ["", ""]), ",", Limits())
    assert scan.blank_lines == 2


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_delimiter_sniffed_with_quoted_delimiters(delim):
    text = delim.join(["id", "note", "x"]) + "\n" + delim.join(["1", '"a, b; c| d"', "2"]) + "\n"
    assert sniff_delimiter(text, ",") == delim


def test_delimiter_not_fooled_by_line_breaks_in_quoted_text():
    # found by hypothesis: a quoted note with line breaks and a '|' made '|' look regular
    text = "id,note,x\n1,,2\n2,\"\nab'|cd\n\",3\n3,,4\n"
    assert sniff_delimiter(text, ",") == ","


def test_long_line_in_the_middle_is_named(patient_lines, write_lines):
    lines = patient_lines(8)
    note_row(lines, 5, "x" * 300_000)          # line 6: about 300 KB
    err = load_error(write_lines(lines))
    assert codes(err) == ["line_too_long"]
    assert "line 6 of 'd.csv' is 293 KB long" in str(err)


def test_codes_and_open_set_text_read_exactly(write_lines, patient_lines):
    # trial codes with leading zeros stay as written; True/False flags read as yes/no
    lines = [patient_lines(1)[0].replace("diabetes", "diabetes")]
    lines += [line.replace(",T1,", ",001,").replace(",T2,", ",002,").replace(",T0,", ",000,")
                  .replace(",yes,", ",True,").replace(",no,", ",False,")
              for line in patient_lines(6)[1:]]
    ds = load_dataset(write_lines(lines))
    assert ds.frame["trial"].astype(str).tolist() == ["001", "002", "000", "001", "002", "000"]
    assert ds.frame["diabetes"].tolist() == [False, False, False, True, False, False]
