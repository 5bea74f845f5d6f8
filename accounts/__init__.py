"""Accounts of the team server: users, roles, login/logout and the audit log.

``python -m accounts add NAME --role viewer|analyst|admin`` (password from stdin) and
``python -m accounts remove NAME`` manage the account file (``EXPLORER_ACCOUNTS``).
``accounts.install(app)`` puts the login check and routes on the app's Flask server
(``serving.install`` calls it).
"""

from __future__ import annotations

from accounts.store import ROLES, Account, AccountError, AccountStore

__all__ = ["ROLES", "Account", "AccountError", "AccountStore", "install"]


def install(app) -> AccountStore:
    """Login check, /login and /logout on ``app.server``; returns the account store."""
    from accounts import web
    from analysis import settings as settings_mod

    return web.install(app.server, settings_mod.current)
