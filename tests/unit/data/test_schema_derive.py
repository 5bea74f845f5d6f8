"""The data dictionary and the derived columns."""

import numpy as np
import pandas as pd
import pytest

from analysis.data import schema
from analysis.data.derive import add_derived, derived_names, group_from_lesions, therapy_flags


def test_dictionary_names_are_unique_and_identifier_safe():
    names = [v.name for v in schema.PATIENT_VARIABLES]
    assert len(names) == len(set(names))
    # every name is a plain identifier, so none can smuggle syntax into a model formula
    assert all(n.isidentifier() for n in names)


def test_every_outcome_names_an_existing_baseline():
    for v in schema.outcomes():
        assert v.baseline in schema.VARIABLES, v.name
        assert schema.VARIABLES[v.baseline].role == "baseline_ivus"


def test_default_covariates_start_with_the_outcome_baseline():
    assert schema.default_covariates("delta_tav")[0] == "tav_baseline"
    assert set(schema.DEFAULT_COVARIATES) <= set(schema.VARIABLES)


def test_categorical_variables_declare_levels_and_ranges_are_ordered():
    for v in schema.PATIENT_VARIABLES:
        if v.dtype == "category" and v.name != "trial":  # trial names come from the data
            assert v.levels, v.name
        for rng in (v.valid_range, v.plausible_range):
            if rng is not None:
                assert rng[0] < rng[1], v.name
        if v.valid_range and v.plausible_range:
            # plausible limits sit inside the hard limits
            assert v.valid_range[0] <= v.plausible_range[0] <= v.plausible_range[1] <= v.valid_range[1]


def test_unknown_variable_error_names_it():
    with pytest.raises(KeyError, match="'nonsense'"):
        schema.get("nonsense")


def test_axis_label_carries_the_unit():
    assert schema.get("ldl_c").axis_label == "LDL-C (mg/dl)"
    assert schema.get("sex").axis_label == "Sex"


def _frame():
    return pd.DataFrame({
        "pav_baseline": [30.0, 40.0, np.nan],
        "pav_followup": [30.5, 39.0, 35.0],
        "tav_baseline": [100.0, 150.0, 120.0],
        "tav_followup": [110.0, 140.0, 120.0],
        "ldl_c": [69.9, 70.0, np.nan],
        "sbp": [119.0, 135.0, 120.0],
    })


def test_derived_values_by_hand():
    out = add_derived(_frame())
    # 30.5 - 30.0 = 0.5 ; 39.0 - 40.0 = -1.0 ; missing baseline stays missing
    assert out["delta_pav"].iloc[:2].tolist() == [0.5, -1.0]
    assert np.isnan(out["delta_pav"].iloc[2])
    assert out["delta_tav"].tolist() == [10.0, -10.0, 0.0]
    # 69.9 < 70 intensive, 70.0 is not (strictly below), missing LDL-C stays <NA>
    assert out["ldl_intensive"].iloc[0] is np.True_ or out["ldl_intensive"].iloc[0] == True  # noqa: E712
    assert out["ldl_intensive"].iloc[1] == False  # noqa: E712
    assert out["ldl_intensive"].isna().iloc[2]
    assert out["sbp_intensive"].tolist() == [True, False, False]
    assert out["regression"].iloc[:2].tolist() == [False, True]
    assert out["regression"].isna().iloc[2]


def test_cut_points_are_parameters():
    out = add_derived(_frame(), ldl_cut=100.0, sbp_cut=140.0)
    assert out["ldl_intensive"].iloc[:2].tolist() == [True, True]
    assert out["sbp_intensive"].tolist() == [True, True, True]


def test_add_derived_does_not_mutate_its_input():
    frame = _frame()
    before = frame.copy()
    add_derived(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_add_derived_records_its_cut_points_and_changing_the_copy_leaves_the_input():
    frame = _frame()
    out = add_derived(frame, ldl_cut=100.0)
    assert out.attrs["derived_cuts"] == (100.0, 120.0) and "derived_cuts" not in frame.attrs
    out.loc[0, "ldl_c"] = 500.0  # the copy is independent of the input
    assert frame.loc[0, "ldl_c"] != 500.0
    assert set(derived_names(frame.columns)) == set(out.columns) - set(frame.columns)
    assert derived_names(["ldl_c"]) == ["ldl_intensive"]
    assert derived_names(["delta_pav"]) == ["regression"]


def test_int_and_missing_inputs_give_missing_flags():
    flags = therapy_flags(pd.DataFrame({"ldl_c": pd.array([60, None, 70], dtype="Int64")}))
    # by hand: 60 < 70 yes; missing stays <NA>; 70 is not below 70
    assert flags["ldl_intensive"].tolist() == [True, pd.NA, False]
    assert "sbp_intensive" not in flags


def test_group_from_lesions_follows_the_published_definition():
    ids = pd.Series(["p1", "p2", "p3", "p4", "p5"])
    lesions = pd.DataFrame({
        "patient_id": ["p1", "p1", "p2", "p3", "p4"],
        "arc_deg": [45.0, 80.0, 45.0, 120.0, 89.9],
        "length_mm": [2.0, 4.0, 6.0, 2.0, 1.0],
    })
    out = group_from_lesions(ids, lesions)
    # p1: two deposits 1-4 mm with arc < 90 -> spotty, 2 deposits
    # p2: 6 mm long -> other calcium; p3: arc 120 -> other; p4: 1 mm, 89.9 deg -> spotty
    # p5: no deposit -> none
    assert out["calcification"].tolist() == ["spotty", "other", "other", "spotty", "none"]
    assert out["n_spotty"].tolist() == [2, 0, 0, 1, 0]


def test_spotty_plus_other_calcium_is_other():
    ids = pd.Series(["p1"])
    lesions = pd.DataFrame({"patient_id": ["p1", "p1"], "arc_deg": [30.0, 200.0],
                            "length_mm": [2.0, 10.0]})
    assert group_from_lesions(ids, lesions)["calcification"].tolist() == ["other"]
