"""A link's study: ``?ds=<fingerprint>`` opens that study for this browser session.

The study must be one the user may see (opened by them, or shared by an admin) and
still loadable; the page then reloads so the navbar and the filter panel follow it.
Otherwise the link's study is not opened and the page says why. ``?ds=default``
goes back to the dataset everyone sees.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback

from components import ids, session
from components.url_state import merge_query, split_query

NOT_OPEN = ("This link names a study that is not open for you: it was opened in another "
            "browser session or by another user, or its files are no longer kept. You are "
            "seeing {current}. Open the file yourself on the 'Open a study' page, or ask an "
            "admin to share the study with the team.")


@callback(Output(ids.RELOAD, "href"), Output(ids.STUDY_MESSAGE, "children"),
          Input(ids.URL, "search"), State(ids.URL, "pathname"))
def open_linked_study(search, pathname):
    """Switch this session to the link's study (then reload), or say why not."""
    filter_query, opts = split_query(search)
    wanted = opts.get("ds")
    if not wanted:
        return dash.no_update, None
    current = session.current_fingerprint()
    if wanted == current:
        return dash.no_update, None
    if session.switch_to(wanted):
        if wanted == session.DEFAULT:
            opts.pop("ds", None)
        return (pathname or "/") + merge_query(filter_query, opts), None
    name = "the default dataset" if current == session.default_fingerprint() else \
        "the study this browser has open"
    return dash.no_update, dbc.Alert(NOT_OPEN.format(current=name), color="warning",
                                     className="py-2")
