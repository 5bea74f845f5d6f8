"""All sensitivity analyses of the adjusted comparison in one tidy frame (forest plot)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError
from analysis.progress import report
from analysis.stats.sensitivity import imputation, mixed, propensity, robust, trend
from analysis.stats.sensitivity.common import CONTRAST, check_options
from analysis.stats.sensitivity.imputation import multiple_imputation
from analysis.stats.sensitivity.linear_api import ancova
from analysis.stats.sensitivity.mixed import random_trial
from analysis.stats.sensitivity.propensity import propensity_weighted
from analysis.stats.sensitivity.robust import robust_hc3
from analysis.stats.sensitivity.trend import deposit_trend

COLUMNS = ["analysis", "estimate", "se", "ci_low", "ci_high", "p", "test", "n", "note",
           "estimand"]
MAIN = "Main model (ANCOVA)"

#: analysis functions of the table, in row order after the main model
ANALYSES: tuple[Callable, ...] = (robust_hc3, random_trial, propensity_weighted,
                                  multiple_imputation, deposit_trend)
#: row label of each analysis (used when it cannot be run and has no result to name it)
LABELS: dict[Callable, str] = {
    robust_hc3: robust.ANALYSIS, random_trial: mixed.ANALYSIS,
    propensity_weighted: propensity.ANALYSIS, multiple_imputation: imputation.ANALYSIS,
    deposit_trend: trend.ANALYSIS,
}


def _main_row(data: pd.DataFrame, dv: str, covar, weights: str, alpha: float,
              min_group_n: int | None) -> dict:
    res = ancova(data, dv, covar=covar, weights=weights, alpha=alpha,
                 min_group_n=min_group_n, diagnostics=False)
    c = res.contrast.iloc[0]
    return {"analysis": MAIN, "estimate": float(c["estimate"]), "se": float(c["se"]),
            "ci_low": float(c["ci_low"]), "ci_high": float(c["ci_high"]),
            "p": float(c["p"]), "test": str(c["test"]), "n": int(res.n_used),
            "note": "; ".join(res.notes), "estimand": CONTRAST}


def sensitivity_table(data: pd.DataFrame, dv: str, *,
                      covar: Sequence[str] | str | None = None,
                      weights: str = "proportional", alpha: float = 0.05,
                      min_group_n: int | None = None,
                      analyses: Sequence[Callable] = ANALYSES) -> pd.DataFrame:
    """The main adjusted comparison and each sensitivity analysis, one row each.

    Parameters
    ----------
    data : DataFrame
    dv : str
        Numeric outcome.
    covar : sequence of str, optional
        Covariates of every analysis; default
        :func:`analysis.data.schema.default_covariates` of ``dv``.
    weights : {"proportional", "equal"}
    alpha : float
    min_group_n : int, optional
    analyses : sequence of callables
        The sensitivity analyses (default all: HC3, random trial, propensity weighting,
        multiple imputation, deposit trend); each ``fn(data, dv, *, covar, weights,
        alpha, min_group_n)``. Their own options (trim, m, seed) come from settings.

    Returns
    -------
    DataFrame
        ``analysis, estimate, se, ci_low, ci_high, p, test, n, note, estimand``: the
        spotty - none difference (``estimand`` names it; the deposit trend row is a slope
        per deposit category) with its (1 - alpha) CI, the test behind ``p``, the
        patients analysed and the notes joined by ``"; "``. An analysis that cannot be
        run on the selection keeps its row with NaN numbers and the reason in ``note``;
        the main model's failure is raised.

    Raises
    ------
    AnalysisError
        Bad inputs or a main model that cannot be fitted.
    """
    check_options(weights, alpha)
    rows = [_main_row(data, dv, covar, weights, alpha, min_group_n)]
    for k, fn in enumerate(analyses, start=1):
        report(f"Sensitivity analysis {k} of {len(analyses)}: "
               f"{LABELS.get(fn, getattr(fn, '__name__', 'analysis'))}")
        try:
            r = fn(data, dv, covar=covar, weights=weights, alpha=alpha, min_group_n=min_group_n)
        except AnalysisError as err:
            name = LABELS.get(fn, getattr(fn, "__name__", "analysis"))
            rows.append({"analysis": name, "estimate": np.nan, "se": np.nan,
                         "ci_low": np.nan, "ci_high": np.nan, "p": np.nan, "test": "",
                         "n": 0, "note": f"not estimated: {err}", "estimand": ""})
            continue
        rows.append({"analysis": r.analysis, "estimate": r.estimate, "se": r.se,
                     "ci_low": r.ci_low, "ci_high": r.ci_high, "p": r.p, "test": r.test,
                     "n": r.n, "note": "; ".join(r.notes), "estimand": r.estimand})
    return pd.DataFrame(rows, columns=COLUMNS)
