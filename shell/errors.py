"""What a user sees when a callback fails unexpectedly: a short message and an error
id; the exception and its stack go to the server log under that id, never to the
browser."""

from __future__ import annotations

import logging
import secrets

from dash import set_props

from components import ids

log = logging.getLogger("ivus_explorer")


def error_id() -> str:
    """A short random id that ties the user's message to the server log entry."""
    return secrets.token_hex(4)


def on_error(err: Exception) -> None:
    """Dash's ``on_error`` for every callback: log with an id, show the id only."""
    eid = error_id()
    log.error("callback failed [error id %s]", eid, exc_info=err)
    set_props(ids.ERROR_ALERT, {
        "children": f"This view could not be computed (error id {eid}). The error was "
                    "logged; change a setting or reload the page.",
        "is_open": True})
