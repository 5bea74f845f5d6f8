"""Adjusted comparison of the groups: ANCOVA by OLS with LS means.

``ancova(data, "delta_pav")`` fits ``delta_pav ~ calcification + pav_baseline + trial +
age + sex + diabetes + prior_mi + hdl_c`` by ordinary least squares (a QR
decomposition; the estimates of statsmodels ``OLS``) on the patients with spotty or no
calcification and reports LS (adjusted) means per group, the spotty - none contrast,
the coefficients and model diagnostics.

Formula safety: every name is checked against the data dictionary
(:data:`analysis.data.schema.VARIABLES`) and the data before use, and the model is built as
a NumPy design matrix (:mod:`analysis.stats.linear.lsmeans`); no formula string is ever parsed, so
a column name can never become code. ``.formula`` is a human-readable description only.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import special
from scipy.linalg.lapack import dgeqrf
from statsmodels.tools.sm_exceptions import SingularMatrixWarning

from analysis import settings
from analysis.data import schema
from analysis.data.schema import GROUP, GROUP_LEVELS, VARIABLES
from analysis.errors import AnalysisError
from analysis.stats.linear.lsmeans import (
    WEIGHTS,
    Design,
    FactorTerm,
    NumericTerm,
    Term,
    linear_combinations,
)

#: Display levels of binary variables (False, True). Therapy flags read better as words.
BOOL_LEVELS: dict[str, tuple[str, str]] = {
    "ldl_intensive": ("standard", "intensive"),
    "sbp_intensive": ("standard", "intensive"),
}
DEFAULT_BOOL_LEVELS = ("no", "yes")

CONTRAST_TEST = "t-test of LS-mean difference (ANCOVA)"
#: With no covariates the contrast is the two-sample t-test with pooled variance.
UNADJUSTED_TEST = "Student t-test (pooled variance)"
COEF_TEST = "t-test of OLS coefficient"

_TRUE = {"true", "1", "yes", "y", "t", "1.0"}
_FALSE = {"false", "0", "no", "n", "f", "0.0"}


# =====================================================================================
# Result
# =====================================================================================
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


# =====================================================================================
# Name checks (formula safety) and options
# =====================================================================================
def _allowed_text() -> str:
    return ", ".join(VARIABLES)


def check_variable(data: pd.DataFrame, name: object, what: str) -> schema.Variable:
    """The dictionary entry of ``name`` if it is a dictionary variable present in ``data``.

    Raises
    ------
    AnalysisError
        Naming the offending value and listing the allowed names.
    """
    if not isinstance(name, str) or name not in VARIABLES:
        raise AnalysisError(
            f"{what} {name!r} is not a variable of the data dictionary. "
            f"Choose one of: {_allowed_text()}.")
    if name not in data.columns:
        raise AnalysisError(
            f"{what} '{name}' is not a column of the data. Load data that has it or "
            f"choose another variable.")
    var = VARIABLES[name]
    if var.dtype == "str":
        raise AnalysisError(f"{what} '{name}' is an identifier and cannot enter a model.")
    return var


def check_frame(data: object) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise AnalysisError(f"Expected a pandas DataFrame, got {type(data).__name__}.")
    if data.columns.duplicated().any():
        dup = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
        raise AnalysisError(f"The data has duplicate column names ({', '.join(dup)}); "
                            "rename them and try again.")
    return data


def check_options(weights: str, alpha: float) -> None:
    if weights not in WEIGHTS:
        raise AnalysisError(f"weights must be one of {', '.join(WEIGHTS)}, not {weights!r}.")
    if not (isinstance(alpha, int | float) and 0.0 < float(alpha) < 1.0):
        raise AnalysisError(f"alpha must be a number between 0 and 1, not {alpha!r}.")


def check_outcome(data: pd.DataFrame, dv: object) -> schema.Variable:
    var = check_variable(data, dv, "Outcome")
    if not var.is_numeric:
        raise AnalysisError(f"Outcome '{dv}' is not numeric; choose a numeric outcome "
                            f"such as {', '.join(v.name for v in schema.outcomes())}.")
    return var


def check_between(data: pd.DataFrame, between: object) -> schema.Variable:
    var = check_variable(data, between, "Grouping variable")
    if not var.is_categorical:
        raise AnalysisError(f"Grouping variable '{between}' is not categorical.")
    return var


def resolve_covariates(data: pd.DataFrame, dv: str, covar: Sequence[str] | str | None,
                       exclude: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """Validated covariate names and ``"name: reason"`` for defaults left out.

    ``covar=None`` means the default set (:func:`analysis.data.schema.default_covariates`);
    a default covariate absent from the data is left out and reported. A name the
    caller chose must be a dictionary variable present in the data.
    """
    dropped: list[str] = []
    if covar is None:
        names = list(schema.default_covariates(dv))
        kept = []
        for name in names:
            if name not in data.columns:
                dropped.append(f"{name}: not in the data")
            else:
                kept.append(name)
        names = kept
    else:
        if isinstance(covar, str):
            covar = [covar]
        if not isinstance(covar, list | tuple):
            raise AnalysisError(f"covar must be a list of variable names, not {covar!r}.")
        names = list(covar)
    out: list[str] = []
    for name in names:
        check_variable(data, name, "Covariate")
        if name == dv:
            raise AnalysisError(f"Covariate '{name}' is the outcome itself; remove it.")
        if name in exclude or name in out:
            continue
        out.append(name)
    return out, dropped


# =====================================================================================
# Column conversion
# =====================================================================================
def bool_levels(name: str) -> tuple[str, str]:
    return BOOL_LEVELS.get(name, DEFAULT_BOOL_LEVELS)


def numeric_values(series: pd.Series, name: str) -> np.ndarray:
    """float64 array, NaN for missing."""
    try:
        if isinstance(series.dtype, pd.CategoricalDtype) or series.dtype == "str" \
                or series.dtype == object:
            series = pd.to_numeric(series, errors="raise")
        return series.to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError):
        raise AnalysisError(f"Column '{name}' should be numeric but holds text; fix the "
                            "data file or its column mapping.") from None


def factor_values(series: pd.Series, var: schema.Variable | None,
                  name: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """(codes as float with NaN for missing, level labels) of a categorical column."""
    if var is not None and var.dtype == "bool":
        labels = bool_levels(name)
        if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
            v = series.array.to_numpy(dtype="float64", na_value=np.nan)
        else:
            text = series.astype("str").str.strip().str.lower()
            v = np.where(text.isin(_TRUE), 1.0, np.where(text.isin(_FALSE), 0.0, np.nan))
            bad = series.notna().to_numpy() & np.isnan(v)
            if bad.any():
                raise AnalysisError(f"Column '{name}' should be yes/no but holds "
                                    f"{series[bad].iloc[0]!r}; fix the data.")
        if np.any((v != 0) & (v != 1) & ~np.isnan(v)):
            raise AnalysisError(f"Column '{name}' should be yes/no (1/0) but holds other "
                                "numbers; fix the data.")
        return v, labels
    if isinstance(series.dtype, pd.CategoricalDtype):
        cat = series.array  # pd.Categorical: codes and categories without the accessor
        levels = tuple(str(c) for c in cat.categories)
        codes = cat.codes.astype("float64")
        codes[codes < 0] = np.nan
        return codes, levels
    text = series.astype("str")
    missing = series.isna().to_numpy()
    observed = sorted(set(text[~missing]))
    if var is not None and var.levels:
        extra = [v for v in observed if v not in var.levels]
        levels = tuple(var.levels) + tuple(extra)
    else:
        levels = tuple(observed)
    lookup = {lev: i for i, lev in enumerate(levels)}
    codes = text.map(lookup).to_numpy(dtype="float64", na_value=np.nan)
    codes = np.where(missing, np.nan, codes)  # to_numpy may hand back a read-only view
    return codes, levels


# =====================================================================================
# Model data
# =====================================================================================
@dataclass(frozen=True, eq=False)
class ModelData:
    """Analysed rows of one model, as NumPy terms."""

    y: np.ndarray
    focal: FactorTerm
    covariates: tuple[Term, ...]
    modifier: Term | None
    dropped: tuple[str, ...]
    excluded: pd.DataFrame
    notes: tuple[str, ...]
    rows: np.ndarray  # positions (0-based) of the analysed rows in the input frame

    @property
    def n(self) -> int:
        return len(self.y)

    def design(self) -> Design:
        return Design(self.focal, self.covariates, self.modifier)


@dataclass(frozen=True)
class Column:
    """A model column: its values and how it enters (``"factor"`` or ``"numeric"``).

    ``values`` holds the column already converted (see :meth:`converted`): a float array
    (NaN for missing) and, for a factor, its level labels, the array holding level
    codes. Several models of the same rows then read and check the column once.
    """

    name: str
    series: pd.Series | None
    kind: str
    var: schema.Variable | None = None
    levels: tuple[str, ...] | None = None  # explicit levels for a computed factor
    values: tuple[np.ndarray, tuple[str, ...] | None] | None = None

    def converted(self) -> Column:
        """This column with :attr:`values` filled in (the series is not kept)."""
        if self.values is not None:
            return self
        return Column(self.name, None, self.kind, self.var, self.levels, _values(self))

    def take(self, rows: np.ndarray) -> Column:
        """The converted column restricted to ``rows`` (positions)."""
        v, levels = self.converted().values
        return Column(self.name, None, self.kind, self.var, self.levels, (v[rows], levels))


def column(data: pd.DataFrame, name: str) -> Column:
    """A dictionary column of ``data`` (name already checked)."""
    var = VARIABLES[name]
    return Column(name, data[name], "factor" if var.is_categorical else "numeric", var)


def _values(col: Column) -> tuple[np.ndarray, tuple[str, ...] | None]:
    if col.values is not None:
        return col.values
    if col.kind == "numeric":
        return numeric_values(col.series, col.name), None
    if col.levels is not None:
        codes, levels = factor_values(col.series, None, col.name)
        return codes, levels
    return factor_values(col.series, col.var, col.name)


def _recode(codes: np.ndarray, levels: tuple[str, ...]) -> tuple[np.ndarray, tuple[str, ...],
                                                                 tuple[str, ...]]:
    """Drop levels with no rows: (codes 0..k-1, kept levels, dropped levels)."""
    counts = np.bincount(codes, minlength=len(levels))
    keep = np.flatnonzero(counts > 0)
    if len(keep) == len(levels):
        return codes, levels, ()
    remap = np.full(len(levels), -1)
    remap[keep] = np.arange(len(keep))
    return (remap[codes], tuple(levels[i] for i in keep),
            tuple(levels[i] for i in np.flatnonzero(counts == 0)))


def prepare(outcome: Column, focal: Column, covariates: Sequence[Column], *,
            focal_levels: Sequence[str] | None = GROUP_LEVELS,
            modifier: Column | None = None, min_group_n: int | None = None,
            dropped: Sequence[str] = (), what: str = "the adjusted model") -> ModelData:
    """Complete-case rows of the model variables, with exclusions counted.

    Rows whose focal level is not in ``focal_levels`` are excluded (and counted);
    rows missing any model variable are excluded and counted per column. Constant
    covariates are dropped and reported; factor levels with no rows are dropped.

    Raises
    ------
    AnalysisError
        A compared group has fewer than ``min_group_n`` analysed rows, or the modifier
        has a single value.
    """
    min_n = settings.current().min_group_n if min_group_n is None else int(min_group_n)
    notes: list[str] = []
    dropped = list(dropped)
    y = _values(outcome)[0]
    fcodes, flevels = _values(focal)

    # rows inside the comparison
    in_scope = ~np.isnan(fcodes)
    excluded_rows: list[dict] = []
    if focal_levels is not None:
        # a compared level the column does not declare simply has no rows
        flevels = tuple(flevels) + tuple(lev for lev in focal_levels if lev not in flevels)
        wanted = [flevels.index(lev) for lev in focal_levels]
        outside = in_scope & ~np.isin(fcodes, wanted)
        if outside.any():
            out_levels = sorted(flevels[int(c)] for c in np.unique(fcodes[outside]))
            excluded_rows.append({"column": focal.name, "n_missing": int(outside.sum()),
                                  "reason": f"level {', '.join(out_levels)} outside the "
                                            f"comparison ({' vs '.join(focal_levels)})"})
            notes.append(f"{int(outside.sum())} patients with {focal.name} "
                         f"{'/'.join(out_levels)} are outside the comparison and not analysed.")
        scope = in_scope & np.isin(fcodes, wanted)
    else:
        scope = in_scope
    n_missing_focal = int((~in_scope).sum())
    excluded_rows.insert(0, {"column": focal.name, "n_missing": n_missing_focal,
                             "reason": "missing value"})

    cols = [outcome, *covariates] + ([modifier] if modifier is not None else [])
    values: dict[str, tuple[np.ndarray, tuple[str, ...] | None]] = {outcome.name: (y, None)}
    for c in cols[1:]:
        values[c.name] = _values(c)
    keep = scope.copy()
    for c in cols:
        v = values[c.name][0]
        miss = ~np.isfinite(v) & scope  # NaN (missing); an infinite number counts as missing
        excluded_rows.append({"column": c.name, "n_missing": int(miss.sum()),
                              "reason": "missing value"})
        keep &= ~miss
    n_dropped_missing = int(scope.sum() - keep.sum())
    if n_dropped_missing:
        notes.append(f"{n_dropped_missing} of {int(scope.sum())} patients in the comparison "
                     "were excluded for a missing value in a model variable.")
    if n_missing_focal:
        notes.append(f"{n_missing_focal} patients with no {focal.name} value were excluded.")
    rows = np.flatnonzero(keep)

    # focal factor
    fc = fcodes[keep].astype(np.intp)
    if focal_levels is not None:
        order = [flevels.index(lev) for lev in focal_levels]
        remap = np.full(len(flevels), -1)
        remap[order] = np.arange(len(order))
        fc = remap[fc]
        flevels = tuple(focal_levels)
        counts = np.bincount(fc, minlength=len(flevels))
    else:
        fc, flevels, _ = _recode(fc, flevels)
        counts = np.bincount(fc, minlength=len(flevels))
        if len(flevels) < 2:
            raise AnalysisError(f"Only one level of {focal.name} remains after filters and "
                                "missing-value exclusions; widen the filters.")
    for lev, cnt in zip(flevels, counts, strict=True):
        if cnt < min_n:
            raise AnalysisError(
                f"The '{lev}' group has {int(cnt)} patients after filters and missing-value "
                f"exclusions; at least {min_n} are needed to fit {what}. Widen the filters.")
    focal_term = FactorTerm(focal.name, flevels, fc)

    # covariates
    terms: list[Term] = []
    for c in covariates:
        v, levels = values[c.name]
        v = v[keep]
        if c.kind == "numeric":
            if v.size == 0 or np.ptp(v) == 0:
                reason = f"{c.name}: constant in the selection (zero variance)"
                dropped.append(reason)
                continue
            terms.append(NumericTerm(c.name, v))
        else:
            codes, kept, empty = _recode(v.astype(np.intp), levels or ())
            if len(kept) < 2:
                only = kept[0] if kept else "none"
                dropped.append(f"{c.name}: constant in the selection (only level '{only}')")
                continue
            if empty and c.var is not None and c.var.dtype == "category":
                notes.append(f"{c.name}: level {', '.join(empty)} has no analysed rows and "
                             "was left out of the model.")
            terms.append(FactorTerm(c.name, kept, codes))

    mod_term: Term | None = None
    if modifier is not None:
        v, levels = values[modifier.name]
        v = v[keep]
        if modifier.kind == "numeric":
            if np.ptp(v) == 0:
                raise AnalysisError(f"'{modifier.name}' is constant in the selection; an "
                                    "interaction cannot be estimated. Widen the filters.")
            mod_term = NumericTerm(modifier.name, v)
        else:
            codes, kept, empty = _recode(v.astype(np.intp), levels or ())
            if len(kept) < 2:
                raise AnalysisError(
                    f"'{modifier.name}' has a single level ({', '.join(kept) or 'none'}) in the "
                    "selection; an interaction cannot be estimated. Widen the filters.")
            if empty:
                notes.append(f"{modifier.name}: level {', '.join(empty)} has no analysed rows.")
            mod_term = FactorTerm(modifier.name, kept, codes)

    for d in dropped:
        notes.append(f"Covariate {d}; left out of the model.")
    excluded = pd.DataFrame({key: [r[key] for r in excluded_rows]
                             for key in ("column", "n_missing", "reason")},
                            index=pd.RangeIndex(len(excluded_rows)))
    return ModelData(y[keep], focal_term, tuple(terms), mod_term, tuple(dropped), excluded,
                     tuple(notes), rows)


# =====================================================================================
# Fitting
# =====================================================================================
@dataclass(frozen=True, eq=False)
class Fit:
    """An OLS fit of a :class:`Design`."""

    design: Design
    y: np.ndarray
    params: np.ndarray
    cov: np.ndarray          # scale * (X'X)^-1
    xtx_inv: np.ndarray      # (X'X)^-1
    df_resid: float
    scale: float
    rsquared: float
    rsquared_adj: float

    @functools.cached_property
    def resid(self) -> np.ndarray:
        """Residuals ``y - X b`` (computed on first use: only the diagnostics need them)."""
        return self.y - self.design.matrix() @ self.params


def _sum_squares(v: np.ndarray) -> float:
    """``v'v`` of a long vector without BLAS: OpenBLAS runs a long dot product on
    several threads, which costs ~30 times more than the sum when the cores are busy."""
    return float(np.einsum("i,i->", v, v))


def _rank(X: np.ndarray) -> int:
    return int(np.linalg.matrix_rank(X)) if X.shape[1] else 0


#: Largest block (rows x columns) handed to LAPACK at once. OpenBLAS splits larger
#: level-2 calls over threads; with the cores busy, the threads of the unblocked
#: Householder steps wait for each other and one fit can take seconds instead of
#: milliseconds. Blocks below the threshold run on one core at full speed.
_BLOCK_CELLS = 7000


def _r_factor(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``R`` of the QR decomposition of ``[X | y]``, ``(p+1) x (p+1)``, by blocks of rows.

    Each block of rows is stacked under the ``R`` so far and triangularised again
    (LAPACK ``dgeqrf``, in place): the ``R`` of all rows, as one Householder QR would
    give it (up to the signs of its rows), without copying the whole design.
    """
    n, p = X.shape
    q = p + 1
    rows = max(64, _BLOCK_CELLS // q)
    lwork = 64 * q
    below = np.tril_indices(q, -1)  # where dgeqrf leaves its reflectors in the top rows
    block = np.zeros((q + rows, q), order="F")
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        if q + stop - start < block.shape[0]:  # last, shorter block
            block = np.asfortranarray(block[:q + stop - start])
        block[q:, :p] = X[start:stop]
        block[q:, p] = y[start:stop]
        block, _tau, _work, info = dgeqrf(block, lwork=lwork, overwrite_a=1)
        if info != 0:  # pragma: no cover - LAPACK argument error
            raise AnalysisError(f"The least-squares solver failed (LAPACK info {info}).")
        block[below] = 0.0
    return np.array(block[:q])


def _solve_upper(R: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``R^-1 B`` for a small upper-triangular ``R`` by back substitution.

    NumPy only: OpenBLAS' triangular solvers start threads even for a 20 x 20 system,
    which stalls for milliseconds when the cores are busy.
    """
    X = np.array(B, dtype=float)
    for i in range(R.shape[0] - 1, -1, -1):
        if i + 1 < R.shape[0]:
            X[i] -= R[i, i + 1:] @ X[i + 1:]
        X[i] /= R[i, i]
    return X


def least_squares(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, int,
                                                         float] | None:
    """(coefficients, (X'X)^-1, rank, residual sum of squares); None if rank-deficient.

    From the ``R`` of ``[X | y]`` (:func:`_r_factor`): its top-left block is the ``R``
    of ``X``, its last column holds ``Q'y`` above the residual norm, so the
    coefficients solve ``R b = Q'y`` as with a thin QR. The rank is that of ``R``
    with NumPy's default tolerance (largest singular value x p x eps); ``R`` has the
    singular values of ``X``, so this is the rank statsmodels' OLS reports for ``X``.
    ``(X'X)^-1 = R^-1 R^-T``.
    """
    p = X.shape[1]
    r_aug = _r_factor(X, y)
    R = r_aug[:p, :p]
    rank = int(np.linalg.matrix_rank(R))
    if rank < p:
        return None
    params = _solve_upper(R, r_aug[:p, p])
    r_inv = _solve_upper(R, np.eye(p))
    return params, r_inv @ r_inv.T, rank, float(r_aug[p, p] ** 2)


def _pinv_fit(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, float]:
    """Statsmodels' pseudo-inverse OLS (a design still rank-deficient after the drops)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SingularMatrixWarning)
        res = sm.OLS(y, X, hasconst=True).fit()
    return (np.asarray(res.params), np.asarray(res.normalized_cov_params),
            int(res.model.rank), float(res.ssr))


def fit(data: ModelData) -> tuple[Fit, ModelData]:
    """OLS fit; covariates aliased with other terms are dropped (and reported).

    Returns the fit and the (possibly reduced) model data. Least squares by a QR
    decomposition of the design (the same estimates, standard errors and R² as
    statsmodels' ``OLS(y, X).fit()``, without building its result objects).
    """
    design = data.design()
    X = design.matrix()
    if X.shape[0] <= X.shape[1]:
        raise AnalysisError(f"{X.shape[0]} patients are too few for {X.shape[1]} model "
                            "coefficients; widen the filters or use fewer covariates.")
    solved = least_squares(X, data.y)
    if solved is None:
        data = _drop_aliased(data)
        design = data.design()
        X = design.matrix()
        solved = least_squares(X, data.y) or _pinv_fit(X, data.y)
    params, xtx_inv, rank, ssr = solved
    y = data.y
    n = len(y)
    df_resid = float(n - rank)
    scale = ssr / df_resid
    centred = y - y.mean()
    rsquared = 1.0 - ssr / _sum_squares(centred)
    # statsmodels: 1 - (nobs - k_constant) / df_resid * (1 - R²), one constant
    rsquared_adj = 1.0 - (n - 1.0) / df_resid * (1.0 - rsquared)
    return Fit(design, y, params, xtx_inv * scale, xtx_inv, df_resid, scale,
               rsquared, rsquared_adj), data


def _drop_aliased(data: ModelData) -> ModelData:
    base = Design(data.focal, (), data.modifier)
    Xb = base.matrix()
    if _rank(Xb) < Xb.shape[1]:
        where = data.focal.name if data.modifier is None else \
            f"{data.focal.name} x {data.modifier.name}"
        raise AnalysisError(f"Some {where} combinations have no patients in this selection, "
                            "so the model cannot be estimated. Widen the filters.")
    kept: list[Term] = []
    dropped = list(data.dropped)
    notes = list(data.notes)
    current = Xb
    for term in data.covariates:
        block = Design(data.focal, (term,), None).matrix()[:, data.focal.k:]
        trial = np.hstack([current, block])
        if _rank(trial) == trial.shape[1]:
            kept.append(term)
            current = trial
        else:
            reason = f"{term.name}: aliased with other model terms in the selection"
            dropped.append(reason)
            notes.append(f"Covariate {reason}; left out of the model.")
    return ModelData(data.y, data.focal, tuple(kept), data.modifier, tuple(dropped),
                     data.excluded, tuple(notes), data.rows)


def coefficient_table(f: Fit, alpha: float) -> pd.DataFrame:
    """``term, estimate, se, t, p, ci_low, ci_high, test`` of a fit."""
    p = len(f.params)
    est = linear_combinations(np.eye(p), f.params, f.cov, f.df_resid, alpha)
    return pd.DataFrame({
        "term": f.design.column_names(), "estimate": est.estimate, "se": est.se,
        "t": est.t, "p": est.p, "ci_low": est.ci_low, "ci_high": est.ci_high,
        "test": [COEF_TEST] * p,
    })


# =====================================================================================
# Diagnostics
# =====================================================================================
def _project_out(X: np.ndarray, xtx_inv: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """Residuals of the columns of ``Z`` regressed on ``X`` (``xtx_inv`` = (X'X)^-1)."""
    return Z - X @ (xtx_inv @ (X.T @ Z))


def added_terms_test(f: Fit, Z: np.ndarray) -> tuple[float, float, int, float]:
    """F-test of adding the columns ``Z`` to the fitted model: (F, p, df1, df2).

    Uses the residuals of ``Z`` on the model's design (no second full fit): the drop
    in the residual sum of squares is ``e'R (R'R)^+ R'e``.
    """
    X = f.design.matrix()
    R = _project_out(X, f.xtx_inv, Z)
    e = np.asarray(f.resid)
    RtR, Re = R.T @ R, R.T @ e
    scale = max(float(np.trace(Z.T @ Z)), 1e-300)
    sol, _, q, _ = np.linalg.lstsq(RtR / scale, Re / scale, rcond=1e-10)
    if q == 0:
        return float("nan"), float("nan"), 0, float("nan")
    drop = float(Re @ sol)
    ssr_full = _sum_squares(e) - drop
    df2 = f.df_resid - q
    F = (drop / q) / (ssr_full / df2)
    # F survival function (scipy.special.fdtrc is what stats.f.sf evaluates)
    return F, float(special.fdtrc(q, df2, F)), int(q), float(df2)


def breusch_pagan(f: Fit) -> tuple[float, float, int]:
    """Koenker's studentised Breusch-Pagan test on the model terms: (LM, p, df).

    LM = n R² of the squared residuals regressed on the design.
    """
    X = f.design.matrix()
    e2 = np.asarray(f.resid) ** 2
    u = _project_out(X, f.xtx_inv, e2[:, None])[:, 0]
    centred = e2 - e2.mean()
    r2 = 1.0 - _sum_squares(u) / _sum_squares(centred)
    df = X.shape[1] - 1
    lm = len(e2) * r2
    # chi-square survival function (what stats.chi2.sf evaluates; 1 at LM <= 0)
    return lm, float(special.chdtrc(df, max(lm, 0.0))), df


def diagnostics_table(f: Fit, data: ModelData, slope_covariate: str | None) -> pd.DataFrame:
    """Residual summary, fit, normality, heteroscedasticity, slopes, influence."""
    r = np.asarray(f.resid)
    n, p = f.design.matrix().shape
    rows: list[tuple[str, float, str]] = []
    q = np.quantile(r, [0.0, 0.25, 0.5, 0.75, 1.0])
    rows += [
        ("residual SD", float(np.sqrt(f.scale)), f"root mean squared error, df = {f.df_resid:g}"),
        ("residual min", float(q[0]), ""), ("residual Q1", float(q[1]), ""),
        ("residual median", float(q[2]), ""), ("residual Q3", float(q[3]), ""),
        ("residual max", float(q[4]), ""),
        ("R²", f.rsquared, ""), ("adjusted R²", f.rsquared_adj, ""),
    ]
    # Jarque-Bera from the central moments (the scipy wrappers cost more than the fit)
    d = r - r.mean()
    d2 = d * d
    m2, m3, m4 = float(d2.mean()), float((d2 * d).mean()), float((d2 * d2).mean())
    skew, kurt = m3 / m2 ** 1.5, m4 / m2 ** 2
    jb = len(r) / 6.0 * (skew ** 2 + (kurt - 3.0) ** 2 / 4.0)
    jb_p = float(special.chdtrc(2, jb))  # chi-square(2) survival function
    rows += [
        ("residual skewness", float(skew), "0 for a normal distribution"),
        ("residual kurtosis", float(kurt), "Pearson kurtosis; 3 for a normal distribution"),
        ("normality p", float(jb_p), f"Jarque-Bera test of residual normality (JB = {jb:.3g})"),
    ]
    X = f.design.matrix()
    lm, lm_p, lm_df = breusch_pagan(f)
    rows.append(("heteroscedasticity p", lm_p,
                 f"Breusch-Pagan test, studentised (Koenker), on the model terms "
                 f"(LM = {lm:.3g}, df = {lm_df})"))

    # homogeneity of slopes: focal x covariate products added, F-test vs the model
    term = next((t for t in data.covariates
                 if isinstance(t, NumericTerm) and t.name == slope_covariate), None)
    if term is None:
        rows.append(("homogeneity of slopes p", float("nan"),
                     f"not tested: {slope_covariate or 'no baseline covariate'} "
                     "is not a numeric covariate of this model"))
    else:
        prod = data.focal.dummies() * term.values[:, None]
        F, p_slopes, q_extra, df_f = added_terms_test(f, prod)
        rows.append(("homogeneity of slopes p", p_slopes,
                     f"F-test comparing models with and without the {data.focal.name} x "
                     f"{term.name} interaction (F = {F:.3g}, df = {q_extra}, {df_f:g})"))

    h = np.sum((X @ f.xtx_inv) * X, axis=1)  # leverage: diagonal of the hat matrix
    cooks = (r ** 2 / (p * f.scale)) * h / (1.0 - h) ** 2
    rows += [
        ("max Cook's distance", float(np.max(cooks)), "largest influence of one patient"),
        ("n influential", float(np.sum(cooks > 4.0 / n)), "patients with Cook's distance > 4/n"),
    ]
    return pd.DataFrame(rows, columns=["statistic", "value", "note"])


_EMPTY_DIAGNOSTICS = pd.DataFrame({"statistic": pd.Series(dtype="str"),
                                   "value": pd.Series(dtype=float),
                                   "note": pd.Series(dtype="str")})


def empty_diagnostics() -> pd.DataFrame:
    """The diagnostics frame when diagnostics were not requested."""
    return _EMPTY_DIAGNOSTICS.copy(deep=False)


# =====================================================================================
# Text
# =====================================================================================
def formula_text(dv: str, focal: str, covariates: Sequence[str],
                 modifier: str | None = None) -> str:
    rhs = [focal if modifier is None else f"{focal} * {modifier}", *covariates]
    return f"{dv} ~ {' + '.join(rhs)}"


def weighting_text(weights: str) -> str:
    if weights == "equal":
        return "LS means with equal weights over factor levels"
    return "LS means with proportional weights over factor levels"


# =====================================================================================
# ANCOVA
# =====================================================================================
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
        conventions; see :mod:`analysis.stats.linear.lsmeans`).
    alpha : float
        1 - confidence level.
    min_group_n : int, optional
        Smallest analysed group; default ``settings.current().min_group_n``.
    diagnostics : bool
        Compute :attr:`AncovaResult.diagnostics` (one extra least-squares fit).

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
    check_outcome(data, dv)
    check_between(data, between)
    if between == dv:
        raise AnalysisError("The outcome cannot also be the grouping variable.")
    names, dropped0 = resolve_covariates(data, dv, covar, exclude=(between,))
    md = prepare(column(data, dv), column(data, between), [column(data, c) for c in names],
                 focal_levels=GROUP_LEVELS if between == GROUP else None,
                 min_group_n=min_group_n, dropped=dropped0)
    return ancova_from_model_data(md, dv, weights=weights, alpha=alpha,
                                  diagnostics=diagnostics)


def ancova_from_model_data(md: ModelData, dv: str, *, weights: str = "proportional",
                           alpha: float = 0.05, diagnostics: bool = True) -> AncovaResult:
    """The ANCOVA of prepared model data (used by :func:`ancova` and the subgroups)."""
    f, md = fit(md)
    design = f.design
    focal = design.focal
    L = design.lsmeans_matrix(weights)
    k, p = L.shape
    # one call for LS means, contrasts and coefficients (rows stacked)
    est = linear_combinations(np.vstack([L, L[1:] - L[0], np.eye(p)]), f.params, f.cov,
                              f.df_resid, alpha)
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

