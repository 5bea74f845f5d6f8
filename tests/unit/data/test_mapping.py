"""The TOML column mapping: parsing, checks with near-miss suggestions, units, codes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.data.loader import load_dataset
from analysis.data.mapping import (
    ColumnMapping,
    MappingFileError,
    allowed_units,
    as_mapping,
    parse_mapping,
    read_mapping,
    resolve_columns,
)
from analysis.data.schema import VARIABLES
from analysis.errors import DataLoadError, MappingError

ROOT = Path(__file__).resolve().parents[3]


def test_example_mapping_in_docs_parses():
    m = read_mapping(ROOT / "docs" / "mapping-example.toml")
    assert m.columns["patient_id"] == "SUBJID"
    assert m.codes["sex"] == {"1": "male", "2": "female"}
    assert m.codes["diabetes"] == {"J": True, "N": False}
    # Standard factors: cholesterol 1 mmol/L = 38.67 mg/dl; triglycerides 88.57 mg/dl.
    assert m.factor("ldl_c") == 38.67
    assert m.factor("triglycerides") == 88.57
    assert m.factor("age") == 1.0
    assert m.lesion_columns == {"patient_id": "SUBJID", "arc_deg": "ARC", "length_mm": "LEN"}


def test_mapping_error_is_both_error_kinds():
    with pytest.raises(MappingError) as info:
        parse_mapping({"columns": {"agee": "AGE"}})
    assert isinstance(info.value, DataLoadError)


def test_unknown_dictionary_column_suggests():
    with pytest.raises(MappingFileError, match=r"\[columns\] names 'agee', which is not a column "
                                               r"of the data dictionary; did you mean 'age'\?"):
        parse_mapping({"columns": {"agee": "AGE"}})


def test_derived_column_cannot_be_mapped():
    with pytest.raises(MappingFileError, match="'delta_pav', which is always computed"):
        parse_mapping({"columns": {"delta_pav": "DPAV"}})


def test_unknown_section_suggests():
    with pytest.raises(MappingFileError, match=r"unknown section \[colums\]; did you mean 'columns'"):
        parse_mapping({"colums": {}})


def test_unknown_unit_names_column_and_allowed_units():
    with pytest.raises(MappingFileError,
                       match=r"ldl_c = \"g/l\" is not a supported unit for 'ldl_c'; "
                             r"allowed units: mg/dl, mmol/l"):
        parse_mapping({"units": {"ldl_c": "g/l"}})


def test_unit_on_column_without_conversions():
    with pytest.raises(MappingFileError, match="allowed units: mmhg"):
        parse_mapping({"units": {"sbp": "kPa"}})
    with pytest.raises(MappingFileError, match=r"allowed units: none \(it has no unit\)"):
        parse_mapping({"units": {"diabetes": "x"}})


def test_dictionary_unit_is_accepted_and_needs_no_factor():
    m = parse_mapping({"units": {"ldl_c": "mg/dL", "age": "years"}})
    assert m.units == {}
    assert m.factor("ldl_c") == 1.0


def test_allowed_units_table():
    assert allowed_units("hdl_c") == {"mg/dl": 1.0, "mmol/l": 38.67}
    assert allowed_units("crp") == {"mg/l": 1.0, "mg/dl": 10.0}  # 1 mg/dl = 10 mg/l
    assert allowed_units("diabetes") == {}


def test_code_to_unknown_level_lists_levels():
    with pytest.raises(MappingFileError, match=r"'man' is not a level of 'sex'; allowed: female, male"):
        parse_mapping({"codes": {"sex": {"1": "man"}}})


def test_bool_codes_must_be_true_or_false():
    assert parse_mapping({"codes": {"diabetes": {"J": "yes", "N": 0}}}).codes["diabetes"] == {
        "J": True, "N": False}
    with pytest.raises(MappingFileError, match="must map to true or false"):
        parse_mapping({"codes": {"diabetes": {"J": "perhaps"}}})


def test_codes_on_numeric_column_rejected():
    with pytest.raises(MappingFileError, match="'age' is a float column"):
        parse_mapping({"codes": {"age": {"x": "1"}}})


def test_two_names_for_one_file_column():
    with pytest.raises(MappingFileError, match="maps both 'ldl_c' and 'hdl_c' to file column 'LIP'"):
        parse_mapping({"columns": {"ldl_c": "LIP", "hdl_c": "LIP"}})


def test_invalid_toml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[columns\nage = 'x'\n")
    with pytest.raises(MappingFileError, match="is not valid TOML"):
        read_mapping(bad)
    with pytest.raises(MappingFileError, match="not found"):
        read_mapping(tmp_path / "nope.toml")


def test_as_mapping_accepts_all_forms(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[columns]\nage = "AGE"\n')
    assert as_mapping(None) == ColumnMapping()
    assert as_mapping(path).columns == {"age": "AGE"}
    assert as_mapping(str(path)).source == str(path)
    assert as_mapping({"columns": {"age": "AGE"}}).columns == {"age": "AGE"}


def test_resolve_columns_explicit_case_insensitive_and_extra():
    res = resolve_columns(["SUBJID", "Age", "site", "delta_tav"], {"patient_id": "SUBJID"},
                          VARIABLES)
    assert res.rename == {"SUBJID": "patient_id", "Age": "age"}
    assert res.ignored == ("site", "delta_tav")
    codes = {i.code: i for i in res.issues}
    assert codes["derived_in_file"].severity == "warning"
    assert codes["extra_columns"].severity == "info" and "'site'" in codes["extra_columns"].message


def test_resolve_columns_mapped_column_absent_suggests():
    res = resolve_columns(["SUBJID", "AGE_YRS"], {"patient_id": "SUBJID", "age": "AGE_YR"},
                          VARIABLES)
    (issue,) = [i for i in res.issues if i.code == "mapped_column_absent"]
    assert issue.severity == "error" and issue.column == "age"
    assert "maps 'age' to 'AGE_YR', which is not a column of the file; did you mean 'AGE_YRS'?" \
        in issue.message


def test_resolve_columns_ambiguous():
    res = resolve_columns(["age", "AGE "], {}, VARIABLES)
    (issue,) = [i for i in res.issues if i.code == "ambiguous_column"]
    assert issue.severity == "error" and "'age', 'AGE '" in issue.message


def test_units_converted_when_loading(tmp_path):
    path = tmp_path / "lip.csv"
    # 2.0 mmol/L LDL-C = 77.34 mg/dl; 1.5 mmol/L triglycerides = 132.855 mg/dl
    pd.DataFrame({"patient_id": ["A"], "trial": ["T"], "calcification": ["none"],
                  "pav_baseline": [30], "pav_followup": [31], "tav_baseline": [100],
                  "tav_followup": [101], "LDL": ["2.0"], "triglycerides": ["1.5"]}
                 ).to_csv(path, index=False)
    ds = load_dataset(path, {"columns": {"ldl_c": "LDL"},
                             "units": {"ldl_c": "mmol/L", "triglycerides": "mmol/l"}})
    assert ds.frame.loc[0, "ldl_c"] == pytest.approx(77.34, rel=1e-12)
    assert ds.frame.loc[0, "triglycerides"] == pytest.approx(132.855, rel=1e-12)


def test_mmol_values_without_units_are_range_errors_mentioning_units(tmp_path):
    path = tmp_path / "lip.csv"
    pd.DataFrame({"patient_id": ["A"], "trial": ["T"], "calcification": ["none"],
                  "pav_baseline": [30], "pav_followup": [31], "tav_baseline": [100],
                  "tav_followup": [101], "ldl_c": ["0.5"]}).to_csv(path, index=False)
    with pytest.raises(DataLoadError, match=r"outside the valid range 1 to 1000 mg/dl.*\[units\]"):
        load_dataset(path)


def test_bad_mapping_through_loader_has_report(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("patient_id\nP1\n")
    with pytest.raises(MappingFileError) as info:
        load_dataset(path, {"units": {"ldl_c": "g/l"}})
    assert info.value.report is not None
    assert info.value.report.errors[0].code == "mapping"


def test_lipids_probably_in_mmol_get_a_unit_hint(tmp_path):
    path = tmp_path / "lip.csv"
    pd.DataFrame({"patient_id": ["A", "B"], "trial": ["T", "T"], "calcification": ["none"] * 2,
                  "pav_baseline": [30, 30], "pav_followup": [31, 31], "tav_baseline": [100, 100],
                  "tav_followup": [101, 101], "hdl_c": ["1.2", "1.4"]}).to_csv(path, index=False)
    ds = load_dataset(path)  # 1.2 and 1.4 are valid mg/dl values (1-300) but implausible (10-150)
    (issue,) = [i for i in ds.report.warnings if i.column == "hdl_c"]
    assert "declare it in [units] (hdl_c = \"mmol/L\")" in issue.message
    assert ds.frame["hdl_c"].tolist() == [1.2, 1.4]  # kept, not converted behind the user's back


def test_mapped_name_beats_same_named_column(tmp_path):
    res = resolve_columns(["AGE_Y", "age"], {"age": "AGE_Y"}, VARIABLES)
    assert res.rename == {"AGE_Y": "age"}
    (issue,) = [i for i in res.issues if i.code == "replaced_by_mapping"]
    assert "column 'age' of the file is not used" in issue.message
    assert not [i for i in res.issues if i.code == "extra_columns"]
