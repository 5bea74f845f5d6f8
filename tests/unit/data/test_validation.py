"""Each validation problem gives a message naming the column, the rows and the count.

Fixtures are tiny CSV files written by hand; row numbers count data rows from 1
(the first line below the header is row 1).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.data.loader import load_dataset
from analysis.data.validation import ROW_NOTE, Issue, ValidationReport
from analysis.errors import DataLoadError

ROOT = Path(__file__).resolve().parents[3]
HEADER = "patient_id,trial,age,sex,diabetes,calcification,pav_baseline,pav_followup,tav_baseline,tav_followup"
GOOD = [
    "P1,A,56,male,yes,spotty,30,31,150,155",
    "P2,A,61,female,no,none,28,27.5,140,138",
    "P3,B,48,male,no,spotty,33,34,160,162",
    "P4,B,70,female,yes,none,25,25.5,110,112",
]


def csv_file(tmp_path, rows: list[str], header: str = HEADER, name: str = "d.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def load_error(path, **kw) -> DataLoadError:
    with pytest.raises(DataLoadError) as info:
        load_dataset(path, **kw)
    return info.value


def only(report: ValidationReport, code: str) -> Issue:
    found = [i for i in report.issues if i.code == code]
    assert len(found) == 1, report.to_text()
    return found[0]


def set_cell(rows: list[str], row: int, col: int, value: str) -> list[str]:
    """Copy of ``rows`` with data row ``row`` (1-based) column ``col`` (0-based) replaced."""
    out = list(rows)
    cells = out[row - 1].split(",")
    cells[col] = value
    out[row - 1] = ",".join(cells)
    return out


def test_good_file_loads(tmp_path):
    ds = load_dataset(csv_file(tmp_path, GOOD))
    assert ds.report.ok
    assert ds.frame["patient_id"].tolist() == ["P1", "P2", "P3", "P4"]
    assert ds.frame.index.tolist() == [0, 1, 2, 3]


def test_missing_required_column_suggests_near_miss(tmp_path):
    header = HEADER.replace("pav_baseline", "PAV_base")
    err = load_error(csv_file(tmp_path, GOOD, header=header))
    issue = only(err.report, "missing_column")
    assert issue.column == "pav_baseline"
    assert "missing required column 'pav_baseline'" in issue.message
    assert "did you mean 'PAV_base'?" in issue.message
    assert 'Map it in [columns] (pav_baseline = "PAV_base")' in issue.message
    assert "pav_baseline" in str(err)


def test_not_numbers_lists_rows_values_and_count(tmp_path):
    rows = GOOD * 3  # 12 rows; make the IDs unique
    rows = [r.replace("P", f"Q{i}-", 1) for i, r in enumerate(rows)]
    for r, v in [(4, "abc"), (9, "x"), (12, "?")]:
        rows = set_cell(rows, r, 2, v)
    err = load_error(csv_file(tmp_path, rows))
    issue = only(err.report, "not_a_number")
    assert issue.message.startswith("3 value(s) in 'age' are not numbers, rows 4, 9, 12: "
                                    "'abc', 'x', '?'")
    assert issue.rows == (4, 9, 12) and issue.count == 3
    assert ROW_NOTE in str(err)


def test_more_rows_than_shown_says_first_five_of_n(tmp_path):
    rows = [f"P{i},A,abc,male,yes,spotty,30,31,150,155" for i in range(1, 8)]
    issue = only(load_error(csv_file(tmp_path, rows)).report, "not_a_number")
    assert "rows 1, 2, 3, 4, 5, ... (first 5 of 7)" in issue.message
    assert issue.count == 7


def test_out_of_valid_range_is_error(tmp_path):
    rows = set_cell(GOOD, 2, 6, "130")  # PAV 130 % is impossible (valid 0-100)
    issue = only(load_error(csv_file(tmp_path, rows)).report, "out_of_range")
    assert issue.column == "pav_baseline"
    assert "1 value(s) in 'pav_baseline' are outside the valid range 0 to 100 %" in issue.message
    assert "row 2: '130.0'" in issue.message


def test_implausible_value_is_warning_and_kept(tmp_path):
    rows = set_cell(GOOD, 3, 2, "99")  # age 99: valid (0-120) but not plausible (18-95)
    ds = load_dataset(csv_file(tmp_path, rows))
    issue = only(ds.report, "implausible")
    assert issue.severity == "warning" and issue.rows == (3,)
    assert "outside the plausible range 18 to 95 years" in issue.message
    assert ds.frame.loc[2, "age"] == 99.0  # kept


def test_duplicate_and_missing_ids(tmp_path):
    rows = set_cell(GOOD, 3, 0, "P1")
    rows = set_cell(rows, 4, 0, "")
    report = load_error(csv_file(tmp_path, rows)).report
    dup = only(report, "duplicate_id")
    assert dup.rows == (1, 3) and dup.count == 2
    assert "1 patient ID(s) in 'patient_id' occur more than once (2 rows), rows 1, 3: 'P1'" in dup.message
    missing = only(report, "missing_id")
    assert missing.rows == (4,)
    assert "1 row(s) have no patient ID in 'patient_id', row 4" in missing.message


def test_unknown_category_codes_list_allowed_and_found(tmp_path):
    rows = set_cell(GOOD, 2, 3, "1")
    rows = set_cell(rows, 4, 3, "2")
    issue = only(load_error(csv_file(tmp_path, rows)).report, "unknown_code")
    assert issue.column == "sex" and issue.rows == (2, 4) and issue.count == 2
    assert "Allowed values: female, male" in issue.message
    assert "'1' (1x)" in issue.message and "'2' (1x)" in issue.message
    assert "[codes.sex]" in issue.message


def test_unknown_boolean_codes(tmp_path):
    rows = set_cell(GOOD, 1, 4, "maybe")
    issue = only(load_error(csv_file(tmp_path, rows)).report, "unknown_code")
    assert issue.column == "diabetes" and issue.rows == (1,)
    assert "not yes/no codes" in issue.message and "'maybe'" in issue.message


def test_common_codes_need_no_mapping(tmp_path):
    rows = [
        "P1,A,56,M,Y,SPOTTY,30,31,150,155",
        "P2,A,61,F,n,None,28,27.5,140,138",
        "P3,B,48,Male,1,spotty,33,34,160,162",
        "P4,B,70,female,FALSE,none,25,25.5,110,112",
    ]
    f = load_dataset(csv_file(tmp_path, rows)).frame
    assert f["sex"].tolist() == ["male", "female", "male", "female"]
    assert f["diabetes"].tolist() == [True, False, True, False]
    assert f["calcification"].tolist() == ["spotty", "none", "spotty", "none"]


def test_missing_values_stay_missing_and_are_counted(tmp_path):
    rows = set_cell(GOOD, 2, 2, "")
    rows = set_cell(rows, 4, 2, "NA")
    ds = load_dataset(csv_file(tmp_path, rows))
    issue = [i for i in ds.report.issues if i.code == "missing_values" and i.column == "age"][0]
    assert issue.severity == "info" and issue.rows == (2, 4) and issue.count == 2
    assert ds.frame["age"].isna().tolist() == [False, True, False, True]
    assert len(ds.frame) == 4


def test_not_whole_numbers(tmp_path):
    header = HEADER + ",n_spotty"
    rows = [r + ",1" for r in GOOD]
    rows[1] = GOOD[1] + ",1.5"
    issue = only(load_error(csv_file(tmp_path, rows, header=header)).report, "not_whole_number")
    assert issue.column == "n_spotty" and issue.rows == (2,)


def test_empty_file_and_header_only(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    err = load_error(empty)
    assert "is empty" in str(err) and err.report.errors[0].code == "empty_file"
    issue = only(load_error(csv_file(tmp_path, [])).report, "no_rows")
    assert "no data rows" in issue.message


def test_unknown_format_lists_supported(tmp_path):
    path = tmp_path / "data.json"
    path.write_text("{}")
    err = load_error(path)
    assert "files ending in .json are not supported" in str(err)
    for fmt in (".csv", ".xlsx", ".parquet", ".sas7bdat", ".xpt", ".dta", ".sav"):
        assert fmt in str(err)


def test_file_over_size_limit(tmp_path):
    path = csv_file(tmp_path, GOOD)
    err = load_error(path, max_file_mb=0.0001)  # 100 bytes; the file is ~250 bytes
    assert "above the limit of 0.0001 MB" in str(err)
    assert err.report.errors[0].code == "file_too_large"


def test_wrong_sheet_lists_sheets(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        pd.DataFrame({"a": [1]}).to_excel(xl, sheet_name="Notes", index=False)
        pd.DataFrame({"a": [1]}).to_excel(xl, sheet_name="Patients", index=False)
    err = load_error(path, sheet="Patient")
    assert "has no sheet named 'Patient'" in str(err)
    assert "Did you mean 'Patients'?" in str(err)
    assert "'Notes', 'Patients'" in str(err)


def test_extra_columns_reported_and_kept_out(tmp_path):
    rows = [r + ",x" for r in GOOD]
    ds = load_dataset(csv_file(tmp_path, rows, header=HEADER + ",site_note"))
    issue = only(ds.report, "extra_columns")
    assert issue.severity == "info" and "'site_note'" in issue.message
    assert "site_note" not in ds.frame.columns
    assert ds.provenance.ignored_columns == ("site_note",)


def test_derived_column_in_file_is_ignored_and_recomputed(tmp_path):
    rows = [r + ",99" for r in GOOD]
    ds = load_dataset(csv_file(tmp_path, rows, header=HEADER + ",delta_pav"))
    issue = only(ds.report, "derived_in_file")
    assert issue.severity == "warning"
    assert issue.message.startswith("derived column 'delta_pav' in the file is ignored and recomputed")
    # follow-up minus baseline: 31-30, 27.5-28, 34-33, 25.5-25
    assert ds.frame["delta_pav"].tolist() == [1.0, -0.5, 1.0, 0.5]


def test_duplicate_header_column(tmp_path):
    header = HEADER + ",age"
    rows = [r + ",50" for r in GOOD]
    err = load_error(csv_file(tmp_path, rows, header=header))
    assert "column 'age' appears more than once" in str(err)


def test_several_errors_all_reported(tmp_path):
    rows = set_cell(GOOD, 1, 2, "old")
    rows = set_cell(rows, 2, 3, "x")
    rows = set_cell(rows, 3, 7, "200")
    report = load_error(csv_file(tmp_path, rows)).report
    assert {i.code for i in report.errors} == {"not_a_number", "unknown_code", "out_of_range"}
    frame = report.to_frame()
    assert list(frame.columns) == ["severity", "code", "column", "message", "rows", "count"]
    assert frame.loc[frame["code"] == "out_of_range", "rows"].item() == "3"


def test_decimal_comma_in_semicolon_file(tmp_path):
    header = HEADER.replace(",", ";")
    rows = [r.replace(",", ";") for r in GOOD]
    rows[1] = rows[1].replace("27.5", "27,5")
    ds = load_dataset(csv_file(tmp_path, rows, header=header))
    assert ds.frame.loc[1, "pav_followup"] == 27.5
    assert only(ds.report, "decimal_comma").rows == (2,)


# --- lesions -----------------------------------------------------------------------------

NO_GROUP = HEADER.replace("calcification,", "")


def no_group_rows() -> list[str]:
    return [",".join(c for j, c in enumerate(r.split(",")) if j != 5) for r in GOOD]


def test_group_derived_from_lesions(tmp_path):
    patients = csv_file(tmp_path, no_group_rows(), header=NO_GROUP)
    lesions = csv_file(tmp_path, [
        "P1,45,2.0",   # 2 mm, 45 deg -> spotty
        "P1,30,3.5",   # spotty again -> n_spotty 2
        "P3,120,2.0",  # arc >= 90 deg -> other calcium
        "P4,40,1.5",   # spotty
    ], header="patient_id,arc_deg,length_mm", name="les.csv")
    ds = load_dataset(patients, lesions=lesions)
    assert ds.frame["calcification"].tolist() == ["spotty", "none", "other", "spotty"]
    assert ds.frame["n_spotty"].tolist() == [2, 0, 0, 1]
    assert ds.provenance.lesion_rows == 4
    assert len(ds.lesions) == 4


def test_lesion_for_unknown_patient_is_error(tmp_path):
    patients = csv_file(tmp_path, no_group_rows(), header=NO_GROUP)
    lesions = csv_file(tmp_path, ["P1,45,2.0", "P9,45,2.0"],
                       header="patient_id,arc_deg,length_mm", name="les.csv")
    issue = only(load_error(patients, lesions=lesions).report, "unknown_lesion_patient")
    assert issue.rows == (2,)
    assert "lesion file: 1 lesion(s) belong to patient IDs that are not in the patient file" in issue.message
    assert "'P9'" in issue.message


def test_lesion_columns_mapping_and_missing_arc(tmp_path):
    patients = csv_file(tmp_path, no_group_rows(), header=NO_GROUP)
    lesions = csv_file(tmp_path, ["P1,,2.0"], header="ID,ARC,LEN", name="les.csv")
    mapping = {"lesion_columns": {"patient_id": "ID", "arc_deg": "ARC", "length_mm": "LEN"}}
    issue = only(load_error(patients, mapping=mapping, lesions=lesions).report,
                 "missing_lesion_value")
    assert issue.column == "arc_deg" and issue.rows == (1,)


# --- the command line ----------------------------------------------------------------------

def run_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis.validate", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_cli_ok_prints_summary(tmp_path):
    res = run_cli(csv_file(tmp_path, GOOD))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Rows: 4" in res.stdout
    assert "Groups: none 2, spotty 2, other 0" in res.stdout


def test_cli_errors_exit_1(tmp_path):
    rows = set_cell(GOOD, 2, 2, "abc")
    res = run_cli(csv_file(tmp_path, rows))
    assert res.returncode == 1
    assert "1 value(s) in 'age' are not numbers, row 2: 'abc'" in res.stdout
    assert "Not loaded: 1 error(s) to fix." in res.stdout


def test_cli_bad_mapping_exit_1(tmp_path):
    toml = tmp_path / "m.toml"
    toml.write_text('[units]\nage = "months"\n')
    res = run_cli(csv_file(tmp_path, GOOD), "--mapping", toml)
    assert res.returncode == 1
    assert "not a supported unit for 'age'; allowed units: years" in res.stdout


def test_sheet_for_a_csv_is_a_warning(tmp_path):
    ds = load_dataset(csv_file(tmp_path, GOOD), sheet="Patients")
    assert "'Patients'" in only(ds.report, "sheet_ignored").message
    assert ds.provenance.sheet is None


def test_unreadable_values_are_not_counted_as_missing(tmp_path):
    rows = set_cell(GOOD, 1, 2, "abc")   # unreadable: an error, not a missing value
    rows = set_cell(rows, 3, 2, "")      # really missing
    rows = set_cell(rows, 2, 3, "1")     # unknown code
    report = load_error(csv_file(tmp_path, rows)).report
    missing = [i for i in report.issues if i.code == "missing_values"]
    assert [(i.column, i.rows) for i in missing] == [("age", (3,))]


@pytest.mark.parametrize(("codes", "expected"), [
    ({}, [True, False, True]),                          # built-in: true/false
    ({"true": False, "false": True}, [False, True, False]),   # the mapping reverses them
    ({"true": True, "false": True}, [True, True, True]),
])
def test_yes_no_column_typed_by_the_parser(codes, expected):
    # reference: the codes written out by hand per row
    from analysis.data.schema import VARIABLES
    from analysis.data.validation import ColumnContext, parse_column

    raw = pd.Series([True, False, True])
    out, issues = parse_column(raw, VARIABLES["diabetes"], ColumnContext(codes=codes))
    assert str(out.dtype) == "boolean" and out.tolist() == expected
    assert [i.code for i in issues if i.severity == "error"] == []


def test_yes_no_column_typed_by_the_parser_with_an_unknown_code_mapping():
    # "true" mapped to a code that is not yes/no: the row is refused, as for text
    from analysis.data.schema import VARIABLES
    from analysis.data.validation import ColumnContext, parse_column

    out, issues = parse_column(pd.Series([True, False]), VARIABLES["diabetes"],
                               ColumnContext(codes={"true": None}))
    assert out.isna().tolist() == [True, False]
    errors = [i for i in issues if i.severity == "error"]
    assert [i.code for i in errors] == ["unknown_code"] and errors[0].rows == (1,)


@pytest.mark.parametrize("values", [[0, 3, 12], [2**53, 1], [2**53 + 1, 1], [-(2**63), 0]])
def test_whole_number_column_read_as_integers_equals_the_float_route(values):
    # reference: the values through float64 then rounded to Int64, as any other column
    import numpy as np

    from analysis.data.schema import VARIABLES
    from analysis.data.validation import ColumnContext, parse_column

    raw = pd.Series(np.array(values, dtype="int64"))
    out, _ = parse_column(raw, VARIABLES["n_spotty"], ColumnContext())
    reference = pd.Series(raw.to_numpy(dtype="float64")).round().astype("Int64")
    pd.testing.assert_series_equal(out, reference, check_names=False)


def test_columns_parsed_on_threads_give_the_serial_result(monkeypatch):
    # reference: the same table parsed one column after the other (threads off)
    from analysis.data import column_threads, validation
    from analysis.data.schema import VARIABLES

    n = 60
    raw = pd.DataFrame({
        "patient_id": pd.Series([f"P{i}" for i in range(n - 1)] + ["P3"], dtype="str"),
        "age": pd.Series([str(40 + i % 30) for i in range(n - 2)] + ["x", "200"], dtype="str"),
        "sex": pd.Series(["male", "female", "?"] * (n // 3), dtype="str"),
        "diabetes": pd.Series(["yes", "no", "maybe"] * (n // 3), dtype="str"),
        "pav_baseline": pd.Series([f"{30 + i % 7}.5" for i in range(n)], dtype="str"),
    })
    monkeypatch.setattr(column_threads, "PARALLEL_CELLS", 10**12)
    serial = validation.validate_table(raw, VARIABLES, required=[])
    monkeypatch.setattr(column_threads, "PARALLEL_CELLS", 1)
    monkeypatch.setattr(column_threads.os, "cpu_count", lambda: 2)
    threaded = validation.validate_table(raw, VARIABLES, required=[])
    pd.testing.assert_frame_equal(threaded[0], serial[0])
    assert threaded[1] == serial[1]
    assert {"duplicate_id", "not_a_number", "out_of_range", "unknown_code"} <= {
        i.code for i in serial[1]}
