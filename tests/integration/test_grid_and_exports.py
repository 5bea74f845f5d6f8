"""Server-side grid blocks and export files as plain functions (small hand-made frames)."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
import pyarrow.parquet as pq

from components.downloads import (
    PARQUET_KEY,
    csv_zip_bytes,
    excel_bytes,
    parquet_bytes,
    provenance_record,
)
from components.grid import MAX_BLOCK, column_defs, rows_block


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "patient_id": pd.array(["A", "B", "C", "D", "E"], dtype="str"),
        "age": [50.0, None, 70.0, 60.0, 55.0],
        "sex": pd.Categorical(["male", "female", "male", None, "female"],
                              categories=["female", "male"]),
        "diabetes": pd.array([True, False, None, True, False], dtype="boolean"),
    })


def test_rows_block_sorts_filters_and_pages_without_mutating():
    frame = _frame()
    before = frame.copy()
    cols = ["patient_id", "age", "sex", "diabetes"]
    out = rows_block(frame, cols, {"startRow": 0, "endRow": 2,
                                   "sortModel": [{"colId": "age", "sort": "desc"}],
                                   "filterModel": {}})
    # by hand: ages 70 (C), 60 (D), 55, 50, missing last
    assert [r["patient_id"] for r in out["rowData"]] == ["C", "D"]
    assert out["rowCount"] == 5
    assert out["rowData"][1]["sex"] is None and out["rowData"][0]["diabetes"] is None
    out = rows_block(frame, cols, {"startRow": 0, "endRow": 10, "filterModel": {
        "age": {"filterType": "number", "type": "greaterThanOrEqual", "filter": 55},
        "diabetes": {"filterType": "text", "type": "equals", "filter": "yes"}}})
    assert [r["patient_id"] for r in out["rowData"]] == ["D"]  # age >= 55 and diabetes yes
    out = rows_block(frame, cols, {"startRow": 0, "endRow": 10, "filterModel": {
        "sex": {"filterType": "text", "type": "contains", "filter": "FEM"}}})
    assert [r["patient_id"] for r in out["rowData"]] == ["B", "E"]
    json.dumps(out)  # JSON-safe (no NA, no numpy scalars)
    pd.testing.assert_frame_equal(frame, before)


def test_rows_block_caps_the_block_size():
    frame = pd.DataFrame({"patient_id": [f"P{i}" for i in range(2000)],
                          "age": range(2000)})
    out = rows_block(frame, ["patient_id", "age"], {"startRow": 0, "endRow": 2000})
    assert len(out["rowData"]) == MAX_BLOCK and out["rowCount"] == 2000


def test_column_defs_use_dictionary_labels():
    defs = {d["field"]: d for d in column_defs(["age", "sex", "unknown"])}
    assert defs["age"]["headerName"] == "Age (years)"
    assert defs["age"]["filter"] == "agNumberColumnFilter"
    assert defs["sex"]["filter"] == "agTextColumnFilter"
    assert defs["unknown"]["headerName"] == "unknown"


def _record():
    return provenance_record(source="file.csv", fingerprint="abc123", n=5,
                             filters=["Age 50-70 years"], query="age=50-70",
                             simulated_label="Simulated")


def test_exports_round_trip_rows_and_provenance():
    frame = _frame()
    before = frame.copy()
    rec = _record()
    with zipfile.ZipFile(io.BytesIO(csv_zip_bytes(frame, rec))) as zf:
        back = pd.read_csv(zf.open("data.csv"))
        text = zf.read("provenance.txt").decode()
    assert list(back["patient_id"]) == ["A", "B", "C", "D", "E"]
    assert back["age"].isna().sum() == 1
    assert "dataset_fingerprint: abc123" in text and "filters: Age 50-70 years" in text
    sheets = pd.read_excel(io.BytesIO(excel_bytes({"data": frame}, rec)), sheet_name=None)
    assert list(sheets) == ["data", "provenance"] and len(sheets["data"]) == 5
    table = pq.read_table(io.BytesIO(parquet_bytes(frame, rec)))
    assert table.num_rows == 5
    assert json.loads(table.schema.metadata[PARQUET_KEY])["filter_query"] == "age=50-70"
    pd.testing.assert_frame_equal(frame, before)
