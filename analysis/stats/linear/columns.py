"""Model columns: conversion of data-frame columns to NumPy, and the analysed rows.

:func:`column` wraps a checked dictionary column; :func:`prepare` turns an outcome, a
focal factor, covariates and an optional modifier into :class:`ModelData`: the
complete cases, as design terms, with every excluded row counted per column and every
dropped covariate named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import settings
from analysis.data import schema
from analysis.data.schema import GROUP_LEVELS, VARIABLES
from analysis.data.validation import FALSE_TOKENS, TRUE_TOKENS
from analysis.errors import AnalysisError
from analysis.stats.linear.design import Design, FactorTerm, NumericTerm, Term

#: Display levels of binary variables (False, True). Therapy flags read better as words.
BOOL_LEVELS: dict[str, tuple[str, str]] = {
    "ldl_intensive": ("standard", "intensive"),
    "sbp_intensive": ("standard", "intensive"),
}
DEFAULT_BOOL_LEVELS = ("no", "yes")

#: Yes/no spellings: the loader's tokens, plus the text of 1.0 / 0.0 for float columns.
_TRUE = TRUE_TOKENS | {"1.0"}
_FALSE = FALSE_TOKENS | {"0.0"}


def bool_levels(name: str) -> tuple[str, str]:
    """Display labels (False, True) of a binary variable."""
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
        return Column(self.name, None, self.kind, self.var, self.levels, column_values(self))

    def take(self, rows: np.ndarray) -> Column:
        """The converted column restricted to ``rows`` (positions)."""
        v, levels = self.converted().values
        return Column(self.name, None, self.kind, self.var, self.levels, (v[rows], levels))


def column(data: pd.DataFrame, name: str) -> Column:
    """A dictionary column of ``data`` (name already checked)."""
    var = VARIABLES[name]
    return Column(name, data[name], "factor" if var.is_categorical else "numeric", var)


def column_values(col: Column) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """(float values with NaN for missing, factor levels or None) of a column."""
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


@dataclass
class _Rows:
    """Bookkeeping of :func:`prepare`: rows in scope, exclusions, notes, drops."""

    scope: np.ndarray
    excluded: list[dict]
    notes: list[str]
    dropped: list[str]


def _focal_scope(focal: Column, fcodes: np.ndarray, flevels: tuple[str, ...],
                 focal_levels: Sequence[str] | None,
                 dropped: Sequence[str]) -> tuple[_Rows, tuple[str, ...]]:
    """Rows with a focal level inside the comparison; the others counted."""
    in_scope = ~np.isnan(fcodes)
    rows = _Rows(in_scope, [], [], list(dropped))
    if focal_levels is not None:
        # a compared level the column does not declare simply has no rows
        flevels = tuple(flevels) + tuple(lev for lev in focal_levels if lev not in flevels)
        wanted = [flevels.index(lev) for lev in focal_levels]
        inside = np.isin(fcodes, wanted)
        outside = in_scope & ~inside
        if outside.any():
            out_levels = sorted(flevels[int(c)] for c in np.unique(fcodes[outside]))
            rows.excluded.append({"column": focal.name, "n_missing": int(outside.sum()),
                                  "reason": f"level {', '.join(out_levels)} outside the "
                                            f"comparison ({' vs '.join(focal_levels)})"})
            rows.notes.append(f"{int(outside.sum())} patients with {focal.name} "
                              f"{'/'.join(out_levels)} are outside the comparison and not "
                              "analysed.")
        rows.scope = in_scope & inside
    n_missing = int((~in_scope).sum())
    rows.excluded.insert(0, {"column": focal.name, "n_missing": n_missing,
                             "reason": "missing value"})
    return rows, flevels


def _complete_cases(rows: _Rows, outcome: Column, covariates: Sequence[Column],
                    modifier: Column | None, values: dict, focal: Column,
                    n_missing_focal: int) -> tuple[np.ndarray, list[Column]]:
    """Rows in scope with every model variable present, and the covariates kept.

    A covariate with no value among the rows in scope is dropped and named (it would
    otherwise exclude every patient and be reported as an empty group). The
    exclusions are counted per column.
    """
    n_scope = int(rows.scope.sum())
    keep = rows.scope.copy()
    kept: list[Column] = []
    cols = [(outcome, False), *((c, True) for c in covariates)] + \
        ([(modifier, False)] if modifier is not None else [])
    for c, is_covariate in cols:
        miss = ~np.isfinite(values[c.name][0]) & rows.scope  # NaN, or inf counted missing
        n_miss = int(miss.sum())
        if is_covariate and n_scope and n_miss == n_scope:
            rows.dropped.append(f"{c.name}: no values in the selection (all missing)")
            continue
        if is_covariate:
            kept.append(c)
        rows.excluded.append({"column": c.name, "n_missing": n_miss, "reason": "missing value"})
        keep &= ~miss
    n_dropped = int(n_scope - keep.sum())
    if n_dropped:
        rows.notes.append(f"{n_dropped} of {n_scope} patients in the comparison "
                          "were excluded for a missing value in a model variable.")
    if n_missing_focal:
        rows.notes.append(f"{n_missing_focal} patients with no {focal.name} value were "
                          "excluded.")
    return keep, kept


def _focal_term(name: str, fc: np.ndarray, flevels: tuple[str, ...],
                focal_levels: Sequence[str] | None, min_n: int, what: str) -> FactorTerm:
    """The focal factor of the kept rows; too small a group raises."""
    if focal_levels is not None:
        remap = np.full(len(flevels), -1)
        remap[[flevels.index(lev) for lev in focal_levels]] = np.arange(len(focal_levels))
        fc, flevels = remap[fc], tuple(focal_levels)
    else:
        fc, flevels, _ = _recode(fc, flevels)
        if len(flevels) < 2:
            raise AnalysisError(f"Only one level of {name} remains after filters and "
                                "missing-value exclusions; widen the filters.")
    counts = np.bincount(fc, minlength=len(flevels))
    for lev, cnt in zip(flevels, counts, strict=True):
        if cnt < min_n:
            raise AnalysisError(
                f"The '{lev}' group has {int(cnt)} patients after filters and missing-value "
                f"exclusions; at least {min_n} are needed to fit {what}. Widen the filters.")
    return FactorTerm(name, flevels, fc)


def _covariate_terms(rows: _Rows, covariates: Sequence[Column], values: dict,
                     keep: np.ndarray) -> list[Term]:
    """Model terms of the covariates on the kept rows; constant ones dropped."""
    terms: list[Term] = []
    for c in covariates:
        v, levels = values[c.name]
        v = v[keep]
        if c.kind == "numeric":
            if v.size == 0 or np.ptp(v) == 0:
                rows.dropped.append(f"{c.name}: constant in the selection (zero variance)")
                continue
            terms.append(NumericTerm(c.name, v))
            continue
        codes, kept, empty = _recode(v.astype(np.intp), levels or ())
        if len(kept) < 2:
            only = kept[0] if kept else "none"
            rows.dropped.append(f"{c.name}: constant in the selection (only level '{only}')")
            continue
        if empty and c.var is not None and c.var.dtype == "category":
            rows.notes.append(f"{c.name}: level {', '.join(empty)} has no analysed rows and "
                              "was left out of the model.")
        terms.append(FactorTerm(c.name, kept, codes))
    return terms


def _modifier_term(rows: _Rows, modifier: Column, values: dict, keep: np.ndarray) -> Term:
    """The modifier on the kept rows; a single value raises."""
    v, levels = values[modifier.name]
    v = v[keep]
    if modifier.kind == "numeric":
        if v.size == 0 or np.ptp(v) == 0:
            raise AnalysisError(f"'{modifier.name}' is constant in the selection; an "
                                "interaction cannot be estimated. Widen the filters.")
        return NumericTerm(modifier.name, v)
    codes, kept, empty = _recode(v.astype(np.intp), levels or ())
    if len(kept) < 2:
        raise AnalysisError(
            f"'{modifier.name}' has a single level ({', '.join(kept) or 'none'}) in the "
            "selection; an interaction cannot be estimated. Widen the filters.")
    if empty:
        rows.notes.append(f"{modifier.name}: level {', '.join(empty)} has no analysed rows.")
    return FactorTerm(modifier.name, kept, codes)


def prepare(outcome: Column, focal: Column, covariates: Sequence[Column], *,
            focal_levels: Sequence[str] | None = GROUP_LEVELS,
            modifier: Column | None = None, min_group_n: int | None = None,
            dropped: Sequence[str] = (), what: str = "the adjusted model") -> ModelData:
    """Complete-case rows of the model variables, with exclusions counted.

    Rows whose focal level is not in ``focal_levels`` are excluded (and counted);
    rows missing any model variable are excluded and counted per column. A covariate
    with no value among the rows in scope, and a constant covariate, is dropped and
    named in ``dropped`` and ``notes``; factor levels with no rows are dropped.

    Raises
    ------
    AnalysisError
        A compared group has fewer than ``min_group_n`` analysed rows, or the modifier
        has a single value.
    """
    min_n = settings.current().min_group_n if min_group_n is None else int(min_group_n)
    y = column_values(outcome)[0]
    fcodes, flevels = column_values(focal)
    rows, flevels = _focal_scope(focal, fcodes, flevels, focal_levels, dropped)
    n_missing_focal = rows.excluded[0]["n_missing"]
    values = {c.name: column_values(c) for c in
              [*covariates, *([modifier] if modifier is not None else [])]}
    values[outcome.name] = (y, None)
    keep, covariates = _complete_cases(rows, outcome, covariates, modifier, values, focal,
                                       n_missing_focal)
    focal_term = _focal_term(focal.name, fcodes[keep].astype(np.intp), flevels,
                             focal_levels, min_n, what)
    terms = _covariate_terms(rows, covariates, values, keep)
    mod_term = None if modifier is None else _modifier_term(rows, modifier, values, keep)
    notes = rows.notes + [f"Covariate {d}; left out of the model." for d in rows.dropped]
    excluded = pd.DataFrame({key: [r[key] for r in rows.excluded]
                             for key in ("column", "n_missing", "reason")},
                            index=pd.RangeIndex(len(rows.excluded)))
    return ModelData(y[keep], focal_term, tuple(terms), mod_term, tuple(rows.dropped),
                     excluded, tuple(notes), np.flatnonzero(keep))
