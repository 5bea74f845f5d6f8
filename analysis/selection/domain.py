"""What a dataset allows the filters to take: slider bounds and steps, checklist values.

Computed once per dataset (cached by :func:`analysis.service.api.filter_domain`); the
filter panel is built from it. Pure pandas: the panel's Dash controls live in
``components/filter_panel.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from analysis.data.schema import VARIABLES
from analysis.selection.canonical import BOOL_LEVELS, CATEGORY_VARIABLES, RANGE_VARIABLES


@dataclass(frozen=True)
class FilterDomain:
    """What the data allow: slider bounds and steps, and the values of each checklist."""

    bounds: Mapping[str, tuple[float, float]]
    steps: Mapping[str, float]
    levels: Mapping[str, tuple[str, ...]]


def _nice_step(span: float) -> float:
    if not math.isfinite(span) or span <= 0:
        return 1.0
    raw = span / 200.0
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * power:
            return float(m * power)
    return float(10 * power)


def _category_levels(frame: pd.DataFrame | None) -> dict[str, tuple[str, ...]]:
    """Checklist values: yes/no, the dictionary's levels, or (open sets such as trial)
    the values present in ``frame`` when one is given."""
    levels = {}
    for name in CATEGORY_VARIABLES:
        var = VARIABLES[name]
        if var.is_binary:
            levels[name] = BOOL_LEVELS
        elif var.levels:
            levels[name] = tuple(var.levels)
        elif frame is not None and name in frame.columns:
            col = frame[name]
            present = (list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype)
                       else sorted(col.dropna().astype(str).unique()))
            levels[name] = tuple(str(v) for v in present)
    return levels


def domain_from_frame(frame: pd.DataFrame) -> FilterDomain:
    """Slider bounds (data min/max, rounded outwards to the step) and checklist values.

    Parameters
    ----------
    frame : DataFrame
        The validated patient frame; it is not modified.
    """
    bounds, steps = {}, {}
    for name in RANGE_VARIABLES:
        if name not in frame.columns:
            continue
        values = pd.to_numeric(frame[name], errors="coerce").dropna()
        if values.empty:
            continue
        lo, hi = float(values.min()), float(values.max())
        step = _nice_step(hi - lo)
        lo = max(0.0, math.floor(lo / step) * step)
        hi = math.ceil(hi / step) * step
        if hi <= lo:
            hi = lo + step
        bounds[name] = (round(lo, 10), round(hi, 10))
        steps[name] = step
    return FilterDomain(bounds=bounds, steps=steps, levels=_category_levels(frame))


def domain_from_dictionary() -> FilterDomain:
    """Bounds from the dictionary's plausible ranges (used when no dataset is loaded)."""
    bounds, steps = {}, {}
    for name in RANGE_VARIABLES:
        var = VARIABLES[name]
        rng = var.plausible_range or var.valid_range
        if rng is None:
            continue
        step = _nice_step(rng[1] - rng[0])
        bounds[name] = (max(0.0, float(rng[0])), float(rng[1]))
        steps[name] = step
    return FilterDomain(bounds=bounds, steps=steps, levels=_category_levels(None))


__all__ = ["FilterDomain", "domain_from_dictionary", "domain_from_frame"]
