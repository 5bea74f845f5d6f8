"""Which study this browser session has open, and who the user is.

The study is kept in the signed session cookie (``flask.session["study"]``, a
fingerprint), so every worker process sees the same choice; the registry loads the
study from its record when a worker lacks it. A study is used only when the user may
see it (:func:`analysis.data.registry.visible_to`); otherwise the session falls back
to the dataset in use for everyone (the bundled cohort or the command line's file).

The user is the logged-in account (``flask.session["user"]``) or, with login off, an
anonymous id kept in the cookie: two browsers then still have their own studies.

A background job has no request: it runs :func:`acting_as` the user and study of the
session that started it (carried by a signed job ticket, :mod:`shell.jobs`).
"""

from __future__ import annotations

import contextlib
import contextvars
import secrets
from collections.abc import Iterator

from flask import has_request_context, session

from analysis.data import registry
from analysis.errors import ExplorerError

DEFAULT = "default"
#: (user id, study fingerprint) of the session a background job runs for.
_acting: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "ivus_job_session", default=None)


@contextlib.contextmanager
def acting_as(user: str, fingerprint: str) -> Iterator[None]:
    """Run the block as ``user`` with ``fingerprint`` open (a background job)."""
    token = _acting.set((str(user), str(fingerprint)))
    try:
        yield
    finally:
        _acting.reset(token)


def user_id() -> str:
    """The logged-in user, or this browser's anonymous id (created on first use)."""
    acting = _acting.get()
    if acting is not None:
        return acting[0]
    if not has_request_context():
        return "local"
    user = session.get("user")
    if user:
        return str(user)
    anon = session.get("anon")
    if not anon:
        anon = session["anon"] = secrets.token_hex(8)
    return f"anon:{anon}"


def default_fingerprint() -> str:
    """The dataset in use for everyone (raises DataLoadError when it does not load)."""
    return registry.active().provenance.fingerprint


def current_fingerprint() -> str:
    """The study this session has open, or the default dataset."""
    acting = _acting.get()
    if acting is not None:
        user, chosen = acting
        if registry.visible_to(chosen, user) or chosen == default_fingerprint():
            registry.ensure(chosen)
            return chosen
        return default_fingerprint()
    chosen = session.get("study") if has_request_context() else None
    if chosen:
        try:
            if registry.visible_to(chosen, user_id()):
                registry.ensure(chosen)
                return str(chosen)
        except ExplorerError:
            pass
        session.pop("study", None)  # gone or no longer visible: back to the default
    return default_fingerprint()


def switch_to(fingerprint: str) -> bool:
    """Open ``fingerprint`` for this session (``"default"``: the default dataset).

    Returns False, and changes nothing, when the user may not see it or it cannot be
    loaded.
    """
    if fingerprint == DEFAULT:
        session.pop("study", None)
        return True
    try:
        if not registry.visible_to(fingerprint, user_id()):
            return False
        registry.ensure(fingerprint)
    except ExplorerError:
        return False
    if fingerprint == default_fingerprint():
        session.pop("study", None)
    else:
        session["study"] = fingerprint
    return True
