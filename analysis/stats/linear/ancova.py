"""Adjusted comparison of the groups: ANCOVA by OLS with LS means.

``ancova(data, "delta_pav")`` fits ``delta_pav ~ calcification + pav_baseline + trial +
age + sex + diabetes + prior_mi + hdl_c`` by ordinary least squares (statsmodels,
:mod:`analysis.stats.linear.fit`) on the patients with spotty or no calcification and
reports LS (adjusted) means per group, the spotty - none contrast, the coefficients
and model diagnostics.

Formula safety: every name is checked against the data dictionary
(:mod:`analysis.stats.linear.checks`) and the model is built as a NumPy design matrix
(:mod:`analysis.stats.linear.design`); no formula string is ever parsed, so a column
name can never become code. ``.formula`` is a human-readable description only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.data.schema import GROUP, VARIABLES
from analysis.stats.linear.checks import check_frame, check_options
from analysis.stats.linear.columns import ModelData
from analysis.stats.linear.describe import (
    COEF_TEST,
    CONTRAST_TEST,
    UNADJUSTED_TEST,
    formula_text,
    weighting_text,
)
from analysis.stats.linear.design import NumericTerm
from analysis.stats.linear.diagnostics import diagnostics_table, empty_diagnostics
from analysis.stats.linear.fit import Fit, estimates
from analysis.stats.linear.overall import OverallModel, fit_overall


@dataclass(frozen=True)
class AncovaResult:
    """Result of :func:`ancova`.

    Attributes
    ----------
    ls_means : DataFrame
        ``level, ls_mean, se, ci_low, ci_high, n`` (one row per compared group).
    contrast : DataFrame
        ``contrast, estimate, se, ci_low, ci_high, t, df, p, test`` (``"spotty - none"``).
    coefficients : DataFrame
        ``term, estimate, se, t, p, ci_low, ci_high, test``.
    diagnostics : DataFrame
        ``statistic, value, note`` (empty when ``diagnostics=False``).
    formula : str
        Human-readable model, dictionary names.
    covariates : tuple of str
        Covariates in the fitted model.
    dropped : tuple of str
        ``"name: reason"`` for each requested covariate that was left out.
    weights : str
        ``"proportional"`` or ``"equal"``.
    n_used : int
        Rows in the fitted model.
    excluded : DataFrame
        ``column, n_missing, reason``: rows left out, per column.
    method : str
        One sentence naming model, covariates, weighting and n.
    notes : tuple of str
    dv, between : str
    alpha : float
    df_resid : float
    """

    ls_means: pd.DataFrame
    contrast: pd.DataFrame
    coefficients: pd.DataFrame
    diagnostics: pd.DataFrame
    formula: str
    covariates: tuple[str, ...]
    dropped: tuple[str, ...]
    weights: str
    n_used: int
    excluded: pd.DataFrame
    method: str
    notes: tuple[str, ...]
    dv: str = ""
    between: str = GROUP
    alpha: float = 0.05
    df_resid: float = float("nan")

    @property
    def residual_summary(self) -> pd.DataFrame:
        """The residual rows of :attr:`diagnostics`."""
        d = self.diagnostics
        return d[d["statistic"].str.startswith("residual")].reset_index(drop=True)



def ancova(data: pd.DataFrame, dv: str, *, between: str = GROUP,
           covar: Sequence[str] | str | None = None, weights: str = "proportional",
           alpha: float = 0.05, min_group_n: int | None = None,
           diagnostics: bool = True) -> AncovaResult:
    """Adjusted group comparison by ANCOVA (OLS) with LS means.

    Parameters
    ----------
    data : DataFrame
        Patient rows with dictionary column names (validated dtypes or plain ones).
    dv : str
        Numeric outcome, e.g. ``"delta_pav"``.
    between : str
        Grouping factor; for ``calcification`` the comparison is spotty vs none and
        patients with other calcification are excluded (and counted).
    covar : sequence of str, optional
        Covariates; default :func:`analysis.data.schema.default_covariates` of ``dv``.
        Binary and categorical covariates enter as factors (first level reference),
        numeric ones linearly.
    weights : {"proportional", "equal"}
        Weighting of the reference grid over factor-covariate levels (emmeans
        conventions; see :mod:`analysis.stats.linear.design`).
    alpha : float
        1 - confidence level.
    min_group_n : int, optional
        Smallest analysed group; default ``settings.current().min_group_n``.
    diagnostics : bool
        Compute :attr:`AncovaResult.diagnostics` (two auxiliary fits and the influence).

    Returns
    -------
    AncovaResult

    Raises
    ------
    AnalysisError
        Unknown or absent names, a non-numeric outcome, a too-small group.
    """
    check_frame(data)
    check_options(weights, alpha)
    model = fit_overall(data, dv, between=between, covar=covar, min_group_n=min_group_n)
    return ancova_of(model, weights=weights, alpha=alpha, diagnostics=diagnostics)


def ancova_of(model: OverallModel, *, weights: str = "proportional", alpha: float = 0.05,
              diagnostics: bool = True) -> AncovaResult:
    """The ANCOVA result of a fitted overall model
    (:func:`analysis.stats.linear.overall.fit_overall`); :func:`ancova` is
    ``ancova_of(fit_overall(data, dv, ...))``."""
    check_options(weights, alpha)
    return ancova_from_fit(model.fit, model.data, model.dv, weights=weights, alpha=alpha,
                           diagnostics=diagnostics)


def ancova_from_fit(f: Fit, md: ModelData, dv: str, *, weights: str = "proportional",
                    alpha: float = 0.05, diagnostics: bool = True) -> AncovaResult:
    """The ANCOVA result of a fit of ``md`` (:func:`analysis.stats.linear.fit.fit`).

    LS means, contrasts and coefficients come from one ``t_test``; the function is
    long only because it writes the three tables out.
    """
    design = f.design
    focal = design.focal
    L = design.lsmeans_matrix(weights)
    k, p = L.shape
    # one t_test for LS means, contrasts and coefficients (rows stacked)
    est = estimates(f, np.vstack([L, L[1:] - L[0], np.eye(p)]), alpha)
    ls = slice(0, k)
    # an explicit RangeIndex spares pandas inferring one per table
    ls_means = pd.DataFrame(index=pd.RangeIndex(k), data={
        "level": list(focal.levels), "ls_mean": est.estimate[ls], "se": est.se[ls],
        "ci_low": est.ci_low[ls], "ci_high": est.ci_high[ls], "n": focal.counts().astype(int),
    })
    c = slice(k, 2 * k - 1)
    contrast = pd.DataFrame(index=pd.RangeIndex(k - 1), data={
        "contrast": [f"{lev} - {focal.levels[0]}" for lev in focal.levels[1:]],
        "estimate": est.estimate[c], "se": est.se[c], "ci_low": est.ci_low[c],
        "ci_high": est.ci_high[c], "t": est.t[c], "df": np.full(k - 1, f.df_resid),
        "p": est.p[c], "test": [CONTRAST_TEST if design.covariates else UNADJUSTED_TEST] * (k - 1),
    })
    b = slice(2 * k - 1, None)
    coefficients = pd.DataFrame(index=pd.RangeIndex(p), data={
        "term": design.column_names(), "estimate": est.estimate[b], "se": est.se[b],
        "t": est.t[b], "p": est.p[b], "ci_low": est.ci_low[b], "ci_high": est.ci_high[b],
        "test": [COEF_TEST] * p,
    })
    covs = tuple(t.name for t in md.covariates)
    slope = VARIABLES[dv].baseline if dv in VARIABLES else None
    if slope is None or slope not in covs:
        slope = next((t.name for t in md.covariates if isinstance(t, NumericTerm)), None)
    diag = diagnostics_table(f, md, slope) if diagnostics else empty_diagnostics()
    formula = formula_text(dv, focal.name, covs)
    if covs:
        method = (f"ANCOVA (OLS): {formula}; {weighting_text(weights)}, numeric covariates "
                  f"at their mean; n = {md.n}")
    else:  # no covariates: the "LS means" are the raw group means
        method = (f"Unadjusted group means (OLS with no covariates: {formula}); SE and CI "
                  f"from the pooled residual variance; n = {md.n}")
    return AncovaResult(
        ls_means=ls_means, contrast=contrast, coefficients=coefficients,
        diagnostics=diag, formula=formula, covariates=covs, dropped=md.dropped,
        weights=weights, n_used=md.n, excluded=md.excluded, method=method,
        notes=md.notes, dv=dv, between=focal.name, alpha=float(alpha), df_resid=f.df_resid)

