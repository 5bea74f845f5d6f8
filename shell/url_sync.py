"""URL <-> filter store <-> filter controls, and the live group counts.

The URL is the source of truth: when it changes (first load, back/forward, a pasted
link) the controls and the store follow it; when a control changes, the spec is
rebuilt and written to the URL and the store. The store holds the canonical filter
query string (never patient rows); pages pass it to the analysis API as it is.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, html

from analysis.display import format_count
from analysis.errors import ExplorerError, FilterSpecError
from analysis.selection import FilterSpec
from analysis.service import api
from components import ids, session
from components.filter_panel import (
    category_names,
    control_values,
    group_counts,
    range_names,
    spec_from_controls,
)
from components.page_context import active_fingerprint, error_alert
from components.url_state import decode_option, encode_option, merge_query, split_query
from shell.dataset import active_domain

_RANGE = {"type": ids.RANGE, "name": ALL}
_CAT = {"type": ids.CATEGORY, "name": ALL}
_OPT = {"type": ids.PAGE_OPTION, "key": ALL}


def _controls_from(spec: FilterSpec, domain, range_ids, cat_ids, opt_ids, url_opts, reset):
    """Every control's value for ``spec`` (page options from the URL unless reset)."""
    nu = dash.no_update
    v = control_values(spec, domain)
    by_name_r = dict(zip(range_names(domain), v["ranges"], strict=True))
    by_name_c = dict(zip(category_names(domain), v["categories"], strict=True))
    options = ([nu] * len(opt_ids) if reset else
               [decode_option(i["key"], url_opts.get(i["key"])) for i in opt_ids])
    return ([by_name_r.get(i["name"], nu) for i in range_ids],
            [by_name_c.get(i["name"], nu) for i in cat_ids],
            v["groups"], v["ldl_therapy"], v["sbp_therapy"], v["ldl_cut"], v["sbp_cut"],
            v["missing"], options)


@callback(
    Output(ids.URL, "search"), Output(ids.FILTER_STORE, "data"),
    Output(ids.FILTER_MESSAGE, "children"), Output(_RANGE, "value"), Output(_CAT, "value"),
    Output(ids.GROUPS, "value"), Output(ids.LDL_THERAPY, "value"),
    Output(ids.SBP_THERAPY, "value"), Output(ids.LDL_CUT, "value"),
    Output(ids.SBP_CUT, "value"), Output(ids.MISSING, "value"), Output(_OPT, "value"),
    Input(ids.URL, "search"), Input(_RANGE, "value"), Input(_CAT, "value"),
    Input(ids.GROUPS, "value"), Input(ids.LDL_THERAPY, "value"),
    Input(ids.SBP_THERAPY, "value"), Input(ids.LDL_CUT, "value"),
    Input(ids.SBP_CUT, "value"), Input(ids.MISSING, "value"), Input(ids.RESET, "n_clicks"),
    State(_RANGE, "id"), State(_CAT, "id"), State(_OPT, "id"), State(ids.FILTER_STORE, "data"),
)
def sync_state(search, ranges, cats, groups, ldl_therapy, sbp_therapy, ldl_cut, sbp_cut,
               missing, _reset, range_ids, cat_ids, opt_ids, stored):
    """Keep URL query string, filter store and filter controls in step."""
    domain, _dataset, _err = active_domain()  # a load error is shown by the pages
    nu = dash.no_update
    filter_query, url_opts = split_query(search)
    trig = ctx.triggered_id
    trig_type = trig.get("type") if isinstance(trig, dict) else trig

    if trig is None or trig_type in (ids.URL, ids.RESET):
        reset = trig_type == ids.RESET
        message, search_out = None, nu
        if reset:
            spec, search_out = FilterSpec(), merge_query("", url_opts)
        else:
            try:
                spec = FilterSpec.from_query(filter_query)
            except FilterSpecError as e:
                spec = FilterSpec()
                message = dbc.Alert(f"The link's filters were not understood ({e}); "
                                    "showing all patients.", color="warning", className="py-2")
        query = spec.to_query()
        store_out = nu if (query == stored and trig is not None) else query
        own = _own_study()
        if own and not url_opts.get("ds"):  # a copied link must carry the open study
            search_out = merge_query(query, {**url_opts, "ds": own})
        return (search_out, store_out, message,
                *_controls_from(spec, domain, range_ids, cat_ids, opt_ids, url_opts, reset))

    untouched = ([nu] * len(range_ids), [nu] * len(cat_ids), *(nu,) * 6, [nu] * len(opt_ids))
    try:  # a filter control changed
        spec = spec_from_controls(
            domain, ranges=ranges, range_ids=range_ids, categories=cats, category_ids=cat_ids,
            groups=groups, ldl_therapy=ldl_therapy, sbp_therapy=sbp_therapy, ldl_cut=ldl_cut,
            sbp_cut=sbp_cut, missing=missing, definition=_definition_in(filter_query))
    except ExplorerError as e:
        return (nu, nu, dbc.Alert(str(e), color="warning", className="py-2"), *untouched)
    query = spec.to_query()
    return (merge_query(query, url_opts), nu if query == stored else query, None, *untouched)


def _definition_in(filter_query: str):
    """The spotty definition of the URL's filters (set on the Definition page; the panel
    has no control for it), or the published one when the link's filters are bad."""
    try:
        return FilterSpec.from_query(filter_query).definition
    except FilterSpecError:
        return None


def _own_study() -> str | None:
    """The fingerprint of a study this session opened (None for the default dataset)."""
    try:
        fp = session.current_fingerprint()
        return None if fp == session.default_fingerprint() else fp
    except ExplorerError:
        return None


@callback(
    Output(ids.URL, "search", allow_duplicate=True),
    Input(_OPT, "value"), State(_OPT, "id"), State(ids.URL, "search"),
    prevent_initial_call=True,
)
def options_to_url(values, option_ids, search):
    """A page option (outcome, chart, raw/adjusted, ...) changed: write it to the URL.

    Separate from :func:`sync_state` so pages never wait for it: it does not touch the
    filter store.
    """
    filter_query, opts = split_query(search)
    for oid, value in zip(option_ids, values, strict=True):
        opts[oid["key"]] = encode_option(value)
    new_search = merge_query(filter_query, opts)
    current = ("?" + search.lstrip("?")) if search and search.strip("?") else ""
    if new_search == current:
        raise dash.exceptions.PreventUpdate
    return new_search


@callback(Output(ids.GROUP_COUNTS, "children"), Input(ids.FILTER_STORE, "data"))
def show_group_counts(query):
    """n per group after the filters, live above the filter panel."""
    if query is None:
        raise dash.exceptions.PreventUpdate
    try:
        result = api.selection(active_fingerprint(), query)
    except ExplorerError as err:
        return error_alert(err)
    if not result.ok:
        return dbc.Alert(result.error, color="warning", className="py-2")
    definition = result.value.spec.definition
    note = [] if definition.is_published else [
        html.Div(definition.describe(), className="small text-muted mt-1 definition-note")]
    return [html.Div(f"{format_count(result.value.n)} patients selected", className="fw-semibold mb-1"),
            *group_counts(result.value.n_by_group), *note]
