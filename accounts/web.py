"""Login, logout and the login-required check, on the Flask server under Dash.

``/login`` is a plain HTML form (styled by the local ``assets/bootstrap.min.css``)
posting ``username``, ``password`` and a per-session CSRF token; ``/logout`` ends
the session. When login is required (``Settings.auth_required()``) every other
path except :data:`PUBLIC_PATHS` needs a session: a page request is redirected to
``/login``, anything else (callbacks, bundles) answers 401. When login is off (the
one-user loopback app) the visitor is the local user with every right.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from flask import Flask, g, redirect, request, session
from markupsafe import escape

from accounts import audit, counters
from accounts.ratelimit import LoginLimiter, SharedLoginLimiter
from accounts.store import Account, AccountError, AccountStore
from analysis import settings as settings_mod
from serving.errors import error_response

log = logging.getLogger("ivus_explorer.accounts")

#: Reachable without a session (the login page needs its stylesheet and icon).
PUBLIC_PATHS = frozenset({"/login", "/health", "/assets/bootstrap.min.css",
                          "/assets/favicon.ico", "/_favicon.ico"})
#: The user of the one-user app on the loopback address (login off).
LOCAL_USER = Account(name="local", role="admin", password_hash="")
SESSION_HOURS = 12

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · IVUS study explorer</title>
<link rel="stylesheet" href="/assets/bootstrap.min.css"></head>
<body class="bg-light"><main class="container py-5" style="max-width: 26rem">
<h1 class="h3 mb-3">IVUS study explorer</h1>
{message}
<form method="post" action="/login" class="card card-body">
<input type="hidden" name="csrf_token" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<label class="form-label" for="username">User name</label>
<input class="form-control mb-3" id="username" name="username" autocomplete="username"
 required autofocus value="{username}">
<label class="form-label" for="password">Password</label>
<input class="form-control mb-3" id="password" name="password" type="password"
 autocomplete="current-password" required>
<button class="btn btn-primary" type="submit">Log in</button>
</form></main></body></html>
"""


def _safe_next(target: str | None) -> str:
    """A local path to go to after login (never another site)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return token


def login_page(message: str = "", username: str = "", status: int = 200,
               next_path: str = "/"):
    """The login form (with an optional alert)."""
    alert = (f'<div class="alert alert-danger" role="alert">{escape(message)}</div>'
             if message else "")
    html = _PAGE.format(message=alert, csrf=escape(_csrf_token()), next=escape(next_path),
                        username=escape(username))
    return html, status, {"Content-Type": "text/html; charset=utf-8"}


def current_user() -> Account | None:
    """The user of this request (set by the login check), or None."""
    return g.get("account")


def current_role() -> str:
    """The role of this request's user: the account's; with login off (the one-user
    app, no accounts) "admin", as a job ticket's missing user; "viewer" when login is
    required and nobody is logged in."""
    account = current_user()
    if account is not None:
        return account.role
    return "viewer" if settings_mod.current().auth_required() else "admin"


def install(server: Flask, settings: Callable[[], settings_mod.Settings]) -> AccountStore:
    """Session settings, /login, /logout and the login-required check on ``server``."""
    s = settings()
    server.secret_key = settings_mod.secret_bytes(s)
    server.config.update(SESSION_COOKIE_NAME="ivus_session", SESSION_COOKIE_HTTPONLY=True,
                         SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=s.https,
                         PERMANENT_SESSION_LIFETIME=SESSION_HOURS * 3600,
                         SESSION_REFRESH_EACH_REQUEST=False)  # no Set-Cookie per callback
    stores: dict[str, AccountStore] = {}
    limiters: dict[tuple, LoginLimiter | SharedLoginLimiter] = {}

    def store() -> AccountStore:
        path = settings().accounts_file
        if path not in stores:
            stores[path] = AccountStore(path)
        return stores[path]

    def limiter() -> LoginLimiter | SharedLoginLimiter:
        """Per worker for make run; shared by every worker when the cache is Redis."""
        cur = settings()
        shared = cur.cache_type == "RedisCache"
        key = (cur.login_attempts, cur.login_window_s, shared, cur.cache_redis_url)
        if key not in limiters:
            limiters[key] = (SharedLoginLimiter(counters.counter(cur), *key[:2]) if shared
                             else LoginLimiter(*key[:2]))
        return limiters[key]

    def record(event: str, **fields) -> None:  # only called when login is required
        audit.write_event(settings().audit_log, event, ip=_client_address(), **fields)

    @server.before_request
    def _require_login():
        cur = settings()
        if not cur.auth_required():
            g.account = LOCAL_USER
            return None
        try:
            accounts = store().accounts()
        except AccountError as err:
            log.error("%s", err)
            return error_response(503, "The account file cannot be read; the administrator "
                                       "has been told in the server log.")
        if not accounts:
            log.error("login is required but no account exists; add one with "
                      "python -m accounts add NAME --role analyst")
            return error_response(503, "No account is configured yet. The administrator "
                                       "adds one with: python -m accounts add NAME --role "
                                       "analyst")
        name = session.get("user")
        account = accounts.get(name) if isinstance(name, str) else None
        if account is not None and session.get("hash") == account.password_hash[-16:]:
            g.account = account
            return None
        if request.path in PUBLIC_PATHS:
            return None
        if request.method == "GET" and not request.path.startswith("/_"):
            return redirect("/login?next=" + request.full_path.rstrip("?"), code=302)
        return error_response(401, "Please log in first.")

    @server.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "GET":
            return login_page(next_path=_safe_next(request.args.get("next")))
        form = request.form
        name, password = form.get("username", ""), form.get("password", "")
        next_path = _safe_next(form.get("next"))
        if not secrets.compare_digest(str(form.get("csrf_token", "")), _csrf_token()):
            return login_page("The form expired; please log in again.", name, 400, next_path)
        address = _client_address()
        if limiter().blocked(name, address):
            record("login_blocked", user=name[:64])
            return login_page("Too many failed attempts. Wait a few minutes and try again.",
                              name, 429, next_path)
        account = store().verify(name, password)
        if account is None:
            limiter().failed(name, address)
            record("login_failed", user=name[:64])
            return login_page("Wrong user name or password.", name, 401, next_path)
        limiter().succeeded(name, address)
        session.clear()
        session.permanent = True
        session["user"] = account.name
        session["hash"] = account.password_hash[-16:]  # a new password ends old sessions
        session["csrf"] = secrets.token_urlsafe(24)
        session["sid"] = secrets.token_hex(8)  # this browser session (request rate limit)
        record("login", user=account.name, role=account.role)
        return redirect(next_path, code=303)

    @server.route("/logout", methods=["GET", "POST"])
    def logout():
        user = session.get("user")
        if user:
            record("logout", user=user)
        session.clear()
        return redirect("/login", code=303)

    return store()
