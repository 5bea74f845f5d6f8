"""Canonical forms of filter values: the checks and normalisations behind FilterSpec.

Each helper takes what a user (a query string, a Dash callback, a notebook) gave and
returns the one canonical value a :class:`~analysis.selection.spec.FilterSpec` holds,
or raises :class:`~analysis.errors.FilterSpecError` with a message that names the key,
the value and what is allowed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from analysis.data.schema import GROUP, PATIENT_VARIABLES, VARIABLES
from analysis.errors import FilterSpecError

#: Variables that take a range (filterable and numeric), in dictionary order.
RANGE_VARIABLES: tuple[str, ...] = tuple(
    v.name for v in PATIENT_VARIABLES if v.filterable and v.is_numeric)
#: Variables that take a value set (filterable and categorical), in dictionary order.
CATEGORY_VARIABLES: tuple[str, ...] = tuple(
    v.name for v in PATIENT_VARIABLES if v.filterable and v.is_categorical)
#: Allowed therapy-intensity options.
THERAPY_OPTIONS: tuple[str, ...] = ("any", "intensive", "standard")
#: Allowed missing-value policies.
MISSING_OPTIONS: tuple[str, ...] = ("exclude", "keep")
#: Calcification levels a spec may include.
ALL_GROUPS: tuple[str, ...] = tuple(VARIABLES[GROUP].levels or ())
#: Boolean variables are filtered with these values.
BOOL_LEVELS: tuple[str, ...] = ("yes", "no")

#: Therapy options: spec attribute -> (measured column, derived flag, cut attribute).
THERAPY = {
    "ldl_therapy": ("ldl_c", "ldl_intensive", "ldl_cut"),
    "sbp_therapy": ("sbp", "sbp_intensive", "sbp_cut"),
}
PARAM_KEYS = ("ldl_cut", "ldl_therapy", "sbp_cut", "sbp_therapy", "groups", "missing")
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_RANGE_RE = re.compile(rf"^\s*(?P<lo>{_NUMBER})?\s*-\s*(?P<hi>{_NUMBER})?\s*$")


def format_number(x: float) -> str:
    """Shortest exact decimal text of ``x``, no exponent: ``70``, ``1.5``, ``0.0001``."""
    text = format(Decimal(repr(float(x))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def filter_levels(name: str) -> tuple[str, ...] | None:
    """Allowed filter values of a categorical variable (None: free text, e.g. trial)."""
    var = VARIABLES[name]
    if var.is_binary:
        return BOOL_LEVELS
    return tuple(var.levels) if var.levels else None


def allowed_keys() -> str:
    """Every key a query may hold, comma-separated (for error messages)."""
    return ", ".join(RANGE_VARIABLES + CATEGORY_VARIABLES + PARAM_KEYS)


def _number(key: str, value: Any, what: str) -> float | None:
    """A finite, non-negative float (or None) from a user value."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise FilterSpecError(f"{key}: {what} {value!r} is not a number")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise FilterSpecError(
            f"{key}: {what} {value!r} is not a number; write a plain number such as 70 or 1.5"
        ) from None
    if not math.isfinite(x):
        raise FilterSpecError(f"{key}: {what} {value!r} must be a finite number")
    if x < 0:
        raise FilterSpecError(
            f"{key}: {what} {value!r} is negative; {key} cannot be negative, so use a bound >= 0")
    return x + 0.0  # -0.0 -> 0.0


def _check_range_name(name: Any) -> str:
    if name not in RANGE_VARIABLES:
        if name in CATEGORY_VARIABLES:
            raise FilterSpecError(
                f"{name!r} is categorical: give a set of values, not a range")
        raise FilterSpecError(
            f"unknown range filter {name!r}; allowed: {', '.join(RANGE_VARIABLES)}")
    return name


def _check_category_name(name: Any) -> str:
    if name not in CATEGORY_VARIABLES:
        if name in RANGE_VARIABLES:
            raise FilterSpecError(f"{name!r} is numeric: give a range, not a set of values")
        raise FilterSpecError(
            f"unknown category filter {name!r}; allowed: {', '.join(CATEGORY_VARIABLES)}")
    return name


def canonical_ranges(ranges: Any) -> tuple[tuple[str, float | None, float | None], ...]:
    """``((name, low, high), ...)`` sorted by name, from pairs or a mapping; no-limit ranges dropped."""
    items = ranges.items() if isinstance(ranges, Mapping) else ranges
    out: dict[str, tuple[float | None, float | None]] = {}
    for item in items or ():
        if isinstance(ranges, Mapping):
            name, bounds = item
            try:
                lo, hi = bounds
            except (TypeError, ValueError):
                raise FilterSpecError(
                    f"{name}: range {bounds!r} must be a pair (low, high); use None for no limit"
                ) from None
        else:
            try:
                name, lo, hi = item
            except (TypeError, ValueError):
                raise FilterSpecError(
                    f"range entry {item!r} must be (name, low, high); use None for no limit"
                ) from None
        _check_range_name(name)
        if name in out:
            raise FilterSpecError(f"{name}: range given twice; give it once")
        lo_f, hi_f = _number(name, lo, "lower bound"), _number(name, hi, "upper bound")
        if lo_f is not None and hi_f is not None and lo_f > hi_f:
            raise FilterSpecError(
                f"{name}: lower bound {format_number(lo_f)} is above upper bound "
                f"{format_number(hi_f)}; swap them")
        if lo_f is None and hi_f is None:
            continue  # no limit at either end: no filter
        out[name] = (lo_f, hi_f)
    return tuple((name, *out[name]) for name in sorted(out))


def _canonical_values(name: str, values: Any) -> tuple[str, ...] | None:
    """Values sorted in dictionary order; None when every level is selected."""
    if isinstance(values, str):
        values = values.split(",")
    try:
        raw = list(values)
    except TypeError:
        raise FilterSpecError(f"{name}: values {values!r} must be a list of strings") from None
    levels = filter_levels(name)
    chosen: set[str] = set()
    for value in raw:
        if isinstance(value, bool) and levels == BOOL_LEVELS:
            value = "yes" if value else "no"
        if not isinstance(value, str):
            raise FilterSpecError(f"{name}: value {value!r} must be a string")
        text = value.strip()
        if not text:
            continue
        if levels is not None:
            text = text.lower()
            if text not in levels:
                raise FilterSpecError(
                    f"{name}: unknown value {value!r}; allowed: {', '.join(levels)}")
        elif "," in text:
            raise FilterSpecError(f"{name}: value {value!r} must not contain a comma")
        chosen.add(text)
    if not chosen:
        allowed = ", ".join(levels) if levels else "the values present in the data"
        raise FilterSpecError(
            f"{name}: no value selected; choose at least one of {allowed} or remove the filter")
    if levels is None:
        return tuple(sorted(chosen))
    if set(levels) <= chosen:
        return None  # every level: no restriction
    return tuple(v for v in levels if v in chosen)


def canonical_categories(categories: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``((name, values), ...)`` sorted by name; a filter selecting every level is dropped."""
    items = categories.items() if isinstance(categories, Mapping) else categories
    out: dict[str, tuple[str, ...]] = {}
    seen: set[str] = set()
    for item in items or ():
        try:
            name, values = item
        except (TypeError, ValueError):
            raise FilterSpecError(
                f"category entry {item!r} must be (name, (value, ...))") from None
        _check_category_name(name)
        if name in seen:
            raise FilterSpecError(f"{name}: values given twice; give them once")
        seen.add(name)
        canon = _canonical_values(name, values)
        if canon is not None:
            out[name] = canon
    return tuple((name, out[name]) for name in sorted(out))


def canonical_groups(groups: Any) -> tuple[str, ...]:
    """Calcification groups in dictionary order, from a sequence or a comma-separated string."""
    if isinstance(groups, str):
        groups = groups.split(",")
    chosen = set()
    for g in groups:
        text = str(g).strip().lower()
        if not text:
            continue
        if text not in ALL_GROUPS:
            raise FilterSpecError(
                f"groups: unknown calcification group {g!r}; allowed: {', '.join(ALL_GROUPS)}")
        chosen.add(text)
    if not chosen:
        raise FilterSpecError(
            f"groups: no group selected; choose at least one of {', '.join(ALL_GROUPS)}")
    return tuple(g for g in ALL_GROUPS if g in chosen)


def canonical_choice(key: str, value: Any, options: tuple[str, ...]) -> str:
    """``value`` lower-cased if it is one of ``options``."""
    text = str(value).strip().lower() if isinstance(value, str) else value
    if text not in options:
        raise FilterSpecError(f"{key}: unknown option {value!r}; allowed: {', '.join(options)}")
    return text


def canonical_cut(key: str, value: Any) -> float:
    """A cut-point: a finite number >= 0 (required)."""
    x = _number(key, value, "cut-point")
    if x is None:
        raise FilterSpecError(f"{key}: a cut-point is required (a number such as 70)")
    return x


def parse_range(key: str, value: Any) -> tuple[str, float | None, float | None]:
    """``(key, low, high)`` from query text ``LOW-HIGH``, ``LOW-`` or ``-HIGH``."""
    text = str(value)
    match = _RANGE_RE.match(text)
    if not match:
        raise FilterSpecError(
            f"{key}: {text!r} is not a range; write LOW-HIGH (50-70), LOW- (50-) or -HIGH (-70) "
            "with numbers >= 0")
    lo, hi = match.group("lo"), match.group("hi")
    return key, (float(lo) if lo else None), (float(hi) if hi else None)
