"""Server-side distribution summaries for plotting.

Each function returns a tidy DataFrame whose size depends on the number of groups
and the requested resolution (bins, points), never on the number of patients, so a
figure built from it stays small for any cohort. Missing values are excluded per
variable and counted in an ``n_missing`` column and in ``frame.attrs["n_missing"]``
(a dict level -> count, present even when the frame has no rows); notes (e.g. a
group too small for a density estimate) are in ``frame.attrs["notes"]`` (a tuple
of str).

Quantiles use numpy's default linear interpolation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.data.schema import GROUP, GROUP_LEVELS
from analysis.errors import AnalysisError
from analysis.stats import hypothesis_tests as st
from analysis.stats.binned_kde import binned_density, error_bound, fine_spacing
from analysis.stats.grouping import (
    as_float,
    check_frame,
    check_levels,
    check_numeric,
    group_mask,
    outside_note,
    split_numeric,
)

MAX_BINS = 500
MAX_POINTS = 2000
MAX_OUTLIERS = 50
#: The KDE grid extends this many bandwidths beyond the data (as seaborn's ``cut``).
KDE_CUT = 3.0
#: Groups up to this size get the exact kernel sum; larger ones the binned estimate.
KDE_EXACT_MAX_N = 5_000

HISTOGRAM_COLUMNS = ["level", "bin", "left", "right", "count", "density", "pct", "n", "n_missing"]
BOX_COLUMNS = ["level", "n", "n_missing", "mean", "q1", "median", "q3", "iqr", "whisker_low",
               "whisker_high", "n_outliers", "outliers"]
KDE_COLUMNS = ["level", "x", "density", "n", "n_missing", "bandwidth"]
ECDF_COLUMNS = ["level", "x", "p", "n", "n_missing"]
PAIRED_COLUMNS = ["level", "time", "variable", "n", "n_missing", "mean", "sd", "se",
                  "ci_low", "ci_high"]


def _prepare(data, dv, group, levels) -> tuple[dict[str, tuple[np.ndarray, int]], list[str]]:
    data = check_frame(data)
    check_numeric(data, dv)
    levels = check_levels(data, group, levels)
    notes = []
    if (outside := outside_note(data, group, levels)) is not None:
        notes.append(outside)
    return split_numeric(data, dv, group, levels), notes


def _int_arg(value, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not low <= value <= high:
        raise AnalysisError(f"'{name}' must be a whole number from {low} to {high}; got {value!r}.")
    return int(value)


def _missing(parts: dict[str, tuple[np.ndarray, int]]) -> dict[str, int]:
    return {lv: m for lv, (_, m) in parts.items()}


def _finish(frame: pd.DataFrame | list, columns: list[str], notes: list[str],
            missing: dict[str, int],
            ints: Sequence[str] = ("n", "n_missing")) -> pd.DataFrame:
    out = pd.DataFrame.from_records(frame, columns=columns) if isinstance(frame, list) else frame
    out = out.reindex(columns=columns)
    for col in ints:
        out[col] = out[col].astype("Int64")
    out["level"] = out["level"].astype("str")
    out.attrs["notes"] = tuple(notes)
    out.attrs["n_missing"] = dict(missing)
    return out


def histogram(data: pd.DataFrame, dv: str, *, group: str = GROUP,
              levels: Sequence[str] = GROUP_LEVELS, bins: int = 30) -> pd.DataFrame:
    """Histogram per group on bin edges shared by all groups.

    The edges are ``numpy.histogram_bin_edges`` of all non-missing values of the
    chosen groups; counts per group are ``numpy.histogram`` on those edges (bins
    closed on the left, the last also on the right).

    Parameters
    ----------
    data : pandas.DataFrame
        Validated patient frame. Not modified.
    dv : str
        Numeric column.
    group, levels : str, sequence of str
        Group column and levels (default calcification none / spotty).
    bins : int
        Number of bins, 1 to 500.

    Returns
    -------
    pandas.DataFrame
        ``bins`` rows per level: ``level``, ``bin`` (0-based), ``left``, ``right``,
        ``count``, ``density`` (``count / (n * width)``, integrates to 1),
        ``pct`` (``100 * count / n``), ``n`` (non-missing values of the level),
        ``n_missing``. A level without values has zero counts and NaN density/pct.
    """
    bins = _int_arg(bins, "bins", 1, MAX_BINS)
    parts, notes = _prepare(data, dv, group, levels)
    pooled = np.concatenate([x for x, _ in parts.values()])
    if len(pooled) == 0:
        notes.append(f"No non-missing values of {dv} in the chosen groups.")
        return _finish([], HISTOGRAM_COLUMNS, notes, _missing(parts),
                       ints=("bin", "count", "n", "n_missing"))
    edges = np.histogram_bin_edges(pooled, bins=bins)
    width = np.diff(edges)
    frames = []
    for lv, (x, missing) in parts.items():
        # numpy's even-bins path (one pass, no search) gives the counts of these edges
        counts, _ = np.histogram(x, bins=bins, range=(edges[0], edges[-1]))
        n = len(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            density = counts / (n * width) if n else np.full(bins, math.nan)
            pct = 100.0 * counts / n if n else np.full(bins, math.nan)
        if n == 0:
            notes.append(f"Group '{lv}' has no {dv} values.")
        frames.append(pd.DataFrame({
            "level": lv, "bin": np.arange(bins), "left": edges[:-1], "right": edges[1:],
            "count": counts, "density": density, "pct": pct, "n": n, "n_missing": missing}))
    return _finish(pd.concat(frames, ignore_index=True), HISTOGRAM_COLUMNS, notes,
                   _missing(parts),
                   ints=("bin", "count", "n", "n_missing"))


def _sample_outliers(values: np.ndarray, limit: int) -> tuple[float, ...]:
    """Up to ``limit`` outliers: all if few, else evenly spaced in sorted order
    (always including the most extreme ones), so the choice is deterministic."""
    values = np.sort(values)
    if len(values) > limit:
        idx = np.unique(np.round(np.linspace(0, len(values) - 1, limit)).astype(int))
        values = values[idx]
    return tuple(float(v) for v in values)


def box_summary(data: pd.DataFrame, dv: str, *, group: str = GROUP,
                levels: Sequence[str] = GROUP_LEVELS,
                max_outliers: int = MAX_OUTLIERS) -> pd.DataFrame:
    """Tukey box-plot statistics per group.

    Whiskers end at the most extreme values inside the fences
    ``q1 - 1.5 * iqr`` and ``q3 + 1.5 * iqr``; values beyond are outliers.

    Returns
    -------
    pandas.DataFrame
        One row per level: ``level``, ``n``, ``n_missing``, ``mean``, ``q1``,
        ``median``, ``q3``, ``iqr``, ``whisker_low``, ``whisker_high``,
        ``n_outliers`` (all of them), ``outliers`` (tuple of at most ``max_outliers``
        values: all if that few, else evenly spaced through the sorted outliers,
        including the smallest and largest). A level without values has n = 0 and NaN.
    """
    max_outliers = _int_arg(max_outliers, "max_outliers", 0, 10_000)
    parts, notes = _prepare(data, dv, group, levels)
    rows = []
    for lv, (x, missing) in parts.items():
        row = {"level": lv, "n": len(x), "n_missing": missing}
        if len(x) == 0:
            notes.append(f"Group '{lv}' has no {dv} values.")
            rows.append(row | {"n_outliers": 0, "outliers": ()})
            continue
        q1, med, q3 = (float(v) for v in np.quantile(x, [0.25, 0.5, 0.75]))
        iqr = q3 - q1
        lo_fence, hi_fence = q1 - 1.5 * iqr, q3 + 1.5 * iqr
        inside = x[(x >= lo_fence) & (x <= hi_fence)]
        out = x[(x < lo_fence) | (x > hi_fence)]
        rows.append(row | {
            "mean": float(np.mean(x)), "q1": q1, "median": med, "q3": q3, "iqr": iqr,
            "whisker_low": float(inside.min()), "whisker_high": float(inside.max()),
            "n_outliers": len(out), "outliers": _sample_outliers(out, max_outliers)})
    frame = pd.DataFrame.from_records(rows, columns=BOX_COLUMNS)
    frame["outliers"] = frame["outliers"].astype(object)
    return _finish(frame, BOX_COLUMNS, notes, _missing(parts),
                   ints=("n", "n_missing", "n_outliers"))


def _density(fit: stats.gaussian_kde, x: np.ndarray, h: float, grid: np.ndarray,
             notes: list[str], level: str) -> np.ndarray:
    """Exact KDE for up to KDE_EXACT_MAX_N values, binned above that (with a note
    giving the error bound of :mod:`analysis.stats.binned_kde`)."""
    if len(x) > KDE_EXACT_MAX_N:
        binned = binned_density(x, h, grid)
        if binned is not None:
            bound = error_bound(h, fine_spacing(grid, h)[1])
            notes.append(f"Group '{level}': density by linear binning on a fine grid; it "
                         f"differs from the exact kernel sum by at most {bound:.1e}.")
            return binned
    return fit(grid)


def kde(data: pd.DataFrame, dv: str, *, group: str = GROUP,
        levels: Sequence[str] = GROUP_LEVELS, points: int = 200) -> pd.DataFrame:
    """Gaussian kernel density per group on one shared grid.

    ``scipy.stats.gaussian_kde`` with Scott's bandwidth; the grid has ``points``
    equally spaced values from the smallest value minus 3 bandwidths to the largest
    plus 3 bandwidths (largest bandwidth of the groups). A group of more than
    :data:`KDE_EXACT_MAX_N` values is estimated by linear binning on a grid finer
    than a fiftieth of its bandwidth and one convolution
    (:mod:`analysis.stats.binned_kde`): the density then differs from the exact
    sum by at most ``2.0e-5 / bandwidth`` (5e-5 of one kernel's height).

    Returns
    -------
    pandas.DataFrame
        ``points`` rows per estimable level: ``level``, ``x``, ``density``, ``n``,
        ``n_missing``, ``bandwidth`` (kernel SD). A level with fewer than 2 values or
        no spread has no rows; ``attrs["notes"]`` says so.
    """
    points = _int_arg(points, "points", 2, MAX_POINTS)
    parts, notes = _prepare(data, dv, group, levels)
    fits = {}
    for lv, (x, _) in parts.items():
        if len(x) < 2 or np.ptp(x) == 0:
            notes.append(f"Group '{lv}': a density needs at least 2 different {dv} values "
                         f"(has {len(x)} value(s)); no curve is drawn.")
            continue
        fits[lv] = stats.gaussian_kde(x)
    if not fits:
        return _finish([], KDE_COLUMNS, notes, _missing(parts))
    bandwidths = {lv: float(np.sqrt(k.covariance[0, 0])) for lv, k in fits.items()}
    pad = KDE_CUT * max(bandwidths.values())
    lo = min(float(parts[lv][0].min()) for lv in fits) - pad
    hi = max(float(parts[lv][0].max()) for lv in fits) + pad
    grid = np.linspace(lo, hi, points)
    frames = [pd.DataFrame({"level": lv, "x": grid,
                            "density": _density(k, parts[lv][0], bandwidths[lv], grid,
                                                notes, lv),
                            "n": len(parts[lv][0]), "n_missing": parts[lv][1],
                            "bandwidth": bandwidths[lv]})
              for lv, k in fits.items()]
    return _finish(pd.concat(frames, ignore_index=True), KDE_COLUMNS, notes, _missing(parts))


def ecdf(data: pd.DataFrame, dv: str, *, group: str = GROUP,
         levels: Sequence[str] = GROUP_LEVELS, points: int = 200) -> pd.DataFrame:
    """Empirical cumulative distribution per group at a bounded number of points.

    A level with at most ``points`` distinct values is given at every distinct value
    (the full step function). Otherwise it is evaluated at the order statistics with
    ranks ``round(linspace(0, n - 1, points))`` (so the minimum and maximum are
    included). At each ``x``, ``p`` is exactly the fraction of values ``<= x``.

    Returns
    -------
    pandas.DataFrame
        At most ``points`` rows per level: ``level``, ``x`` (increasing), ``p`` (0-1),
        ``n``, ``n_missing``. A level without values has no rows.
    """
    points = _int_arg(points, "points", 2, MAX_POINTS)
    parts, notes = _prepare(data, dv, group, levels)
    frames = []
    for lv, (x, missing) in parts.items():
        n = len(x)
        if n == 0:
            notes.append(f"Group '{lv}' has no {dv} values.")
            continue
        xs = np.sort(x)
        first = np.r_[True, xs[1:] != xs[:-1]]  # first of each run of equal values
        if np.count_nonzero(first) > points:
            at = np.unique(xs[np.round(np.linspace(0, n - 1, points)).astype(int)])
        else:
            at = xs[first]  # np.unique(xs) without sorting again
        p = np.searchsorted(xs, at, side="right") / n
        frames.append(pd.DataFrame({"level": lv, "x": at, "p": p, "n": n,
                                    "n_missing": missing}))
    frame = pd.concat(frames, ignore_index=True) if frames else []
    return _finish(frame, ECDF_COLUMNS, notes, _missing(parts))


def paired_summary(data: pd.DataFrame, before: str, after: str, *, group: str = GROUP,
                   levels: Sequence[str] = GROUP_LEVELS, alpha: float = 0.05) -> pd.DataFrame:
    """Baseline and follow-up means per group on complete pairs.

    Only patients with both ``before`` and ``after`` present are used, so both times
    describe the same patients; the others are counted in ``n_missing``.

    Parameters
    ----------
    data : pandas.DataFrame
        Validated patient frame. Not modified.
    before, after : str
        Numeric columns, e.g. ``"pav_baseline"`` and ``"pav_followup"``.
    group, levels : str, sequence of str
        Group column and levels.
    alpha : float
        1 - confidence level of the t intervals (default 0.05: 95%).

    Returns
    -------
    pandas.DataFrame
        Two rows per level (``time`` ``"baseline"`` then ``"follow-up"``): ``level``,
        ``time``, ``variable`` (the column), ``n`` (complete pairs), ``n_missing``
        (rows of the level missing either value), ``mean``, ``sd`` (ddof=1),
        ``se``, ``ci_low``, ``ci_high`` (t interval with n - 1 df).
    """
    data = check_frame(data)
    check_numeric(data, before, what="baseline variable")
    check_numeric(data, after, what="follow-up variable")
    if not 0 < alpha < 1:
        raise AnalysisError(f"'alpha' must lie between 0 and 1; got {alpha!r}.")
    levels = check_levels(data, group, levels)
    notes = []
    if (outside := outside_note(data, group, levels)) is not None:
        notes.append(outside)
    xb_all, xa_all = as_float(data[before]), as_float(data[after])
    complete = ~np.isnan(xb_all) & ~np.isnan(xa_all)
    pair_missing: dict[str, int] = {}
    rows = []
    for lv in levels:
        mask = group_mask(data, group, lv)
        use = mask & complete
        missing = int(mask.sum() - use.sum())
        pair_missing[lv] = missing
        if use.sum() < 2:
            notes.append(f"Group '{lv}' has {int(use.sum())} complete pair(s); "
                         "standard errors and intervals need at least 2.")
        for time, col, values in (("baseline", before, xb_all), ("follow-up", after, xa_all)):
            x = values[use]
            n = len(x)
            s = st.sd(x)
            lo, hi = st.mean_ci(x, alpha)
            rows.append({"level": lv, "time": time, "variable": col, "n": n,
                         "n_missing": missing, "mean": float(np.mean(x)) if n else math.nan,
                         "sd": s, "se": s / math.sqrt(n) if n >= 2 else math.nan,
                         "ci_low": lo, "ci_high": hi})
    out = _finish(rows, PAIRED_COLUMNS, notes, pair_missing)
    out["time"] = out["time"].astype("str")
    out["variable"] = out["variable"].astype("str")
    return out
