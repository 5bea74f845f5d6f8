"""The mapping wizard's entry points: the live report is the load's report."""

from __future__ import annotations

import io

from analysis.data import registry
from analysis.data.loader import load_dataset
from analysis.errors import DataLoadError
from analysis.service import opening

HEADER = "PID,TRIAL,AGE,GENDER,CALC,PAV0,PAV1,TAV0,TAV1"


def _store(lines: list[str]) -> str:
    data = ("\n".join([HEADER, *lines]) + "\n").encode()
    return registry.study_store()[1].save(io.BytesIO(data), "study.csv").digest


def _lines(n: int) -> list[str]:
    return [f"S{i:03d},A,{50 + i},{1 + i % 2},{'spotty' if i % 2 else 'none'},30,31,150,155"
            for i in range(1, n + 1)]


MAPPING = {"columns": {"patient_id": "PID", "trial": "TRIAL", "age": "AGE", "sex": "GENDER",
                       "calcification": "CALC", "pav_baseline": "PAV0", "pav_followup": "PAV1",
                       "tav_baseline": "TAV0", "tav_followup": "TAV1"},
           "codes": {"sex": {"1": "male", "2": "female"}}}


def _issues(report):
    return [(i.severity, i.code, i.column, i.message) for i in report.issues]


def test_check_gives_the_load_report(study_folder):
    digest = _store(_lines(10))
    report = opening.check(digest, None, opening.mapping_json(MAPPING), None)
    path = registry.study_store()[1].get(digest).path
    assert report.ok
    assert _issues(report) == _issues(load_dataset(path, MAPPING).report)


def test_check_reports_what_a_failing_load_reports(study_folder):
    lines = _lines(10)
    lines[4] = lines[4].replace(",1,", ",7,").replace(",2,", ",7,")   # an unknown sex code
    digest = _store(lines)
    report = opening.check(digest, None, opening.mapping_json(MAPPING), None)
    path = registry.study_store()[1].get(digest).path
    try:
        load_dataset(path, MAPPING)
        raise AssertionError("the load should fail")
    except DataLoadError as err:
        expected = err.report
    assert not report.ok and [i.code for i in report.errors] == ["unknown_code"]
    assert _issues(report) == _issues(expected)


def test_an_edit_that_keeps_the_read_options_reads_the_file_once(study_folder, monkeypatch):
    digest = _store(_lines(10))
    reads = []
    real = opening.read_raw
    monkeypatch.setattr(opening, "read_raw", lambda *a, **k: reads.append(1) or real(*a, **k))
    first = opening.check(digest, None, opening.mapping_json(MAPPING), None)
    unit = dict(MAPPING, units={"ldl_c": "mmol/L"})          # a unit edit: same read
    second = opening.check(digest, None, opening.mapping_json(unit), None)
    assert first.ok and second.ok and len(reads) == 1
    remapped = dict(MAPPING, columns=dict(MAPPING["columns"], age="AGE"),
                    codes={})                                 # codes dropped: another read
    opening.check(digest, None, opening.mapping_json(remapped), None)
    assert len(reads) == 2
