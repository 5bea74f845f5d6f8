"""The suggested mapping: columns by name and values, codes from the values, lipid units.

The file is an investigator-style export written here; the expected mapping is what a
person reading the file would write.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.data.loader import load_dataset
from analysis.data.mapping import read_mapping
from analysis.data.readers import read_raw
from analysis.data.suggest import name_score, suggest_mapping

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def export(tmp_path) -> Path:
    n = 8
    frame = pd.DataFrame({
        "SUBJID": [f"S{i:03d}" for i in range(n)],
        "STUDY": ["REVERSAL", "CAMELOT"] * (n // 2),
        "AGE": [55, 61, 48, 70, 66, 59, 52, 63],
        "GENDER": [1, 2, 1, 1, 2, 1, 2, 1],
        "DM": ["J", "N", "N", "J", "N", "N", "J", "N"],
        "LDL": [2.1, 2.5, 1.8, 3.0, 2.2, 1.9, 2.7, 2.4],       # mmol/L
        "HDL_ONTX": [1.1, 1.3, 0.9, 1.2, 1.4, 1.0, 1.2, 1.1],  # mmol/L
        "CALC_GROUP": [1, 0, 1, 1, 0, 1, 0, 1],
        "PAV_BL": [30.5, 28.0, 33.1, 25.2, 36.0, 31.0, 29.5, 34.0],
        "PAV_FU": [31.0, 27.5, 34.0, 25.5, 36.2, 31.4, 29.0, 34.9],
        "TAV_BL": [150, 140, 160, 110, 170, 155, 145, 165],
        "TAV_FU": [155, 138, 162, 112, 171, 158, 144, 169],
        "COMMENT": ["", "x", "", "", "y", "", "", ""],
    })
    path = tmp_path / "export.csv"
    frame.to_csv(path, index=False)
    return path


def test_columns_codes_and_units_suggested(export):
    s = suggest_mapping(read_raw(export))
    assert s.columns == {
        "patient_id": "SUBJID", "trial": "STUDY", "age": "AGE", "sex": "GENDER",
        "diabetes": "DM", "ldl_c": "LDL", "hdl_c": "HDL_ONTX", "calcification": "CALC_GROUP",
        "pav_baseline": "PAV_BL", "pav_followup": "PAV_FU", "tav_baseline": "TAV_BL",
        "tav_followup": "TAV_FU"}
    assert s.codes["sex"] == {"1": "male", "2": "female"}     # ISO 5218
    assert s.codes["diabetes"] == {"J": True, "N": False}
    assert s.codes["calcification"] == {"0": "none", "1": "spotty"}
    assert s.guessed["calcification"] == ["0", "1"]
    assert s.units == {"ldl_c": "mmol/L", "hdl_c": "mmol/L"}
    assert "COMMENT" in s.unused


def test_toml_loads_back_and_validates_the_file(export, tmp_path):
    toml = tmp_path / "mapping.toml"
    toml.write_text(suggest_mapping(read_raw(export)).to_toml())
    m = read_mapping(toml)
    assert m.columns["patient_id"] == "SUBJID"
    ds = load_dataset(export, toml)
    # 2.1 mmol/L x 38.67 = 81.207 mg/dl (standard cholesterol factor)
    assert ds.frame["ldl_c"].iloc[0] == pytest.approx(81.207)
    assert ds.frame["sex"].astype(str).tolist()[:3] == ["male", "female", "male"]
    assert ds.provenance.rows == 8


def test_command_line_writes_a_mapping_that_validates(export, tmp_path):
    out = subprocess.run([sys.executable, "-m", "analysis.validate", str(export),
                          "--suggest-mapping"], capture_output=True, text=True, cwd=ROOT,
                         check=False)
    assert out.returncode == 0, out.stderr
    toml = tmp_path / "m.toml"
    toml.write_text(out.stdout)
    check = subprocess.run([sys.executable, "-m", "analysis.validate", str(export),
                            "--mapping", str(toml), "--json"], capture_output=True, text=True,
                           cwd=ROOT, check=False)
    assert check.returncode == 0, check.stdout
    assert '"ok": true' in check.stdout


def test_name_scores():
    assert name_score("patient_id", "SUBJID") == 1.0
    assert name_score("pav_baseline", "PAV_BL") == 1.0
    assert name_score("age", "weight") < 0.55
