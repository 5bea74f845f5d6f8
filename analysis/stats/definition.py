"""What the definition of spotty calcification changes: the flow of patients between
groups and the sensitivity curve of the headline difference.

:func:`definition_flow` counts the patients by group under the published definition
(the dataset's own groups) and under a chosen one (from the lesion file).
:func:`definition_curve` refits the headline ANCOVA (outcome ~ group + covariates,
OLS, the spotty - none difference of LS means) at each point of a grid of arc limits
and of maximum lengths through the chosen definition.

The curve is fast because nothing is rebuilt per grid point: the covariate design of
the candidate rows is built once by the ANCOVA's own machinery
(:func:`analysis.stats.linear.columns.prepare`, :class:`~analysis.stats.linear.design.Design`),
each definition classifies the deposits with two comparisons and a ``bincount``, and
the rows without any deposit (the "none" group under every definition) are reduced
once to the R factor of their QR decomposition, so a grid point factorises only that
small triangle stacked on its spotty rows (:func:`analysis.stats.linear.fit.r_factor`;
least squares is invariant under that rotation). In a model with the group as a main
effect the difference of LS means is the group coefficient, whatever the weighting of
the reference grid, so the curve needs no weights option; it equals
:func:`analysis.stats.linear.ancova.ancova`'s contrast at every definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import linalg, stats

from analysis import settings
from analysis.data.schema import GROUP, VARIABLES
from analysis.errors import AnalysisError
from analysis.selection.definition import (
    ARC_LIMITS,
    LENGTH_LIMITS,
    SpottyDefinition,
    deposit_rows,
    flow_table,
    regroup,
)
from analysis.stats.linear.checks import check_frame, check_outcome, resolve_covariates
from analysis.stats.linear.columns import Column, column, prepare
from analysis.stats.linear.describe import CONTRAST_TEST, UNADJUSTED_TEST, formula_text
from analysis.stats.linear.design import Design
from analysis.stats.linear.fit import blas_limit, r_factor

#: Arc limits (degrees) of the arc curve, and maximum lengths (mm) of the length curve.
DEFAULT_ARCS: tuple[float, ...] = tuple(float(a) for a in range(30, 181, 10))
DEFAULT_LENGTHS: tuple[float, ...] = tuple(float(x) for x in range(2, 11))
#: Most points a curve may have (each is one least-squares fit).
MAX_POINTS = 400
CURVE_COLUMNS = ["axis", "max_arc", "min_length", "max_length", "other", "estimate", "se",
                 "ci_low", "ci_high", "t", "df", "p", "n_none", "n_spotty", "n", "published",
                 "chosen", "note"]


@dataclass(frozen=True)
class DefinitionFlow:
    """Patients by group under the published and the chosen definition.

    Attributes
    ----------
    table : DataFrame
        Counts: rows the published group (``none, spotty, other``), columns the chosen.
    moves : DataFrame
        ``published, chosen, n``: one row per cell of ``table`` (the flows of a Sankey).
    definition : SpottyDefinition
        The chosen definition.
    n : int
        Patients counted (those the other filters select, every group).
    n_moved : int
        Patients whose group differs between the two definitions.
    method : str
    """

    table: pd.DataFrame
    moves: pd.DataFrame
    definition: SpottyDefinition
    n: int
    n_moved: int
    method: str


@dataclass(frozen=True)
class DefinitionCurve:
    """The spotty - none difference at each definition of a grid.

    Attributes
    ----------
    curve : DataFrame
        :data:`CURVE_COLUMNS`: ``axis`` (``"arc"``: the arc limit varies, the chosen
        length range and rule kept; ``"length"``: the maximum length varies), the
        definition (``max_arc, min_length, max_length, other``), the difference
        ``estimate, se, ci_low, ci_high, t, df, p`` (t-test on the residual df),
        ``n_none, n_spotty, n`` (complete cases), ``published`` / ``chosen`` flags and
        a ``note`` where no estimate could be made (then the numbers are NaN).
    definition : SpottyDefinition
        The chosen definition (on both curves, flagged ``chosen``).
    dv : str
    covariates : tuple of str
        Covariates in the model (besides the group).
    dropped : tuple of str
        ``"name: reason"`` for each requested covariate left out.
    formula : str
    method : str
    notes : tuple of str
    alpha : float
    """

    curve: pd.DataFrame
    definition: SpottyDefinition
    dv: str
    covariates: tuple[str, ...]
    dropped: tuple[str, ...]
    formula: str
    method: str
    notes: tuple[str, ...]
    alpha: float = 0.05

    def point(self, definition: SpottyDefinition) -> pd.Series | None:
        """The curve's row of ``definition`` (the first; None when it is not on the grid)."""
        c = self.curve
        hit = ((c["max_arc"] == definition.max_arc) & (c["min_length"] == definition.min_length)
               & (c["max_length"] == definition.max_length) & (c["other"] == definition.other))
        return c[hit].iloc[0] if hit.any() else None


def _need_lesions(lesions: pd.DataFrame | None) -> pd.DataFrame:
    if lesions is None:
        raise AnalysisError("The definition explorer needs a lesion file (one row per deposit: "
                            "patient_id, arc_deg, length_mm): add it in 'Open a study' or "
                            "start the app with --lesions FILE.")
    return lesions


def definition_flow(data: pd.DataFrame, lesions: pd.DataFrame | None,
                    definition: SpottyDefinition) -> DefinitionFlow:
    """Patients of ``data`` by group under the published definition (``data``'s own
    calcification column) and under ``definition`` (from ``lesions``).

    Raises
    ------
    AnalysisError
        No lesion table.
    """
    check_frame(data)
    regrouped = regroup(data, _need_lesions(lesions), definition)
    table = flow_table(data[GROUP].astype(str), regrouped[GROUP].astype(str))
    moves = table.stack().rename("n").reset_index()
    moves.columns = ["published", "chosen", "n"]
    n = int(table.to_numpy().sum())
    n_moved = n - int(np.trace(table.to_numpy()))
    method = (f"Patients by calcification group: the published definition (rows) against "
              f"the chosen one (columns; {definition.describe()}), from the lesion file; "
              f"n = {n:,}, {n_moved:,} change group")
    return DefinitionFlow(table=table, moves=moves, definition=definition, n=n,
                          n_moved=n_moved, method=method)


def grid_definitions(definition: SpottyDefinition, arcs: Sequence[float],
                     lengths: Sequence[float]) -> list[tuple[str, SpottyDefinition]]:
    """(axis, definition) of both curves through ``definition`` (which each includes).

    Raises
    ------
    AnalysisError
        A grid value outside the definition's limits, or too many points.
    """
    out: list[tuple[str, SpottyDefinition]] = []
    for axis, values, limits, unit in (("arc", arcs, ARC_LIMITS, "°"),
                                       ("length", lengths, LENGTH_LIMITS, " mm")):
        try:
            grid = sorted({float(v) for v in values})
        except (TypeError, ValueError):
            raise AnalysisError(f"the {axis} grid must be numbers, not {values!r}") from None
        bad = [v for v in grid if not limits[0] <= v <= limits[1]]
        if bad:
            raise AnalysisError(f"the {axis} grid value {bad[0]:g}{unit} is outside "
                                f"{limits[0]:g}-{limits[1]:g}{unit}")
        if len(grid) > MAX_POINTS:
            raise AnalysisError(f"the {axis} grid has {len(grid)} points; at most "
                                f"{MAX_POINTS} are computed")
        if axis == "arc":
            points = sorted(set(grid) | {definition.max_arc})
            out += [(axis, replace(definition, max_arc=a)) for a in points]
        else:
            points = sorted({v for v in grid if v >= definition.min_length}
                            | {definition.max_length})
            out += [(axis, replace(definition, max_length=x)) for x in points]
    return out


@dataclass(frozen=True, eq=False)
class _Candidates:
    """The rows a curve can use, prepared once: design, outcome, deposits per row."""

    X: np.ndarray          # intercept, covariates (complete cases), column-major
    y: np.ndarray
    none: np.ndarray       # rows with no deposit (the none group at every definition)
    pos: np.ndarray        # row of each deposit (deposits of other patients left out)
    arc: np.ndarray
    length: np.ndarray
    r_none: np.ndarray     # R factor of [intercept | 0 | covariates | y] over the none rows
    none_lo: np.ndarray    # smallest and largest covariate value over the none rows
    none_hi: np.ndarray
    names: tuple[str, ...]
    dropped: tuple[str, ...]
    notes: tuple[str, ...]


def _candidates(data: pd.DataFrame, lesions: pd.DataFrame, dv: str,
                covar: Sequence[str] | str | None) -> _Candidates:
    """Complete cases of outcome and covariates over every patient of ``data`` (all
    groups), their design by the ANCOVA's own :func:`prepare`, and their deposits."""
    names, dropped0 = resolve_covariates(data, dv, covar, exclude=(GROUP,))
    everyone = Column("_candidates", None, "factor", None, ("all",),
                      (np.zeros(len(data)), ("all",)))
    md = prepare(column(data, dv), everyone, [column(data, c) for c in names],
                 focal_levels=("all",), min_group_n=0, dropped=dropped0)
    X = Design(md.focal, md.covariates).matrix()
    les_pos = deposit_rows(data["patient_id"].iloc[md.rows], lesions["patient_id"])
    if les_pos is None:
        raise AnalysisError("Patient IDs repeat in this selection, so deposits cannot be "
                            "matched to one patient each; fix the patient file's IDs.")
    keep = les_pos >= 0
    pos = les_pos[keep]
    n_rows = len(md.rows)
    none = np.bincount(pos, minlength=n_rows) == 0
    aug = _augmented(X, np.zeros(n_rows), md.y)
    r_none = r_factor(aug[none]) if none.any() else np.zeros((0, aug.shape[1]))
    cov_none = X[none, 1:]
    inf = np.full(X.shape[1] - 1, np.inf)
    return _Candidates(
        X=X, y=md.y, none=none, pos=pos,
        none_lo=cov_none.min(axis=0) if none.any() else inf,
        none_hi=cov_none.max(axis=0) if none.any() else -inf,
        arc=lesions["arc_deg"].to_numpy(dtype=float)[keep],
        length=lesions["length_mm"].to_numpy(dtype=float)[keep], r_none=r_none,
        names=tuple(t.name for t in md.covariates), dropped=md.dropped,
        notes=tuple(n for n in md.notes if "_candidates" not in n))


def _augmented(X: np.ndarray, spotty: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``[intercept | spotty | covariates | y]``."""
    return np.column_stack([X[:, :1], spotty, X[:, 1:], y])


def _spotty_rows(c: _Candidates, d: SpottyDefinition) -> np.ndarray:
    """Rows in the spotty group under ``d`` (vectorised over the deposits)."""
    is_spotty = (c.length >= d.min_length) & (c.length <= d.max_length) & (c.arc < d.max_arc)
    n = len(c.y)
    n_spotty = np.bincount(c.pos, weights=is_spotty, minlength=n)
    if d.other == "allow":
        return n_spotty > 0
    n_other = np.bincount(c.pos, weights=~is_spotty, minlength=n)
    return (n_spotty > 0) & (n_other == 0)


def _fit_point(c: _Candidates, spotty: np.ndarray, min_n: int, alpha: float) -> dict:
    """The spotty - none coefficient of one definition (NaN and a note when none)."""
    n_none, n_spotty = int(c.none.sum()), int(spotty.sum())
    out = {"n_none": n_none, "n_spotty": n_spotty, "n": n_none + n_spotty, "note": ""}
    nan = dict.fromkeys(("estimate", "se", "ci_low", "ci_high", "t", "df", "p"), np.nan)
    small = [f"{g} n = {k}" for g, k in (("none", n_none), ("spotty", n_spotty)) if k < min_n]
    if small:
        return {**out, **nan, "note": f"group too small ({', '.join(small)}; at least "
                                      f"{min_n} needed)"}
    xs = c.X[spotty]
    rows = _augmented(xs, np.ones(n_spotty), c.y[spotty])
    # a covariate column constant over this definition's rows is left out, as ancova does
    varies = (np.maximum(c.none_hi, xs[:, 1:].max(axis=0))
              > np.minimum(c.none_lo, xs[:, 1:].min(axis=0)))
    keep = np.concatenate([[True, True], varies, [True]])
    R = r_factor(np.vstack([c.r_none[:, keep], rows[:, keep]]))
    p = R.shape[1] - 1
    n = out["n"]
    diag = np.abs(np.diag(R[:p, :p]))
    if n <= p or diag.min() <= diag.max() * p * np.finfo(float).eps * 10:
        return {**out, **nan, "note": "the model is not estimable (collinear covariates)"}
    beta = linalg.solve_triangular(R[:p, :p], R[:p, p])
    df = float(n - p)
    ssr = float(R[p, p] ** 2) if R.shape[0] > p else 0.0
    r_inv = linalg.solve_triangular(R[:p, :p], np.eye(p))
    se = float(np.sqrt(ssr / df * np.sum(r_inv[1] ** 2)))
    t = float(beta[1] / se) if se > 0 else np.nan
    q = float(stats.t.ppf(1 - alpha / 2, df))
    return {**out, "estimate": float(beta[1]), "se": se, "ci_low": float(beta[1] - q * se),
            "ci_high": float(beta[1] + q * se), "t": t, "df": df,
            "p": float(2 * stats.t.sf(abs(t), df))}


def definition_curve(data: pd.DataFrame, lesions: pd.DataFrame | None, dv: str, *,
                     covar: Sequence[str] | str | None = None,
                     definition: SpottyDefinition | None = None,
                     arcs: Sequence[float] = DEFAULT_ARCS,
                     lengths: Sequence[float] = DEFAULT_LENGTHS, alpha: float = 0.05,
                     min_group_n: int | None = None) -> DefinitionCurve:
    """The spotty - none ANCOVA difference over a grid of definitions.

    Parameters
    ----------
    data : DataFrame
        The patients the other filters select, of every calcification group (their
        group is taken from ``lesions`` at each definition).
    lesions : DataFrame
        One row per deposit: ``patient_id, arc_deg, length_mm``.
    dv : str
        Outcome, e.g. ``"delta_pav"``.
    covar : sequence of str, optional
        Covariates (default: those of :func:`analysis.stats.linear.ancova.ancova`).
    definition : SpottyDefinition, optional
        The chosen definition (default: the published one): both curves pass through it.
    arcs, lengths : sequence of float
        Arc limits (degrees) of the arc curve; maximum lengths (mm) of the length curve
        (values below the chosen minimum length are skipped).
    alpha : float
        1 - confidence level.
    min_group_n : int, optional
        Smallest group estimated (default ``settings.current().min_group_n``).

    Returns
    -------
    DefinitionCurve

    Raises
    ------
    AnalysisError
        No lesion table, a bad outcome or covariate, a grid value out of range.
    """
    check_frame(data)
    check_outcome(data, dv)
    if not 0 < alpha < 1:
        raise AnalysisError(f"alpha must be between 0 and 1, not {alpha!r}")
    lesions = _need_lesions(lesions)
    definition = SpottyDefinition() if definition is None else definition
    points = grid_definitions(definition, arcs, lengths)
    min_n = settings.current().min_group_n if min_group_n is None else int(min_group_n)
    published = SpottyDefinition()
    with blas_limit():
        c = _candidates(data, lesions, dv, covar)
        rows = []
        for axis, d in points:
            fitted = _fit_point(c, _spotty_rows(c, d), min_n, alpha)
            rows.append({"axis": axis, "max_arc": d.max_arc, "min_length": d.min_length,
                         "max_length": d.max_length, "other": d.other, **fitted,
                         "published": d == published, "chosen": d == definition})
    curve = pd.DataFrame(rows, columns=CURVE_COLUMNS)
    formula = formula_text(dv, GROUP, c.names)
    test = CONTRAST_TEST if c.names else UNADJUSTED_TEST
    label = VARIABLES[dv].label
    method = (f"Spotty - none difference in {label} at each definition: ANCOVA (OLS) "
              f"{formula}, refitted on the complete cases of each grouping (the group "
              f"coefficient = the difference of LS means under any weighting); {test}; "
              f"{1 - alpha:.0%} CI")
    return DefinitionCurve(curve=curve, definition=definition, dv=dv, covariates=c.names,
                           dropped=c.dropped, formula=formula, method=method, notes=c.notes,
                           alpha=float(alpha))


__all__ = ["CURVE_COLUMNS", "DEFAULT_ARCS", "DEFAULT_LENGTHS", "DefinitionCurve",
           "DefinitionFlow", "definition_curve", "definition_flow", "grid_definitions"]
