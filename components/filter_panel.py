"""The filter panel, generated from the data dictionary, and its spec <-> controls mapping.

Controls (ids in :mod:`components.ids`):

* a range slider per filterable numeric variable (``{"type": RANGE, "name": var}``),
  bounds from the data, labelled with the dictionary label and unit;
* a checklist per filterable categorical / yes-no variable (``{"type": CATEGORY, ...}``);
* calcification groups, LDL-C and SBP therapy intensity with their cut-points, and the
  missing-value policy.

A slider pushed to both ends of the data means "no limit"; ticking every value of a
checklist means "no restriction". :func:`spec_from_controls` and
:func:`control_values` convert between the controls and an
:class:`analysis.selection.spec.FilterSpec` (the one source of truth, kept in the URL).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from analysis.data.schema import GROUP_LABELS, VARIABLES
from analysis.display import format_count
from analysis.selection import FilterSpec
from analysis.selection.canonical import (
    ALL_GROUPS,
    CATEGORY_VARIABLES,
    MISSING_OPTIONS,
    RANGE_VARIABLES,
    THERAPY_OPTIONS,
)
from analysis.selection.definition import SpottyDefinition
from analysis.selection.domain import FilterDomain
from components import ids

_THERAPY_LABELS = {"any": "Any", "intensive": "Intensive (below cut)",
                   "standard": "Standard (at or above cut)"}
_MISSING_LABELS = {"exclude": "Exclude patients with a missing filtered value",
                   "keep": "Keep them"}


# ---------------------------------------------------------------------------- mapping
def control_values(spec: FilterSpec, domain: FilterDomain) -> dict:
    """The value of every control for ``spec`` (sliders clamped to the data bounds).

    Returns a dict with ``ranges`` (list of [lo, hi] in :func:`range_names` order),
    ``categories`` (list of value lists in :func:`category_names` order), ``groups``,
    ``ldl_therapy``, ``sbp_therapy``, ``ldl_cut``, ``sbp_cut``, ``missing``.
    """
    chosen = {name: (lo, hi) for name, lo, hi in spec.ranges}
    ranges = []
    for name in range_names(domain):
        blo, bhi = domain.bounds[name]
        lo, hi = chosen.get(name, (None, None))
        lo = blo if lo is None else min(max(lo, blo), bhi)
        hi = bhi if hi is None else max(min(hi, bhi), blo)
        ranges.append([lo, hi])
    picked = dict(spec.categories)
    categories = [list(picked.get(name, domain.levels[name])) for name in category_names(domain)]
    return {
        "ranges": ranges, "categories": categories, "groups": list(spec.groups),
        "ldl_therapy": spec.ldl_therapy, "sbp_therapy": spec.sbp_therapy,
        "ldl_cut": spec.ldl_cut, "sbp_cut": spec.sbp_cut, "missing": spec.missing,
    }


def spec_from_controls(domain: FilterDomain, *, ranges: Sequence[Sequence[float] | None],
                       range_ids: Sequence[Mapping], categories: Sequence[Sequence[str] | None],
                       category_ids: Sequence[Mapping], groups: Sequence[str] | None,
                       ldl_therapy: str | None, sbp_therapy: str | None,
                       ldl_cut: float | None, sbp_cut: float | None,
                       missing: str | None,
                       definition: SpottyDefinition | None = None) -> FilterSpec:
    """Build the canonical spec from control values (as the callback receives them).

    A slider at both data bounds or a checklist with every value gives no filter. The
    spotty-calcification ``definition`` has no control in the panel (the Definition page
    sets it): pass the one in force so that changing a filter keeps it.

    Raises
    ------
    FilterSpecError
        Nothing ticked in a checklist, a cut-point that is not a number, ...
    """
    spec_ranges = []
    for cid, value in zip(range_ids, ranges, strict=True):
        name = cid["name"]
        if value is None or name not in domain.bounds:
            continue
        blo, bhi = domain.bounds[name]
        lo, hi = float(value[0]), float(value[1])
        spec_ranges.append((name, None if lo <= blo else lo, None if hi >= bhi else hi))
    spec_cats = []
    for cid, value in zip(category_ids, categories, strict=True):
        name = cid["name"]
        all_levels = domain.levels.get(name, ())
        chosen = list(value or [])
        if all_levels and set(all_levels) <= set(chosen):
            continue
        spec_cats.append((name, tuple(chosen)))
    return FilterSpec(
        ranges=tuple(spec_ranges), categories=tuple(spec_cats),
        groups=tuple(groups or ()),
        ldl_cut=ldl_cut if ldl_cut is not None else FilterSpec().ldl_cut,
        sbp_cut=sbp_cut if sbp_cut is not None else FilterSpec().sbp_cut,
        ldl_therapy=ldl_therapy or "any", sbp_therapy=sbp_therapy or "any",
        missing=missing or "exclude", definition=definition or SpottyDefinition(),
    )


def range_names(domain: FilterDomain) -> list[str]:
    """Range variables shown (dictionary order), i.e. the order of the ``ALL`` list."""
    return [n for n in RANGE_VARIABLES if n in domain.bounds]


def category_names(domain: FilterDomain) -> list[str]:
    """Categorical variables shown (dictionary order)."""
    return [n for n in CATEGORY_VARIABLES if domain.levels.get(n)]


# ---------------------------------------------------------------------------- layout
def _level_label(name: str, level: str) -> str:
    if VARIABLES[name].is_binary:
        return level.capitalize()
    return level


def _range_control(name: str, domain: FilterDomain, value: list[float]):
    var = VARIABLES[name]
    lo, hi = domain.bounds[name]
    html_id = f"flt-range-{name}"
    return html.Div([
        html.Div(var.axis_label, className="form-label", id=f"{html_id}-label"),
        html.Div(dcc.RangeSlider(
            id=ids.range_id(name), min=lo, max=hi, step=domain.steps[name], value=value,
            marks=None, allow_direct_input=False, updatemode="mouseup",
            tooltip={"placement": "bottom", "always_visible": False},
        ), id=html_id, **{"aria-labelledby": f"{html_id}-label"}),
        html.Div(f"{value[0]:g} to {value[1]:g}", className="small text-muted",
                 id={"type": "flt-range-text", "name": name}),
    ], className="filter-block")


def _category_control(name: str, domain: FilterDomain, value: list[str]):
    var = VARIABLES[name]
    html_id = f"flt-cat-{name}"
    return _group(var.label, html_id, dbc.Checklist(
        id=ids.category_id(name),
        options=[{"label": _level_label(name, lv), "value": lv} for lv in domain.levels[name]],
        value=value, inline=True,
    ))


def _group(label: str, html_id: str, *controls) -> html.Div:
    """A labelled group of controls (role=group, aria-labelledby the visible label)."""
    return html.Div([html.Div(label, id=f"{html_id}-label", className="form-label"), *controls],
                    className="filter-block", role="group",
                    **{"aria-labelledby": f"{html_id}-label"})


#: Cut-point slider limits when the data do not give them (mg/dl, mmHg).
_CUT_LIMITS = {"ldl_c": (40.0, 160.0), "sbp": (90.0, 180.0)}


def _cut_limits(measure: str, domain: FilterDomain, cut: float) -> tuple[float, float]:
    lo, hi = _CUT_LIMITS[measure]
    if measure in domain.bounds:
        dlo, dhi = domain.bounds[measure]
        lo, hi = max(lo, math.floor(dlo)), min(hi, math.ceil(dhi))
    return min(lo, math.floor(cut)), max(hi, math.ceil(cut))


def _therapy_control(label: str, radio_id: str, cut_id: str, measure: str,
                     therapy: str, cut: float, domain: FilterDomain):
    var = VARIABLES[measure]
    lo, hi = _cut_limits(measure, domain, cut)
    marks = {v: f"{v:g}" for v in (lo, hi)}
    return _group(
        label, radio_id,
        dbc.RadioItems(
            id=radio_id, value=therapy,
            options=[{"label": _THERAPY_LABELS[o], "value": o} for o in THERAPY_OPTIONS],
        ),
        html.Div(f"{var.label} cut-point for intensive ({var.unit})", id=f"{cut_id}-label",
                 className="form-label mt-1"),
        html.Div(dcc.Slider(id=cut_id, min=lo, max=hi, step=1, value=cut, marks=marks,
                            allow_direct_input=False, updatemode="mouseup",
                            tooltip={"placement": "bottom", "always_visible": True}),
                 **{"aria-labelledby": f"{cut_id}-label"}),
    )


def filter_panel(domain: FilterDomain, spec: FilterSpec | None = None) -> html.Div:
    """The filter panel (every control initialised from ``spec``)."""
    spec = spec or FilterSpec()
    values = control_values(spec, domain)
    ranges = [_range_control(n, domain, v) for n, v in zip(range_names(domain),
                                                            values["ranges"], strict=True)]
    cats = [_category_control(n, domain, v) for n, v in zip(category_names(domain),
                                                             values["categories"], strict=True)]
    return html.Div([
        html.H2("Filters"),
        html.Div(id=ids.GROUP_COUNTS, className="group-n mb-2", **{"aria-live": "polite"}),
        html.Div(id=ids.FILTER_MESSAGE, role="alert"),
        dbc.Button("Reset filters", id=ids.RESET, color="secondary", outline=True,
                   size="sm", className="mb-3"),
        _group("Calcification groups", ids.GROUPS,
               dbc.Checklist(id=ids.GROUPS, value=values["groups"],
                             options=[{"label": GROUP_LABELS[g], "value": g}
                                      for g in ALL_GROUPS])),
        _therapy_control("LDL-C lowering", ids.LDL_THERAPY, ids.LDL_CUT, "ldl_c",
                         values["ldl_therapy"], values["ldl_cut"], domain),
        _therapy_control("Blood-pressure lowering", ids.SBP_THERAPY, ids.SBP_CUT, "sbp",
                         values["sbp_therapy"], values["sbp_cut"], domain),
        *cats,
        *ranges,
        _group("Missing values in filtered variables", ids.MISSING,
               dbc.RadioItems(id=ids.MISSING, value=values["missing"],
                              options=[{"label": _MISSING_LABELS[o], "value": o}
                                       for o in MISSING_OPTIONS])),
    ], className="explorer-filter-panel")


def group_counts(n_by_group: Mapping[str, int | str]) -> list:
    """Badges 'No calcification n=…' per group (shown live above the filters)."""
    out = []
    for g, n in n_by_group.items():
        out.append(html.Span([f"{GROUP_LABELS.get(g, g)}: ", html.B(f"n = {format_count(n)}")],
                             className=f"badge badge-{g} me-1 mb-1",
                             style={} if g in ("none", "spotty") else
                             {"background": "#999", "color": "#fff"}))
    return out
