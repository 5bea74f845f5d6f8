"""Readers return the file's raw cells: text stays text, encodings and delimiters detected."""

from __future__ import annotations

import hashlib

import pandas as pd
import pyreadstat
import pytest

from analysis.data.readers import FORMATS, detect_format, read_raw
from analysis.errors import DataLoadError


def test_every_extension_has_a_format():
    assert detect_format("a.CSV") == "csv"
    assert detect_format("a.tsv") == "tsv"
    assert detect_format("a.xlsx") == "excel"
    assert detect_format("a.parquet") == "parquet"
    assert detect_format("a.sas7bdat") == "sas7bdat"
    assert detect_format("a.xpt") == "xport"
    assert detect_format("a.dta") == "stata"
    assert detect_format("a.sav") == "spss"
    assert set(FORMATS.values()) == {"csv", "tsv", "excel", "parquet", "sas7bdat", "xport",
                                     "stata", "spss"}


def test_no_extension_is_a_clear_error():
    with pytest.raises(DataLoadError, match=r"files ending in \(no extension\) are not supported"):
        detect_format("datafile")


def test_missing_file(tmp_path):
    with pytest.raises(DataLoadError, match="not found"):
        read_raw(tmp_path / "nope.csv")


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_delimiter_detected(tmp_path, delim):
    path = tmp_path / "d.csv"
    path.write_text(delim.join(["id", "age", "note"]) + "\n"
                    + delim.join(["P1", "56", "a b"]) + "\n"
                    + delim.join(["P2", "61", "c"]) + "\n")
    raw = read_raw(path)
    assert raw.delimiter == delim
    assert list(raw.frame.columns) == ["id", "age", "note"]
    assert raw.frame["age"].tolist() == ["56", "61"]


def test_text_cells_are_not_coerced(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id,code,flag,x\n007,NA,TRUE,1e3\n008,,no,\n")
    f = read_raw(path).frame
    # leading zeros kept, "NA" kept as written, booleans and numbers left as text
    assert f["id"].tolist() == ["007", "008"]
    assert f["code"].tolist() == ["NA", ""]
    assert f["flag"].tolist() == ["TRUE", "no"]
    assert f["x"].tolist() == ["1e3", ""]


def test_encodings(tmp_path):
    text = "id,trial\nP1,Zürich\n"
    for enc, expected in [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252")]:
        path = tmp_path / f"{enc}.csv"
        path.write_bytes(text.encode(enc))
        raw = read_raw(path)
        assert raw.encoding == expected
        assert list(raw.frame.columns) == ["id", "trial"]  # no BOM in the first name
        assert raw.frame["trial"].tolist() == ["Zürich"]


def test_latin1_fallback(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes(b"id,x\nP1,\x81\n")  # 0x81 is undefined in cp1252
    raw = read_raw(path)
    assert raw.encoding == "latin-1"
    assert raw.frame["x"].tolist() == ["\x81"]


def test_size_limit(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id\n" + "P1\n" * 1000)  # 3003 bytes
    assert len(read_raw(path, max_file_mb=0.01).frame) == 1000
    with pytest.raises(DataLoadError, match="is 0.003 MB, above the limit of 0.001 MB"):
        read_raw(path, max_file_mb=0.001)


def test_excel_first_sheet_by_default_and_raw_types(tmp_path):
    path = tmp_path / "b.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        pd.DataFrame({"id": ["P1", "P2"], "age": [56, 61.5]}).to_excel(xl, sheet_name="First",
                                                                        index=False)
        pd.DataFrame({"z": [1]}).to_excel(xl, sheet_name="Second", index=False)
    raw = read_raw(path)
    assert raw.sheet == "First"
    assert raw.frame["age"].tolist() == [56, 61.5]
    assert read_raw(path, sheet="Second").frame.columns.tolist() == ["z"]


def test_corrupt_binary_files_are_clear_errors(tmp_path):
    for ext, name in [(".xlsx", "Excel"), (".parquet", "Parquet"), (".sas7bdat", "SAS"),
                      (".xpt", "SAS transport"), (".dta", "Stata"), (".sav", "SPSS")]:
        path = tmp_path / f"bad{ext}"
        path.write_bytes(b"this is not a real file" * 10)
        with pytest.raises(DataLoadError) as info:
            read_raw(path)
        assert path.name in str(info.value)
        if ext != ".xlsx":
            assert f"could not be read as {name}" in str(info.value)


def test_spss_value_labels_returned_with_raw_codes(tmp_path):
    path = tmp_path / "l.sav"
    pyreadstat.write_sav(pd.DataFrame({"SEX": [1.0, 2.0]}), str(path),
                         variable_value_labels={"SEX": {1: "male", 2: "female"}})
    raw = read_raw(path)
    assert raw.frame["SEX"].tolist() == [1.0, 2.0]  # codes, not labels
    assert raw.value_labels == {"SEX": {"1": "male", "2": "female"}}


def test_stata_value_labels(tmp_path):
    path = tmp_path / "l.dta"
    pyreadstat.write_dta(pd.DataFrame({"dm": [0, 1]}), str(path),
                         variable_value_labels={"dm": {0: "no", 1: "yes"}})
    raw = read_raw(path)
    assert raw.value_labels == {"dm": {"0": "no", "1": "yes"}}


def test_reading_never_modifies_the_file(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"id;x\r\nP1;1,5\r\n")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    read_raw(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
