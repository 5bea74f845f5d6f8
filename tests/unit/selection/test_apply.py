"""apply_filters: attrition by hand, therapy cut-points, independence from the input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import FilterSpecError
from analysis.selection import FilterSpec, apply_filters

# --------------------------------------------------------------------------- apply_filters


def _ids(result) -> list[str]:
    return result.frame["patient_id"].tolist()


def test_attrition_by_hand_missing_excluded(tiny_cohort):
    # tiny_cohort (tests/unit/conftest.py), by hand:
    # start 13 (5 none, 6 spotty, 2 other); groups none+spotty -> 11 (other P12, P13 out).
    # age 52-60: none 52, 54, 56, 58 pass (P01 50 fails) -> 4; spotty 55, 57, 59 pass,
    #   61, 63 fail, P10 missing -> 3; n 7, excluded 4 of which 1 missing.
    # diabetes=no among P02-P05, P06-P08: no = P02, P03, P04, P08; P05 missing;
    #   P06, P07 yes -> n 4 (3 none, 1 spotty), excluded 3 of which 1 missing.
    spec = FilterSpec.from_query("age=52-60&diabetes=no")
    before = tiny_cohort.copy(deep=True)
    result = apply_filters(tiny_cohort, spec)
    att = result.attrition
    assert att["step"].tolist() == ["start", "groups", "age", "diabetes"]
    assert att["n"].tolist() == [13, 11, 7, 4]
    assert att["n_excluded"].tolist() == [0, 2, 4, 3]
    assert att["n_excluded_missing"].tolist() == [0, 0, 1, 1]
    assert att["n_missing_kept"].tolist() == [0, 0, 0, 0]
    assert att["n_none"].tolist() == [5, 5, 4, 3]
    assert att["n_spotty"].tolist() == [6, 6, 3, 1]
    assert att["description"].tolist()[2:] == ["Age 52-60 years", "Diabetes: no"]
    assert _ids(result) == ["P02", "P03", "P04", "P08"]  # input order kept
    assert result.n_by_group == {"none": 3, "spotty": 1}
    assert result.n == 4
    # n after each step = n before - excluded
    assert (att["n"].shift(1).fillna(att["n"].iloc[0]) - att["n_excluded"] == att["n"]).all()
    pd.testing.assert_frame_equal(tiny_cohort, before)  # input not mutated


def test_attrition_by_hand_missing_kept(tiny_cohort):
    # Same filters, missing="keep": age keeps P10 (missing) -> 8, excluded 3, 1 kept.
    # diabetes=no among P02-P08 + P10: pass P02, P03, P04, P08, keep P05 (missing);
    #   P06, P07, P10 are yes -> n 5 (4 none, 1 spotty), excluded 3, 1 kept.
    result = apply_filters(tiny_cohort, FilterSpec.from_query("age=52-60&diabetes=no&missing=keep"))
    att = result.attrition
    assert att["n"].tolist() == [13, 11, 8, 5]
    assert att["n_excluded"].tolist() == [0, 2, 3, 3]
    assert att["n_excluded_missing"].tolist() == [0, 0, 0, 0]
    assert att["n_missing_kept"].tolist() == [0, 0, 1, 1]
    assert _ids(result) == ["P02", "P03", "P04", "P05", "P08"]
    assert result.n_by_group == {"none": 4, "spotty": 1}


def test_categories_open_trial_and_other_group(tiny_cohort):
    # statin=high: none P03, P04, P05 (3); spotty P08, P09, P10 (3); P11 missing.
    res = apply_filters(tiny_cohort, FilterSpec(categories={"statin": ["high"]}))
    assert res.attrition["n_excluded_missing"].tolist()[-1] == 1
    assert _ids(res) == ["P03", "P04", "P05", "P08", "P09", "P10"]
    # trial=A with all three groups: P01, P02 (none), P06, P07 (spotty), P12 (other).
    res = apply_filters(tiny_cohort, FilterSpec(categories={"trial": ["A"]},
                                                groups=("none", "spotty", "other")))
    assert _ids(res) == ["P01", "P02", "P06", "P07", "P12"]
    assert res.n_by_group == {"none": 2, "spotty": 2, "other": 1}
    assert res.attrition["n"].tolist() == [13, 13, 5]
    # only the spotty group
    res = apply_filters(tiny_cohort, FilterSpec(groups=("spotty",)))
    assert res.n_by_group == {"spotty": 6} and res.attrition["n_none"].tolist() == [5, 0]


def test_empty_spec_keeps_the_comparison_groups(tiny_cohort):
    res = apply_filters(tiny_cohort, FilterSpec())
    assert len(res.frame) == 11 and res.attrition["step"].tolist() == ["start", "groups"]
    assert res.frame.index.tolist() == list(range(11))  # index kept, other rows out


@pytest.fixture
def therapy_frame(frame_from):
    # ldl_c 60, 69.9, 70, 85, missing; sbp 110, 119, 120, missing, 140
    return frame_from({
        "patient_id": ["T1", "T2", "T3", "T4", "T5"],
        "calcification": ["none", "spotty", "none", "spotty", "spotty"],
        "ldl_c": [60, 69.9, 70, 85, np.nan],
        "sbp": [110, 119, 120, np.nan, 140],
    })


def test_therapy_intensity_relative_to_the_cut_point(therapy_frame):
    flags_before = therapy_frame["ldl_intensive"].copy()
    res = apply_filters(therapy_frame, FilterSpec(ldl_therapy="intensive"))
    assert _ids(res) == ["T1", "T2"]  # LDL-C < 70
    assert res.attrition.iloc[-1]["n_excluded_missing"] == 1  # T5 has no LDL-C
    assert _ids(apply_filters(therapy_frame, FilterSpec(ldl_therapy="standard"))) == ["T3", "T4"]
    # cut 80: 60, 69.9, 70 are below it; flags recomputed in the result only
    res = apply_filters(therapy_frame, FilterSpec(ldl_cut=80, ldl_therapy="intensive"))
    assert _ids(res) == ["T1", "T2", "T3"]
    assert res.frame["ldl_intensive"].tolist() == [True, True, True]
    full = apply_filters(therapy_frame, FilterSpec(ldl_cut=80))
    assert full.frame["ldl_intensive"].tolist() == [True, True, True, False, pd.NA]
    pd.testing.assert_series_equal(therapy_frame["ldl_intensive"], flags_before)
    # SBP standard (>= 120) keeping missing: T3 (120), T4 (missing, kept), T5 (140)
    res = apply_filters(therapy_frame, FilterSpec(sbp_therapy="standard", missing="keep"))
    assert _ids(res) == ["T3", "T4", "T5"]
    assert res.attrition.iloc[-1]["description"] == "Systolic BP ≥ 120 mmHg (standard)"


def test_filtering_an_absent_variable_is_a_clear_error(tiny_cohort):
    with pytest.raises(FilterSpecError, match="'bmi'.*not a column of this dataset"):
        apply_filters(tiny_cohort, FilterSpec(ranges={"bmi": (20, 30)}))
    with pytest.raises(FilterSpecError, match="'ldl_c'"):
        apply_filters(tiny_cohort, FilterSpec(ldl_therapy="intensive"))
    with pytest.raises(FilterSpecError, match="needs a FilterSpec"):
        apply_filters(tiny_cohort, "age=50-70")  # type: ignore[arg-type]


def test_random_cohort_filter_matches_a_direct_mask(random_cohort):
    # Independent check: the same selection written as a plain pandas mask.
    spec = FilterSpec.from_query("age=45-65&sex=male&crp=-3")
    res = apply_filters(random_cohort, spec)
    f = random_cohort
    mask = (f["calcification"].isin(["none", "spotty"]) & f["age"].between(45, 65)
            & (f["sex"] == "male").fillna(False) & (f["crp"] <= 3))
    assert res.frame["patient_id"].tolist() == f.loc[mask, "patient_id"].tolist()
    assert res.attrition["n"].iloc[-1] == int(mask.sum())


def test_result_is_independent_of_the_input(tiny_cohort):
    before = tiny_cohort.copy(deep=True)
    res = apply_filters(tiny_cohort, FilterSpec(groups=("none", "spotty", "other")))
    assert len(res.frame) == 13  # nothing excluded
    res.frame.loc[0, "age"] = -1.0
    pd.testing.assert_frame_equal(tiny_cohort, before)


def test_absent_derived_columns_are_added(frame_from):
    raw = frame_from({"patient_id": ["A", "B"], "calcification": ["none", "spotty"],
                      "pav_baseline": [30.0, 40.0], "pav_followup": [31.5, 39.0],
                      "ldl_c": [60.0, 90.0]}).drop(columns=["delta_pav", "regression"])
    res = apply_filters(raw, FilterSpec(ldl_cut=95))
    assert res.frame["delta_pav"].tolist() == [1.5, -1.0]  # follow-up minus baseline by hand
    assert res.frame["ldl_intensive"].tolist() == [True, True]  # both below 95
    assert "delta_pav" not in raw.columns


@settings(max_examples=40, deadline=None)
@given(lo=st.integers(30, 80), width=st.integers(0, 40), keep=st.booleans(),
       sexes=st.sampled_from([("male",), ("female",)]))
def test_attrition_adds_up(random_cohort, lo, width, keep, sexes):
    spec = FilterSpec(ranges={"age": (lo, lo + width), "crp": (None, 5)},
                      categories={"sex": sexes}, missing="keep" if keep else "exclude")
    att = apply_filters(random_cohort, spec).attrition
    assert att["n"].iloc[0] - att["n_excluded"].sum() == att["n"].iloc[-1]
    assert (att["n_excluded_missing"] <= att["n_excluded"]).all()
    assert (att["n_none"] + att["n_spotty"] <= att["n"]).all()
    assert att["n"].is_monotonic_decreasing


# --------------------------------------------------------------------------- fast paths


def test_text_columns_select_like_categorical_ones(random_cohort):
    # The same frame with the group and value-set columns as plain text: codes come
    # from factorising instead of the categories, the selection must not change.
    spec = FilterSpec.from_query("sex=female&statin=moderate,high&groups=none,spotty,other")
    as_text = random_cohort.assign(**{c: random_cohort[c].astype("str").where(
        random_cohort[c].notna()) for c in ("calcification", "sex", "statin")})
    a, b = apply_filters(random_cohort, spec), apply_filters(as_text, spec)
    assert a.frame.index.equals(b.frame.index)
    pd.testing.assert_frame_equal(a.attrition, b.attrition)
    assert a.n_by_group == b.n_by_group


def test_flags_kept_when_derived_at_the_same_cuts_recomputed_otherwise(therapy_frame):
    assert therapy_frame.attrs["derived_cuts"] == (70.0, 120.0)  # set by add_derived
    same = apply_filters(therapy_frame, FilterSpec())
    assert same.frame["ldl_intensive"].tolist() == [True, True, False, False, pd.NA]
    moved = apply_filters(therapy_frame, FilterSpec(ldl_cut=61, sbp_cut=111))
    # by hand: LDL-C 60 < 61 only; SBP 110 < 111 only (T4 has no SBP)
    assert moved.frame["ldl_intensive"].tolist() == [True, False, False, False, pd.NA]
    assert moved.frame["sbp_intensive"].tolist() == [True, False, False, pd.NA, False]
    assert moved.frame.attrs["derived_cuts"] == (61.0, 111.0)
    assert therapy_frame.attrs["derived_cuts"] == (70.0, 120.0)  # input untouched


def test_flags_of_a_frame_without_the_record_are_recomputed(therapy_frame):
    # A frame that did not come through add_derived: its flags are not trusted.
    odd = therapy_frame.assign(ldl_intensive=pd.array([False] * 5, dtype="boolean"))
    odd.attrs = {}
    res = apply_filters(odd, FilterSpec())
    assert res.frame["ldl_intensive"].tolist() == [True, True, False, False, pd.NA]
