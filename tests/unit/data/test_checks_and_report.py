"""Whole-table checks, and one report holding the mapping's and the data's problems."""

from __future__ import annotations

import json

import pytest

from analysis.data.loader import load_dataset
from analysis.data.mapping import MappingFileError
from analysis.errors import DataLoadError

HEADER = "patient_id,trial,age,sex,hdl_c,calcification,pav_baseline,pav_followup,tav_baseline,tav_followup"


def rows(n: int, *, group=lambda i: "spotty" if i % 2 else "none", hdl=lambda i: str(40 + i),
         pav_fu=lambda i: str(31 + i)) -> list[str]:
    return [f"P{i},A,{50 + i},male,{hdl(i)},{group(i)},30,{pav_fu(i)},150,155"
            for i in range(1, n + 1)]


def write(tmp_path, lines: list[str]):
    path = tmp_path / "d.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return path


def test_required_column_entirely_empty_is_an_error(tmp_path):
    with pytest.raises(DataLoadError) as info:
        load_dataset(write(tmp_path, rows(6, pav_fu=lambda i: "")))
    (issue,) = info.value.report.errors
    assert issue.code == "empty_required_column" and issue.column == "pav_followup"
    assert "required column 'pav_followup' is entirely empty (6 rows" in issue.message


def test_default_covariate_entirely_empty_is_a_warning(tmp_path):
    ds = load_dataset(write(tmp_path, rows(6, hdl=lambda i: "NA")))
    (w,) = [i for i in ds.report.warnings if i.code == "empty_default_covariate"]
    assert w.column == "hdl_c" and "default adjustment" in w.message
    assert ds.provenance.rows == 6 and ds.frame["hdl_c"].isna().all()


def test_every_patient_in_one_group_is_a_warning(tmp_path):
    ds = load_dataset(write(tmp_path, rows(6, group=lambda i: "spotty")))
    (w,) = [i for i in ds.report.warnings if i.code == "single_group"]
    assert "no patient is in calcification group 'none'" in w.message
    assert "[codes.calcification]" in w.message


def test_mapping_and_data_problems_in_one_report(tmp_path):
    lines = rows(4)
    lines[1] = lines[1].replace(",52,", ",fifty,")
    mapping = {"columns": {"agee": "AGE"}, "units": {"hdl_c": "g/l"},
               "codes": {"sex": {"1": "mal"}}}
    with pytest.raises(MappingFileError) as info:
        load_dataset(write(tmp_path, lines), mapping)
    report = info.value.report
    assert [i.code for i in report.errors] == ["mapping", "mapping", "mapping", "not_a_number"]
    text = report.to_text()
    assert "'agee'" in text and "g/l" in text and "'mal'" in text and "'fifty'" in text


def test_report_to_dict_is_json_with_every_issue(tmp_path):
    ds = load_dataset(write(tmp_path, rows(6, hdl=lambda i: "NA")),
                      {"units": {"hdl_c": "mmol/L"}})
    d = json.loads(ds.report.to_json())
    assert d["ok"] is True
    assert d["warnings"] == len(ds.report.warnings)
    assert len(d["issues"]) == len(ds.report.issues)
    assert {"severity", "code", "column", "message", "rows", "count"} <= set(d["issues"][0])
    assert any(c["column"] == "hdl_c" and "read as missing" in c["conversion"]
               for c in d["conversions"])


def test_unit_conversion_is_in_the_provenance(tmp_path):
    ds = load_dataset(write(tmp_path, rows(4, hdl=lambda i: "1.2")), {"units": {"hdl_c": "mmol/L"}})
    # 1.2 mmol/L x 38.67 = 46.404 mg/dl (standard cholesterol factor)
    assert ds.frame["hdl_c"].tolist() == pytest.approx([46.404] * 4)
    assert {"column": "hdl_c", "conversion": "mmol/l -> mg/dl (x 38.67)", "count": 4} \
        in ds.provenance.conversions
