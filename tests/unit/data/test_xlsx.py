"""Excel files: sizes checked before reading, cells streamed, no cell silently missing.

Workbooks are written here with openpyxl (which saves formulas without cached
values, as pandas and other generators do); a cached value or a huge declared
member is added by editing the zip, as a file from elsewhere would have it.
"""

from __future__ import annotations

import zipfile

import openpyxl
import pandas as pd
import pytest

from analysis.data.loader import load_dataset
from analysis.errors import DataLoadError

HEADER = ["patient_id", "trial", "age", "sex", "calcification", "pav_baseline", "pav_followup",
          "tav_baseline", "tav_followup"]
ROWS = [["P1", "A", 56, "male", "spotty", 30, 31, 150, 155],
        ["P2", "A", 61, "female", "none", 28, 27.5, 140, 138],
        ["P3", "B", 48, "male", "spotty", 33, 34, 160, 162]]


def workbook(path, rows=ROWS, header=HEADER, title="Data", above=()):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in above:
        ws.append(r)
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return wb


def load_error(path, mapping=None, **kw) -> DataLoadError:
    with pytest.raises(DataLoadError) as info:
        load_dataset(path, mapping, **kw)
    return info.value


def test_error_cells_are_errors_with_a1_references(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[0][2] = "#DIV/0!"      # C2
    rows[2][2] = "#N/A"         # C4
    rows[1][6] = "#VALUE!"      # G3
    path = tmp_path / "e.xlsx"
    workbook(path, rows)
    err = load_error(path)
    by_col = {i.column: i for i in err.report.errors}
    assert set(by_col) == {"age", "pav_followup"}
    assert by_col["age"].code == "excel_error_cell"
    assert "C2 #DIV/0!, C4 #N/A" in by_col["age"].message
    assert by_col["age"].rows == (1, 3) and by_col["age"].count == 2
    assert "G3 #VALUE!" in by_col["pav_followup"].message


def test_error_cell_in_an_unused_column_is_a_warning(tmp_path):
    path = tmp_path / "e.xlsx"
    workbook(path, [r + ["#REF!" if i == 0 else "x"] for i, r in enumerate(ROWS)],
             HEADER + ["scratch"])
    ds = load_dataset(path)
    assert ds.provenance.rows == 3
    (w,) = [i for i in ds.report.warnings if i.code == "excel_error_cell"]
    assert "J2 #REF!" in w.message and "not used" in w.message


def test_formula_without_saved_value_is_an_error(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[1][6] = "=F3+1"        # G3, saved by openpyxl without a value
    path = tmp_path / "f.xlsx"
    workbook(path, rows)
    err = load_error(path)
    (issue,) = err.report.errors
    assert issue.code == "formula_without_value"
    assert "column 'pav_followup'" in issue.message and "G3" in issue.message


def test_formula_with_saved_value_is_read_and_listed(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[1][6] = "=F3+1"
    path = tmp_path / "f.xlsx"
    workbook(path, rows)
    # add the cached value a spreadsheet program would save (29 = 28 + 1)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    members[sheet] = members[sheet].replace(b"<f>F3+1</f><v></v>", b"<f>F3+1</f><v>29</v>")
    assert b"<v>29</v>" in members[sheet]
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    ds = load_dataset(path)
    assert ds.frame["pav_followup"].tolist() == [31.0, 29.0, 34.0]
    assert any("saved values" in c["conversion"] for c in ds.provenance.conversions)


def test_far_away_cell_is_refused_from_the_declared_dimension(tmp_path):
    path = tmp_path / "far.xlsx"
    wb = workbook(path)
    wb.active["XFD1048576"] = 1
    wb.save(path)
    assert path.stat().st_size < 20_000
    err = load_error(path)
    assert err.report.errors[0].code == "too_many_columns"
    assert "16,384 columns in sheet 'Data' (its declared dimension)" in str(err)


def test_dimension_that_lies_is_caught_while_streaming(tmp_path, limits_set):
    limits_set(max_columns=20)
    path = tmp_path / "lie.xlsx"
    wb = workbook(path)
    wb.active["AD2"] = 5       # column 30
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    members[sheet] = members[sheet].replace(b'<dimension ref="A1:AD4"/>', b"")
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    err = load_error(path)
    assert err.report.errors[0].code == "too_many_columns"
    assert "a cell in column AD (row 2)" in str(err)


def test_zip_member_declared_huge_is_refused_before_reading(tmp_path, limits_set):
    limits_set(max_unzipped_mb=5)
    path = tmp_path / "bomb.xlsx"
    workbook(path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/blob.bin", b"\0" * 8_000_000)   # 8 MB, compresses to ~8 KB
    assert path.stat().st_size < 100_000
    err = load_error(path)
    assert err.report.errors[0].code == "unzipped_too_large"
    assert "xl/media/blob.bin, to 8 MB" in str(err)
    assert "EXPLORER_MAX_UNZIPPED_MB" in str(err)


def test_duplicate_column_in_xlsx_is_an_error(tmp_path):
    path = tmp_path / "dup.xlsx"
    workbook(path, [r + [70] for r in ROWS], HEADER + ["age"])
    err = load_error(path)
    (issue,) = err.report.errors
    assert issue.code == "duplicate_column"
    assert "column 'age' appears more than once in the header of sheet 'Data'" in issue.message


def test_header_not_on_first_row_of_a_sheet(tmp_path):
    path = tmp_path / "h.xlsx"
    workbook(path, above=[["Export of the core laboratory"], []])
    err = load_error(path)
    (hint,) = [i for i in err.report.warnings if i.code == "header_row"]
    assert "seems to be on row 3" in hint.message
    ds = load_dataset(path, {"header_row": 3})
    assert ds.frame["patient_id"].tolist() == ["P1", "P2", "P3"]


def test_sheet_that_is_not_the_data_names_the_right_one(tmp_path):
    path = tmp_path / "s.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        pd.DataFrame({"Notes": ["exported 2024", "by the core lab"]}).to_excel(
            xl, sheet_name="ReadMe", index=False)
        pd.DataFrame(ROWS, columns=HEADER).to_excel(xl, sheet_name="Patients", index=False)
    err = load_error(path)
    (hint,) = [i for i in err.report.warnings if i.code == "other_sheet"]
    assert "sheet 'ReadMe'" in hint.message and "sheet 'Patients' holds 9" in hint.message
    assert '--sheet "Patients"' in hint.message
    assert load_dataset(path, {"sheet": "Patients"}).provenance.rows == 3
