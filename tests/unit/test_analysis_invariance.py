"""Analysis results do not depend on how the investigator's file is laid out.

The same patients, with columns renamed, values recoded (sex 1/2, diabetes Y/N),
LDL-C in mmol/L and rows shuffled, loaded through a mapping, must give the same
Table 1, LS means and subgroup estimates as the canonical file.
"""

import numpy as np
import pandas as pd
import pytest

from analysis.data.loader import load_bundled, load_dataset
from analysis.stats.linear.ancova import ancova
from analysis.stats.linear.subgroups import subgroup_effects
from analysis.stats.table_one import table_one

RENAME = {"patient_id": "SUBJID", "trial": "STUDY", "sex": "GENDER", "diabetes": "DM",
          "ldl_c": "LDL_MMOL", "pav_baseline": "PAV_BL", "pav_followup": "PAV_FU",
          "calcification": "CALC"}
MAPPING = {
    "columns": {dictionary: mine for dictionary, mine in RENAME.items()},
    "codes": {"sex": {"1": "male", "2": "female"}, "diabetes": {"Y": True, "N": False}},
    "units": {"ldl_c": "mmol/L"},
}


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    canonical = load_bundled().frame
    raw = pd.read_csv(load_bundled().provenance.source, dtype=str, keep_default_na=False)
    mine = raw.rename(columns=RENAME)
    mine["GENDER"] = mine["GENDER"].map({"male": "1", "female": "2"})
    mine["DM"] = mine["DM"].map({"1": "Y", "0": "N"})
    # mg/dl -> mmol/L with full precision, so the loader's conversion gives the value back
    mine["LDL_MMOL"] = (mine["LDL_MMOL"].astype(float) / 38.67).map(repr)
    mine = mine.sample(frac=1.0, random_state=7)  # another row order
    path = tmp_path_factory.mktemp("mine") / "mine.csv"
    mine.to_csv(path, index=False)
    loaded = load_dataset(path, MAPPING).frame
    # the same patients in the canonical order, to compare row-level values too
    return canonical, loaded


def test_the_mapped_file_holds_the_same_patients(both):
    canonical, loaded = both
    a = canonical.set_index("patient_id").sort_index()
    b = loaded.set_index("patient_id").sort_index()
    assert list(a.index) == list(b.index)
    assert (a["sex"] == b["sex"]).all() and (a["diabetes"] == b["diabetes"]).all()
    np.testing.assert_allclose(a["ldl_c"], b["ldl_c"], rtol=1e-12)


def test_table_one_is_invariant(both):
    canonical, loaded = both
    a, b = table_one(canonical).tidy, table_one(loaded).tidy
    num = a.select_dtypes("number").columns
    np.testing.assert_allclose(a[num].to_numpy(float), b[num].to_numpy(float),
                               rtol=1e-9, equal_nan=True)
    assert a["test"].tolist() == b["test"].tolist()


@pytest.mark.parametrize("weights", ["proportional", "equal"])
def test_ls_means_are_invariant(both, weights):
    canonical, loaded = both
    a = ancova(canonical, "delta_pav", weights=weights)
    b = ancova(loaded, "delta_pav", weights=weights)
    pd.testing.assert_frame_equal(a.ls_means, b.ls_means, rtol=1e-9)
    pd.testing.assert_frame_equal(a.contrast, b.contrast, rtol=1e-9)
    assert a.n_used == b.n_used == len(canonical)


def test_subgroup_estimates_are_invariant(both):
    canonical, loaded = both
    a = subgroup_effects(canonical, "delta_pav").table
    b = subgroup_effects(loaded, "delta_pav").table
    pd.testing.assert_frame_equal(a, b, rtol=1e-9)
