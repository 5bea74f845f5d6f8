"""Thousands separators and decimal commas: read when certain, an error when ambiguous.

Expected values are the numbers as a reader of the file would write them by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.data.loader import load_dataset
from analysis.data.numbers import NumberFormat, declared, detect
from analysis.errors import DataLoadError

HEADER = "patient_id,trial,calcification,pav_baseline,pav_followup,tav_baseline,tav_followup,triglycerides"


def tg_file(tmp_path, values: list[str]):
    """Triglycerides written as ``values`` (quoted: the delimiter is a comma)."""
    rows = [f'P{i},A,{"spotty" if i % 2 else "none"},30,31,150,155,"{v}"'
            for i, v in enumerate(values, start=1)]
    path = tmp_path / "tg.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def test_thousands_comma_alone_is_ambiguous_and_says_what_to_set(tmp_path):
    path = tmp_path / "tg.csv"
    path = tg_file(tmp_path, ["150", "1,234", "98"])
    # the failure reproduced: before, 1,234 became 1.234 with only a plausibility warning
    with pytest.raises(DataLoadError) as info:
        load_dataset(path)
    (issue,) = info.value.report.errors
    assert issue.code == "ambiguous_number" and issue.rows == (2,)
    assert "'1,234'" in issue.message
    assert '[numbers.triglycerides] decimal = ","' in issue.message
    assert 'thousands = ","' in issue.message


def test_declared_thousands_reads_1234(tmp_path):
    path = tg_file(tmp_path, ["150", "1,234", "98"])
    ds = load_dataset(path, {"numbers": {"triglycerides": {"thousands": ","}}})
    assert ds.frame["triglycerides"].tolist() == [150.0, 1234.0, 98.0]
    assert ds.provenance.rows == 3
    assert any(c["column"] == "triglycerides" for c in ds.provenance.conversions)


def test_declared_decimal_comma_reads_1_234(tmp_path):
    path = tg_file(tmp_path, ["150", "1,234", "98"])
    ds = load_dataset(path, {"numbers": {"decimal": ","}})
    assert ds.frame["triglycerides"].tolist() == [150.0, 1.234, 98.0]


def test_column_evidence_settles_the_ambiguity(tmp_path):
    # "1,234.5" can only be thousands-grouped, so "1,234" in the same column is 1234
    ds = load_dataset(tg_file(tmp_path, ["1,234.5", "1,234", "98"]))
    assert ds.frame["triglycerides"].tolist() == [1234.5, 1234.0, 98.0]
    (conv,) = [i for i in ds.report.conversions if i.column == "triglycerides"]
    assert conv.code == "thousands_separator" and conv.count == 2


def test_mixed_conventions_in_one_column_are_an_error(tmp_path):
    # "2,5" is a decimal comma, "1,234.5" a thousands comma: "1,234" cannot be settled
    with pytest.raises(DataLoadError) as info:
        load_dataset(tg_file(tmp_path, ["2,5", "1,234.5", "1,234"]))
    assert [i.code for i in info.value.report.errors] == ["ambiguous_number"]
    assert info.value.report.errors[0].rows == (3,)


def test_declared_format_refuses_values_that_do_not_follow_it(tmp_path):
    with pytest.raises(DataLoadError) as info:
        load_dataset(tg_file(tmp_path, ["150", "12,34", "98"]),
                     {"numbers": {"triglycerides": {"thousands": ","}}})
    (issue,) = info.value.report.errors
    assert issue.code == "not_a_number" and issue.rows == (2,)


@pytest.mark.parametrize("written, value", [
    ("27,5", 27.5), ("1,234.5", 1234.5), ("1,234,567", 1234567.0), ("1.234,5", 1234.5),
    ("1.234.567", 1234567.0), ("1 234", 1234.0), ("1'234", 1234.0), ("-1.234,5", -1234.5)])
def test_unambiguous_values(written, value):
    text = pd.Series([written, "7"], dtype="str")
    plain = pd.to_numeric(text, errors="coerce")
    found = detect(text, plain, text.notna() & plain.isna(), "triglycerides", "'triglycerides'")
    assert found.values.tolist() == [value, 7.0]
    assert not [i for i in found.issues if i.severity == "error"]


def test_declared_parser_by_hand():
    text = pd.Series(["1.234,5", "12,5", "7", None], dtype="str")
    values, changed = declared(text, NumberFormat(",", "."))
    assert values.tolist()[:3] == [1234.5, 12.5, 7.0] and np.isnan(values.iloc[3])
    assert changed == 2
