"""The admin's control on 'Open a study': share a study with the team, or unshare it.

:func:`admin_panel` (drawn for admins only) lists every study opened in the browser,
by anyone: its file name, who opened it, whether the team sees it, and a Share or
Unshare button. The callback checks the role again on the server (the callback gate
refuses its outputs to every other role with 403 first) and the change is audit-logged
(:mod:`accounts.sharing`).
"""

from __future__ import annotations

import datetime as _dt

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, callback, ctx, html

from accounts import sharing

PANEL = "open-share"
LIST = "open-share-list"
STATUS = "open-share-status"
BUTTON = "open-share-button"  # dict id {"type": BUTTON, "fp": fingerprint, "share": bool}


def _when(ts: float) -> str:
    return _dt.datetime.fromtimestamp(ts, _dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def study_list() -> html.Div:
    """The table of every recorded study with its Share / Unshare button."""
    rows = sharing.studies()
    if not rows:
        return html.P("No study has been opened in the browser yet.", className="text-muted")
    body = [html.Tr([
        html.Td(r.name), html.Td(", ".join(r.owners)), html.Td(_when(r.opened_at)),
        html.Td("the team" if r.shared else "its owners only"),
        html.Td(dbc.Button("Unshare" if r.shared else "Share with the team", size="sm",
                           color="secondary" if r.shared else "primary", outline=r.shared,
                           id={"type": BUTTON, "fp": r.fingerprint, "share": not r.shared})),
    ]) for r in rows]
    head = html.Thead(html.Tr([html.Th(t) for t in ("Study", "Opened by", "Opened",
                                                    "Seen by", "")]))
    return dbc.Table([head, html.Tbody(body)], size="sm", striped=True,
                     className="share-table")


def admin_panel() -> html.Section:
    """The admin's section of the page (the caller draws it for admins only)."""
    return html.Section([
        html.H2("Studies shared with the team (admins)"),
        html.P("A study is seen by the users who opened it. Shared, every user of the team "
               "sees it and its links open it for them; unshared, its owners only again. "
               "Each change is written to the audit log.", className="method-note"),
        html.Div(id=STATUS, **{"aria-live": "polite"}),
        html.Div(study_list(), id=LIST),
    ], id=PANEL, className="mt-4", **{"aria-label": "Shared studies"})


def is_admin() -> bool:
    """Whether this request's user may share studies: a logged-in admin (the one-user app
    has no team to share with, so its user never sees the sharing list)."""
    from accounts.roles import ADMIN_ROLE
    from accounts.web import current_user

    account = current_user()
    return account is not None and account.has_role(ADMIN_ROLE)


@callback(Output(STATUS, "children"), Output(LIST, "children"),
          Input({"type": BUTTON, "fp": ALL, "share": ALL}, "n_clicks"),
          prevent_initial_call=True)
def share_or_unshare(_clicks):
    """Share or unshare the study whose button was pressed (admins only)."""
    from flask import request

    from accounts.web import current_user

    trig = ctx.triggered_id
    if not isinstance(trig, dict) or not any(t.get("value") for t in ctx.triggered):
        raise dash.exceptions.PreventUpdate
    try:
        row = sharing.set_shared(str(trig.get("fp")), bool(trig.get("share")), current_user(),
                                 request.remote_addr or "unknown")
    except sharing.SharingRefused as err:
        return dbc.Alert(str(err), color="warning", className="py-1"), dash.no_update
    said = ("is now shared with the team" if row.shared else
            "is no longer shared: its owners only see it")
    return (dbc.Alert(f"'{row.name}' {said}.", color="success", className="py-1"),
            study_list())


__all__ = ["admin_panel", "is_admin", "share_or_unshare", "study_list"]
