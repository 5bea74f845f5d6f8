"""The filter spec: which patients an analysis uses, as a query string and JSON.

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
    spotty_arc=120        spotty calcification redefined from the lesion file
    spotty_len=1-6        (:class:`~analysis.selection.definition.SpottyDefinition`:
    spotty_other=allow    arc limit in degrees, length range in mm, other-calcium rule;
                          each left out at the published value: 90, 1-4, exclude)
    missing=exclude       exclude | keep: patients with a missing value in a filtered
                          variable are excluded by that filter (default) or kept

Numbers are written without exponent or trailing zeros (``70``, ``1.5``). No
filterable variable can be negative, so range bounds must be >= 0; a minus sign is
only the range separator. Selecting every level of a variable with known levels
means "no restriction" and is dropped, like a range with no limit at either end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from analysis.data.schema import (
    DEFAULT_LDL_CUT,
    DEFAULT_SBP_CUT,
    GROUP_LABELS,
    GROUP_LEVELS,
    VARIABLES,
)
from analysis.errors import FilterSpecError
from analysis.selection import definition as definition_mod
from analysis.selection.canonical import (
    CATEGORY_VARIABLES,
    MISSING_OPTIONS,
    PARAM_KEYS,
    RANGE_VARIABLES,
    THERAPY,
    THERAPY_OPTIONS,
    allowed_keys,
    canonical_categories,
    canonical_choice,
    canonical_cut,
    canonical_groups,
    canonical_ranges,
    format_number,
    parse_range,
)


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
    definition
        The definition of spotty calcification (default: the published one). Any other
        regroups the patients from the lesion file before the filters apply
        (:func:`analysis.selection.definition.regroup`).

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
    definition: definition_mod.SpottyDefinition = definition_mod.SpottyDefinition()
    # Canonical forms computed once (not part of equality / hash).
    _query: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "ranges", canonical_ranges(self.ranges))
        set_(self, "categories", canonical_categories(self.categories))
        set_(self, "groups", canonical_groups(self.groups))
        set_(self, "ldl_cut", canonical_cut("ldl_cut", self.ldl_cut))
        set_(self, "sbp_cut", canonical_cut("sbp_cut", self.sbp_cut))
        set_(self, "ldl_therapy", canonical_choice("ldl_therapy", self.ldl_therapy, THERAPY_OPTIONS))
        set_(self, "sbp_therapy", canonical_choice("sbp_therapy", self.sbp_therapy, THERAPY_OPTIONS))
        set_(self, "missing", canonical_choice("missing", self.missing, MISSING_OPTIONS))
        set_(self, "definition", definition_mod.canonical_definition(self.definition))
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
        for attr, (column, _flag, _cut_attr) in THERAPY.items():
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
        parts.extend((k, v) for k, v in self.definition.to_params().items())
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
        ranges, categories, kwargs, spotty = [], [], {}, {}
        for key, value in params.items():
            if isinstance(value, list | tuple):  # a repeated key, as Dash parses it
                raise FilterSpecError(f"{key}: given {len(value)} times in the query; give it once")
            if key in RANGE_VARIABLES:
                ranges.append(parse_range(key, value))
            elif key in CATEGORY_VARIABLES:
                categories.append((key, str(value).split(",")))
            elif key in PARAM_KEYS:
                kwargs[key] = value
            elif key in definition_mod.KEYS:
                spotty[key] = str(value)
            else:
                raise FilterSpecError(f"unknown filter {key!r} (value {value!r}); allowed: "
                                      f"{allowed_keys()}, {', '.join(definition_mod.KEYS)}")
        return cls(ranges=tuple(ranges), categories=tuple(categories),
                   definition=definition_mod.SpottyDefinition.from_params(spotty), **kwargs)

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
            "definition": self.definition.to_params(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> FilterSpec:
        """Inverse of :meth:`to_dict`; missing keys take their defaults."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise FilterSpecError(f"a filter spec dict must be a mapping, not {type(data).__name__}")
        allowed = ("ranges", "categories", "definition") + PARAM_KEYS
        unknown = [k for k in data if k not in allowed]
        if unknown:
            raise FilterSpecError(
                f"unknown filter spec field {unknown[0]!r}; allowed: {', '.join(allowed)}")
        kwargs = dict(data)
        kwargs["ranges"] = kwargs.get("ranges") or {}
        kwargs["categories"] = kwargs.get("categories") or {}
        kwargs["definition"] = definition_mod.canonical_definition(kwargs.get("definition"))
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
        for attr, (column, _flag, cut_attr) in THERAPY.items():
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
        if not self.definition.is_published:
            lines.append(self.definition.describe())
        if self.variables:
            lines.append("Patients with a missing value in a filtered variable: "
                         + ("excluded" if self.missing == "exclude" else "kept"))
        return lines or ["All patients"]
