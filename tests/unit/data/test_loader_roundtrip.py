"""Round trips: a small canonical table, renamed and recoded as an investigator would
(sex 1/2, Y/N, lipids in mmol/L), written in every supported format and loaded back
through a mapping, must give the canonical table exactly (lipids to a tolerance).

The expected frame is built by the ``frame_from`` fixture (conftest.py) (its own dtype casting),
not by the loader.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from analysis import settings
from analysis.data import registry
from analysis.data.loader import load_bundled, load_dataset
from analysis.data.schema import SIMULATED_LABEL
from analysis.errors import DataLoadError

NA = None
# Canonical values (dictionary names, dictionary units), 6 patients, in dictionary order.
CANON = {
    "patient_id": ["P001", "P002", "P003", "P004", "P005", "P006"],
    "trial": ["ASTEROID", "REVERSAL", "ASTEROID", "CAMELOT", "REVERSAL", "CAMELOT"],
    "followup_months": [18.0, 24.0, 18.5, 20.0, 24.0, 19.0],
    "age": [56.0, 61.5, 48.0, np.nan, 70.0, 53.0],
    "sex": ["male", "female", "male", "male", "female", "male"],
    "bmi": [27.1, 31.4, 24.9, 29.0, np.nan, 26.3],
    "diabetes": [True, False, False, NA, True, False],
    "hypertension": [True, True, False, True, False, True],
    "current_smoker": [False, False, True, False, False, True],
    "prior_mi": [True, False, False, True, False, False],
    "ldl_c_baseline": [130.0, 145.5, 98.0, 160.0, 120.0, 110.0],
    "ldl_c": [68.0, 92.0, 55.5, np.nan, 75.0, 61.0],
    "hdl_c": [45.0, 52.0, 38.5, 60.0, 41.0, 49.0],
    "triglycerides": [150.0, 210.0, 95.0, 180.0, 130.0, 260.0],
    "crp": [1.2, 3.4, 0.5, 2.0, np.nan, 7.8],
    "sbp": [128.0, 135.0, 117.0, 142.0, 119.0, 125.0],
    "dbp": [78.0, 82.0, 70.0, 88.0, 74.0, 80.0],
    "statin": ["high", "moderate", "high", NA, "none", "moderate"],
    "beta_blocker": [True, True, False, True, False, True],
    "ace_arb": [False, True, True, False, True, False],
    "calcification": ["spotty", "none", "spotty", "other", "none", "spotty"],
    "n_spotty": [2, 0, 1, 0, 0, 3],
    "pav_baseline": [36.0, 29.0, 40.5, 33.0, 25.0, 38.0],
    "pav_followup": [36.5, 28.5, 41.0, 33.0, 25.5, 39.2],
    "tav_baseline": [175.0, 130.0, 190.5, 150.0, 110.0, 200.0],
    "tav_followup": [178.0, 128.0, 195.0, 149.0, 112.0, 204.5],
}
# Names of the investigator's file (<= 8 characters so SAS XPORT v5 keeps them).
RENAME = {
    "patient_id": "SUBJID", "trial": "STUDY", "followup_months": "FUMO", "age": "AGE",
    "sex": "SEX", "bmi": "BMI", "diabetes": "DM", "hypertension": "HTN",
    "current_smoker": "SMOKER", "prior_mi": "PRIORMI", "ldl_c_baseline": "LDLBL",
    "ldl_c": "LDL", "hdl_c": "HDL", "triglycerides": "TG", "crp": "CRP", "sbp": "SBP",
    "dbp": "DBP", "statin": "STATIN", "beta_blocker": "BETABL", "ace_arb": "ACEARB",
    "calcification": "CALC", "n_spotty": "NSPOTTY", "pav_baseline": "PAVBL",
    "pav_followup": "PAVFU", "tav_baseline": "TAVBL", "tav_followup": "TAVFU",
}
BOOLS = ["diabetes", "hypertension", "current_smoker", "prior_mi", "beta_blocker", "ace_arb"]
# mg/dl per mmol/L: cholesterol 38.67, triglycerides 88.57 (standard conversion factors).
MMOL = {"ldl_c_baseline": 38.67, "ldl_c": 38.67, "hdl_c": 38.67, "triglycerides": 88.57}
MAPPING = {
    "columns": dict(RENAME),
    "codes": {"sex": {"1": "male", "2": "female"}},
    "units": {name: "mmol/L" for name in MMOL},
}


def investigator_frame(canon: dict[str, list] = CANON) -> pd.DataFrame:
    """The canonical table as an investigator's file holds it."""
    out = {}
    for name, values in canon.items():
        if name == "sex":
            values = [{"male": 1, "female": 2}[v] for v in values]
        elif name in BOOLS:
            values = [None if v is None else ("Y" if v else "N") for v in values]
        elif name in MMOL:
            values = [v / MMOL[name] for v in values]
        elif name == "statin":
            values = [None if v is None else v.upper() for v in values]
        out[RENAME[name]] = values
    return pd.DataFrame(out)


@pytest.fixture
def expected(frame_from) -> pd.DataFrame:
    return frame_from(CANON)


def write(frame: pd.DataFrame, path, fmt: str) -> None:
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif fmt == "semicolon":
        frame.to_csv(path, index=False, sep=";")
    elif fmt == "parquet":
        frame.to_parquet(path, index=False)
    elif fmt == "xpt":
        pyreadstat.write_xport(frame, str(path), file_format_version=5)
    elif fmt == "xpt8":
        pyreadstat.write_xport(frame, str(path), file_format_version=8)
    elif fmt == "dta":
        pyreadstat.write_dta(frame, str(path))
    elif fmt == "sav":
        pyreadstat.write_sav(frame, str(path))
    else:
        raise ValueError(fmt)


def assert_same(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    # Lipids went through mmol/L and back: equal to ~1e-12 relative, not bit for bit.
    pd.testing.assert_frame_equal(actual, expected, check_exact=False, rtol=1e-9)


@pytest.mark.parametrize("fmt,ext", [
    ("csv", ".csv"), ("tsv", ".tsv"), ("semicolon", ".csv"), ("parquet", ".parquet"),
    ("xpt", ".xpt"), ("xpt8", ".xpt"), ("dta", ".dta"), ("sav", ".sav"),
])
def test_round_trip_every_format(tmp_path, expected, fmt, ext):
    path = tmp_path / f"cohort{ext}"
    write(investigator_frame(), path, fmt)
    ds = load_dataset(path, MAPPING)
    assert_same(ds.frame, expected)
    assert ds.provenance.rows == 6
    assert ds.report.ok


def test_round_trip_excel_second_sheet(tmp_path, expected):
    path = tmp_path / "cohort.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        pd.DataFrame({"note": ["read me first"]}).to_excel(xl, sheet_name="Notes", index=False)
        investigator_frame().to_excel(xl, sheet_name="Patients", index=False)
    ds = load_dataset(path, MAPPING, sheet="Patients")
    assert_same(ds.frame, expected)
    assert ds.provenance.sheet == "Patients"
    assert ds.provenance.format == "excel"


def test_round_trip_mapping_file_and_canonical_file(tmp_path, expected):
    """A TOML mapping on disk gives the same frame as the canonical file with no mapping."""
    toml = tmp_path / "map.toml"
    lines = ["[columns]"] + [f'{k} = "{v}"' for k, v in RENAME.items()]
    lines += ["[codes.sex]", '"1" = "male"', '"2" = "female"', "[units]"]
    lines += [f'{k} = "mmol/L"' for k in MMOL]
    toml.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapped = tmp_path / "mapped.csv"
    investigator_frame().to_csv(mapped, index=False)
    canon = tmp_path / "canon.csv"
    pd.DataFrame(CANON).to_csv(canon, index=False)
    a = load_dataset(mapped, toml)
    b = load_dataset(canon)
    assert_same(a.frame, expected)
    assert_same(b.frame, expected)
    assert a.provenance.mapping == str(toml)
    assert b.provenance.mapping is None


def test_spss_value_labels_need_no_codes(tmp_path, expected):
    """SEX stored as 1/2 with SPSS value labels male/female: no [codes.sex] needed."""
    path = tmp_path / "labelled.sav"
    pyreadstat.write_sav(investigator_frame(), str(path),
                         variable_value_labels={"SEX": {1: "Male", 2: "Female"}})
    mapping = {k: v for k, v in MAPPING.items() if k != "codes"}
    assert_same(load_dataset(path, mapping).frame, expected)


def test_derived_columns_by_hand(tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame(CANON).to_csv(path, index=False)
    f = load_dataset(path).frame
    # delta_pav = follow-up - baseline: 36.5-36, 28.5-29, 41-40.5, 33-33, 25.5-25, 39.2-38
    np.testing.assert_allclose(f["delta_pav"], [0.5, -0.5, 0.5, 0.0, 0.5, 1.2], atol=1e-12)
    # ldl_c < 70: 68 yes, 92 no, 55.5 yes, missing, 75 no, 61 yes
    assert f["ldl_intensive"].tolist() == [True, False, True, pd.NA, False, True]
    assert f["regression"].tolist() == [False, True, False, False, False, False]


def test_fingerprint_stable_and_sensitive(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.parquet"
    pd.DataFrame(CANON).to_csv(a, index=False)
    investigator_frame().to_parquet(b, index=False)
    fa = load_dataset(a).provenance.fingerprint
    assert fa == load_dataset(a).provenance.fingerprint  # same file twice
    assert re.fullmatch(r"[0-9a-f]{64}", fa)  # sha256 hex digest
    changed = dict(CANON, age=[56.0, 61.5, 48.0, np.nan, 70.0, 53.1])
    pd.DataFrame(changed).to_csv(a, index=False)
    assert load_dataset(a).provenance.fingerprint != fa


def test_sidecar_marks_simulated(tmp_path):
    path = tmp_path / "sim.csv"
    pd.DataFrame(CANON).to_csv(path, index=False)
    assert load_dataset(path).provenance.simulated is False
    assert load_dataset(path).provenance.label == ""
    (tmp_path / "sim.csv.meta.json").write_text(
        json.dumps({"simulated": True, "seed": 7, "n": 6, "generator": "analysis.cohort.simulate"}))
    prov = load_dataset(path).provenance
    assert prov.simulated is True
    assert prov.label == SIMULATED_LABEL
    assert prov.meta["seed"] == 7


def test_dataframe_input_not_mutated(expected):
    raw = investigator_frame()
    before = raw.copy(deep=True)
    ds = load_dataset(raw, MAPPING)
    pd.testing.assert_frame_equal(raw, before)
    assert_same(ds.frame, expected)


# --- registry ------------------------------------------------------------------------

@pytest.fixture
def clean_registry():
    old = settings.current()
    registry.reset()
    yield
    registry.reset()
    settings.configure(old)


def test_registry_register_get(tmp_path, clean_registry):
    path = tmp_path / "c.csv"
    pd.DataFrame(CANON).to_csv(path, index=False)
    ds = load_dataset(path)
    fp = registry.register(ds)
    assert fp == ds.provenance.fingerprint
    assert registry.get(fp) is ds
    with pytest.raises(KeyError, match="no dataset with fingerprint"):
        registry.get("0" * 64)


def test_registry_active_uses_settings(tmp_path, clean_registry):
    path = tmp_path / "inv.csv"
    investigator_frame().to_csv(path, index=False)
    toml = tmp_path / "m.toml"
    toml.write_text('[columns]\n' + "\n".join(f'{k} = "{v}"' for k, v in RENAME.items())
                    + '\n[codes.sex]\n"1" = "male"\n"2" = "female"\n[units]\n'
                    + "\n".join(f'{k} = "mmol/L"' for k in MMOL) + "\n")
    settings.configure(settings.Settings(data=str(path), mapping=str(toml)))
    ds = registry.active()
    assert registry.active() is ds  # loaded once
    assert registry.get(ds.provenance.fingerprint) is ds
    assert ds.provenance.source == str(path)


def test_registry_remembers_load_failure(tmp_path, clean_registry):
    path = tmp_path / "bad.csv"
    path.write_text("patient_id,age\nP1,abc\n")
    settings.configure(settings.Settings(data=str(path)))
    with pytest.raises(DataLoadError) as first:
        registry.active()
    path.write_text(pd.DataFrame(CANON).to_csv(index=False))  # fixing the file needs a reset
    with pytest.raises(DataLoadError) as second:
        registry.active()
    assert second.value is first.value
    assert second.value.report is not None and not second.value.report.ok


# --- the bundled cohort ------------------------------------------------------------------

@pytest.mark.parametrize("fmt,ext", [("csv", ".csv"), ("parquet", ".parquet"), ("sav", ".sav")])
def test_bundled_cohort_round_trip(tmp_path, fmt, ext):
    ds = load_bundled()  # committed: a missing file fails here rather than skipping
    assert ds.provenance.simulated is True
    base = ds.frame[[c for c in CANON if c in ds.frame.columns]]
    canon = {c: [None if pd.isna(v) else v for v in base[c].astype(object)] for c in base}
    canon = {c: [bool(v) if c in BOOLS and v is not None else v for v in vals]
             for c, vals in canon.items()}
    inv = investigator_frame(canon)
    path = tmp_path / f"bundled{ext}"
    write(inv, path, fmt)
    again = load_dataset(path, {"columns": {k: RENAME[k] for k in canon},
                                "codes": MAPPING["codes"], "units": MAPPING["units"]})
    assert_same(again.frame, ds.frame)


def test_registry_get_loads_active_dataset_in_a_fresh_process(tmp_path, clean_registry):
    """A worker that has loaded nothing yet still answers for the configured dataset."""
    path = tmp_path / "c.csv"
    pd.DataFrame(CANON).to_csv(path, index=False)
    fp = load_dataset(path).provenance.fingerprint  # not registered
    settings.configure(settings.Settings(data=str(path)))
    assert registry.get(fp).provenance.source == str(path)
