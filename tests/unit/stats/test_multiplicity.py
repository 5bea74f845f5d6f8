"""Holm and Benjamini-Hochberg adjustment checked by hand on a small vector."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import AnalysisError
from analysis.stats.multiplicity import adjust_pvalues, adjust_subgroups

P = [0.01, 0.04, 0.03, 0.20]


def test_holm_by_hand():
    # sorted 0.01, 0.03, 0.04, 0.20 times 4, 3, 2, 1 = 0.04, 0.09, 0.08, 0.20;
    # running maximum 0.04, 0.09, 0.09, 0.20; back in input order:
    assert adjust_pvalues(P, "holm") == pytest.approx([0.04, 0.09, 0.09, 0.20])


def test_bh_by_hand():
    # sorted 0.01, 0.03, 0.04, 0.20 times 4 / rank = 0.04, 0.06, 0.0533, 0.20;
    # running minimum from the top: 0.04, 0.0533, 0.0533, 0.20; in input order:
    assert adjust_pvalues(P, "bh") == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20])


def test_nan_is_left_out_of_the_family():
    out = adjust_pvalues([0.01, np.nan, 0.04], "holm")
    # family of 2: 0.02, max(0.04, 0.02) = 0.04
    assert out[0] == pytest.approx(0.02) and np.isnan(out[1]) and out[2] == pytest.approx(0.04)
    assert np.isnan(adjust_pvalues([np.nan], "bh")).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_holm_equals_statsmodels_with_ties(seed):
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(seed)
    p = np.round(rng.uniform(0, 0.3, 25), 2)  # rounded: many ties
    # reference: statsmodels multipletests, method "holm"
    np.testing.assert_allclose(adjust_pvalues(p, "holm"),
                               multipletests(p, method="holm")[1], rtol=0, atol=1e-15)


def test_capped_at_one():
    assert adjust_pvalues([0.5, 0.6, 0.7], "holm").max() == 1.0


@pytest.mark.parametrize("p, method, message", [
    ([0.1, 1.2], "holm", "between 0 and 1"), ([0.1], "bonferroni", "method must be"),
    (["a"], "holm", "must be numbers"),
])
def test_bad_input(p, method, message):
    with pytest.raises(AnalysisError, match=message):
        adjust_pvalues(p, method)


def _subgroup_table() -> pd.DataFrame:
    # the columns of SubgroupResult.table; one interaction p per variable, on its first row
    return pd.DataFrame({
        "variable": ["Overall", "sex", "sex", "diabetes", "diabetes", "trial", "trial", "trial",
                     "statin", "statin"],
        "level": ["", "female", "male", "no", "yes", "A", "B", "C", "none", "high"],
        "estimate": np.arange(10.0),
        "p": np.linspace(0.01, 0.5, 10),
        "p_interaction": [np.nan, 0.01, np.nan, 0.04, np.nan, 0.03, np.nan, np.nan, 0.20,
                          np.nan],
        "interaction_test": ["", "t", "", "t", "", "F", "", "", "t", ""],
        "note": [""] * 10,
    })


def test_subgroup_table_gets_adjusted_columns():
    table = _subgroup_table()
    before = table.copy()
    res = adjust_subgroups(table)
    out = res.table
    cols = list(out.columns)
    assert cols[cols.index("p_interaction") + 1: cols.index("p_interaction") + 3] == \
        ["p_holm", "p_bh"]
    tested = out["p_interaction"].notna()
    # the same four p as above, so the same hand values
    assert out.loc[tested, "p_holm"].to_numpy() == pytest.approx([0.04, 0.09, 0.09, 0.20])
    assert out.loc[tested, "p_bh"].to_numpy() == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2])
    assert out.loc[~tested, ["p_holm", "p_bh"]].isna().all().all()
    assert res.m == 4 and "exploratory" in res.notes[0]
    assert table.equals(before)  # input not modified


def test_subgroup_table_errors():
    with pytest.raises(AnalysisError, match="subgroup table"):
        adjust_subgroups(pd.DataFrame({"x": [1]}))
    bad = _subgroup_table()
    bad.loc[2, "p_interaction"] = 0.5  # a second p for sex
    with pytest.raises(AnalysisError, match="one interaction p per subgroup variable"):
        adjust_subgroups(bad)


def test_on_a_real_subgroup_table(random_cohort):
    from analysis.stats.linear.subgroups import subgroup_effects

    sub = subgroup_effects(random_cohort, "delta_pav", subgroups=("sex", "statin"),
                           covar=["pav_baseline", "age"])
    out = adjust_subgroups(sub.table).table
    tested = out[out["p_interaction"].notna()]
    assert len(tested) == 2
    # Holm with 2 tests: the smaller p doubled (capped at 1)
    small = tested["p_interaction"].min()
    assert tested["p_holm"].min() == pytest.approx(min(1.0, 2 * small))
