"""Parquet, Stata, SPSS and SAS: value labels applied and listed, duplicate names refused."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat
import pytest

from analysis.data import readers
from analysis.data.loader import load_dataset
from analysis.errors import DataLoadError

BASE = {"patient_id": ["P1", "P2", "P3", "P4"], "calcification": ["spotty", "none", "spotty", "none"],
        "pav_baseline": [30.0, 28.0, 33.0, 25.0], "pav_followup": [31.0, 27.5, 34.0, 25.5],
        "tav_baseline": [150.0, 140.0, 160.0, 110.0], "tav_followup": [155.0, 138.0, 162.0, 112.0]}


@pytest.mark.parametrize("ext, writer", [(".dta", pyreadstat.write_dta),
                                         (".sav", pyreadstat.write_sav)])
def test_labelled_trial_codes_become_their_labels(tmp_path, ext, writer):
    path = tmp_path / f"t{ext}"
    frame = pd.DataFrame({**BASE, "trial": [0.0, 1.0, 1.0, 0.0]})
    writer(frame, str(path), variable_value_labels={"trial": {0: "REVERSAL", 1: "CAMELOT"}})
    ds = load_dataset(path)
    assert ds.frame["trial"].astype(str).tolist() == ["REVERSAL", "CAMELOT", "CAMELOT", "REVERSAL"]
    (conv,) = [c for c in ds.provenance.conversions if c["column"] == "trial"]
    assert "value labels" in conv["conversion"]
    assert "'0' -> 'REVERSAL'" in conv["conversion"] and "'1' -> 'CAMELOT'" in conv["conversion"]


def test_duplicate_parquet_column_is_an_error(tmp_path):
    path = tmp_path / "dup.parquet"
    cols = {**BASE, "trial": ["A"] * 4}
    arrays = [pa.array(v) for v in cols.values()] + [pa.array([50.0, 51.0, 52.0, 53.0]),
                                                     pa.array([60.0, 61.0, 62.0, 63.0])]
    pq.write_table(pa.table(arrays, names=[*cols, "age", "age"]), path)
    with pytest.raises(DataLoadError) as info:
        load_dataset(path)
    (issue,) = info.value.report.errors
    assert issue.code == "duplicate_column"
    assert "column 'age' appears more than once" in issue.message


@pytest.mark.parametrize("fmt, ext, reader", [("stata", ".dta", "read_dta"),
                                              ("spss", ".sav", "read_sav"),
                                              ("xport", ".xpt", "read_xport"),
                                              ("sas7bdat", ".sas7bdat", "read_sas7bdat")])
def test_duplicate_names_from_any_statistical_format_are_an_error(tmp_path, monkeypatch, fmt,
                                                                  ext, reader):
    # These formats forbid duplicate names, so no writer makes one; a damaged file could
    # still give them, so the reader's output is checked whatever the library returns.
    frame = pd.DataFrame([[1.0, 2.0]], columns=["age", "age"])
    meta = type("Meta", (), {"variable_value_labels": {}})()
    monkeypatch.setattr(pyreadstat, reader, lambda *a, **k: (frame, meta))
    path = tmp_path / f"d{ext}"
    path.write_bytes(b"x")
    raw = readers.read_binary(path, fmt)
    assert [i.code for i in raw.issues] == ["duplicate_column"]
    assert list(raw.frame.columns) == ["age", "age (2)"]
