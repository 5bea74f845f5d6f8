"""The suggested mapping for a renamed, recoded file, and its TOML round trip."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest

from analysis.data.loader import load_bundled, load_dataset
from analysis.data.mapping import parse_mapping
from analysis.data.suggest import profile_column, suggest_mapping, to_toml
from analysis.settings import BUNDLED_COHORT

RENAMED = {"patient_id": "SUBJID", "trial": "STUDY", "age": "AGE_YRS", "sex": "GENDER",
           "diabetes": "DM", "ldl_c": "LDL_ONTX", "hdl_c": "HDL", "calcification": "CALC_GROUP",
           "pav_baseline": "PAV_BL", "pav_followup": "PAV_FU"}


@pytest.fixture(scope="module")
def their_file() -> pd.DataFrame:
    """The bundled cohort as another study might export it: renamed, recoded, mmol/L."""
    df = pd.read_csv(BUNDLED_COHORT).rename(columns=RENAMED)
    df["GENDER"] = df["GENDER"].map({"male": 1, "female": 2})  # ISO 5218 codes
    df["DM"] = df["DM"].map({1: "J", 0: "N"})                   # German ja/nein
    df["LDL_ONTX"] = df["LDL_ONTX"] / 38.67                      # mg/dl -> mmol/L
    df["CALC_GROUP"] = df["CALC_GROUP"].map({"none": 0, "spotty": 1, "other": 2})
    return df


def test_every_renamed_column_is_found(their_file):
    m = suggest_mapping(their_file)
    assert {k: m["columns"][k] for k in RENAMED} == RENAMED
    assert "delta_pav" not in m["columns"]  # derived: never mapped


def test_codes_the_loader_does_not_know_are_listed_to_choose(their_file):
    m = suggest_mapping(their_file)
    assert m["codes"]["sex"] == {"1": "", "2": ""}
    # "N" is a no the loader reads by itself (listed, pre-filled); "J" needs a choice
    assert m["codes"]["diabetes"] == {"J": "", "N": False}
    found = {str(int(v)) for v in their_file["CALC_GROUP"].dropna().unique()}
    assert m["codes"]["calcification"] == dict.fromkeys(found, "")
    assert "trial" not in m["codes"]  # an open set: its values are its levels


def test_mmol_lipids_get_the_unit(their_file):
    assert suggest_mapping(their_file)["units"] == {"ldl_c": "mmol/L"}


def test_profile_counts_by_hand():
    p = profile_column("x", pd.Series(["1", "2", "2", "NA", None, "x"]))
    assert (p.n, p.n_missing, p.n_distinct) == (6, 2, 3)
    assert p.numeric_share == pytest.approx(3 / 4) and (p.minimum, p.maximum) == (1.0, 2.0)
    assert p.top[0] == ("2", 2)


def test_filled_suggestion_round_trips_through_toml_and_loads(their_file, tmp_path):
    m = suggest_mapping(their_file)
    m["codes"]["sex"] = {"1": "male", "2": "female"}
    m["codes"]["diabetes"] = {"J": True, "N": False}
    m["codes"]["calcification"] = {"0": "none", "1": "spotty", "2": "other"}
    text = to_toml(m)
    parsed = tomllib.loads(text)
    assert parsed["codes"]["diabetes"] == {"J": True, "N": False}
    parse_mapping(parsed)  # the mapping reader accepts it
    path = tmp_path / "theirs.csv"
    their_file.to_csv(path, index=False)
    ds = load_dataset(path, parsed)
    ref = load_bundled().frame
    # the same patients and values as the bundled cohort (reference: the bundled load)
    assert ds.frame["sex"].tolist() == ref["sex"].tolist()
    assert ds.frame["ldl_c"].to_numpy() == pytest.approx(ref["ldl_c"].to_numpy(), rel=1e-9)
    assert ds.frame["calcification"].value_counts().to_dict() == \
        ref["calcification"].value_counts().to_dict()
