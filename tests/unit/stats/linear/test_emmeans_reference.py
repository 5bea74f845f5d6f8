"""LS means, contrasts and interaction results agree with R's emmeans to 10 significant digits.

The reference numbers are committed CSV files written by
``tests/reference/emmeans_reference.R`` (run ``Rscript tests/reference/emmeans_reference.R``
from the repository root to regenerate them; see tests/reference/README.md). They were
produced with R 4.2.2 and emmeans 1.8.4-1 (versions recorded in
tests/reference/emmeans_meta.csv) from ``lm()`` fits of the same data:

* ``data/simulated_cohort.csv`` (1347 patients, all complete) and
* ``tests/reference/emmeans_small_cohort.csv`` (63 patients, unbalanced trials, one
  missing value in each of hdl_c / pav_followup / tav_baseline, 2 "other" rows).

Every comparison is relative, ``pytest.approx(rel=1e-10)``. Each test names the R call
that produced its numbers; ``model`` in the CSV files holds the exact formula.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.data.loader import load_bundled, load_dataset
from analysis.stats.linear.ancova import ancova
from analysis.stats.linear.interactions import interaction

REF_DIR = Path(__file__).resolve().parents[3] / "reference"
REL = 1e-10  # 10 significant digits (they agree to 12 here; margin for other BLAS builds)


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF_DIR / name)


LSMEANS = _read("emmeans_lsmeans.csv")
CONTRASTS = _read("emmeans_contrasts.csv")
CELLS = _read("emmeans_cells.csv")
SIMPLE = _read("emmeans_simple_effects.csv")
P_INTERACTION = _read("emmeans_interaction_p.csv")
META = _read("emmeans_meta.csv").iloc[0]
R_SOURCE = f"{META['R']}, emmeans {META['emmeans']}"

#: our weighting -> the emmeans weighting it must reproduce
OURS_TO_EMMEANS = {"proportional": "proportional", "equal": "equal"}

MAIN_CASES = list(dict.fromkeys(LSMEANS["case"]))
INT_CASES = list(dict.fromkeys(CELLS["case"]))


@pytest.fixture(scope="module")
def datasets() -> dict[str, pd.DataFrame]:
    """The two analysed data sets, loaded the way the app loads them."""
    small = load_dataset(REF_DIR / "emmeans_small_cohort.csv")
    return {"cohort": load_bundled().frame, "small": small.frame}


def _case(ref: pd.DataFrame, case: str, weights: str) -> pd.DataFrame:
    rows = ref[(ref["case"] == case) & (ref["weights"] == weights)]
    assert not rows.empty, f"no {weights!r} rows for {case!r} in the reference files"
    return rows.reset_index(drop=True)


def _spec(rows: pd.DataFrame) -> tuple[str, str, list[str]]:
    first = rows.iloc[0]
    return first["data"], first["dv"], first["covariates"].split("+")


def _approx(values) -> object:
    return pytest.approx(np.asarray(values, dtype=float), rel=REL)


def test_reference_files_cover_the_planned_cases():
    # The R script writes 6 main-effects models x 5 weightings x 2 levels and
    # 3 interaction models x 3 weightings x 4 cells; an empty or truncated file would
    # otherwise leave the parametrised tests below with nothing to check.
    assert len(MAIN_CASES) == 6 and len(LSMEANS) == 6 * 5 * 2
    assert len(CONTRASTS) == 6 * 5
    assert len(INT_CASES) == 3 and len(CELLS) == 3 * 3 * 4
    assert len(SIMPLE) == 3 * 3 * 4 and len(P_INTERACTION) == 3
    assert META["emmeans"].startswith("1.8")


@pytest.mark.parametrize("weights", list(OURS_TO_EMMEANS))
@pytest.mark.parametrize("case", MAIN_CASES)
def test_ls_means_match_emmeans(datasets, case, weights):
    ref = _case(LSMEANS, case, OURS_TO_EMMEANS[weights])
    data, dv, covar = _spec(ref)
    res = ancova(datasets[data], dv, covar=covar, weights=weights, diagnostics=False)
    ours = res.ls_means.set_index("level").loc[ref["level"]]
    # Reference: emmeans_lsmeans.csv (R 4.2.2, emmeans 1.8.4-1):
    #   summary(emmeans(lm(<model>), "calcification", weights = <weights>),
    #           infer = c(TRUE, TRUE))  -> emmean, SE, lower.CL, upper.CL, df
    assert ours["ls_mean"].to_numpy() == _approx(ref["emmean"]), R_SOURCE
    assert ours["se"].to_numpy() == _approx(ref["SE"]), R_SOURCE
    assert ours["ci_low"].to_numpy() == _approx(ref["lower.CL"]), R_SOURCE
    assert ours["ci_high"].to_numpy() == _approx(ref["upper.CL"]), R_SOURCE
    assert res.df_resid == pytest.approx(float(ref["df"].iloc[0]), rel=REL)
    # Reference: table(d$calcification) and nrow(d) of R's complete-case model frame
    # (the small file has 2 "other" rows and 2 incomplete rows per outcome).
    assert ours["n"].tolist() == ref["n"].tolist()
    assert res.n_used == int(ref["n_used"].iloc[0])


@pytest.mark.parametrize("weights", list(OURS_TO_EMMEANS))
@pytest.mark.parametrize("case", MAIN_CASES)
def test_contrast_matches_emmeans(datasets, case, weights):
    rows = _case(CONTRASTS, case, OURS_TO_EMMEANS[weights])
    ref = rows.iloc[0]
    data, dv, covar = _spec(rows)
    res = ancova(datasets[data], dv, covar=covar, weights=weights, diagnostics=False)
    ours = res.contrast.set_index("contrast").loc["spotty - none"]
    # Reference: emmeans_contrasts.csv (R 4.2.2, emmeans 1.8.4-1):
    #   summary(contrast(emmeans(lm(<model>), "calcification", weights = <weights>),
    #                    list("spotty - none" = c(-1, 1))),
    #           infer = c(TRUE, TRUE), adjust = "none")
    assert ref["contrast"] == "spotty - none"
    assert ours["estimate"] == pytest.approx(ref["estimate"], rel=REL), R_SOURCE
    assert ours["se"] == pytest.approx(ref["SE"], rel=REL), R_SOURCE
    assert ours["ci_low"] == pytest.approx(ref["lower.CL"], rel=REL), R_SOURCE
    assert ours["ci_high"] == pytest.approx(ref["upper.CL"], rel=REL), R_SOURCE
    assert ours["t"] == pytest.approx(ref["t.ratio"], rel=REL), R_SOURCE
    assert ours["df"] == pytest.approx(ref["df"], rel=REL), R_SOURCE
    assert ours["p"] == pytest.approx(ref["p.value"], rel=REL), R_SOURCE


@pytest.mark.parametrize("case", MAIN_CASES)
def test_proportional_is_emmeans_proportional_and_outer_not_cells(datasets, case):
    # Which emmeans weighting is ours? With covariates as main effects only, emmeans
    # "proportional" (joint frequencies of the averaged-over factor combinations) and
    # "outer" (product of one-factor margins) give the same LS means, and ours equals
    # both; "cells" (frequencies within each calcification level) is a different
    # estimand, off by far more than the tolerance.
    # Reference: emmeans_lsmeans.csv, emmeans(fit, "calcification", weights = "outer"/"cells").
    outer = _case(LSMEANS, case, "outer")
    cells = _case(LSMEANS, case, "cells")
    data, dv, covar = _spec(outer)
    ours = ancova(datasets[data], dv, covar=covar, weights="proportional",
                  diagnostics=False).ls_means.set_index("level").loc[outer["level"]]
    assert ours["ls_mean"].to_numpy() == _approx(outer["emmean"])
    assert ours["se"].to_numpy() == _approx(outer["SE"])
    # "cells" differs by 0.15 % (cohort_tav_short) to 130 % (cohort_pav_default) relative
    # (emmeans_lsmeans.csv): a fixed 0.1 % bound, not REL, so a tighter REL cannot weaken it
    assert ours["ls_mean"].to_numpy() != pytest.approx(cells["emmean"].to_numpy(float), rel=1e-3)


@pytest.mark.parametrize("weights", list(OURS_TO_EMMEANS))
@pytest.mark.parametrize("case", INT_CASES)
def test_interaction_cells_match_emmeans(datasets, case, weights):
    ref = _case(CELLS, case, OURS_TO_EMMEANS[weights])
    data, dv, covar = _spec(ref)
    res = interaction(datasets[data], dv, "ldl_intensive", covar=covar, weights=weights)
    ours = res.cells.set_index(["group", "modifier_level"]).loc[
        list(zip(ref["group"], ref["modifier_level"], strict=True))]
    # Reference: emmeans_cells.csv (R 4.2.2, emmeans 1.8.4-1), ldl_intensive =
    # factor(ldl_c < 70, labels = c("standard", "intensive")):
    #   summary(emmeans(lm(<dv> ~ calcification * ldl_intensive + <covariates>),
    #                   ~ calcification * ldl_intensive, weights = <weights>),
    #           infer = c(TRUE, TRUE))
    assert ours["ls_mean"].to_numpy() == _approx(ref["emmean"]), R_SOURCE
    assert ours["se"].to_numpy() == _approx(ref["SE"]), R_SOURCE
    assert ours["ci_low"].to_numpy() == _approx(ref["lower.CL"]), R_SOURCE
    assert ours["ci_high"].to_numpy() == _approx(ref["upper.CL"]), R_SOURCE
    # Reference: table(d$calcification, d$ldl_intensive) and nrow(d) in R.
    assert ours["n"].tolist() == ref["n"].tolist()
    assert res.n_used == int(ref["n_used"].iloc[0])


@pytest.mark.parametrize("weights", list(OURS_TO_EMMEANS))
@pytest.mark.parametrize("case", INT_CASES)
def test_simple_effects_match_emmeans(datasets, case, weights):
    ref = _case(SIMPLE, case, OURS_TO_EMMEANS[weights])
    data, dv, covar = _spec(ref)
    res = interaction(datasets[data], dv, "ldl_intensive", covar=covar, weights=weights)
    ours = res.simple_effects.set_index(["effect", "within", "contrast"]).loc[
        list(zip(ref["effect"], ref["within"], ref["contrast"], strict=True))]
    # Reference: emmeans_simple_effects.csv (R 4.2.2, emmeans 1.8.4-1), emm = the cell
    # emmeans above:
    #   "therapy within group": contrast(emm, "revpairwise", by = "calcification",
    #                                    adjust = "none")  -> intensive - standard
    #   "group within therapy": contrast(emm, "revpairwise", by = "ldl_intensive",
    #                                    adjust = "none")  -> spotty - none
    #   each summarised with infer = c(TRUE, TRUE)
    assert ours["estimate"].to_numpy() == _approx(ref["estimate"]), R_SOURCE
    assert ours["se"].to_numpy() == _approx(ref["SE"]), R_SOURCE
    assert ours["ci_low"].to_numpy() == _approx(ref["lower.CL"]), R_SOURCE
    assert ours["ci_high"].to_numpy() == _approx(ref["upper.CL"]), R_SOURCE
    assert ours["t"].to_numpy() == _approx(ref["t.ratio"]), R_SOURCE
    assert ours["df"].to_numpy() == _approx(ref["df"]), R_SOURCE
    assert ours["p"].to_numpy() == _approx(ref["p.value"]), R_SOURCE


@pytest.mark.parametrize("case", INT_CASES)
def test_interaction_p_matches_lm(datasets, case):
    ref = P_INTERACTION[P_INTERACTION["case"] == case].iloc[0]
    data, dv, covar = ref["data"], ref["dv"], ref["covariates"].split("+")
    res = interaction(datasets[data], dv, "ldl_intensive", covar=covar)
    coef = res.coefficients.set_index("term")
    # Reference: emmeans_interaction_p.csv (R 4.2.2): summary(lm(<model>))$coefficients
    #   ["calcificationspotty:ldl_intensiveintensive", ] -> Estimate, Std. Error, t, Pr(>|t|)
    assert res.p_interaction == pytest.approx(ref["p.value"], rel=REL), R_SOURCE
    assert "t-test" in res.interaction_test
    product = coef.loc["calcification[spotty]:ldl_intensive[intensive]"]
    assert product["estimate"] == pytest.approx(ref["estimate"], rel=REL)
    assert product["se"] == pytest.approx(ref["SE"], rel=REL)
    assert product["t"] == pytest.approx(ref["t.ratio"], rel=REL)


def test_reference_comparison_leaves_the_data_unchanged(datasets):
    frame = datasets["small"]
    before = frame.copy(deep=True)
    ancova(frame, "delta_pav", weights="equal")
    interaction(frame, "delta_pav", "ldl_intensive")
    pd.testing.assert_frame_equal(frame, before)
