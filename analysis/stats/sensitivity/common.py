"""What every sensitivity analysis shares: the result type, the model rows, the contrast.

Each analysis re-estimates the spotty - none difference of the adjusted comparison
(:func:`ancova`) another way. They all start from the same analysed rows
(:func:`model_data`: the complete cases of outcome, group and covariates, prepared by
the linear-model layer) and the same LS-mean contrast vector (:func:`contrast_vector`).

The linear-model layer is reached only through
:mod:`analysis.stats.sensitivity.linear_api` (its public names, one import per line).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from analysis.data.schema import GROUP, GROUP_LEVELS
from analysis.errors import AnalysisError
from analysis.stats.sensitivity.linear_api import (
    ModelData,
    check_frame,
    check_outcome,
    column,
    prepare,
    resolve_covariates,
)

WEIGHTS: tuple[str, ...] = ("proportional", "equal")
CONTRAST = "spotty - none"


@dataclass(frozen=True)
class SensitivityResult:
    """The spotty - none difference of one sensitivity analysis.

    Attributes
    ----------
    analysis : str
        Short name of the analysis (a row label of :func:`sensitivity_table`).
    estimate, se, ci_low, ci_high, p : float
        The difference (outcome units), its standard error, (1 - alpha) CI and
        two-sided p-value.
    test : str
        The test behind ``p`` (and the reference distribution of the CI).
    df : float
        Degrees of freedom of the t reference distribution; ``inf`` for a z-test.
    n : int
        Patients in the fitted model.
    method : str
        One sentence naming model, covariates, weighting and n.
    notes : tuple of str
        Exclusions, dropped covariates, fall-backs and caveats.
    covariates : tuple of str
        Covariates of the fitted model.
    dv : str
    weights : str
        ``"proportional"`` or ``"equal"`` (LS-mean weighting).
    alpha : float
    estimand : str
        What ``estimate`` is: ``"spotty - none"`` except for the trend contrast.
    """

    analysis: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p: float
    test: str
    df: float
    n: int
    method: str
    notes: tuple[str, ...]
    covariates: tuple[str, ...]
    dv: str
    weights: str
    alpha: float
    estimand: str = CONTRAST


def check_options(weights: object, alpha: object) -> None:
    """Raise :class:`AnalysisError` for an unknown weighting or an alpha outside (0, 1)."""
    if weights not in WEIGHTS:
        raise AnalysisError(f"weights must be one of {', '.join(WEIGHTS)}, not {weights!r}.")
    if isinstance(alpha, bool) or not (isinstance(alpha, int | float)
                                       and 0.0 < float(alpha) < 1.0):
        raise AnalysisError(f"alpha must be a number between 0 and 1, not {alpha!r}.")


def weighting_text(weights: str) -> str:
    """How the LS means average the factor-covariate levels, in words."""
    return f"LS means with {weights} weights over factor levels"


def model_data(data: pd.DataFrame, dv: str, covar: Sequence[str] | str | None, *,
               weights: str, alpha: float, min_group_n: int | None = None,
               extra: Sequence[str] = ()) -> tuple[ModelData, list[str]]:
    """Checked inputs and the analysed rows of ``dv ~ calcification + covariates``.

    Parameters
    ----------
    data : DataFrame
    dv : str
        Numeric outcome.
    covar : sequence of str, optional
        Covariates; default :func:`analysis.data.schema.default_covariates` of ``dv``.
    weights, alpha
        Checked here (see :func:`check_options`).
    min_group_n : int, optional
        Smallest analysed group (default from settings).
    extra : sequence of str
        Further dictionary variables whose missing values also exclude a row
        (they enter as covariates and may be removed from the terms by the caller).

    Returns
    -------
    (ModelData, list of str)
        The prepared rows and the covariate names as requested (defaults resolved).
    """
    check_frame(data)
    check_options(weights, alpha)
    check_outcome(data, dv)
    names, dropped = resolve_covariates(data, dv, covar, exclude=(GROUP,))
    if extra:
        more, _ = resolve_covariates(data, dv, list(extra), exclude=(GROUP,))
        names = names + [e for e in more if e not in names]
    md = prepare(column(data, dv), column(data, GROUP), [column(data, c) for c in names],
                 focal_levels=GROUP_LEVELS, min_group_n=min_group_n, dropped=dropped)
    return md, names


def full_rank_columns(X: np.ndarray, required: int = 2) -> np.ndarray:
    """Indices of the columns of ``X`` kept, left to right, while each adds to the rank.

    Columns aliased with earlier ones (an empty covariate combination in a small
    selection) are left out. The first ``required`` columns (intercept and the focal
    factor's columns) must all be kept, or the comparison is not estimable.
    """
    if np.linalg.matrix_rank(X) == X.shape[1]:  # the usual case: one decomposition
        return np.arange(X.shape[1])
    keep: list[int] = []
    for j in range(X.shape[1]):
        trial = keep + [j]
        if np.linalg.matrix_rank(X[:, trial]) == len(trial):
            keep = trial
    if keep[:required] != list(range(required)):
        raise AnalysisError("The compared groups cannot be separated from the other model "
                            "terms in this selection; widen the filters.")
    return np.asarray(keep)


def design_and_contrast(md: ModelData, weights: str) -> tuple[np.ndarray, np.ndarray,
                                                               list[str], list[str]]:
    """(X, contrast vector, column names, notes) of the prepared model, full rank.

    The contrast is ``L[spotty] - L[none]`` of the LS-means matrix of the design
    (:meth:`Design.lsmeans_matrix`); in a main-effects model it picks the group
    coefficient, whatever the weighting.
    """
    design = md.design()
    X = np.asarray(design.matrix(), dtype=float)
    L = np.asarray(design.lsmeans_matrix(weights), dtype=float)
    names = list(design.column_names())
    keep = full_rank_columns(X)
    notes: list[str] = []
    if len(keep) < X.shape[1]:
        gone = [names[j] for j in range(X.shape[1]) if j not in set(keep.tolist())]
        notes.append(f"Design columns {', '.join(gone)} are aliased with other terms in "
                     "this selection and were left out of the model.")
    return (np.ascontiguousarray(X[:, keep]), L[1, keep] - L[0, keep],
            [names[j] for j in keep], notes)


def t_interval(estimate: float, se: float, df: float, alpha: float) -> tuple[float, float,
                                                                             float]:
    """(ci_low, ci_high, two-sided p) of ``estimate / se`` on a t(df) (normal if df is inf)."""
    t = estimate / se if se > 0 else np.nan
    if np.isinf(df):
        q = float(special.ndtri(1.0 - alpha / 2.0))
        p = float(2.0 * special.ndtr(-abs(t)))
    else:
        q = float(special.stdtrit(df, 1.0 - alpha / 2.0))
        p = float(2.0 * special.stdtr(df, -abs(t)))
    return estimate - q * se, estimate + q * se, p


def covariate_text(covariates: Sequence[str]) -> str:
    return ", ".join(covariates) if covariates else "no covariates"


def covariate_names(md: ModelData) -> tuple[str, ...]:
    """Names of the covariate terms that entered the prepared model."""
    return tuple(t.name for t in md.covariates)
