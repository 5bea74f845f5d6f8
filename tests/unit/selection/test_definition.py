"""The spotty-calcification definition: query round trip, classification against an
independent per-patient loop, the flow table, and regrouping a frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import FilterSpecError
from analysis.selection.definition import SpottyDefinition, classify, flow_table, regroup


@pytest.fixture(scope="module")
def lesions() -> pd.DataFrame:
    """Random deposits that straddle every threshold (arcs 5-360°, lengths 0.5-20 mm)."""
    rng = np.random.default_rng(11)
    n = 600
    return pd.DataFrame({
        "patient_id": [f"P{i:03d}" for i in rng.integers(0, 150, n)],
        "arc_deg": rng.choice([5, 30, 89, 89.9, 90, 91, 120, 200, 360], n).astype(float),
        "length_mm": rng.choice([0.5, 1.0, 2.5, 4.0, 4.01, 6.0, 12.0, 20.0], n),
    })


PATIENTS = pd.Series([f"P{i:03d}" for i in range(170)])  # 20 without any deposit


def _by_hand(pid: str, lesions: pd.DataFrame, d: SpottyDefinition) -> str:
    """Reference: the definition read literally, one patient at a time."""
    mine = lesions[lesions["patient_id"] == pid]
    if mine.empty:
        return "none"
    flags = [(d.min_length <= r.length_mm <= d.max_length) and r.arc_deg < d.max_arc
             for r in mine.itertuples()]
    if d.other == "exclude":
        return "spotty" if all(flags) else "other"
    return "spotty" if any(flags) else "other"


@pytest.mark.parametrize("d", [
    SpottyDefinition(), SpottyDefinition(max_arc=120), SpottyDefinition(max_arc=45),
    SpottyDefinition(min_length=0.5, max_length=6), SpottyDefinition(other="allow"),
    SpottyDefinition(max_arc=360, min_length=0, max_length=20, other="allow")])
def test_classification_equals_the_definition_read_patient_by_patient(lesions, d):
    got = classify(PATIENTS, lesions, d)
    expected = [_by_hand(p, lesions, d) for p in PATIENTS]
    assert got["calcification"].astype(str).tolist() == expected
    n_by_hand = [int(((lesions["patient_id"] == p) & lesions["length_mm"].between(
        d.min_length, d.max_length) & (lesions["arc_deg"] < d.max_arc)).sum()) for p in PATIENTS]
    assert got["n_spotty"].tolist() == n_by_hand


def test_query_parameters_round_trip_and_the_published_one_is_empty():
    d = SpottyDefinition.from_params({"spotty_arc": "120", "spotty_len": "0.5-6",
                                      "spotty_other": "allow"})
    assert (d.max_arc, d.min_length, d.max_length, d.other) == (120, 0.5, 6, "allow")
    assert SpottyDefinition.from_params(d.to_params()) == d
    assert SpottyDefinition().to_params() == {} and SpottyDefinition().is_published
    assert "1-4 mm" in SpottyDefinition().describe() and "< 90°" in SpottyDefinition().describe()


@pytest.mark.parametrize("params, message", [
    ({"spotty_arc": "wide"}, "not a number"), ({"spotty_arc": "400"}, "from 1 to 360"),
    ({"spotty_len": "4"}, "LO-HI"), ({"spotty_len": "5-2"}, "LO <= HI"),
    ({"spotty_other": "maybe"}, "exclude, allow"), ({"spotty_arc": "nan"}, "finite")])
def test_bad_parameters_say_what_to_fix(params, message):
    with pytest.raises(FilterSpecError, match=message):
        SpottyDefinition.from_params(params)


def test_flow_table_counts_moves_between_groups(lesions):
    before = classify(PATIENTS, lesions)["calcification"]
    after = classify(PATIENTS, lesions, SpottyDefinition(other="allow"))["calcification"]
    table = flow_table(before, after)
    assert int(table.to_numpy().sum()) == len(PATIENTS)
    # allowing other calcium only moves patients from other to spotty (hand reasoning)
    assert table.loc["spotty", "other"] == 0 and table.loc["none", "spotty"] == 0
    moved = int(((before == "other") & (after == "spotty")).sum())
    assert table.loc["other", "spotty"] == moved and moved > 0


def test_regroup_needs_lesions_for_a_new_definition():
    frame = pd.DataFrame({"patient_id": ["P000"], "calcification": ["none"], "n_spotty": [0]})
    assert regroup(frame, None, SpottyDefinition()) is frame  # published: unchanged
    with pytest.raises(FilterSpecError, match="lesion file"):
        regroup(frame, None, SpottyDefinition(max_arc=120))


def test_a_patient_listed_twice_gets_the_same_group_each_time(lesions):
    # the loader refuses duplicate ids; classify still answers row by row for such a list
    twice = pd.Series(["P001", "P001", "P160", "P002"])
    d = SpottyDefinition(max_arc=120)
    got = classify(twice, lesions, d)["calcification"].astype(str).tolist()
    assert got == [_by_hand(p, lesions, d) for p in twice]
