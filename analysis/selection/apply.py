"""Applying a filter spec: the selected rows and the attrition step by step.

Every step works on NumPy arrays over all rows (categorical codes for value sets
and groups, floats for ranges and therapy cut-points), so the cost is one pass per
filter plus the final ``.loc[mask]`` that any pandas selection pays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.data.derive import (
    CUTS_ATTR,
    add_derived,
    derived_at,
    derived_names,
    therapy_flags,
)
from analysis.data.schema import GROUP, GROUP_LABELS, VARIABLES
from analysis.errors import FilterSpecError
from analysis.selection.canonical import THERAPY
from analysis.selection.spec import FilterSpec

ATTRITION_COLUMNS = ["step", "description", "n", "n_excluded", "n_excluded_missing",
                     "n_missing_kept", "n_none", "n_spotty"]
_COUNT_COLUMNS = ATTRITION_COLUMNS[2:]


@dataclass(frozen=True)
class FilterResult:
    """Rows selected by a spec and how each step narrowed the cohort.

    Attributes
    ----------
    frame
        Selected rows, input order and index kept, derived therapy flags at the
        spec's cut-points (and any absent derived column added).
    attrition
        One row per step (first ``"All patients"``, then ``"groups"``, then each
        filter in canonical order): step, description, n (left after the step),
        n_excluded, n_excluded_missing (excluded because the value was missing),
        n_missing_kept (missing but kept, ``missing="keep"``), n_none, n_spotty.
    n_by_group
        Patients left per included calcification group.
    spec
        The spec applied.
    """

    frame: pd.DataFrame
    attrition: pd.DataFrame
    n_by_group: dict[str, int]
    spec: FilterSpec

    @property
    def n(self) -> int:
        """Patients selected."""
        return len(self.frame)


def _require_columns(frame: pd.DataFrame, spec: FilterSpec) -> None:
    needed = [GROUP, *spec.variables]
    absent = [c for c in needed if c not in frame.columns]
    if absent:
        raise FilterSpecError(
            "cannot filter on " + ", ".join(f"{c!r}" for c in absent)
            + ": not a column of this dataset; remove the filter (or load a file with it)")


def _codes(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(integer codes, -1 = missing; the text of each code) of a categorical-like column."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        values = series.array
        return values.codes, [str(c) for c in values.categories]
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes, [str(u) for u in uniques]


def _in_set(series: pd.Series | tuple[np.ndarray, list[str]],
            wanted: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(value among ``wanted``, missing) arrays of a column or its :func:`_codes`;
    values compared as text."""
    codes, labels = _codes(series) if isinstance(series, pd.Series) else series
    lookup = np.zeros(len(labels) + 1, dtype=bool)  # the last slot answers code -1
    lookup[:-1] = [label in wanted for label in labels]
    return lookup[codes], codes < 0


def _floats(series: pd.Series) -> np.ndarray:
    if series.dtype == np.float64:
        return series.to_numpy()
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _bool_values(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(value as True/False, missing) arrays of a boolean-like column."""
    values = series.array if isinstance(series.dtype, pd.BooleanDtype) else (
        series.astype("boolean").array)
    return values.to_numpy(dtype=bool, na_value=False), values.isna()


def _step_mask(frame: pd.DataFrame, kind: str, name: str, arg: Any,
               spec: FilterSpec) -> tuple[np.ndarray, np.ndarray]:
    """(passes, missing) boolean arrays for one step over all rows (passes is False
    where the value is missing)."""
    if kind == "range":
        lo, hi = arg
        values = _floats(frame[name])
        ok = np.ones(len(values), dtype=bool) if lo is None else values >= lo
        if hi is not None:
            ok &= values <= hi
        return ok, np.isnan(values)  # comparisons with NaN are False
    if kind == "category":
        if VARIABLES[name].is_binary:
            values, missing = _bool_values(frame[name])
            if "yes" in arg and "no" in arg:
                return ~missing, missing
            return (values if "yes" in arg else ~values & ~missing), missing
        return _in_set(frame[name], arg)
    # therapy: the measurement against the spec's cut-point (as the derived flag)
    column, _flag, cut_attr = THERAPY[name]
    values = _floats(frame[column])
    missing = np.isnan(values)
    cut = getattr(spec, cut_attr)
    ok = values < cut if arg == "intensive" else values >= cut
    return ok, missing


def _steps(spec: FilterSpec) -> list[tuple[str, str, str, Any, str]]:
    """(step, kind, column, argument, description) in the fixed order."""
    filters = [(r[0], "range", (r[1], r[2]), FilterSpec(ranges=(r,))) for r in spec.ranges]
    filters += [(c[0], "category", c[1], FilterSpec(categories=(c,))) for c in spec.categories]
    steps = [(name, kind, name, arg, one.describe()[0])
             for name, kind, arg, one in sorted(filters, key=lambda t: t[0])]
    for attr, (_column, _flag, cut_attr) in THERAPY.items():
        therapy = getattr(spec, attr)
        if therapy != "any":
            text = FilterSpec(**{attr: therapy, cut_attr: getattr(spec, cut_attr)}).describe()[0]
            steps.append((attr, "therapy", attr, therapy, text))
    return steps


def _attrition(texts: list[tuple[str, str]], counts: list[list[int]]) -> pd.DataFrame:
    """The attrition frame (built column by column: the quickest way for a few rows)."""
    columns: dict[str, Any] = {
        "step": np.array([t[0] for t in texts], dtype=object),
        "description": np.array([t[1] for t in texts], dtype=object)}
    table = np.array(counts, dtype=np.int64).reshape(len(counts), len(_COUNT_COLUMNS))
    columns |= {name: table[:, i] for i, name in enumerate(_COUNT_COLUMNS)}
    return pd.DataFrame(columns, copy=False)


def _selected_frame(frame: pd.DataFrame, mask: np.ndarray, spec: FilterSpec) -> pd.DataFrame:
    """The rows of ``mask`` with the therapy flags at the spec's cut-points."""
    selected = frame.copy(deep=False) if mask.all() else frame.loc[mask]
    missing_derived = set(derived_names(frame.columns)) - set(frame.columns)
    if missing_derived:  # a frame without its derived columns (not from the loader)
        flags = therapy_flags(selected, ldl_cut=spec.ldl_cut, sbp_cut=spec.sbp_cut)
        return add_derived(selected.assign(**flags), ldl_cut=spec.ldl_cut, sbp_cut=spec.sbp_cut)
    if not derived_at(frame, spec.ldl_cut, spec.sbp_cut):
        for name, flag in therapy_flags(selected, ldl_cut=spec.ldl_cut,
                                        sbp_cut=spec.sbp_cut).items():
            selected[name] = flag
        selected.attrs = {**selected.attrs, CUTS_ATTR: (spec.ldl_cut, spec.sbp_cut)}
    return selected


def apply_filters(frame: pd.DataFrame, spec: FilterSpec) -> FilterResult:
    """Select the patients of ``spec`` and report the attrition step by step.

    Steps run in a fixed order: calcification groups, then each range / value-set
    filter by variable name, then LDL-C and SBP therapy (the measurement against
    the spec's cut-point). The derived therapy flags of the selected rows are
    recomputed with the spec's cut-points unless the frame says
    (``attrs["derived_cuts"]``, set by :func:`analysis.data.derive.add_derived`)
    that they were derived at exactly these; a frame whose LDL-C or SBP is changed
    after :func:`add_derived` must be passed through it again. The input frame is
    not modified; row order and index are kept.

    Parameters
    ----------
    frame
        Validated patient frame (dictionary dtypes).
    spec
        The selection.

    Returns
    -------
    FilterResult

    Raises
    ------
    FilterSpecError
        ``spec`` filters a variable the frame does not have.
    """
    if not isinstance(spec, FilterSpec):
        raise FilterSpecError(
            f"apply_filters needs a FilterSpec, not {type(spec).__name__}; "
            "use FilterSpec.from_query(...) or FilterSpec.from_dict(...)")
    _require_columns(frame, spec)
    codes, labels = _codes(frame[GROUP])
    is_group = {g: codes == labels.index(g) if g in labels else np.zeros(len(codes), bool)
                for g in ("none", "spotty", *spec.groups)}
    keep_missing = spec.missing == "keep"
    texts: list[tuple[str, str]] = []
    counts: list[list[int]] = []
    mask = np.ones(len(frame), dtype=bool)
    n_mask = len(frame)

    def record(step: str, description: str, new: np.ndarray, excl_missing: int,
               kept_missing: int) -> None:
        n_new = int(np.count_nonzero(new))
        texts.append((step, description))
        counts.append([n_new, n_mask - n_new, excl_missing, kept_missing,
                       int(np.count_nonzero(new & is_group["none"])),
                       int(np.count_nonzero(new & is_group["spotty"]))])

    record("start", "All patients in the dataset", mask, 0, 0)
    in_groups, group_missing = _in_set((codes, labels), spec.groups)
    labels_text = ", ".join(GROUP_LABELS[g] for g in spec.groups)
    record("groups", f"Calcification group: {labels_text}", in_groups,
           int(np.count_nonzero(group_missing)), 0)
    mask, n_mask = in_groups, counts[-1][0]

    for step, kind, column, arg, description in _steps(spec):
        ok, missing = _step_mask(frame, kind, column, arg, spec)
        n_missing = int(np.count_nonzero(mask & missing))
        new = mask & (ok | missing) if keep_missing else mask & ok
        record(step, description, new, 0 if keep_missing else n_missing,
               n_missing if keep_missing else 0)
        mask, n_mask = new, counts[-1][0]

    n_by_group = {g: int(np.count_nonzero(mask & is_group[g])) for g in spec.groups}
    return FilterResult(frame=_selected_frame(frame, mask, spec),
                        attrition=_attrition(texts, counts), n_by_group=n_by_group, spec=spec)
