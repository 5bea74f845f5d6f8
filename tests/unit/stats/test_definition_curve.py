"""The definition explorer's analyses (analysis.stats.definition) on the bundled study.

References: group counts from a plain pandas reading of the definition on the lesion
table (conftest ``spotty_by_pandas``, never ``classify``); differences from
``analysis.ancova`` on a frame regrouped by that pandas reading (ancova itself is
checked against R's emmeans in tests/unit/stats/linear/) and, for raw means, from
scipy's pooled-variance t-test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import analysis
from analysis.data.schema import GROUP
from analysis.errors import AnalysisError
from analysis.selection.definition import SpottyDefinition
from analysis.stats.definition import definition_curve, definition_flow

#: (arc limit, min length, max length, other-calcium rule) of the definitions checked.
DEFINITIONS = [(90, 1, 4, "exclude"), (120, 1, 4, "exclude"), (45, 1, 4, "exclude"),
               (90, 0.5, 6, "exclude"), (90, 1, 4, "allow"), (180, 0, 20, "allow")]


def _regrouped(frame: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    out = frame.copy()
    out[GROUP] = pd.Categorical(groups, categories=frame[GROUP].cat.categories)
    return out


def test_published_definition_reproduces_the_file_groups(bundled_study, spotty_by_pandas):
    f = bundled_study.frame
    derived = spotty_by_pandas(f["patient_id"], bundled_study.lesions, 90, 1, 4, "exclude")
    assert (derived == f[GROUP].astype(str)).all()
    # the bundled study's published sizes (Kataoka 2012: 922 vs 425) and its 500 others
    assert derived.value_counts().to_dict() == {"spotty": 922, "other": 500, "none": 425}


@pytest.mark.parametrize("arc, lo, hi, other", DEFINITIONS)
def test_flow_counts_equal_the_pandas_reading(bundled_study, spotty_by_pandas, arc, lo, hi,
                                              other):
    f, les = bundled_study.frame, bundled_study.lesions
    d = SpottyDefinition(arc, lo, hi, other)
    flow = definition_flow(f, les, d)
    after = spotty_by_pandas(f["patient_id"], les, arc, lo, hi, other)
    before = f[GROUP].astype(str)
    for g in ("none", "spotty", "other"):
        assert int(flow.table[g].sum()) == int((after == g).sum()), g       # chosen (columns)
        assert int(flow.table.loc[g].sum()) == int((before == g).sum()), g  # published (rows)
        for h in ("none", "spotty", "other"):
            assert flow.table.loc[g, h] == int(((before == g) & (after == h)).sum())
    assert flow.n_moved == int((before != after).sum())
    assert flow.moves["n"].sum() == len(f)


@pytest.mark.parametrize("arc, lo, hi, other", DEFINITIONS)
def test_curve_point_equals_ancova_on_the_pandas_groups(bundled_study, spotty_by_pandas, arc,
                                                        lo, hi, other):
    f, les = bundled_study.frame, bundled_study.lesions
    d = SpottyDefinition(arc, lo, hi, other)
    curve = definition_curve(f, les, "delta_pav", definition=d)
    point = curve.point(d)
    groups = spotty_by_pandas(f["patient_id"], les, arc, lo, hi, other)
    ref = analysis.ancova(_regrouped(f, groups), "delta_pav", diagnostics=False)
    con = ref.contrast.iloc[0]
    assert point["chosen"] and point["published"] == (d == SpottyDefinition())
    assert point["n_spotty"] == int((groups == "spotty").sum())
    assert point["n_none"] == int((groups == "none").sum())
    for col in ("estimate", "se", "ci_low", "ci_high", "t", "p"):
        assert point[col] == pytest.approx(con[col], rel=1e-9), col
    assert point["df"] == con["df"]
    # the difference of LS means does not depend on the grid's weighting (main effects)
    equal = analysis.ancova(_regrouped(f, groups), "delta_pav", weights="equal",
                            diagnostics=False).contrast.iloc[0]
    assert equal["estimate"] == pytest.approx(point["estimate"], rel=1e-9)


def test_every_grid_point_of_both_curves_equals_its_own_ancova(bundled_study, spotty_by_pandas):
    f, les = bundled_study.frame, bundled_study.lesions
    chosen = SpottyDefinition(max_arc=95, min_length=1, max_length=5)  # 95 is off the grid
    curve = definition_curve(f, les, "delta_pav", definition=chosen, arcs=(30, 60, 90, 180),
                             lengths=(0.5, 2, 4, 8)).curve
    assert curve[curve["axis"] == "arc"]["max_arc"].tolist() == [30, 60, 90, 95, 180]
    # lengths below the chosen minimum (0.5 < 1 mm) are skipped; the chosen 5 mm added
    assert curve[curve["axis"] == "length"]["max_length"].tolist() == [2, 4, 5, 8]
    assert curve["chosen"].sum() == 2 and not curve["published"].any()  # len 1-5 throughout
    for row in curve.itertuples():
        groups = spotty_by_pandas(f["patient_id"], les, row.max_arc, row.min_length,
                                  row.max_length, row.other)
        con = analysis.ancova(_regrouped(f, groups), "delta_pav",
                              diagnostics=False).contrast.iloc[0]
        assert row.estimate == pytest.approx(con["estimate"], rel=1e-9)
        assert row.se == pytest.approx(con["se"], rel=1e-9)


def test_raw_means_curve_is_the_pooled_t_test(bundled_study, spotty_by_pandas):
    f, les = bundled_study.frame, bundled_study.lesions
    d = SpottyDefinition(max_arc=60)
    point = definition_curve(f, les, "delta_pav", covar=[], definition=d).point(d)
    groups = spotty_by_pandas(f["patient_id"], les, 60, 1, 4, "exclude")
    a = f.loc[groups == "spotty", "delta_pav"]
    b = f.loc[groups == "none", "delta_pav"]
    ref = stats.ttest_ind(a, b, equal_var=True)  # scipy: Student's pooled t-test
    assert point["estimate"] == pytest.approx(a.mean() - b.mean(), rel=1e-12)
    assert point["t"] == pytest.approx(ref.statistic, rel=1e-9)
    assert point["p"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert point["df"] == len(a) + len(b) - 2


def test_missing_covariates_and_a_subset_follow_ancova(bundled_study, spotty_by_pandas):
    f = bundled_study.frame.copy()
    f.loc[f.index[::7], "hdl_c"] = np.nan  # complete cases differ from the whole cohort
    f = f[f["sex"] == "male"]              # and sex is constant: ancova drops it
    les = bundled_study.lesions
    d = SpottyDefinition(max_arc=150, other="allow")
    curve = definition_curve(f, les, "delta_pav", definition=d)
    point = curve.point(d)
    groups = spotty_by_pandas(f["patient_id"], les, 150, 1, 4, "allow")
    ref = analysis.ancova(_regrouped(f, groups), "delta_pav", diagnostics=False)
    assert point["n"] == ref.n_used
    assert point["estimate"] == pytest.approx(ref.contrast.iloc[0]["estimate"], rel=1e-9)
    assert point["se"] == pytest.approx(ref.contrast.iloc[0]["se"], rel=1e-9)
    assert "sex" not in curve.covariates and "hdl_c" in curve.covariates


def test_a_too_small_group_keeps_its_row_with_the_reason(bundled_study):
    f, les = bundled_study.frame, bundled_study.lesions
    curve = definition_curve(f, les, "delta_pav", arcs=(12, 90), lengths=(4,)).curve
    first = curve.iloc[0]  # arc < 12°: the smallest bundled arc is 11°, so hardly any spotty
    assert first["max_arc"] == 12 and np.isnan(first["estimate"])
    assert "group too small" in first["note"] and "spotty n =" in first["note"]
    assert curve.iloc[1]["published"] and not np.isnan(curve.iloc[1]["estimate"])


def test_bad_inputs_say_what_to_fix(bundled_study):
    f, les = bundled_study.frame, bundled_study.lesions
    with pytest.raises(AnalysisError, match="needs a lesion file.*Open a study.*--lesions"):
        definition_curve(f, None, "delta_pav")
    with pytest.raises(AnalysisError, match="needs a lesion file"):
        definition_flow(f, None, SpottyDefinition(max_arc=120))
    with pytest.raises(AnalysisError, match="arc grid value 400° is outside 1-360°"):
        definition_curve(f, les, "delta_pav", arcs=(90, 400))
    with pytest.raises(AnalysisError, match="length grid must be numbers"):
        definition_curve(f, les, "delta_pav", lengths=("long",))


def test_inputs_are_not_modified(bundled_study):
    f, les = bundled_study.frame.copy(), bundled_study.lesions.copy()
    definition_curve(f, les, "delta_pav", definition=SpottyDefinition(max_arc=120))
    definition_flow(f, les, SpottyDefinition(max_arc=120))
    pd.testing.assert_frame_equal(f, bundled_study.frame)
    pd.testing.assert_frame_equal(les, bundled_study.lesions)
