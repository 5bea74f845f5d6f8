"""IVUS study explorer: the Dash app, the page shell, the cross-page stores and the router.

Run ``python app.py [--data FILE --mapping M --sheet S --lesions L --host H --port P
--cache-type T]`` (options override the EXPLORER_* / CACHE_* environment variables of
:mod:`analysis.settings`; see :mod:`shell.cli`), or serve ``app:server`` with gunicorn.

Nothing is loaded at import: the dataset is opened through
``analysis.data.registry.active()`` when the first page is drawn (``main`` opens it
before serving). The navbar, URL sync, clientside callbacks and error handling live
in :mod:`shell`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import dash
import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, callback, dcc, html

import serving
from analysis import settings as settings_mod
from analysis.data import registry
from analysis.errors import ExplorerError
from analysis.service import cache as analysis_cache
from components import ids, theme
from components.filter_panel import filter_panel
from components.url_state import split_query
from shell import (  # noqa: F401 - callbacks
    browser_scripts,
    clientside,
    navbar,
    page_jobs,
    sharing,
    studies,
    upload,
    url_sync,
)
from shell.background import background_manager
from shell.cli import configure, parse_settings
from shell.dataset import active_domain, is_default, status_lines

try:  # a bad EXPLORER_* / CACHE_* value stops the app here, in one sentence
    settings_mod.current()
except ExplorerError as err:
    raise SystemExit(f"IVUS study explorer cannot start: {err}") from None
theme.register()
log = logging.getLogger("ivus_explorer")

app = Dash(
    __name__,
    use_pages=True,
    suppress_callback_exceptions=True,
    health_endpoint="health",
    title="IVUS study explorer",
    update_title=None,  # on_error: serving.install sets it (a message and an error id)
    background_callback_manager=background_manager(),
)
server = app.server
serving.install(app)  # login, roles, audit, error ids, headers/CSP, compression, limits
browser_scripts.install(app)  # no IE-era polyfill; regenerator-runtime after React
upload.install(server)  # the 'Open a study' upload route (its own size limit and role)
analysis_cache.configure(settings_mod.current())


def layout():
    """The shell: navbar, filter panel, page container, stores and the Location."""
    domain, provenance, err = active_domain()
    banner = []
    if err is None and provenance.simulated:
        banner = [html.Div(provenance.label, className="simulated-banner", role="note")]
    return html.Div([
        dcc.Location(id=ids.URL, refresh="callback-nav"),
        dcc.Location(id=ids.RELOAD, refresh=True),
        dcc.Store(id=ids.FILTER_STORE, storage_type="memory"),
        dcc.Store(id=ids.PAGE_TITLE),
        navbar.navbar(status_lines(provenance), provenance is not None and not is_default()),
        dbc.Container(dbc.Row([
            dbc.Col(html.Aside(filter_panel(domain), className="explorer-sidebar",
                               **{"aria-label": "Filters"}), xs=12, md=4, lg=3),
            dbc.Col(html.Main([html.Div(banner, id=ids.LOAD_REPORT),
                               html.Div(id=ids.STUDY_MESSAGE),
                              page_jobs.job_panel(),
                               dbc.Alert(id=ids.ERROR_ALERT, color="danger", is_open=False,
                                         dismissable=True),
                               html.Div(id=ids.PAGE_CONTENT)],
                              className="explorer-main"), xs=12, md=8, lg=9),
        ], className="g-0"), fluid=True),
    ], id=ids.SHELL_ROOT)


app.layout = layout


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


def main(argv: Sequence[str] | None = None) -> None:
    """Parse options, configure the analysis layer and serve the app."""
    settings = configure(parse_settings(argv))
    # open the dataset before serving, so the first page view does not wait for it
    try:
        ds = registry.active()
        log.warning("dataset: %s, %d rows%s", status_lines(ds.provenance)[0], ds.provenance.rows,
                    f" ({ds.provenance.label})" if ds.provenance.label else "")
    except ExplorerError as err:  # remembered by the registry; every page shows the report
        log.warning("the dataset could not be loaded: %s", err)
    # the version check would call plotly's server: the app must work with no internet
    app.run(host=settings.host, port=settings.port, debug=settings.debug,
            dev_tools_disable_version_check=True)


__all__ = ["app", "configure", "main", "parse_settings", "server"]

if __name__ == "__main__":
    main()
