"""Quoted text files: counted quote-aware without a record walk when every quote is
well placed; walked record by record (and every row kept, or the lines named) when not."""

from __future__ import annotations

import pytest

from analysis.data import text_reader
from analysis.data.loader import load_dataset
from analysis.errors import DataLoadError


def _quoted(lines: list[str]) -> list[str]:
    """Every field quoted, as R's write.csv and many exports write them."""
    return [",".join(f'"{c}"' for c in line.split(",")) for line in lines]


@pytest.fixture
def walks(monkeypatch) -> list[int]:
    """Counts the record walks of the text reader (the csv module's slow path)."""
    calls: list[int] = []
    real = text_reader.exact_records

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(text_reader, "exact_records", counted)
    return calls


def test_fully_quoted_file_loads_without_a_walk(patient_lines, write_lines, walks):
    lines = _quoted(patient_lines(40))
    lines[5] = lines[5].replace('"ok 5"', '"ok, with a comma and ""quotes"""')
    ds = load_dataset(write_lines(lines))
    assert ds.provenance.rows == 40 and walks == []
    assert ds.frame["patient_id"].tolist()[:2] == ["P0001", "P0002"]   # reference: the file
    assert ds.frame["age"].iloc[4] == 45.0                              # 40 + 5 % 40


def test_quoted_file_with_a_byte_order_mark_loads_without_a_walk(patient_lines, write_lines,
                                                                 walks):
    # Excel's "CSV UTF-8" starts with a BOM; the quote model starts after it
    ds = load_dataset(write_lines(_quoted(patient_lines(40)), encoding="utf-8-sig"))
    assert ds.provenance.rows == 40 and walks == []
    assert ds.frame["patient_id"].tolist()[:2] == ["P0001", "P0002"]   # reference: the file


def test_quoted_short_row_is_still_an_error(patient_lines, write_lines, walks):
    lines = _quoted(patient_lines(10))
    lines[3] = lines[3].rsplit(",", 1)[0]                 # one field fewer on line 4
    with pytest.raises(DataLoadError) as info:
        load_dataset(write_lines(lines))
    (issue,) = info.value.report.errors
    assert issue.code == "wrong_field_count" and "line 4 has 10" in issue.message
    assert walks == [1]


def test_quoted_field_with_a_line_break_is_walked_and_named(patient_lines, write_lines, walks):
    lines = _quoted(patient_lines(10))
    lines[6] = lines[6].replace('"ok 6"', '"two\nlines"')
    with pytest.raises(DataLoadError) as info:
        load_dataset(write_lines(lines))
    assert [i.code for i in info.value.report.errors] == ["quote_spans_lines"]
    assert "line 7 that is closed only on line 8" in info.value.report.errors[0].message
    assert walks == [1]


def test_literal_quote_in_a_field_is_walked_and_every_row_kept(patient_lines, write_lines,
                                                                walks):
    lines = patient_lines(30)
    lines[9] = lines[9].replace("ok 9", 'height 5\'10" ok')    # a quote mid-field: literal
    ds = load_dataset(write_lines(lines))
    assert ds.provenance.rows == 30 and walks == [1]
