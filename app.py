"""IVUS study explorer: the Dash app, its page shell and the URL <-> filter state.

Run ``python app.py [--data FILE --mapping M --sheet S --lesions L --host H --port P
--debug --cache-type T]`` (options override the EXPLORER_* / CACHE_* environment
variables of :mod:`analysis.settings`), or serve ``app:server`` with gunicorn.

Nothing is loaded at import: the dataset is opened through
``analysis.data.registry.active()`` when the first page is drawn.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

import dash
import dash_bootstrap_components as dbc
from dash import (
    ALL,
    Dash,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
    set_props,
)

from analysis import settings as settings_mod
from analysis.data import registry
from analysis.errors import DataLoadError, ExplorerError, FilterSpecError
from analysis.selection import FilterSpec
from analysis.service import api
from analysis.service import cache as analysis_cache
from components import ids, theme
from components.figures import SVG_BUTTON
from components.filter_panel import (
    PanelDomain,
    category_names,
    control_values,
    domain_from_dictionary,
    domain_from_frame,
    filter_panel,
    group_counts,
    range_names,
    spec_from_controls,
)
from components.page_context import error_alert
from components.url_state import decode_option, encode_option, merge_query, split_query

theme.register()
log = logging.getLogger("ivus_explorer")

NAV_PAGES = (("/", "Overview"), ("/baseline", "Baseline"), ("/progression", "Progression"),
             ("/comparison", "Comparison"), ("/therapy", "Therapy"), ("/data", "Data"))

#: LS-mean weighting choices of the navbar, with the one-sentence help of each.
WEIGHT_CHOICES = (
    ("proportional", "Proportional",
     "Proportional: factor levels are weighted by their observed frequencies, so adjusted "
     "means sit near the raw ones."),
    ("equal", "Equal",
     "Equal: every level of each factor counts the same, as emmeans and SAS LSMEANS do "
     "by default."),
)
WEIGHTS_HELP = "LS-mean weights. " + " ".join(h for _v, _l, h in WEIGHT_CHOICES)
WEIGHTS_OFF_HELP = ("LS-mean weights do not apply to raw means (no covariates); "
                    "choose Means: Adjusted to use them.")
WEIGHTS_GROUP = "weights-group"


# ------------------------------------------------------------------------------ settings
def parse_settings(argv: Sequence[str] | None = None,
                   env: dict[str, str] | None = None) -> settings_mod.Settings:
    """Settings from the environment, overridden by command-line options."""
    p = argparse.ArgumentParser(description="IVUS study explorer (Dash app)")
    p.add_argument("--data", help="patient file (csv, xlsx, parquet, sav, dta, ...)")
    p.add_argument("--mapping", help="TOML column mapping for --data")
    p.add_argument("--sheet", help="Excel sheet name")
    p.add_argument("--lesions", help="lesion-level file")
    p.add_argument("--host", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8050)")
    p.add_argument("--debug", action="store_true", default=None, help="Dash debug mode")
    p.add_argument("--cache-type", choices=analysis_cache.CACHE_TYPES)
    p.add_argument("--cache-dir")
    p.add_argument("--cache-redis-url")
    p.add_argument("--min-group-n", type=int)
    p.add_argument("--small-n-warning", type=int)
    a = p.parse_args(argv)
    return settings_mod.from_env(env).with_overrides(
        data=a.data, mapping=a.mapping, sheet=a.sheet, lesions=a.lesions, host=a.host,
        port=a.port, debug=a.debug, cache_type=a.cache_type, cache_dir=a.cache_dir,
        cache_redis_url=a.cache_redis_url, min_group_n=a.min_group_n,
        small_n_warning=a.small_n_warning)


def configure(settings: settings_mod.Settings) -> settings_mod.Settings:
    """Put settings in force for the analysis layer and its cache."""
    settings_mod.configure(settings)
    analysis_cache.configure(settings)
    registry.reset()
    _domains.clear()
    return settings


# ------------------------------------------------------------------------------ the app
def _on_error(err: Exception) -> None:
    """An unexpected error in any callback: log it, tell the user, show no traceback."""
    log.exception("callback failed", exc_info=err)
    set_props(ids.ERROR_ALERT, {
        "children": f"This view could not be computed ({type(err).__name__}: {err}). "
                    "The error was logged; change a setting or reload the page.",
        "is_open": True})


app = Dash(
    __name__,
    use_pages=True,
    suppress_callback_exceptions=True,
    health_endpoint="health",
    title="IVUS study explorer",
    update_title=None,
    on_error=_on_error,
)
server = app.server
analysis_cache.configure(settings_mod.current())

_domains: dict[str, PanelDomain] = {}


def _domain() -> tuple[PanelDomain | None, object | None, Exception | None]:
    """Filter-panel domain of the active dataset (computed once per dataset)."""
    try:
        dataset = registry.active()
    except DataLoadError as err:
        return domain_from_dictionary(), None, err
    fp = dataset.provenance.fingerprint
    if fp not in _domains:
        _domains[fp] = domain_from_frame(dataset.frame)
    return _domains[fp], dataset, None


def weights_options(disabled: bool) -> list[dict]:
    """Options of the LS-mean weights radio (each label carries its one-sentence help)."""
    return [{"label": html.Span(label, title=help_), "value": value, "disabled": disabled}
            for value, label, help_ in WEIGHT_CHOICES]


def _navbar(dataset) -> dbc.Navbar:
    links = [dbc.NavItem(dbc.NavLink(label, href=path, active="exact",
                                     id={"type": ids.NAV_LINK, "path": path}))
             for path, label in NAV_PAGES]
    status = ["No dataset loaded"]
    if dataset is not None:
        prov = dataset.provenance
        status = [prov.source.rsplit('/', 1)[-1], f"{prov.rows:,} patients"]
    return dbc.Navbar(
        dbc.Container([
            dbc.NavbarBrand("IVUS study explorer", href="/"),
            dbc.Nav(links, navbar=True, className="me-auto"),
            html.Span([html.Span(line) for line in status], id=ids.DATA_STATUS,
                      title=" · ".join(status), className="text-light me-2"),
            html.Div([
                html.Div([
                    html.Span("Means:", className="option-label", id="means-label"),
                    dbc.RadioItems(
                        id=ids.option_id("means"), value="adjusted", inline=True, name="means",
                        options=[{"label": "Adjusted", "value": "adjusted"},
                                 {"label": "Raw", "value": "raw"}]),
                ], className="option-row", role="radiogroup",
                    **{"aria-labelledby": "means-label"}),
                html.Div([
                    html.Span("LS-mean weights:", className="option-label",
                              id="weights-label"),
                    dbc.RadioItems(id=ids.option_id("weights"), value="proportional",
                                   inline=True, name="weights", options=weights_options(False)),
                    html.Span(WEIGHTS_HELP, id="weights-help", className="visually-hidden"),
                ], id=WEIGHTS_GROUP, className="option-row", role="radiogroup",
                    title=WEIGHTS_HELP, **{"aria-labelledby": "weights-label",
                                           "aria-describedby": "weights-help"}),
            ], className="navbar-options text-light me-2"),
            dbc.Switch(id={"type": ids.PAGE_OPTION, "key": "present"},
                       label="Presentation", value=False, className="text-light mb-0",
                       label_class_name="text-light", input_class_name="me-1"),
        ], fluid=True),
        className="explorer-navbar", color="#16324f", dark=True, expand="xl",
    )


def layout():
    """The shell: navbar, filter panel, page container, stores and the Location."""
    domain, dataset, err = _domain()
    banner = []
    panel = filter_panel(domain)
    if err is None:
        if dataset.provenance.simulated:
            banner = [html.Div(dataset.provenance.label, className="simulated-banner",
                               role="note")]
    return html.Div([
        dcc.Location(id=ids.URL, refresh="callback-nav"),
        dcc.Store(id=ids.FILTER_STORE, storage_type="memory"),
        dcc.Store(id=ids.PAGE_TITLE),
        html.Div(id="svg-export-sink", hidden=True),
        _navbar(dataset),
        dbc.Container(dbc.Row([
            dbc.Col(html.Aside(panel, className="explorer-sidebar",
                               **{"aria-label": "Filters"}), xs=12, md=4, lg=3),
            dbc.Col(html.Main([html.Div(banner, id=ids.LOAD_REPORT),
                               dbc.Alert(id=ids.ERROR_ALERT, color="danger", is_open=False,
                                         dismissable=True),
                               html.Div(id=ids.PAGE_CONTENT)],
                              className="explorer-main"), xs=12, md=8, lg=9),
        ], className="g-0"), fluid=True),
    ], id=ids.SHELL_ROOT)


app.layout = layout


# ------------------------------------------------------------------------------ routing
@callback(Output(ids.PAGE_CONTENT, "children"), Output(ids.PAGE_TITLE, "data"),
          Input(ids.URL, "pathname"), State(ids.URL, "search"))
def route(pathname, search):
    """The page for the path, built with the URL's page options.

    Routing listens to the path only: a filter or option change updates the page's
    figures through the store and its controls, without rebuilding the page.
    """
    path = "/" + (app.strip_relative_path(pathname or "/") or "")
    page = next((p for p in dash.page_registry.values() if p["path"] == path), None)
    if page is None:
        return (html.Div([html.H1("Page not found"),
                          html.P(["No page at ", html.Code(path), ". Use the links above."])]),
                "Not found · IVUS study explorer")
    _filters, params = split_query(search)
    layout_fn = page["layout"]
    content = layout_fn(**params) if callable(layout_fn) else layout_fn
    return content, page["title"]


clientside_callback(
    """
    function(title) {
        if (title) { document.title = title; }
        return window.dash_clientside.no_update;
    }
    """,
    Output(ids.PAGE_TITLE, "modified_timestamp"),
    Input(ids.PAGE_TITLE, "data"),
)


# ------------------------------------------------------------------------------ URL state
_RANGE = {"type": ids.RANGE, "name": ALL}
_CAT = {"type": ids.CATEGORY, "name": ALL}
_OPT = {"type": ids.PAGE_OPTION, "key": ALL}


@callback(
    Output(ids.URL, "search"),
    Output(ids.FILTER_STORE, "data"),
    Output(ids.FILTER_MESSAGE, "children"),
    Output(_RANGE, "value"),
    Output(_CAT, "value"),
    Output(ids.GROUPS, "value"),
    Output(ids.LDL_THERAPY, "value"),
    Output(ids.SBP_THERAPY, "value"),
    Output(ids.LDL_CUT, "value"),
    Output(ids.SBP_CUT, "value"),
    Output(ids.MISSING, "value"),
    Output(_OPT, "value"),
    Input(ids.URL, "search"),
    Input(_RANGE, "value"),
    Input(_CAT, "value"),
    Input(ids.GROUPS, "value"),
    Input(ids.LDL_THERAPY, "value"),
    Input(ids.SBP_THERAPY, "value"),
    Input(ids.LDL_CUT, "value"),
    Input(ids.SBP_CUT, "value"),
    Input(ids.MISSING, "value"),
    Input(ids.RESET, "n_clicks"),
    State(_RANGE, "id"),
    State(_CAT, "id"),
    State(_OPT, "id"),
    State(ids.FILTER_STORE, "data"),
)
def sync_state(search, ranges, cats, groups, ldl_therapy, sbp_therapy, ldl_cut, sbp_cut,
               missing, _reset, range_ids, cat_ids, opt_ids, stored):
    """Keep URL query string, filter store and filter controls in step.

    The URL is the source of truth: when it changes (first load, back/forward, a
    pasted link) the controls and the store follow it; when a control changes the
    spec is rebuilt and written to the URL and the store.
    """
    domain, _dataset, _err = _domain()  # a load error is shown by the pages themselves
    nu = dash.no_update
    untouched = ([nu] * len(range_ids), [nu] * len(cat_ids), *(nu,) * 6, [nu] * len(opt_ids))
    filter_query, url_opts = split_query(search)
    trig = ctx.triggered_id
    trig_type = trig.get("type") if isinstance(trig, dict) else trig

    def controls_from(spec: FilterSpec):
        v = control_values(spec, domain)
        by_name_r = dict(zip(range_names(domain), v["ranges"], strict=True))
        by_name_c = dict(zip(category_names(domain), v["categories"], strict=True))
        options = ([decode_option(i["key"], url_opts.get(i["key"])) for i in opt_ids]
                   if trig_type != ids.RESET else [nu] * len(opt_ids))
        return ([by_name_r.get(i["name"], nu) for i in range_ids],
                [by_name_c.get(i["name"], nu) for i in cat_ids],
                v["groups"], v["ldl_therapy"], v["sbp_therapy"], v["ldl_cut"], v["sbp_cut"],
                v["missing"], options)

    if trig is None or trig_type == ids.URL or trig_type == ids.RESET:
        if trig_type == ids.RESET:
            spec, message, search_out = FilterSpec(), None, merge_query("", url_opts)
        else:
            search_out = nu
            try:
                spec, message = FilterSpec.from_query(filter_query), None
            except FilterSpecError as e:
                spec = FilterSpec()
                message = dbc.Alert(f"The link's filters were not understood ({e}); "
                                    "showing all patients.", color="warning", className="py-2")
        data = spec.to_dict()
        store_out = nu if (data == stored and trig is not None) else data
        return (search_out, store_out, message, *controls_from(spec))

    # a filter control changed
    try:
        spec = spec_from_controls(
            domain, ranges=ranges, range_ids=range_ids, categories=cats, category_ids=cat_ids,
            groups=groups, ldl_therapy=ldl_therapy, sbp_therapy=sbp_therapy, ldl_cut=ldl_cut,
            sbp_cut=sbp_cut, missing=missing)
    except ExplorerError as e:
        return (nu, nu, dbc.Alert(str(e), color="warning", className="py-2"), *untouched)
    data = spec.to_dict()
    new_search = merge_query(spec.to_query(), url_opts)
    return (new_search, nu if data == stored else data, None, *untouched)


@callback(
    Output(ids.URL, "search", allow_duplicate=True),
    Input(_OPT, "value"),
    State(_OPT, "id"),
    State(ids.URL, "search"),
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


@callback(Output(ids.option_id("weights"), "options"), Output(WEIGHTS_GROUP, "title"),
          Output(WEIGHTS_GROUP, "className"), Output(WEIGHTS_GROUP, "aria-disabled"),
          Input(ids.option_id("means"), "value"))
def weights_enabled(means):
    """Raw means fit no covariates, so the LS-mean weighting is shown disabled.

    The chosen weighting stays in the URL and applies again when Means is Adjusted.
    """
    raw = means == "raw"
    return (weights_options(raw), WEIGHTS_OFF_HELP if raw else WEIGHTS_HELP,
            "option-row option-disabled" if raw else "option-row",
            "true" if raw else "false")


@callback(Output(ids.GROUP_COUNTS, "children"), Input(ids.FILTER_STORE, "data"))
def show_group_counts(data):
    """n per group after the filters, live above the filter panel."""
    if data is None:
        raise dash.exceptions.PreventUpdate
    try:
        dataset = registry.active()
        result = api.selection(dataset.provenance.fingerprint,
                               FilterSpec.from_dict(data).to_query())
    except DataLoadError:
        return dbc.Alert("No dataset loaded.", color="danger", className="py-2")
    except ExplorerError as err:
        return error_alert(err)
    if not result.ok:
        return dbc.Alert(result.error, color="warning", className="py-2")
    return [html.Div(f"{result.n:,} patients selected", className="fw-semibold mb-1"),
            *group_counts(result.n_by_group)]


@callback(Output({"type": ids.NAV_LINK, "path": ALL}, "href"), Input(ids.URL, "search"),
          State({"type": ids.NAV_LINK, "path": ALL}, "id"))
def keep_query_in_links(search, link_ids):
    """Navbar links carry the query string, so filters follow the user across pages."""
    return [i["path"] + (search or "") for i in link_ids]


clientside_callback(
    """
    function(value) {
        if (!value) { return window.dash_clientside.no_update; }
        const f = (x) => Number(x).toLocaleString('en-US', {maximumFractionDigits: 2});
        return f(value[0]) + ' to ' + f(value[1]);
    }
    """,
    Output({"type": "flt-range-text", "name": dash.MATCH}, "children"),
    Input({"type": ids.RANGE, "name": dash.MATCH}, "value"),
)

clientside_callback(
    """
    function(on) {
        document.documentElement.classList.toggle('presentation', Boolean(on));
        return window.dash_clientside.no_update;
    }
    """,
    Output(ids.SHELL_ROOT, "title"),
    Input({"type": ids.PAGE_OPTION, "key": "present"}, "value"),
)

clientside_callback(
    """
    function(n, filename, id) {
        if (!n) { return window.dash_clientside.no_update; }
        const host = document.getElementById(id.graph);
        const el = host && host.querySelector('.js-plotly-plot');
        if (el && window.Plotly) {
            window.Plotly.downloadImage(el, {format: 'svg', filename: filename});
        }
        return window.dash_clientside.no_update;
    }
    """,
    Output({"type": SVG_BUTTON, "graph": dash.MATCH}, "title"),
    Input({"type": SVG_BUTTON, "graph": dash.MATCH}, "n_clicks"),
    State({"type": SVG_BUTTON, "graph": dash.MATCH}, "value"),
    State({"type": SVG_BUTTON, "graph": dash.MATCH}, "id"),
)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse options, configure the analysis layer and serve the app."""
    settings = configure(parse_settings(argv))
    # open the dataset before serving, so the first page view does not wait for it
    try:
        ds = registry.active()
        log.warning("dataset: %s, %d rows%s", ds.provenance.source, ds.provenance.rows,
                    f" ({ds.provenance.label})" if ds.provenance.label else "")
    except ExplorerError as err:  # remembered by the registry; every page shows the report
        log.warning("the dataset could not be loaded: %s", err)
    # the version check would call plotly's server: the app must work with no internet
    app.run(host=settings.host, port=settings.port, debug=settings.debug,
            dev_tools_disable_version_check=True)


if __name__ == "__main__":
    main()
