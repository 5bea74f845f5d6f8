"""One shape for every failure a client sees: a short message and an error id.

The server log holds the exception with the same id, so a user can quote the id and
an administrator find the traceback. Nothing else (exception text, server paths,
stack frames) ever reaches the client. Used by callbacks (Dash ``on_error``) and by
Flask's error handlers (HTTP errors and any uncaught exception).
"""

from __future__ import annotations

import logging
import secrets

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger("ivus_explorer.errors")

#: What each HTTP error says (werkzeug's descriptions are generic, but ours say what to do).
HTTP_MESSAGES = {
    400: "The request was not understood. Reload the page and try again.",
    401: "Please log in first.",
    403: "Your role does not allow this.",
    404: "Nothing here. Use the links of the app.",
    405: "This address does not accept that kind of request.",
    413: "The request is too large.",
    429: "Too many attempts. Wait a few minutes and try again.",
    500: "The server could not answer. The error was logged.",
}


def new_error_id() -> str:
    """A short random id that ties a client message to a server log line."""
    return secrets.token_hex(6)


def callback_failed_message(error_id: str) -> str:
    """The text shown in the app when a view could not be computed."""
    return (f"This view could not be computed (error id {error_id}). The error was "
            "logged; change a setting or reload the page.")


def error_response(status: int, message: str, error_id: str | None = None) -> Response:
    """JSON ``{"error": message, "error_id": id}`` with ``status``."""
    resp = jsonify({"error": message, "error_id": error_id or new_error_id()})
    resp.status_code = status
    resp.headers["Cache-Control"] = "no-store"
    return resp


def make_on_error(set_props, alert_id: str, outputs_list=lambda: None):
    """A Dash ``on_error`` handler: log with an id, show the short message in the alert.

    Parameters
    ----------
    set_props
        ``dash.set_props`` (passed in so this module does not import dash at import time).
    alert_id
        Id of the shell's error alert (``components.ids.ERROR_ALERT``).
    outputs_list
        Returns the failing callback's ``outputs_list``. For an ALL output with no
        components Dash would reject the handler's ``None`` (and answer 500), so the
        handler returns ``[]`` then; otherwise None (Dash sends no update).
    """

    def on_error(err: Exception):
        error_id = new_error_id()
        log.error("callback failed [error id %s]", error_id, exc_info=err)
        set_props(alert_id, {"children": callback_failed_message(error_id), "is_open": True})
        return [] if outputs_list() == [] else None

    return on_error


def install(server: Flask) -> None:
    """Register the handlers of HTTP errors and of any uncaught exception on ``server``."""

    @server.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        error_id = new_error_id()
        status = err.code or 500
        if status >= 500:
            log.error("HTTP %s on %s [error id %s]", status, request.path, error_id)
            return error_response(status, HTTP_MESSAGES[500], error_id)
        log.info("HTTP %s on %s %s [error id %s]", status, request.method, request.path,
                 error_id)
        return error_response(status, HTTP_MESSAGES.get(status, "The request was refused."),
                              error_id)

    @server.errorhandler(Exception)
    def _uncaught(err: Exception):
        if isinstance(err, HTTPException):  # pragma: no cover - routed above
            return _http_error(err)
        error_id = new_error_id()
        log.error("request %s %s failed [error id %s]", request.method, request.path,
                  error_id, exc_info=err)
        return error_response(500, f"This request could not be answered (error id "
                                   f"{error_id}). The error was logged.", error_id)
