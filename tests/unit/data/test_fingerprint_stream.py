"""The fingerprint hashed while the columns are parsed equals the whole-frame one.

Reference throughout: :func:`analysis.data.fingerprint.fingerprint` of the finished
frame, whose bytes ``test_fingerprint.py`` pins to hand-built canonical bytes.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from analysis.data import column_threads, fingerprint_stream
from analysis.data.fingerprint import fingerprint
from analysis.data.fingerprint_stream import ColumnStream, predicted_dtype, same_data
from analysis.data.loader import load_dataset
from analysis.data.schema import VARIABLES
from analysis.errors import DataLoadError


def _hashing_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "fingerprint"]


@pytest.fixture
def streamed(monkeypatch):
    """Stream every table (however small); the whole-frame hash then must not run."""
    monkeypatch.setattr(fingerprint_stream, "THREAD_CELLS", 1)

    def refuse(*_args):
        raise AssertionError("the stream fell back to hashing the whole frame")

    monkeypatch.setattr(fingerprint_stream, "fingerprint", refuse)


@pytest.mark.parametrize("threads", [False, True])
def test_streamed_load_gives_the_whole_frame_fingerprint(streamed, monkeypatch, patient_lines,
                                                         write_lines, threads):
    monkeypatch.setattr(column_threads, "PARALLEL_CELLS", 1 if threads else 10**12)
    monkeypatch.setattr(column_threads.os, "cpu_count", lambda: 2)
    ds = load_dataset(write_lines(patient_lines(120)))
    assert ds.fingerprint == fingerprint(ds.frame, ds.lesions)
    assert _hashing_threads() == []


def test_a_frame_other_than_the_one_hashed_is_hashed_whole(monkeypatch):
    # the stream saw column "age" with other values than the finished frame holds
    monkeypatch.setattr(fingerprint_stream, "THREAD_CELLS", 1)
    frame = pd.DataFrame({"patient_id": pd.Series(["P1", "P2"], dtype="str"),
                          "age": [50.0, 60.0]})
    stream = ColumnStream(VARIABLES)
    stream.begin(["patient_id", "age"], 2)
    stream.add("patient_id", frame["patient_id"])
    stream.add("age", pd.Series([51.0, 60.0]))
    assert stream.finish(frame, None) == fingerprint(frame, None)
    assert _hashing_threads() == []


def test_load_with_errors_leaves_no_hashing_thread(streamed, patient_lines, write_lines):
    lines = patient_lines(50)
    lines[3] = lines[3].replace(",male,", ",robot,").replace(",female,", ",robot,")
    with pytest.raises(DataLoadError, match="not allowed codes"):
        load_dataset(write_lines(lines))
    assert _hashing_threads() == []


def test_predicted_dtypes_are_those_of_validated_columns():
    # reference: the dtype pandas gives an empty column of the dictionary's dtype
    assert predicted_dtype(VARIABLES["age"]) == "float64"
    assert predicted_dtype(VARIABLES["n_spotty"]) == "Int64"
    assert predicted_dtype(VARIABLES["diabetes"]) == "boolean"
    assert predicted_dtype(VARIABLES["patient_id"]) == "str"
    assert predicted_dtype(VARIABLES["trial"]) is None          # open set: from the data
    assert predicted_dtype(VARIABLES["sex"]).startswith("category[")


def test_same_data_means_the_same_memory():
    x = pd.Series(np.arange(4.0))
    assert same_data(x, x.copy(deep=False)) and not same_data(x, x.copy())
    flags = pd.Series(pd.array([True, None], dtype="boolean"))
    assert same_data(flags, flags.copy(deep=False)) and not same_data(flags, flags.copy())
    text = pd.Series(["a", "b"], dtype="str")
    assert same_data(text, text.copy(deep=False))
    assert not same_data(text, pd.Series(["a", "b"], dtype="str"))
