"""The sensitivity table: one row per analysis, each row the analysis' own result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import AnalysisError
from analysis.stats.linear.ancova import ancova
from analysis.stats.sensitivity.propensity import propensity_weighted
from analysis.stats.sensitivity.robust import robust_hc3
from analysis.stats.sensitivity.table import COLUMNS, sensitivity_table


@pytest.fixture(scope="module")
def table(datasets):
    return sensitivity_table(datasets["cohort"], "delta_pav")


def test_columns_and_rows(table):
    assert list(table.columns) == COLUMNS
    assert len(table) == 6
    assert table["analysis"].is_unique
    assert (table["n"] == 1347).all()
    assert (table["ci_low"] < table["estimate"]).all()
    assert (table["estimate"] < table["ci_high"]).all()
    assert table["p"].between(0, 1).all()


def test_rows_are_the_analyses(table, datasets):
    frame = datasets["cohort"]
    main = ancova(frame, "delta_pav", diagnostics=False).contrast.iloc[0]
    first = table.iloc[0]
    # reference: the main ANCOVA and robust_hc3 called on their own
    assert first["estimate"] == main["estimate"] and first["p"] == main["p"]
    hc3 = table.set_index("analysis").loc[robust_hc3(frame, "delta_pav").analysis]
    assert hc3["se"] == robust_hc3(frame, "delta_pav").se
    trend = table[table["estimand"].str.startswith("slope")]
    assert len(trend) == 1


def test_an_analysis_that_cannot_run_keeps_its_row(datasets):
    # no covariates: propensity weighting cannot run, the others can
    out = sensitivity_table(datasets["small"], "delta_pav", covar=[],
                            analyses=(robust_hc3, propensity_weighted))
    assert len(out) == 3
    row = out.iloc[2]
    assert np.isnan(row["estimate"]) and row["note"].startswith("not estimated:")
    assert row["analysis"] == "Propensity-score weighting (stabilised ATE)"
    assert "covariate" in row["note"]


def test_bad_input_raises(datasets):
    with pytest.raises(AnalysisError):
        sensitivity_table(datasets["small"], "no_such_outcome")
    with pytest.raises(AnalysisError):
        sensitivity_table(pd.DataFrame(), "delta_pav")
