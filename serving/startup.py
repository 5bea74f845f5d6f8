"""Refuse to serve without accounts when login is required; no dev-server banner.

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
