"""Effect modification: does the group difference depend on a therapy (or other) factor?

``interaction(data, "delta_pav", "ldl_intensive")`` fits
``delta_pav ~ calcification * ldl_intensive + covariates`` (OLS) and reports LS means per
group x modifier cell, the simple effects (therapy benefit within each group, group
difference within each therapy level) and the interaction p-value.

Cut-points are not constants here. ``ldl_intensive`` / ``sbp_intensive`` are computed by
:func:`analysis.data.derive.add_derived` at the cut-points the caller chose; alternatively
pass a numeric modifier (``"ldl_c"``) with ``cut=70`` to split it on the fly into
``"≥ 70"`` (reference) and ``"< 70"``.

``continuous_interaction`` keeps the modifier numeric (linear) and returns adjusted
outcome curves with confidence bands per group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.data.schema import GROUP, GROUP_LEVELS, default_covariates
from analysis.errors import AnalysisError
from analysis.stats.linear.checks import (
    check_between,
    check_frame,
    check_options,
    check_outcome,
    check_variable,
    resolve_covariates,
)
from analysis.stats.linear.columns import Column, ModelData, column, prepare
from analysis.stats.linear.describe import formula_text, weighting_text
from analysis.stats.linear.fit import Fit, coefficient_table, estimates, fit, selector


@dataclass(frozen=True)
class InteractionResult:
    """Result of :func:`interaction`.

    Attributes
    ----------
    cells : DataFrame
        ``group, modifier_level, ls_mean, se, ci_low, ci_high, n``.
    simple_effects : DataFrame
        ``effect, within, contrast, estimate, se, ci_low, ci_high, t, df, p, test``;
        ``effect`` is ``"therapy within group"`` (modifier level - reference level within
        a group) or ``"group within therapy"`` (spotty - none within a modifier level).
    p_interaction : float
    interaction_test : str
        Names the test (t-test of the single product term for 2 x 2; F-test otherwise).
    coefficients : DataFrame
    formula, method : str
    n_used : int
    weights : str
    covariates, dropped, notes : tuple of str
    excluded : DataFrame
    modifier : str
    cut : float or None
    """

    cells: pd.DataFrame
    simple_effects: pd.DataFrame
    p_interaction: float
    interaction_test: str
    formula: str
    n_used: int
    weights: str
    method: str
    notes: tuple[str, ...]
    coefficients: pd.DataFrame
    covariates: tuple[str, ...]
    dropped: tuple[str, ...]
    excluded: pd.DataFrame
    modifier: str
    cut: float | None = None


@dataclass(frozen=True)
class ContinuousInteractionResult:
    """Result of :func:`continuous_interaction`.

    Attributes
    ----------
    curve : DataFrame
        ``group, x, fit, se, ci_low, ci_high``: adjusted outcome over the modifier's
        range per group (other covariates at reference-grid averages).
    p_interaction : float
    interaction_test : str
    formula, method : str
    n_used : int
    notes : tuple of str
    coefficients : DataFrame
    modifier : str
    x_range : tuple of float
        Percentiles of the modifier spanned by the curve.
    """

    curve: pd.DataFrame
    p_interaction: float
    interaction_test: str
    formula: str
    n_used: int
    method: str
    notes: tuple[str, ...]
    coefficients: pd.DataFrame
    modifier: str
    x_range: tuple[float, float]


def split_column(data: pd.DataFrame, name: str, cut: float) -> Column:
    """``name`` split at ``cut`` into a factor: ``"≥ cut"`` (reference) / ``"< cut"``."""
    values = pd.to_numeric(data[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    levels = (f"≥ {cut:g}", f"< {cut:g}")
    labels = np.where(values < cut, levels[1], levels[0])
    series = pd.Series(pd.Categorical(np.where(np.isnan(values), None, labels),
                                      categories=list(levels)), index=data.index)
    return Column(name, series, "factor", None, levels)


def product_test(results, cols: list[int], focal: str, modifier: str, *,
                 linear: bool = False) -> tuple[float, str]:
    """p of the product columns ``cols`` of statsmodels OLS ``results``, and its name:
    ``t_test`` for one product column, ``f_test`` for more."""
    kind = "linear " if linear else ""
    df = float(results.df_resid)
    R = selector(cols, len(results.params))
    if len(cols) == 1:
        p = float(np.squeeze(results.t_test(R).pvalue))
        return p, (f"t-test of the {focal} × {modifier} {kind}product term "
                   f"(ANCOVA, df = {df:g})")
    test = results.f_test(R)
    return float(test.pvalue), (f"F-test of the {focal} × {modifier} {kind}interaction terms "
                                f"(ANCOVA, F = {float(np.squeeze(test.fvalue)):.3g}, "
                                f"df = {int(test.df_num)}, {df:g})")


def interaction_test(f: Fit, focal: str, modifier: str, *, linear: bool = False) -> tuple[float, str]:
    """p of the focal x modifier term: t-test for one product column, F-test for more."""
    return product_test(f.results, f.design.interaction_columns(), focal, modifier,
                        linear=linear)


def fit_modified(data: pd.DataFrame, dv: str, modifier: Column, *, between: str = GROUP,
                 covar: Sequence[str] | str | None = None, min_group_n: int | None = None,
                 exclude: Sequence[str] = ()) -> tuple[Fit, ModelData]:
    """Fit ``dv ~ between * modifier + covariates`` (names already checked)."""
    names, dropped0 = resolve_covariates(data, dv, covar,
                                         exclude=(between, modifier.name, *exclude))
    md = prepare(column(data, dv), column(data, between), [column(data, c) for c in names],
                 focal_levels=GROUP_LEVELS if between == GROUP else None, modifier=modifier,
                 min_group_n=min_group_n, dropped=dropped0, what="the interaction model")
    return fit(md)


def _modifier_column(data: pd.DataFrame, modifier: str, cut: float | None) -> Column:
    var = check_variable(data, modifier, "Modifier")
    if cut is not None:
        if not var.is_numeric:
            raise AnalysisError(f"cut= applies to a numeric modifier; '{modifier}' is "
                                "categorical already. Leave cut out.")
        if not np.isfinite(float(cut)):
            raise AnalysisError(f"cut must be a finite number, not {cut!r}.")
        return split_column(data, modifier, float(cut))
    if var.is_numeric:
        raise AnalysisError(f"'{modifier}' is numeric: pass cut= to split it, or use "
                            "continuous_interaction for a linear interaction.")
    return column(data, modifier)


def _simple_effects(f: Fit, L: dict, g_levels: tuple[str, ...], m_levels: tuple[str, ...],
                    alpha: float) -> pd.DataFrame:
    """Therapy within each group and group within each therapy level (t-tests)."""
    kg, km = len(g_levels), len(m_levels)
    rows, Ls = [], []
    for g in range(kg):
        for m in range(1, km):
            rows.append(("therapy within group", g_levels[g], f"{m_levels[m]} - {m_levels[0]}"))
            Ls.append(L[(g, m)] - L[(g, 0)])
    for m in range(km):
        for g in range(1, kg):
            rows.append(("group within therapy", m_levels[m], f"{g_levels[g]} - {g_levels[0]}"))
            Ls.append(L[(g, m)] - L[(0, m)])
    se_ = estimates(f, np.vstack(Ls), alpha)
    return pd.DataFrame({
        "effect": [r[0] for r in rows], "within": [r[1] for r in rows],
        "contrast": [r[2] for r in rows], "estimate": se_.estimate, "se": se_.se,
        "ci_low": se_.ci_low, "ci_high": se_.ci_high, "t": se_.t,
        "df": np.full(len(rows), f.df_resid), "p": se_.p,
        "test": ["t-test of LS-mean difference (ANCOVA with interaction)"] * len(rows),
    })


def interaction(data: pd.DataFrame, dv: str, modifier: str, *, between: str = GROUP,
                covar: Sequence[str] | str | None = None, weights: str = "proportional",
                alpha: float = 0.05, cut: float | None = None,
                min_group_n: int | None = None) -> InteractionResult:
    """Group x modifier ANCOVA with cell LS means, simple effects and interaction p.

    Parameters
    ----------
    data : DataFrame
        Patient rows. For therapy modifiers compute ``ldl_intensive``/``sbp_intensive``
        at the wanted cut-points with :func:`analysis.data.derive.add_derived` first.
    dv : str
        Numeric outcome.
    modifier : str
        Categorical/binary dictionary variable (e.g. ``"ldl_intensive"``), or a numeric
        one together with ``cut``.
    between : str
        Grouping factor (spotty vs none for ``calcification``).
    covar : sequence of str, optional
        Covariates (default set if None); the modifier is removed from them.
    weights : {"proportional", "equal"}
        Reference-grid weighting over the covariates' factor levels.
    alpha : float
    cut : float, optional
        Split a numeric modifier at ``cut``: ``"< cut"`` vs ``"≥ cut"`` (reference).
    min_group_n : int, optional
        Smallest analysed group (default from settings).

    Returns
    -------
    InteractionResult
    """
    check_frame(data)
    check_options(weights, alpha)
    check_outcome(data, dv)
    check_between(data, between)
    mod = _modifier_column(data, modifier, cut)
    if modifier in (dv, between):
        raise AnalysisError(f"The modifier '{modifier}' must differ from the outcome and "
                            "the grouping variable.")
    f, md = fit_modified(data, dv, mod, between=between, covar=covar, min_group_n=min_group_n)
    design = f.design
    g_levels, m_levels = design.focal.levels, design.modifier.levels
    kg, km = len(g_levels), len(m_levels)
    L = {(g, m): design.grid_row(g, m, weights=weights) for g in range(kg) for m in range(km)}
    cell_n = np.bincount(design.focal.codes * km + design.modifier.codes, minlength=kg * km)

    keys = list(L)
    est = estimates(f, np.vstack([L[k] for k in keys]), alpha)
    cells = pd.DataFrame({
        "group": [g_levels[g] for g, _ in keys], "modifier_level": [m_levels[m] for _, m in keys],
        "ls_mean": est.estimate, "se": est.se, "ci_low": est.ci_low, "ci_high": est.ci_high,
        "n": [int(cell_n[g * km + m]) for g, m in keys],
    })

    simple = _simple_effects(f, L, g_levels, m_levels, alpha)
    p_int, test = interaction_test(f, between, modifier)
    covs = tuple(t.name for t in md.covariates)
    mod_label = modifier if cut is None else f"{modifier} (split at {cut:g})"
    formula = formula_text(dv, between, covs, mod_label)
    method = (f"ANCOVA (OLS) with interaction: {formula}; {weighting_text(weights)}, numeric "
              f"covariates at their mean; n = {md.n}")
    notes = list(md.notes)
    requested = default_covariates(dv) if covar is None else (
        [covar] if isinstance(covar, str) else list(covar))
    if modifier in requested:
        notes.append(f"{modifier} is the modifier, so it was taken out of the covariates "
                     "(it is in the model through the interaction).")
    if cut is not None:
        notes.append(f"{modifier} split at {cut:g}: '< {cut:g}' vs '≥ {cut:g}' (reference).")
    return InteractionResult(
        cells=cells, simple_effects=simple, p_interaction=p_int, interaction_test=test,
        formula=formula, n_used=md.n, weights=weights, method=method, notes=tuple(notes),
        coefficients=coefficient_table(f, alpha), covariates=covs, dropped=md.dropped,
        excluded=md.excluded, modifier=modifier, cut=None if cut is None else float(cut))


def continuous_interaction(data: pd.DataFrame, dv: str, modifier: str, *,
                           between: str = GROUP, covar: Sequence[str] | str | None = None,
                           points: int = 50, weights: str = "proportional",
                           alpha: float = 0.05, percentiles: tuple[float, float] = (5.0, 95.0),
                           min_group_n: int | None = None) -> ContinuousInteractionResult:
    """Adjusted outcome over a numeric modifier per group, with CI bands.

    Fits ``dv ~ between * modifier + covariates`` with the modifier linear. The curve
    spans the modifier's ``percentiles`` (default 5th-95th) over the analysed rows at
    ``points`` values; other covariates are at their reference-grid averages
    (``weights``). ``p_interaction`` tests the group x modifier (linear) product.
    """
    check_frame(data)
    check_options(weights, alpha)
    check_outcome(data, dv)
    check_between(data, between)
    var = check_variable(data, modifier, "Modifier")
    if not var.is_numeric:
        raise AnalysisError(f"'{modifier}' is categorical; use interaction() for it.")
    if modifier in (dv, between):
        raise AnalysisError(f"The modifier '{modifier}' must differ from the outcome.")
    if not (isinstance(points, int) and 2 <= points <= 1000):
        raise AnalysisError(f"points must be an integer between 2 and 1000, not {points!r}.")
    lo_p, hi_p = percentiles
    if not (0.0 <= lo_p < hi_p <= 100.0):
        raise AnalysisError("percentiles must be two numbers 0 <= low < high <= 100.")
    f, md = fit_modified(data, dv, column(data, modifier), between=between, covar=covar,
                         min_group_n=min_group_n)
    design = f.design
    lo, hi = np.percentile(design.modifier.values, [lo_p, hi_p])
    xs = np.linspace(lo, hi, points)
    Ls, groups = [], []
    for g, level in enumerate(design.focal.levels):
        for x in xs:
            Ls.append(design.grid_row(g, x, weights=weights))
            groups.append(level)
    est = estimates(f, np.vstack(Ls), alpha)
    curve = pd.DataFrame({"group": groups, "x": np.tile(xs, design.focal.k),
                          "fit": est.estimate, "se": est.se, "ci_low": est.ci_low,
                          "ci_high": est.ci_high})
    p_int, test = interaction_test(f, between, modifier, linear=True)
    covs = tuple(t.name for t in md.covariates)
    formula = formula_text(dv, between, covs, modifier)
    method = (f"ANCOVA (OLS) with a linear {between} × {modifier} interaction: {formula}; "
              f"curve over the {lo_p:g}th-{hi_p:g}th percentile of {modifier} with "
              f"{int((1 - alpha) * 100)}% CI; other covariates at reference-grid averages "
              f"({weights} weights); n = {md.n}")
    return ContinuousInteractionResult(
        curve=curve, p_interaction=p_int, interaction_test=test, formula=formula,
        n_used=md.n, method=method, notes=md.notes, coefficients=coefficient_table(f, alpha),
        modifier=modifier, x_range=(float(lo), float(hi)))
