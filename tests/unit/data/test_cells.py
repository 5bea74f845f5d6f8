"""Raw-cell helpers: uniqueness of short identifiers and numbers read from text."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.data.cells import all_distinct, as_text, text_to_float


@pytest.mark.parametrize("values", [
    ["P0000001", "P0000002", "P0000003"],          # fixed width 8: one key per text
    ["P0000001", "P0000002", "P0000001"],
    ["1", "10", "100", "1000"],                    # lengths vary: length-tagged keys
    ["ab", "abc", "ab"],
    ["a", "a\x00"],                                # a NUL byte is not a shorter text
    ["x" * 9, "y" * 9],                            # too long for a key: hash path
    ["x" * 9, "x" * 9],
    ["é1", "é2", "é1"],                            # multi-byte UTF-8
])
def test_all_distinct_agrees_with_a_python_set(values):
    # reference: a Python set of the same texts
    expected = len(set(values)) == len(values)
    assert all_distinct(pd.Series(values, dtype="str")) is expected


def test_all_distinct_on_a_sliced_arrow_column():
    # the Arrow offsets of a slice start past zero: the keys must follow them
    s = pd.Series([f"P{i:07d}" for i in range(50)] + ["P0000003"], dtype="str").iloc[2:]
    assert all_distinct(s) is False            # P0000003 twice (rows 4 and 51)
    assert all_distinct(s.iloc[:-1]) is True


def test_text_to_float_matches_python_float():
    texts = ["1", "2.5", "-.5", "+3", "1e3", "1.", "inf", "0.1", "123456789.123456789",
             "x", "1,5", "0x10", "\u0661", None]

    def reference(t):  # Python's float() on ASCII plain numbers, NaN otherwise
        if t is None or not t.isascii():
            return math.nan
        try:
            return float(t) if "x" not in t else math.nan
        except ValueError:
            return math.nan

    got = text_to_float(pd.Series(texts, dtype="str")).to_numpy()
    want = np.array([reference(t) for t in texts], dtype="float64")
    assert np.array_equal(got, want, equal_nan=True)


def test_text_to_float_of_a_clean_column_and_of_a_text_column():
    assert text_to_float(pd.Series(["1.25", "2"], dtype="str")).tolist() == [1.25, 2.0]
    assert text_to_float(pd.Series(["P1", "P2"], dtype="str")).isna().all()


def test_as_text_missing_tokens_only_in_short_texts():
    s = pd.Series([" NA ", "n/a", "NULL", ".", "nan", "<NA>", "NAN-1", "null value"],
                  dtype="str")
    out = as_text(s)
    assert out.isna().tolist() == [True] * 6 + [False, False]
    assert out.iloc[6:].tolist() == ["NAN-1", "null value"]


@pytest.mark.parametrize(("values", "dtype"), [
    ([True, False, True], bool), ([False, False], bool),
    ([None, True, False, None], "boolean"), ([None, None], "boolean"), ([None, False], "boolean"),
])
def test_yes_no_columns_factorize_as_pandas_does(values, dtype):
    from analysis.data.cells import factorize_text

    raw = pd.Series(values, dtype=dtype)
    codes, texts = factorize_text(raw)
    ref_codes, ref_uniques = pd.factorize(raw, use_na_sentinel=True)   # reference: pandas
    assert codes.tolist() == np.asarray(ref_codes).tolist()
    assert texts == [str(bool(u)).lower() for u in ref_uniques]


@pytest.mark.parametrize("values", [
    ["P001", "P002", None, ""],               # nothing to strip: returned as read
    ["P001", " P002"], ["P001", "P002\t"],    # ASCII white space at either end
    ["P001", "\u00a0P002"], ["P001", "P002\u3000"],   # Unicode spaces (multi-byte)
    ["é1", "2é"],                             # a multi-byte character at an end
    ["a\x1fb", "\x1fab"],                      # a control byte Python's strip removes
])
def test_as_text_strips_exactly_as_python_does(values):
    # reference: Python's str.strip on each value (None stays missing)
    import pyarrow as pa

    chunked = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(
        [pa.array(values[:1], pa.large_string()), pa.array(values[1:], pa.large_string())])))
    expected = [None if v is None or v.strip() == "" else v.strip() for v in values]
    for s in (pd.Series(values, dtype="str"), chunked):
        got = as_text(s)
        assert [None if pd.isna(v) else v for v in got] == expected


def test_all_distinct_over_arrow_chunks():
    # reference: a Python set; a duplicate across two chunks of different lengths
    import pyarrow as pa

    first = [f"P{i:03d}" for i in range(10)]
    for second, distinct in ((["P010", "P011"], True), (["P010", "P003"], False),
                             (["Q10", "P3"], True), (["Q10", "P003"], False)):
        s = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(
            [pa.array(first, pa.large_string()), pa.array(second, pa.large_string())])))
        assert all_distinct(s) is distinct is (len(set(first + second)) == 12)
