"""The overall model of a group comparison, prepared and fitted once.

``dv ~ between + covariates`` on the complete cases is the model of
:func:`analysis.stats.linear.ancova.ancova` and the "Overall" row (and the shared cell
sums) of :func:`analysis.stats.linear.subgroups.subgroup_effects`. :func:`fit_overall`
checks the names, converts every column once, prepares the rows and fits the model;
the :class:`OverallModel` it returns can be handed to both, so a page that shows the
ANCOVA and the subgroups fits the model once (the cached entry points of
:mod:`analysis.service.api` keep it for the selection in the process memo).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from analysis.data.schema import GROUP, GROUP_LEVELS
from analysis.errors import AnalysisError
from analysis.stats.linear.checks import (
    check_between,
    check_frame,
    check_outcome,
    resolve_covariates,
)
from analysis.stats.linear.columns import Column, ModelData, column, prepare
from analysis.stats.linear.fit import Fit, fit


@dataclass(frozen=True, eq=False)
class OverallModel:
    """A fitted ``dv ~ between + covariates`` and the columns it was built from.

    Attributes
    ----------
    dv, between : str
    names : tuple of str
        The covariates asked for (checked, present in the data), in order; the fit may
        have left some out (``data.dropped`` says why).
    columns : dict of str to Column
        ``dv``, ``between`` and every name, converted once (:meth:`Column.converted`).
    data : ModelData
        The analysed rows as fitted (aliased covariates already left out).
    fit : Fit
    """

    dv: str
    between: str
    names: tuple[str, ...]
    columns: dict[str, Column]
    data: ModelData
    fit: Fit


def fit_overall(data: pd.DataFrame, dv: str, *, between: str = GROUP,
                covar: Sequence[str] | str | None = None,
                min_group_n: int | None = None) -> OverallModel:
    """Check, prepare and fit ``dv ~ between + covariates`` (see the module docstring).

    For ``between="calcification"`` the comparison is spotty vs none (patients with other
    calcification are excluded and counted). ``covar=None`` is the default set of ``dv``.

    Raises
    ------
    AnalysisError
        Unknown or absent names, a non-numeric outcome, a too-small group, too few rows.
    """
    check_frame(data)
    check_outcome(data, dv)
    check_between(data, between)
    if between == dv:
        raise AnalysisError("The outcome cannot also be the grouping variable.")
    names, dropped0 = resolve_covariates(data, dv, covar, exclude=(between,))
    cols = {name: column(data, name).converted() for name in (dv, between, *names)}
    md = prepare(cols[dv], cols[between], [cols[c] for c in names],
                 focal_levels=GROUP_LEVELS if between == GROUP else None,
                 min_group_n=min_group_n, dropped=dropped0)
    f, md = fit(md)
    return OverallModel(dv, between, tuple(names), cols, md, f)
