"""Web hardening of the explorer's Flask server: one call, ``serving.install(app)``.

It registers, in this order: the request size limit, the login check and the login
routes (:mod:`accounts`), the callback gate (body shape 400, role 403, audit),
error handlers that answer a short message with an error id (never exception text,
paths or stack traces), the app's callback ``on_error`` in the same shape, security
headers with a Content-Security-Policy built from Dash's inline-script hashes,
compression of responses (static bundles compressed once) and the start-up check
that refuses to serve without accounts when login is required.
"""

from __future__ import annotations

from analysis import settings as settings_mod


def install(app) -> None:
    """Harden the Dash ``app`` (everything goes on ``app.server``, the Flask app)."""
    from dash import callback_context, set_props

    import accounts
    from components.ids import ERROR_ALERT
    from serving import compression, errors, guard, headers, startup

    server = app.server
    current = settings_mod.current
    server.config["MAX_CONTENT_LENGTH"] = current().max_request_kb * 1024
    server.config["MAX_FORM_MEMORY_SIZE"] = 64 * 1024

    @server.before_request
    def _request_limit():  # settings may change after import (app.py configure, tests)
        from flask import request

        request.max_content_length = current().max_request_kb * 1024

    accounts.install(app)
    guard.install(server, lambda: app._callback_list, current)  # noqa: SLF001
    errors.install(server)
    app._on_error = errors.make_on_error(  # noqa: SLF001 - Dash reads it per request
        set_props, ERROR_ALERT, lambda: callback_context.outputs_list)
    headers.install(server, app.csp_hashes, https=lambda: current().https)
    compression.install(server)
    startup.guard_run(server)
