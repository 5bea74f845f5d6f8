"""check_file: the report of a load, without the dataset (the mapping wizard's report)."""

from __future__ import annotations

import pytest

from analysis.data.loader import check_file, load_dataset
from analysis.data.readers import read_raw
from analysis.errors import DataLoadError


def _rows(report):
    return [(i.severity, i.code, i.column, i.message, i.count) for i in report.issues]


def test_same_report_as_a_clean_load(patient_lines, write_lines):
    lines = patient_lines(12)
    lines[3] = lines[3].replace(",no,", ",NA,")          # a missing value: info issue
    path = write_lines(lines)
    report = check_file(path)
    assert report.ok
    assert _rows(report) == _rows(load_dataset(path).report)
    assert any(i.code == "missing_values" for i in report.issues)


def test_same_report_as_a_load_that_fails(patient_lines, write_lines):
    lines = patient_lines(12)
    lines[2] = lines[2].replace("P0002", "P0001")        # duplicate ID: an error
    lines[5] = lines[5].replace(",male,", ",x,").replace(",female,", ",x,")  # unknown code
    path = write_lines(lines)
    mapping = {"columns": {"age": "AGE_YEARS"}}         # mapped column absent: a problem too
    with pytest.raises(DataLoadError) as info:
        load_dataset(path, mapping)
    report = check_file(path, mapping)
    assert not report.ok
    assert _rows(report) == _rows(info.value.report)
    codes = {i.code for i in report.errors}
    assert {"duplicate_id", "unknown_code"} <= codes


def test_reader_is_used_for_the_patient_file(patient_lines, write_lines):
    path = write_lines(patient_lines(5))
    calls = []

    def reader(p, **kw):
        calls.append(str(p))
        return read_raw(p, **kw)

    assert check_file(path, reader=reader).ok
    assert calls == [str(path)]


def test_unreadable_file_raises_with_its_report(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(DataLoadError) as info:
        check_file(path)
    assert info.value.report.errors[0].code == "empty_file"
