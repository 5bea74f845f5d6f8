"""Disclosure control of attrition, models, progression and distributions (hand-made
results with known small cells)."""

from __future__ import annotations

import math

import pandas as pd

from analysis.disclosure.results import (
    redact_ancova,
    redact_attrition,
    redact_distribution,
    redact_dose_response,
    redact_progression,
)
from analysis.disclosure.rule import REDACTED
from analysis.stats.linear.ancova import AncovaResult
from analysis.stats.linear.dose_response import DoseResponseResult
from analysis.stats.progression import ProgressionSummary

ATTRITION = pd.DataFrame({
    "step": ["start", "groups", "age", "sex"],
    "description": ["All", "Groups", "Age", "Sex"],
    "n": [200, 150, 146, 100], "n_excluded": [0, 50, 4, 46],
    "n_excluded_missing": [0, 0, 2, 0], "n_missing_kept": [0, 0, 0, 0],
    "n_none": [60, 60, 57, 30], "n_spotty": [90, 90, 89, 70],
})


def _ancova(ns=(5, 60)) -> AncovaResult:
    ls = pd.DataFrame({"level": ["none", "spotty"], "ls_mean": [0.1, 0.4], "se": [0.2, 0.1],
                       "ci_low": [-0.3, 0.2], "ci_high": [0.5, 0.6], "n": list(ns)})
    con = pd.DataFrame({"contrast": ["spotty - none"], "estimate": [0.3], "se": [0.22],
                        "ci_low": [-0.1], "ci_high": [0.7], "p": [0.2], "test": ["t"]})
    empty = pd.DataFrame()
    return AncovaResult(ls_means=ls, contrast=con, coefficients=empty, diagnostics=empty,
                        formula="y ~ g", covariates=(), dropped=(), weights="proportional",
                        n_used=sum(ns), excluded=empty, method="OLS; n = 65", notes=())


def test_attrition_step_removing_few_is_protected(rule7_exact):
    out, groups, total = redact_attrition(ATTRITION, rule7_exact,
                                          {"none": 30, "spotty": 70})
    age = out.iloc[2]
    # 4 excluded at the age step (<= 7) and 2 of them missing; 150 - 146 would give the 4
    # back, so one of the two n's goes too; the age step also removed 3 none patients
    # (60 -> 57): one of those two counts is hidden as well
    assert age["n_excluded"] == "≤7" and age["n_excluded_missing"] == "≤7"
    assert isinstance(out.iloc[1]["n"], str) or isinstance(age["n"], str)
    assert isinstance(out.iloc[1]["n_none"], str) or isinstance(age["n_none"], str)
    assert total == out.iloc[-1]["n"]
    assert groups["spotty"] == out.iloc[-1]["n_spotty"]


def test_attrition_no_suppressed_step_is_a_difference_of_shown_ones(rule7_exact):
    out, _groups, _total = redact_attrition(ATTRITION, rule7_exact)
    for i in range(1, len(out)):
        prev, cur, excl = out.iloc[i - 1]["n"], out.iloc[i]["n"], out.iloc[i]["n_excluded"]
        hidden = [isinstance(v, str) for v in (prev, cur, excl)]
        assert sum(hidden) != 1, (i, prev, cur, excl)


def test_attrition_rounded_without_small_cells(rule7):
    frame = ATTRITION.iloc[:2]
    out, _g, total = redact_attrition(frame, rule7)
    assert list(out["n"]) == [200, 150] and list(out["n_none"]) == [60, 60]
    assert total == 150


def test_ancova_small_level_withheld(rule7):
    out = redact_ancova(_ancova(), rule7)
    ls = out.ls_means.set_index("level")
    # n none 5 <= 7; n_used 65 = 5 + 60 would give it back: spotty's 60 is redacted
    assert ls.loc["none", "n"] == "≤7" and ls.loc["spotty", "n"] == REDACTED
    assert math.isnan(ls.loc["none", "ls_mean"]) and math.isnan(ls.loc["none", "ci_low"])
    assert ls.loc["spotty", "ls_mean"] == 0.4          # a group of 60: shown
    assert math.isnan(out.contrast.iloc[0]["estimate"])
    assert out.n_used == 65                              # 65 is a multiple of 5


def test_ancova_rule_rounds_only_when_nothing_is_small(rule7):
    out = redact_ancova(_ancova((42, 61)), rule7)
    assert list(out.ls_means["n"]) == [40, 60] and out.n_used == 105
    assert out.contrast.iloc[0]["estimate"] == 0.3


def test_dose_response_category_of_three(rule7_exact):
    table = pd.DataFrame({"category": ["0", "1", "2", "3+"], "n": [40, 30, 3, 27],
                          "mean": [0.1, 0.2, 0.9, 0.4], "se": [0.1] * 4})
    res = DoseResponseResult(table=table, p_trend=0.01, trend_test="t", slope=0.1,
                             slope_ci_low=0.0, slope_ci_high=0.2, method="m", n_used=100,
                             notes=())
    out = redact_dose_response(res, rule7_exact)
    # 3 suppressed; 100 - 40 - 30 - 27 would give it: the next smallest (27) goes too
    assert list(out.table["n"]) == [40, 30, "≤7", REDACTED]
    assert math.isnan(out.table["mean"].iloc[2]) and out.table["mean"].iloc[3] == 0.4


def test_progression_regression_count_and_summaries(rule7_exact):
    by = pd.DataFrame({"level": ["none", "spotty"], "n": [6, 40], "n_missing": [0, 2],
                       "mean": [0.1, 0.5], "sd": [1.0, 2.0], "se": [0.4, 0.3],
                       "ci_low": [-1.0, 0.0], "ci_high": [1.2, 1.0], "median": [0.0, 0.4],
                       "q1": [-1.0, -0.5], "q3": [1.0, 1.5], "t": [0.2, 1.6],
                       "df": [5.0, 39.0], "p_change": [0.8, 0.1], "test_change": ["t", "t"],
                       "n_regression": [2, 36], "pct_regression": [33.3, 90.0]})
    reg = pd.DataFrame({"test": ["Fisher exact"], "statistic": [1.0], "df": [math.nan],
                        "p": [0.5], "note": [""]})
    diff = pd.DataFrame({"contrast": ["spotty - none"], "estimate": [0.4], "se": [0.5],
                         "df": [10.0], "ci_low": [-0.6], "ci_high": [1.4], "t": [0.8],
                         "p": [0.4], "test": ["Welch t-test"], "n": [46], "note": [""]})
    res = ProgressionSummary(dv="delta_pav", by_group=by, regression_test=reg,
                             difference_test=diff, n_missing={"none": 0, "spotty": 2},
                             levels=("none", "spotty"), notes=())
    out = redact_progression(res, rule7_exact)
    b = out.by_group.set_index("level")
    assert b.loc["none", "n"] == "≤7" and math.isnan(b.loc["none", "mean"])
    assert math.isnan(b.loc["none", "pct_regression"])
    # spotty: 36 of 40 with regression leaves 4 without (<= 7): 36 is hidden, and the
    # 2 missing are small as well (42 = 40 + 2 is the group's size)
    assert b.loc["spotty", "n_regression"] == REDACTED
    assert b.loc["spotty", "n_missing"] == "≤7" and b.loc["spotty", "mean"] == 0.5
    assert math.isnan(out.regression_test.iloc[0]["p"])
    assert math.isnan(out.difference_test.iloc[0]["estimate"])


def test_histogram_bins(rule7_exact):
    frame = pd.DataFrame({"level": ["none"] * 3, "bin": [0, 1, 2], "left": [0.0, 1.0, 2.0],
                          "right": [1.0, 2.0, 3.0], "count": [2, 20, 18],
                          "density": [0.05, 0.5, 0.45], "pct": [5.0, 50.0, 45.0],
                          "n": [40] * 3, "n_missing": [0] * 3})
    out = redact_distribution(frame, "histogram", rule7_exact)
    assert list(out["count"]) == ["≤7", 20, REDACTED]
    assert math.isnan(out["density"].iloc[0]) and out["density"].iloc[1] == 0.5


def test_box_outliers_dropped_and_small_group_withheld(rule7):
    frame = pd.DataFrame({"level": ["none", "spotty"], "n": [5, 30], "n_missing": [0, 0],
                          "mean": [0.1, 0.2], "q1": [-1.0, -0.5], "median": [0.0, 0.1],
                          "q3": [1.0, 0.9], "iqr": [2.0, 1.4], "whisker_low": [-2.0, -2.5],
                          "whisker_high": [2.0, 2.5], "n_outliers": [1, 2],
                          "outliers": [(7.8,), (-5.6, 4.4)]})
    out = redact_distribution(frame, "box", rule7)
    assert list(out["n"]) == ["≤7", 30] and math.isnan(out["median"].iloc[0])
    assert out["median"].iloc[1] == 0.1 and list(out["outliers"]) == [(), ()]


def test_interaction_cell_of_five_and_the_effects_that_use_it(rule7_exact):
    from analysis.disclosure.results import redact_interaction
    from analysis.stats.linear.interactions import InteractionResult

    cells = pd.DataFrame({"group": ["none", "none", "spotty", "spotty"],
                          "modifier_level": ["standard", "intensive"] * 2,
                          "ls_mean": [0.4, -0.5, 0.6, 0.1], "se": [0.1] * 4,
                          "ci_low": [0.2, -0.7, 0.4, -0.1], "ci_high": [0.6, -0.3, 0.8, 0.3],
                          "n": [11, 5, 33, 19]})
    effects = pd.DataFrame({
        "effect": ["therapy within group"] * 2 + ["group within therapy"] * 2,
        "within": ["none", "spotty", "standard", "intensive"],
        "contrast": ["intensive - standard"] * 2 + ["spotty - none"] * 2,
        "estimate": [-0.9, -0.5, 0.2, 0.6], "se": [0.2] * 4, "ci_low": [0.0] * 4,
        "ci_high": [1.0] * 4, "t": [1.0] * 4, "df": [60.0] * 4, "p": [0.1] * 4,
        "test": ["t"] * 4})
    empty = pd.DataFrame()
    res = InteractionResult(cells=cells, simple_effects=effects, p_interaction=0.2,
                            interaction_test="t", formula="f", n_used=68, weights="p",
                            method="m", notes=(), coefficients=empty, covariates=(),
                            dropped=(), excluded=empty, modifier="ldl_intensive")
    out = redact_interaction(res, rule7_exact)
    # none/intensive = 5: suppressed; with the group sizes (16, 52) and the therapy
    # levels' sizes (44, 24) known, a single small cell of a 2 x 2 table follows from any
    # other cell: all four are hidden (by hand)
    assert list(out.cells["n"]) == [REDACTED, "≤7", REDACTED, REDACTED]
    assert math.isnan(out.cells["ls_mean"].iloc[1]) and out.cells["ls_mean"].iloc[0] == 0.4
    e = out.simple_effects.set_index("within")["estimate"]
    assert math.isnan(e["none"]) and math.isnan(e["intensive"])
    assert e["spotty"] == -0.5 and e["standard"] == 0.2


def test_attrition_small_group_and_the_total(rule7_exact):
    # after the group step only none and spotty are left: n = none + spotty exactly, so
    # a none count of 4 needs a second hidden cell in that row
    frame = ATTRITION.assign(n=[200, 150, 146, 24], n_excluded=[0, 50, 4, 122],
                             n_none=[60, 60, 57, 4], n_spotty=[90, 90, 89, 20])
    out, groups, total = redact_attrition(frame, rule7_exact, {"none": 4, "spotty": 20})
    last = out.iloc[-1]
    assert last["n_none"] == "≤7" and groups["none"] == "≤7"
    assert sum(isinstance(last[c], str) for c in ("n", "n_none", "n_spotty")) >= 2
