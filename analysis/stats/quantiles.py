"""Quantiles from sorted values, equal bit for bit to ``numpy.quantile``.

``numpy.quantile`` (default ``method="linear"``) copies and partitions its input on
every call. Once a group's values are sorted (for a rank test, an ECDF or its
overall column) its quartiles are read off directly; the overall quartiles of
several groups are the order statistics of their union, found by binary search in
the sorted groups without merging them. The arithmetic is numpy's own (virtual
index ``(n - 1) * q``, the two neighbouring order statistics, numpy's ``_lerp``),
so the results are identical, not merely close; the tests compare them exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

QUARTILES = (0.25, 0.5, 0.75)


def _positions(n: int, q: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(index below, index above, weight) per quantile, as numpy's linear method."""
    virtual = (n - 1) * np.asarray(q, dtype=float)
    below = np.floor(virtual)
    above = below + 1
    past_end = virtual >= n - 1
    below[past_end] = -1
    above[past_end] = -1
    below_i, above_i = below.astype(np.intp), above.astype(np.intp)
    return below_i, above_i, virtual - below_i


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """numpy's interpolation: from ``a`` for ``t < 0.5``, from ``b`` otherwise."""
    diff = b - a
    out = np.add(a, diff * t)
    np.subtract(b, diff * (1 - t), out=out, where=t >= 0.5)
    return out


def sorted_quantiles(xs: np.ndarray, q: Sequence[float] = QUARTILES) -> np.ndarray:
    """``numpy.quantile(xs, q)`` for increasing ``xs`` without NaN (NaN if empty)."""
    n = len(xs)
    if n == 0:
        return np.full(len(q), np.nan)
    below, above, t = _positions(n, q)
    below, above = np.where(below < 0, n - 1, below), np.where(above < 0, n - 1, above)
    return _lerp(xs[below], xs[above], t)


def _kth_of_two(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """The ``k``-th smallest (0-based) value of the union of increasing ``a`` and ``b``."""
    na, nb = len(a), len(b)
    lo, hi = max(0, k + 1 - nb), min(k + 1, na)
    while lo < hi:  # smallest i (values taken from a) with b[j - 1] <= a[i]
        i = (lo + hi) // 2
        j = k + 1 - i
        if j > 0 and i < na and b[j - 1] > a[i]:
            lo = i + 1
        else:
            hi = i
    j = k + 1 - lo
    candidates = ([a[lo - 1]] if lo > 0 else []) + ([b[j - 1]] if j > 0 else [])
    return float(max(candidates))


def union_quantiles(parts: Sequence[np.ndarray],
                    q: Sequence[float] = QUARTILES) -> np.ndarray:
    """``numpy.quantile(np.concatenate(parts), q)`` for increasing, NaN-free ``parts``.

    Two parts are searched in place (``O(log n)`` per quantile); more are merged.
    """
    parts = [p for p in parts if len(p)]
    if len(parts) != 2:
        merged = parts[0] if len(parts) == 1 else np.sort(
            np.concatenate(parts) if parts else np.empty(0))
        return sorted_quantiles(merged, q)
    a, b = parts
    n = len(a) + len(b)
    below, above, t = _positions(n, q)
    below, above = np.where(below < 0, n - 1, below), np.where(above < 0, n - 1, above)
    lower = np.array([_kth_of_two(a, b, int(k)) for k in below])
    upper = np.array([_kth_of_two(a, b, int(k)) for k in above])
    return _lerp(lower, upper, t)
