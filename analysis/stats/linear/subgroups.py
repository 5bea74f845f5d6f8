"""Adjusted spotty - none difference within subgroups, for a forest plot.

For each subgroup variable and each of its levels an ANCOVA is fitted on the patients
of that level (the subgroup variable removed from the covariates) and its LS-mean
difference reported with its CI; the interaction p-value comes from the full model
with a group x subgroup term (t-test for a two-level subgroup, F-test otherwise).

The fits share one pass over the rows (:mod:`analysis.stats.linear.subsets`): every
level's R factor comes from cell sums of the overall model's whitened rows, and the
interaction model's from the levels'. A level that cannot be fitted that way (too
small, a covariate constant or aliased within it) is fitted directly on its rows, which
gives the same numbers and names what was dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import settings
from analysis.data.schema import GROUP, GROUP_LEVELS, VARIABLES
from analysis.errors import AnalysisError
from analysis.stats.linear.ancova import ancova_from_fit
from analysis.stats.linear.checks import (
    check_frame,
    check_options,
    check_outcome,
    check_variable,
)
from analysis.stats.linear.columns import Column, ModelData, column, prepare
from analysis.stats.linear.describe import weighting_text
from analysis.stats.linear.design import FactorTerm
from analysis.stats.linear.fit import Fit, blas_limit, column_rank, estimates, fit, ols
from analysis.stats.linear.interactions import interaction_test, product_test
from analysis.stats.linear.overall import OverallModel, fit_overall
from analysis.stats.linear.subsets import SubsetFactors

DEFAULT_SUBGROUPS: tuple[str, ...] = (
    "sex", "age", "diabetes", "prior_mi", "hypertension", "ldl_intensive", "sbp_intensive",
    "statin", "trial",
)

COLUMNS = ["variable", "label", "level", "n_none", "n_spotty", "estimate", "ci_low",
           "ci_high", "p", "p_interaction", "interaction_test", "note"]


@dataclass(frozen=True)
class SubgroupResult:
    """Result of :func:`subgroup_effects`.

    Attributes
    ----------
    table : DataFrame
        ``variable, label, level, n_none, n_spotty, estimate, ci_low, ci_high, p,
        p_interaction, interaction_test, note``; first row ``"Overall"``. ``estimate`` is
        the adjusted spotty - none difference (LS means); ``p`` its t-test;
        ``p_interaction`` (on the first row of each variable) the group x subgroup test.
        A level too small to fit keeps its row with NaN estimate and a note.
    method : str
    notes : tuple of str
    """

    table: pd.DataFrame
    method: str
    notes: tuple[str, ...]


def age_column(data: pd.DataFrame, cut: float) -> Column:
    """Age split at ``cut``: ``"< cut"`` (reference) and ``"≥ cut"``."""
    age = pd.to_numeric(data["age"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    levels = (f"< {cut:g}", f"≥ {cut:g}")
    codes = np.where(np.isnan(age), -1, (age >= cut).astype(np.int8))
    series = pd.Series(pd.Categorical.from_codes(codes, categories=list(levels)),
                       index=data.index)
    return Column("age group", series, "factor", None, levels)


def _subgroup_column(data: pd.DataFrame, name: str, age_cut: float) -> Column:
    var = check_variable(data, name, "Subgroup variable")
    if name == "age":
        return age_column(data, age_cut)
    if name == GROUP:
        raise AnalysisError(f"'{GROUP}' is the comparison itself; choose another subgroup.")
    if not var.is_categorical:
        raise AnalysisError(f"Subgroup variable '{name}' is numeric; only age is split "
                            "(at age_cut). Choose a categorical variable.")
    return column(data, name)


def _contrast_row(smd: ModelData, weights: str, alpha: float) -> tuple[dict, tuple[str, ...]]:
    """Spotty - none LS-mean difference of one subgroup level (the row's numbers).

    The same fit and LS-means arithmetic as :func:`analysis.stats.linear.ancova.ancova` (its
    ``contrast`` row), without building its tables.
    """
    f, smd = fit(smd)
    L = f.design.lsmeans_matrix(weights)
    est = estimates(f, L[1:2] - L[0], alpha)
    n = dict(zip(f.design.focal.levels, f.design.focal.counts(), strict=True))
    return ({"n_none": int(n.get("none", 0)), "n_spotty": int(n.get("spotty", 0)),
             "estimate": float(est.estimate[0]), "ci_low": float(est.ci_low[0]),
             "ci_high": float(est.ci_high[0]), "p": float(est.p[0])}, smd.dropped)


def _diff_row(res) -> dict:
    c = res.contrast.iloc[0]
    n = dict(zip(res.ls_means["level"], res.ls_means["n"], strict=True))
    return {"n_none": int(n.get("none", 0)), "n_spotty": int(n.get("spotty", 0)),
            "estimate": float(c["estimate"]), "ci_low": float(c["ci_low"]),
            "ci_high": float(c["ci_high"]), "p": float(c["p"])}


def _raw_counts(groups: np.ndarray) -> dict:
    return {"n_none": int(np.sum(groups == "none")), "n_spotty": int(np.sum(groups == "spotty"))}


@dataclass
class _Context:
    """What every subgroup of one call shares."""

    data: pd.DataFrame
    dv: str
    cols: dict[str, Column]
    names: list[str]
    weights: str
    alpha: float
    min_group_n: int | None
    overall: Fit
    md: ModelData
    shared: SubsetFactors | None = None
    codes: list[np.ndarray] = field(default_factory=list)

    @property
    def min_n(self) -> int:
        return settings.current().min_group_n if self.min_group_n is None \
            else int(self.min_group_n)


# --- fits from the shared cell sums (analysis.stats.linear.subsets) ---------------------
def _model_codes(ctx: _Context, subs: list[Column]) -> list[np.ndarray]:
    """Level codes (``-1`` missing) of each subgroup variable on the overall model's rows."""
    codes = []
    for sub in subs:
        v = sub.take(ctx.md.rows).values[0]
        codes.append(np.where(np.isnan(v), -1, v).astype(np.int64))
    return codes


def _shared_factors(ctx: _Context, codes: list[np.ndarray]) -> SubsetFactors | None:
    """Cell sums of the overall model's rows over the subgroups' levels, or None when a
    requested covariate is not in the overall fit (the levels then note its drop)."""
    if [t.name for t in ctx.overall.design.covariates] != ctx.names or not codes:
        return None
    f = ctx.overall
    return SubsetFactors(f.design.matrix(), f.y, f.r_aug, codes)


def _level_columns(ctx: _Context, name: str) -> tuple[list[int], list[list[int]]]:
    """Columns of ``[X | y]`` of the overall model without ``name``'s covariate columns,
    and the columns of each factor covariate among them."""
    design = ctx.overall.design
    own, factors = [], []
    start = len(design.column_names()) - sum(len(t.column_names()) for t in design.covariates)
    for term in design.covariates:
        k = len(term.column_names())
        if term.name == name:
            own = list(range(start, start + k))
        elif isinstance(term, FactorTerm):
            factors.append(list(range(start, start + k)))
        start += k
    return [c for c in range(start + 1) if c not in own], factors


def _without_empty_levels(r: np.ndarray, columns: list[int],
                          factors: list[list[int]]) -> list[int] | None:
    """``columns`` less the dummies of covariate levels with no rows in the level (as
    :func:`analysis.stats.linear.columns.prepare` drops them), or None if there are
    none or a factor would lose every dummy (a direct fit then names the drop)."""
    # a 0/1 dummy's sum of squares over the level's rows is its count of rows
    count = dict(zip(columns, np.einsum("ij,ij->j", r, r), strict=True))
    empty = {c for block in factors for c in block if count[c] < 0.5}
    if not empty or any(set(block) <= empty for block in factors):
        return None
    return [c for c in columns if c not in empty]


def _fast_level(ctx: _Context, var: int, level: int, columns: list[int],
                factors: list[list[int]],
                counts: np.ndarray) -> tuple[dict | None, np.ndarray | None, int]:
    """(row numbers or None, its part of the interaction model or None, n) of one level
    from the cell sums.

    The numbers are None when the level cannot be fitted as a model of its own from
    the cell sums (too small groups, a constant or aliased covariate: a direct fit then
    gives the numbers or the message).
    """
    got = ctx.shared.level_factor(var, level, columns) if ctx.shared else None
    if got is None:
        return None, None, 0
    part, n, conditioned = got
    r = part
    if not conditioned and counts.min() >= ctx.min_n:
        fewer = _without_empty_levels(part, columns, factors)
        if fewer is not None:
            r, _, conditioned = ctx.shared.level_factor(var, level, fewer)
            columns = fewer
    k = len(columns) - 1
    if not conditioned or n <= k or counts.min() < ctx.min_n:
        return None, part, n
    res = ols(r, n)
    test = res.t_test(np.eye(k)[1:2])  # spotty - none of a main-effects model
    lo, hi = np.asarray(test.conf_int(alpha=ctx.alpha))[0]
    return ({"n_none": int(counts[0]), "n_spotty": int(counts[1]),
             "estimate": float(np.squeeze(test.effect)), "ci_low": float(lo),
             "ci_high": float(hi), "p": float(np.squeeze(test.pvalue))}, part, n)


def _fast_interaction(factors: list[np.ndarray], n: int, n_focal: int) -> tuple[object, list[int]]:
    """statsmodels OLS of ``focal * subgroup + covariates`` from the levels' R factors.

    Within level ``l`` the subgroup dummies are the intercept or 0 and the products
    the focal dummies or 0, so each level's ``[X | y]`` of the interaction model is its
    level-model ``[X | y]`` times a 0/1 matrix ``T_l``; the R factor of all levels is
    that of the stacked ``R_l T_l``. Returns the results and the product columns.
    """
    k = factors[0].shape[1]  # intercept, focal dummies, covariates, y
    m = len(factors) - 1     # subgroup dummies
    kf = n_focal - 1
    width = 1 + kf + m + kf * m + (k - 1 - kf)
    blocks = []
    for lev, r in enumerate(factors):
        T = np.zeros((k, width))
        T[0, 0] = 1.0
        T[1 + np.arange(kf), 1 + np.arange(kf)] = 1.0
        if lev > 0:
            T[0, kf + lev] = 1.0
            T[1 + np.arange(kf), 1 + kf + m + np.arange(kf) * m + (lev - 1)] = 1.0
        rest = np.arange(1 + kf, k)
        T[rest, 1 + kf + m + kf * m + np.arange(len(rest))] = 1.0
        blocks.append(r @ T)
    r_wide = np.linalg.qr(np.vstack(blocks), mode="r")
    if column_rank(r_wide[:-1, :-1]) < width - 1:
        return None, []
    return ols(r_wide, n), list(range(1 + kf + m, 1 + kf + m + kf * m))


# --- direct fits ---------------------------------------------------------------------------
def _direct_interaction(ctx: _Context, sub: Column, within: list[str]) -> tuple[float, str]:
    """Interaction p from ``dv ~ calcification * subgroup + covariates`` fitted directly
    (as :func:`analysis.stats.linear.interactions.fit_modified`)."""
    try:
        imd = prepare(ctx.cols[ctx.dv], ctx.cols[GROUP],
                      [ctx.cols[c] for c in within if c != sub.name],
                      focal_levels=GROUP_LEVELS, modifier=sub, min_group_n=ctx.min_group_n,
                      what="the interaction model")
        f, _ = fit(imd)
        return interaction_test(f, GROUP, sub.name)
    except AnalysisError as err:
        return np.nan, f"not estimable: {err}"


def _direct_level(ctx: _Context, idx: np.ndarray, within: list[str]) -> dict:
    """Row numbers and note of one level fitted directly on its rows."""
    try:
        smd = prepare(ctx.cols[ctx.dv].take(idx), ctx.cols[GROUP].take(idx),
                      [ctx.cols[c].take(idx) for c in within],
                      focal_levels=GROUP_LEVELS, min_group_n=ctx.min_group_n)
        numbers, dropped = _contrast_row(smd, ctx.weights, ctx.alpha)
        return {**numbers, "note": "; ".join(dropped)}
    except AnalysisError as err:
        return {**_raw_counts(ctx.data[GROUP].to_numpy(dtype=object)[idx]),
                "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p": np.nan,
                "note": f"not estimated: {err}"}


def _subgroup_rows(ctx: _Context, var: int, name: str, label: str, sub: Column) -> list[dict]:
    """The forest-plot rows of one subgroup variable (see :func:`subgroup_effects`).

    Each level comes from the shared cell sums when it can, else from a direct fit of
    its rows; the interaction p likewise (the same numbers either way).
    """
    codes, levels = sub.values
    # numeric age stays a covariate within the age split (it still varies there)
    within = [c for c in ctx.names if c != name or name == "age"]
    columns, factors = _level_columns(ctx, name if name != "age" else "")
    in_model, k = ctx.codes[var], ctx.md.focal.k
    # patients per (level, group) among the analysed rows; row 0: subgroup missing
    counts = np.bincount((in_model + 1) * k + ctx.md.focal.codes,
                         minlength=(len(levels) + 1) * k).reshape(-1, k)
    numbers, parts, n_int = {}, [], 0
    for i in range(len(levels)):
        if not counts[i + 1].any():
            continue
        numbers[i], part, n = _fast_level(ctx, var, i, columns, factors, counts[i + 1])
        parts.append(part)
        n_int += n
    p_int = None
    if len(parts) >= 2 and all(r is not None for r in parts) \
            and counts[1:].sum(axis=0).min() >= ctx.min_n:
        res, products = _fast_interaction(parts, n_int, k)
        if res is not None:
            p_int, test = product_test(res, products, GROUP, sub.name)
    if p_int is None:
        p_int, test = _direct_interaction(ctx, sub, within)
    in_data = np.bincount(np.where(np.isnan(codes), len(levels), codes).astype(np.intp),
                          minlength=len(levels) + 1)
    rows = []
    for i, level in enumerate(levels):
        if not in_data[i]:
            continue
        first = not rows
        row = {"variable": name, "label": label, "level": level,
               "p_interaction": p_int if first else np.nan,
               "interaction_test": test if first else "", "note": ""}
        got = numbers.get(i)
        row.update({**got, "note": ""} if got is not None
                   else _direct_level(ctx, np.flatnonzero(codes == i), within))
        rows.append(row)
    return rows


def subgroup_effects(data: pd.DataFrame, dv: str, *,
                     subgroups: Sequence[str] = DEFAULT_SUBGROUPS, age_cut: float = 60.0,
                     covar: Sequence[str] | str | None = None,
                     weights: str = "proportional", alpha: float = 0.05,
                     min_group_n: int | None = None,
                     model: OverallModel | None = None) -> SubgroupResult:
    """Adjusted spotty - none LS-mean difference overall and within subgroup levels.

    Parameters
    ----------
    data : DataFrame
        Patient rows (``ldl_intensive``/``sbp_intensive`` computed at the wanted cuts).
    dv : str
        Numeric outcome.
    subgroups : sequence of str
        Categorical dictionary variables, plus ``"age"`` (split at ``age_cut`` into
        ``"< age_cut"`` / ``"≥ age_cut"``; numeric age stays a covariate within levels).
        Variables absent from the data are skipped with a note.
    age_cut : float
    covar : sequence of str, optional
        Covariates (default set if None); within a subgroup its variable is removed.
    weights : {"proportional", "equal"}
    alpha : float
    min_group_n : int, optional
        Smallest group within a level (default from settings); smaller levels keep
        their row with NaN estimate and a note.
    model : OverallModel, optional
        The overall model of these rows, ``fit_overall(data, dv, covar=covar,
        min_group_n=min_group_n)`` (:mod:`analysis.stats.linear.overall`), when the
        caller has it already (the ANCOVA of the same selection): it is not fitted again.

    Returns
    -------
    SubgroupResult
    """
    check_frame(data)
    check_options(weights, alpha)
    check_outcome(data, dv)
    check_variable(data, GROUP, "Grouping variable")
    if not np.isfinite(float(age_cut)):
        raise AnalysisError(f"age_cut must be a finite number, not {age_cut!r}.")
    if model is None:
        # every column is read, checked and converted once; each model takes its rows
        model = fit_overall(data, dv, covar=covar, min_group_n=min_group_n)
    elif model.dv != dv or model.between != GROUP or (
            len(model.data.rows) and model.data.rows[-1] >= len(data)):
        raise AnalysisError("The overall model given to subgroup_effects is not a model of "
                            f"{dv} by {GROUP} on these rows; leave model out to fit it.")
    cols, names, f, md = model.columns, list(model.names), model.fit, model.data
    overall = ancova_from_fit(f, md, dv, weights=weights, alpha=alpha, diagnostics=False)
    rows = [{"variable": "Overall", "label": "Overall", "level": "", **_diff_row(overall),
             "p_interaction": np.nan, "interaction_test": "", "note": ""}]
    notes: list[str] = []
    subs: list[tuple[str, str, Column]] = []
    for name in subgroups:
        if not isinstance(name, str) or name not in VARIABLES:
            check_variable(data, name, "Subgroup variable")  # raises with the allowed list
        if name not in data.columns:
            notes.append(f"{name}: not in the data; subgroup skipped.")
            continue
        label = VARIABLES[name].label if name != "age" else f"Age (split at {age_cut:g})"
        subs.append((name, label, _subgroup_column(data, name, age_cut).converted()))
    ctx = _Context(data, dv, cols, names, weights, alpha, min_group_n, f, md)
    with blas_limit():
        ctx.codes = _model_codes(ctx, [sub for _, _, sub in subs])
        ctx.shared = _shared_factors(ctx, ctx.codes)
        for var, (name, label, sub) in enumerate(subs):
            rows += _subgroup_rows(ctx, var, name, label, sub)
    table = pd.DataFrame(rows, columns=COLUMNS)
    method = (f"Adjusted spotty - none difference (ANCOVA, OLS) within each subgroup level, "
              f"the subgroup variable removed from the covariates ({', '.join(names)}); "
              f"{weighting_text(weights)}; interaction p from the full model with a "
              f"calcification × subgroup term (t-test of the product term for a two-level "
              f"subgroup, F-test of the product terms for more levels); overall n = {md.n}")
    return SubgroupResult(table=table, method=method, notes=tuple(notes) + md.notes)
