"""Cohort selection: a canonical filter spec and the attrition it causes.

A :class:`FilterSpec` says which patients an analysis uses. It is frozen,
hashable and canonical (equal selections give equal specs, equal hashes and equal
query strings), so it can key a cache, live in a ``dcc.Store`` as JSON
(:meth:`FilterSpec.to_dict`) and be shared as a link (:meth:`FilterSpec.to_query`).

Query-string syntax (keys in this order; anything at its default is left out, so
the empty spec is the empty string)::

    age=50-70             range, both ends inclusive: 50 <= age <= 70
    ldl_c=-70             open lower end: ldl_c <= 70
    bmi=30-               open upper end: bmi >= 30
    sex=male              value set (dictionary levels; booleans as yes / no)
    statin=moderate,high  several values, comma-separated, in dictionary order
    ldl_cut=70            LDL-C cut-point (mg/dl) for "intensive" LDL-C lowering
    ldl_therapy=intensive any | intensive (LDL-C < ldl_cut) | standard (>= ldl_cut)
    sbp_cut=120           systolic BP cut-point (mmHg)
    sbp_therapy=standard  any | intensive (SBP < sbp_cut) | standard (>= sbp_cut)
    groups=none,spotty    calcification groups included (none, spotty, other)
    missing=exclude       exclude | keep: patients with a missing value in a filtered
                          variable are excluded by that filter (default) or kept

Numbers are written without exponent or trailing zeros (``70``, ``1.5``). No
filterable variable can be negative, so range bounds must be >= 0; a minus sign is
only the range separator. Selecting every level of a variable with known levels
means "no restriction" and is dropped, like a range with no limit at either end.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, quote

import numpy as np
import pandas as pd

from analysis.data.derive import add_derived
from analysis.data.schema import (
    DEFAULT_LDL_CUT,
    DEFAULT_SBP_CUT,
    GROUP,
    GROUP_LABELS,
    GROUP_LEVELS,
    PATIENT_VARIABLES,
    VARIABLES,
)
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
_THERAPY = {
    "ldl_therapy": ("ldl_c", "ldl_intensive", "ldl_cut"),
    "sbp_therapy": ("sbp", "sbp_intensive", "sbp_cut"),
}
_PARAM_KEYS = ("ldl_cut", "ldl_therapy", "sbp_cut", "sbp_therapy", "groups", "missing")
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_RANGE_RE = re.compile(rf"^\s*(?P<lo>{_NUMBER})?\s*-\s*(?P<hi>{_NUMBER})?\s*$")

ATTRITION_COLUMNS = ["step", "description", "n", "n_excluded", "n_excluded_missing",
                     "n_missing_kept", "n_none", "n_spotty"]


# --------------------------------------------------------------------------- helpers
def format_number(x: float) -> str:
    """Shortest exact decimal text of ``x``, no exponent: ``70``, ``1.5``, ``0.0001``."""
    text = format(Decimal(repr(float(x))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _levels(name: str) -> tuple[str, ...] | None:
    """Allowed filter values of a categorical variable (None: free text, e.g. trial)."""
    var = VARIABLES[name]
    if var.is_binary:
        return BOOL_LEVELS
    return tuple(var.levels) if var.levels else None


def _allowed_keys() -> str:
    return ", ".join(RANGE_VARIABLES + CATEGORY_VARIABLES + _PARAM_KEYS)


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


def _canonical_ranges(ranges: Any) -> tuple[tuple[str, float | None, float | None], ...]:
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
    levels = _levels(name)
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


def _canonical_categories(categories: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
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


def _canonical_groups(groups: Any) -> tuple[str, ...]:
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


def _choice(key: str, value: Any, options: tuple[str, ...]) -> str:
    text = str(value).strip().lower() if isinstance(value, str) else value
    if text not in options:
        raise FilterSpecError(f"{key}: unknown option {value!r}; allowed: {', '.join(options)}")
    return text


def _cut(key: str, value: Any) -> float:
    x = _number(key, value, "cut-point")
    if x is None:
        raise FilterSpecError(f"{key}: a cut-point is required (a number such as 70)")
    return x


# --------------------------------------------------------------------------- the spec
@dataclass(frozen=True)
class FilterSpec:
    """Which patients to analyse; canonical, frozen and hashable.

    Parameters
    ----------
    ranges
        ``((name, low, high), ...)`` or ``{name: (low, high)}`` for numeric filterable
        variables (:data:`RANGE_VARIABLES`); ``None`` = no limit; both ends inclusive.
    categories
        ``((name, (value, ...)), ...)`` or ``{name: [value, ...]}`` for categorical
        filterable variables (:data:`CATEGORY_VARIABLES`); booleans as ``"yes"``/``"no"``.
    groups
        Calcification groups included (default ``("none", "spotty")``).
    ldl_cut, sbp_cut
        Cut-points (mg/dl, mmHg) below which on-treatment LDL-C / SBP is "intensive";
        they also define the derived ``ldl_intensive`` / ``sbp_intensive`` columns.
    ldl_therapy, sbp_therapy
        ``"any"``, ``"intensive"`` (below the cut) or ``"standard"`` (at or above it).
    missing
        ``"exclude"`` (a missing value in a filtered variable fails that filter) or
        ``"keep"`` (it passes).

    Raises
    ------
    FilterSpecError
        Unknown variable, unknown level or option, bound not a number, low > high.
    """

    ranges: tuple[tuple[str, float | None, float | None], ...] = ()
    categories: tuple[tuple[str, tuple[str, ...]], ...] = ()
    groups: tuple[str, ...] = GROUP_LEVELS
    ldl_cut: float = DEFAULT_LDL_CUT
    sbp_cut: float = DEFAULT_SBP_CUT
    ldl_therapy: str = "any"
    sbp_therapy: str = "any"
    missing: str = "exclude"
    # Canonical forms computed once (not part of equality / hash).
    _query: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "ranges", _canonical_ranges(self.ranges))
        set_(self, "categories", _canonical_categories(self.categories))
        set_(self, "groups", _canonical_groups(self.groups))
        set_(self, "ldl_cut", _cut("ldl_cut", self.ldl_cut))
        set_(self, "sbp_cut", _cut("sbp_cut", self.sbp_cut))
        set_(self, "ldl_therapy", _choice("ldl_therapy", self.ldl_therapy, THERAPY_OPTIONS))
        set_(self, "sbp_therapy", _choice("sbp_therapy", self.sbp_therapy, THERAPY_OPTIONS))
        set_(self, "missing", _choice("missing", self.missing, MISSING_OPTIONS))
        set_(self, "_query", self._build_query())

    # ---- properties
    @property
    def is_empty(self) -> bool:
        """True when the spec is the default (all patients of the comparison)."""
        return self == FilterSpec()

    @property
    def variables(self) -> tuple[str, ...]:
        """Columns the spec filters on (ranges, value sets, therapy), sorted."""
        names = {r[0] for r in self.ranges} | {c[0] for c in self.categories}
        for attr, (column, _flag, _cut_attr) in _THERAPY.items():
            if getattr(self, attr) != "any":
                names.add(column)
        return tuple(sorted(names))

    # ---- query string
    def _build_query(self) -> str:
        parts: list[tuple[str, str]] = []
        filters: list[tuple[str, str]] = []
        for name, lo, hi in self.ranges:
            text = ("" if lo is None else format_number(lo)) + "-" + (
                "" if hi is None else format_number(hi))
            filters.append((name, text))
        for name, values in self.categories:
            filters.append((name, ",".join(values)))
        parts.extend(sorted(filters))
        for prefix, default_cut in (("ldl", DEFAULT_LDL_CUT), ("sbp", DEFAULT_SBP_CUT)):
            cut = getattr(self, f"{prefix}_cut")
            therapy = getattr(self, f"{prefix}_therapy")
            if cut != default_cut:
                parts.append((f"{prefix}_cut", format_number(cut)))
            if therapy != "any":
                parts.append((f"{prefix}_therapy", therapy))
        if self.groups != GROUP_LEVELS:
            parts.append(("groups", ",".join(self.groups)))
        if self.missing != "exclude":
            parts.append(("missing", self.missing))
        return "&".join(f"{k}={quote(v, safe=',-.')}" for k, v in parts)

    def to_query(self) -> str:
        """Canonical URL query string (no leading ``?``; ``""`` for the empty spec)."""
        return self._query

    @classmethod
    def from_query(cls, query: str | None) -> FilterSpec:
        """Parse a query string (leading ``?`` allowed; ``""``/None = empty spec).

        Raises
        ------
        FilterSpecError
            Unknown key, key given twice, or an invalid value; the message names the
            key, the value and what is allowed.
        """
        if query is None:
            return cls()
        if not isinstance(query, str):
            raise FilterSpecError(f"a filter query must be a string, not {type(query).__name__}")
        text = query.strip().lstrip("?")
        pairs = parse_qsl(text, keep_blank_values=True) if text else []
        params: dict[str, str] = {}
        for key, value in pairs:
            if key in params:
                raise FilterSpecError(f"{key}: given twice in the query; give it once")
            params[key] = value
        return cls.from_params(params)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> FilterSpec:
        """Build a spec from decoded query parameters (e.g. Dash ``layout(**query_params)``)."""
        ranges, categories, kwargs = [], [], {}
        for key, value in params.items():
            if isinstance(value, list | tuple):  # a repeated key, as Dash parses it
                raise FilterSpecError(f"{key}: given {len(value)} times in the query; give it once")
            if key in RANGE_VARIABLES:
                ranges.append(_parse_range(key, value))
            elif key in CATEGORY_VARIABLES:
                categories.append((key, str(value).split(",")))
            elif key in _PARAM_KEYS:
                kwargs[key] = value
            else:
                raise FilterSpecError(f"unknown filter {key!r} (value {value!r}); allowed: {_allowed_keys()}")
        return cls(ranges=tuple(ranges), categories=tuple(categories), **kwargs)

    # ---- JSON (dcc.Store)
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (for a ``dcc.Store``); :meth:`from_dict` inverts it."""
        return {
            "ranges": {name: [lo, hi] for name, lo, hi in self.ranges},
            "categories": {name: list(values) for name, values in self.categories},
            "groups": list(self.groups),
            "ldl_cut": self.ldl_cut,
            "sbp_cut": self.sbp_cut,
            "ldl_therapy": self.ldl_therapy,
            "sbp_therapy": self.sbp_therapy,
            "missing": self.missing,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> FilterSpec:
        """Inverse of :meth:`to_dict`; missing keys take their defaults."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise FilterSpecError(f"a filter spec dict must be a mapping, not {type(data).__name__}")
        allowed = ("ranges", "categories") + _PARAM_KEYS
        unknown = [k for k in data if k not in allowed]
        if unknown:
            raise FilterSpecError(
                f"unknown filter spec field {unknown[0]!r}; allowed: {', '.join(allowed)}")
        kwargs = dict(data)
        kwargs["ranges"] = kwargs.get("ranges") or {}
        kwargs["categories"] = kwargs.get("categories") or {}
        return cls(**kwargs)

    # ---- text
    def describe(self) -> list[str]:
        """Human-readable lines (dictionary labels and units) for footnotes/provenance."""
        lines: list[str] = []
        entries: list[tuple[str, str]] = []
        for name, lo, hi in self.ranges:
            var = VARIABLES[name]
            unit = f" {var.unit}" if var.unit else ""
            if lo is not None and hi is not None:
                text = f"{var.label} {format_number(lo)}-{format_number(hi)}{unit}"
            elif lo is not None:
                text = f"{var.label} ≥ {format_number(lo)}{unit}"
            else:
                text = f"{var.label} ≤ {format_number(hi)}{unit}"
            entries.append((name, text))
        for name, values in self.categories:
            entries.append((name, f"{VARIABLES[name].label}: {', '.join(values)}"))
        lines.extend(text for _name, text in sorted(entries))
        for attr, (column, _flag, cut_attr) in _THERAPY.items():
            var, cut = VARIABLES[column], getattr(self, cut_attr)
            therapy = getattr(self, attr)
            if therapy == "intensive":
                lines.append(f"{var.label} < {format_number(cut)} {var.unit} (intensive)")
            elif therapy == "standard":
                lines.append(f"{var.label} ≥ {format_number(cut)} {var.unit} (standard)")
            elif cut != (DEFAULT_LDL_CUT if cut_attr == "ldl_cut" else DEFAULT_SBP_CUT):
                lines.append(f"{var.label} cut-point for intensive therapy: "
                             f"{format_number(cut)} {var.unit}")
        if self.groups != GROUP_LEVELS:
            lines.append("Groups: " + ", ".join(GROUP_LABELS[g] for g in self.groups))
        if self.variables:
            lines.append("Patients with a missing value in a filtered variable: "
                         + ("excluded" if self.missing == "exclude" else "kept"))
        return lines or ["All patients"]


def _parse_range(key: str, value: Any) -> tuple[str, float | None, float | None]:
    text = str(value)
    match = _RANGE_RE.match(text)
    if not match:
        raise FilterSpecError(
            f"{key}: {text!r} is not a range; write LOW-HIGH (50-70), LOW- (50-) or -HIGH (-70) "
            "with numbers >= 0")
    lo, hi = match.group("lo"), match.group("hi")
    return key, (float(lo) if lo else None), (float(hi) if hi else None)


# --------------------------------------------------------------------------- applying
@dataclass(frozen=True)
class FilterResult:
    """Rows selected by a spec and how each step narrowed the cohort.

    Attributes
    ----------
    frame
        Selected rows, input order and index kept, derived therapy flags recomputed
        with the spec's cut-points (and any absent derived column added).
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
        return len(self.frame)


def _require_columns(frame: pd.DataFrame, spec: FilterSpec) -> None:
    needed = [GROUP, *spec.variables]
    absent = [c for c in needed if c not in frame.columns]
    if absent:
        raise FilterSpecError(
            "cannot filter on " + ", ".join(f"{c!r}" for c in absent)
            + ": not a column of this dataset; remove the filter (or load a file with it)")


def _bool_values(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(value as True/False, missing) arrays of a boolean-like column."""
    s = series.astype("boolean")
    missing = s.isna().to_numpy()
    return s.fillna(False).to_numpy(dtype=bool), missing


def _step_mask(frame: pd.DataFrame, kind: str, name: str,
               arg: Any) -> tuple[np.ndarray, np.ndarray]:
    """(passes ignoring missing, missing) boolean arrays for one step over all rows."""
    if kind == "range":
        lo, hi = arg
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(values)
        ok = ~missing
        with np.errstate(invalid="ignore"):
            if lo is not None:
                ok &= values >= lo
            if hi is not None:
                ok &= values <= hi
        return ok, missing
    if kind == "category":
        if VARIABLES[name].is_binary:
            values, missing = _bool_values(frame[name])
            wanted = np.zeros(len(frame), dtype=bool)
            if "yes" in arg:
                wanted |= values
            if "no" in arg:
                wanted |= ~values
            return wanted & ~missing, missing
        col = frame[name]
        missing = col.isna().to_numpy()
        return col.astype("str").isin(list(arg)).to_numpy() & ~missing, missing
    # therapy: flag column recomputed by add_derived with the spec's cut-point
    values, missing = _bool_values(frame[name])
    ok = values if arg == "intensive" else ~values
    return ok & ~missing, missing


def _steps(spec: FilterSpec) -> list[tuple[str, str, str, Any, str]]:
    """(step, kind, column, argument, description) in the fixed order."""
    desc = {}
    for line_spec in spec.ranges:
        desc[line_spec[0]] = FilterSpec(ranges=(line_spec,)).describe()[0]
    for name, values in spec.categories:
        desc[name] = FilterSpec(categories=((name, values),)).describe()[0]
    steps = []
    filters = [(r[0], "range", (r[1], r[2])) for r in spec.ranges] + [
        (c[0], "category", c[1]) for c in spec.categories]
    for name, kind, arg in sorted(filters, key=lambda t: t[0]):
        steps.append((name, kind, name, arg, desc[name]))
    for attr, (_column, flag, _cut_attr) in _THERAPY.items():
        therapy = getattr(spec, attr)
        if therapy != "any":
            text = FilterSpec(**{attr: therapy, _cut_attr: getattr(spec, _cut_attr)}).describe()[0]
            steps.append((attr, "therapy", flag, therapy, text))
    return steps


def apply_filters(frame: pd.DataFrame, spec: FilterSpec) -> FilterResult:
    """Select the patients of ``spec`` and report the attrition step by step.

    The derived therapy flags are first recomputed with the spec's cut-points
    (:func:`analysis.data.derive.add_derived`). Steps run in a fixed order: calcification
    groups, then each range / value-set filter by variable name, then LDL-C and SBP
    therapy. The input frame is not modified; row order and index are kept.

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
    # Therapy flags with the spec's cut-points, computed on the two input columns only
    # (no copy of the whole frame: at a million rows that copy is the memory peak).
    inputs = [c for c in ("ldl_c", "sbp") if c in frame.columns]
    flags = add_derived(frame[inputs], ldl_cut=spec.ldl_cut, sbp_cut=spec.sbp_cut)
    data = frame.assign(**{c: flags[c].array for c in flags.columns if c not in inputs})
    group = data[GROUP].astype("str").to_numpy()
    group_missing = data[GROUP].isna().to_numpy()
    is_none, is_spotty = group == "none", group == "spotty"
    keep_missing = spec.missing == "keep"

    rows = []
    mask = np.ones(len(data), dtype=bool)

    def record(step: str, description: str, new_mask: np.ndarray, excl_missing: int,
               kept_missing: int) -> None:
        rows.append({
            "step": step, "description": description, "n": int(new_mask.sum()),
            "n_excluded": int(mask.sum() - new_mask.sum()),
            "n_excluded_missing": excl_missing, "n_missing_kept": kept_missing,
            "n_none": int((new_mask & is_none).sum()),
            "n_spotty": int((new_mask & is_spotty).sum()),
        })

    record("start", "All patients in the dataset", mask, 0, 0)
    in_groups = np.isin(group, list(spec.groups)) & ~group_missing
    new = mask & in_groups
    labels = ", ".join(GROUP_LABELS[g] for g in spec.groups)
    record("groups", f"Calcification group: {labels}", new,
           int((mask & group_missing).sum()), 0)
    mask = new

    for step, kind, column, arg, description in _steps(spec):
        ok, missing = _step_mask(data, kind, column, arg)
        if keep_missing:
            new = mask & (ok | missing)
            record(step, description, new, 0, int((mask & missing).sum()))
        else:
            new = mask & ok
            record(step, description, new, int((mask & missing).sum()), 0)
        mask = new

    attrition = pd.DataFrame(rows, columns=ATTRITION_COLUMNS)
    selected = data.loc[mask] if not mask.all() else data
    if set(add_derived(frame.iloc[:0]).columns) - set(selected.columns):
        # a frame without its derived columns (not from the loader): add them all
        selected = add_derived(selected, ldl_cut=spec.ldl_cut, sbp_cut=spec.sbp_cut)
    n_by_group = {g: int((mask & (group == g)).sum()) for g in spec.groups}
    return FilterResult(frame=selected, attrition=attrition, n_by_group=n_by_group, spec=spec)


def options() -> dict[str, Any]:
    """What the filter panel may offer: range variables, value sets, therapy options."""
    return {
        "ranges": {n: VARIABLES[n] for n in RANGE_VARIABLES},
        "categories": {n: _levels(n) for n in CATEGORY_VARIABLES},
        "groups": ALL_GROUPS,
        "therapy": THERAPY_OPTIONS,
        "missing": MISSING_OPTIONS,
    }
