"""Refuse to serve without accounts when login is required; no dev-server banner;
prepare the loaded app for its gunicorn workers.

``check_accounts`` is called by ``Flask.run`` (wrapped here: ``python app.py``), by
the gunicorn config before workers start, and by ``make serve``: with login required
and no account it stops the start with a message saying how to add one.
"""

from __future__ import annotations

import functools

from werkzeug.serving import WSGIRequestHandler

from accounts.store import AccountError, AccountStore
from analysis import settings as settings_mod


class StartupRefused(SystemExit):
    """The app must not start as configured; the message says what to do."""


def check_accounts(settings: settings_mod.Settings | None = None) -> None:
    """Raise :class:`StartupRefused` if login is required and no account exists."""
    s = settings or settings_mod.current()
    if not s.auth_required():
        return
    try:
        accounts = AccountStore(s.accounts_file).accounts()
    except AccountError as err:
        raise StartupRefused(str(err)) from None
    if not accounts:
        why = ("EXPLORER_AUTH=required" if s.auth == "required"
               else f"the app listens on {s.host}, beyond the loopback address")
        hint = "" if s.auth == "required" else "\nor serve on 127.0.0.1 only."
        raise StartupRefused(
            f"Login is required ({why}) but no account exists in {s.accounts_file}. "
            "Add one first:\n    python -m accounts add NAME --role analyst   (the password "
            f"is read from stdin){hint}")


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without its ``Server: Werkzeug/x Python/y`` banner."""

    def version_string(self) -> str:
        return "ivus-explorer"


def guard_run(server) -> None:
    """Wrap ``server.run`` so it checks the accounts and uses the quiet handler."""
    run = server.run

    @functools.wraps(run)
    def checked_run(*args, **kwargs):
        check_accounts()
        kwargs.setdefault("request_handler", QuietRequestHandler)
        return run(*args, **kwargs)

    server.run = checked_run


def prepare_workers(app) -> tuple[int, float]:
    """Make the loaded app ready to serve from any worker forked after this call.

    Dash registers the paths of its JavaScript bundles when it draws the index page, and
    refuses (500) a bundle whose path it has not registered; each gunicorn worker would
    register them only once it has drawn the index itself, so a browser's parallel bundle
    requests reaching another worker failed. The index is drawn here once (in gunicorn's
    master, before forking), and the large bundles are compressed ahead
    (:func:`serving.compression.precompress`). Returns (bundles compressed, seconds).
    """
    import time

    from serving import compression

    t0 = time.perf_counter()
    with app.server.test_request_context("/"):
        app.index()
    compress = app.server.extensions.get("compress")
    n = compression.precompress(app.server, compress, assets_folder=app.config.assets_folder) \
        if compress is not None else 0
    return n, time.perf_counter() - t0
