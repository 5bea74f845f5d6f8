"""Adjusted spotty - none difference within subgroups, for a forest plot.

For each subgroup variable and each of its levels an ANCOVA is fitted on the patients
of that level (the subgroup variable removed from the covariates) and its LS-mean
difference reported with its CI; the interaction p-value comes from the full model
with a group x subgroup term (t-test for a two-level subgroup, F-test otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.data.schema import GROUP, GROUP_LEVELS, VARIABLES
from analysis.errors import AnalysisError
from analysis.stats.linear.ancova import ancova_from_model_data
from analysis.stats.linear.checks import (
    check_frame,
    check_options,
    check_outcome,
    check_variable,
    resolve_covariates,
)
from analysis.stats.linear.columns import Column, ModelData, column, prepare
from analysis.stats.linear.describe import weighting_text
from analysis.stats.linear.fit import estimates, fit
from analysis.stats.linear.interactions import interaction_test

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
    labels = np.where(age < cut, levels[0], levels[1])
    series = pd.Series(pd.Categorical(np.where(np.isnan(age), None, labels),
                                      categories=list(levels)), index=data.index)
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


def subgroup_effects(data: pd.DataFrame, dv: str, *,
                     subgroups: Sequence[str] = DEFAULT_SUBGROUPS, age_cut: float = 60.0,
                     covar: Sequence[str] | str | None = None,
                     weights: str = "proportional", alpha: float = 0.05,
                     min_group_n: int | None = None) -> SubgroupResult:
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
    names, dropped0 = resolve_covariates(data, dv, covar, exclude=(GROUP,))
    # every column is read, checked and converted once; each model takes its rows
    cols = {name: column(data, name).converted() for name in (dv, GROUP, *names)}
    md = prepare(cols[dv], cols[GROUP], [cols[c] for c in names],
                 focal_levels=GROUP_LEVELS, min_group_n=min_group_n, dropped=dropped0)
    overall = ancova_from_model_data(md, dv, weights=weights, alpha=alpha, diagnostics=False)
    rows = [{"variable": "Overall", "label": "Overall", "level": "", **_diff_row(overall),
             "p_interaction": np.nan, "interaction_test": "", "note": ""}]
    notes: list[str] = []
    for name in subgroups:
        if not isinstance(name, str) or name not in VARIABLES:
            check_variable(data, name, "Subgroup variable")  # raises with the allowed list
        if name not in data.columns:
            notes.append(f"{name}: not in the data; subgroup skipped.")
            continue
        sub = _subgroup_column(data, name, age_cut).converted()
        label = VARIABLES[name].label if name != "age" else f"Age (split at {age_cut:g})"
        codes, levels = sub.values
        # numeric age stays a covariate within the age split (it still varies there)
        within_covar = [c for c in names if c != name or name == "age"]
        try:
            # dv ~ calcification * subgroup + covariates (analysis.stats.linear.interactions.fit_modified)
            imd = prepare(cols[dv], cols[GROUP],
                          [cols[c] for c in within_covar if c != sub.name],
                          focal_levels=GROUP_LEVELS, modifier=sub, min_group_n=min_group_n,
                          what="the interaction model")
            f, _ = fit(imd)
            p_int, test = interaction_test(f, GROUP, sub.name)
        except AnalysisError as err:
            p_int, test = np.nan, f"not estimable: {err}"
        first = True
        for i, level in enumerate(levels):
            idx = np.flatnonzero(codes == i)
            if not idx.size:
                continue
            row = {"variable": name, "label": label, "level": level,
                   "p_interaction": p_int if first else np.nan,
                   "interaction_test": test if first else "", "note": ""}
            first = False
            try:
                smd = prepare(cols[dv].take(idx), cols[GROUP].take(idx),
                              [cols[c].take(idx) for c in within_covar],
                              focal_levels=GROUP_LEVELS, min_group_n=min_group_n)
                numbers, dropped = _contrast_row(smd, weights, alpha)
                row.update(numbers)
                if dropped:
                    row["note"] = "; ".join(dropped)
            except AnalysisError as err:
                row.update(_raw_counts(data[GROUP].to_numpy(dtype=object)[idx]))
                row.update({"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                            "p": np.nan, "note": f"not estimated: {err}"})
            rows.append(row)
    table = pd.DataFrame(rows, columns=COLUMNS)
    method = (f"Adjusted spotty - none difference (ANCOVA, OLS) within each subgroup level, "
              f"the subgroup variable removed from the covariates ({', '.join(names)}); "
              f"{weighting_text(weights)}; interaction p from the full model with a "
              f"calcification × subgroup term (t-test of the product term for a two-level "
              f"subgroup, F-test of the product terms for more levels); overall n = {md.n}")
    return SubgroupResult(table=table, method=method, notes=tuple(notes) + md.notes)
