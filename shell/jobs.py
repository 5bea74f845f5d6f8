"""The session a background job runs for: a signed job ticket.

A background callback runs in another process (a Celery worker, or a diskcache
child) with no request and no session cookie, so it cannot read which user asked
and which study that session has open. The shell layout holds a *job ticket*
(:data:`components.ids.JOB_TICKET`, a ``dcc.Store``): the user, the role and the
study of the session that drew the page, signed with the server secret
(itsdangerous, timestamped, :data:`MAX_AGE_S`). Background callbacks take it as a
``State`` and run :func:`run_as` it; a forged, altered or stale ticket is refused,
and the study is checked again against what the user may see.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from analysis import settings as settings_mod
from analysis.errors import ExplorerError
from components import session

MAX_AGE_S = 12 * 3600
_SALT = "ivus-explorer job ticket"


class TicketError(ExplorerError):
    """A job ticket is missing, forged or too old; the message says what to do."""


@dataclass(frozen=True)
class Ticket:
    """Who a job runs for: user id, role and the study of their session."""

    user: str
    role: str
    fingerprint: str
    ip: str = "unknown"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings_mod.secret_bytes(), salt=_SALT)


def issue() -> str | None:
    """A ticket for this request's session (None when the dataset does not load)."""
    from flask import has_request_context

    from accounts.web import current_role

    if not has_request_context():  # Dash checking the layout at start-up
        return None
    try:
        fingerprint = session.current_fingerprint()
    except ExplorerError:
        return None
    role = current_role()
    from flask import request

    return _serializer().dumps({"u": session.user_id(), "r": role, "fp": fingerprint,
                                "ip": request.remote_addr or "unknown"})


def read(token: str | None) -> Ticket:
    """The ticket's contents (TicketError when it is not one this server signed).

    With login off (the one-user app) a missing ticket stands for the local user on the
    default dataset; with login required it is refused.
    """
    if token is None and not settings_mod.current().auth_required():
        return Ticket("local", "admin", session.default_fingerprint())
    if not isinstance(token, str) or not token:
        raise TicketError("This page is too old to start a job; reload it and try again.")
    try:
        data = _serializer().loads(token, max_age=MAX_AGE_S)
        return Ticket(str(data["u"]), str(data["r"]), str(data["fp"]),
                      str(data.get("ip", "unknown")))
    except (BadSignature, KeyError, TypeError):
        raise TicketError("This page is too old to start a job (or its session ended); "
                          "reload it and try again.") from None


_running: contextvars.ContextVar[Ticket | None] = contextvars.ContextVar(
    "ivus_job_ticket", default=None)


def _checked(ticket: Ticket) -> Ticket:
    """The ticket with the role its user has now; refused when the account is gone or
    the study is no longer visible to the user (an admin unshared it)."""
    from analysis.data import registry

    settings = settings_mod.current()
    if settings.auth_required():
        from accounts.store import AccountStore

        account = AccountStore(settings.accounts_file).get(ticket.user)
        if account is None:
            raise TicketError("This session's account no longer exists; log in again.")
        ticket = Ticket(ticket.user, account.role, ticket.fingerprint, ticket.ip)
    try:
        default = session.default_fingerprint()
    except ExplorerError:
        default = None
    if ticket.fingerprint != default and not registry.visible_to(ticket.fingerprint,
                                                                 ticket.user):
        raise TicketError("The study this page had open is no longer shared with you; "
                          "reload the page.")
    return ticket


def check_sender(token: object) -> str | None:
    """Why the request carrying ``token`` may not use it (None when it may): a ticket
    belongs to the browser session it was issued to, so another user's old tab (a
    shared browser after a logout) cannot start jobs as them."""
    if token is None:
        return None
    try:
        ticket = read(token if isinstance(token, str) else None)
    except TicketError as err:
        return str(err)
    if ticket.user != session.user_id():
        return "This page was opened by another user; reload it."
    return None


@contextlib.contextmanager
def run_as(token: str | None) -> Iterator[Ticket]:
    """Run the block for the ticket's user and study (see the module docstring): the
    user's current role, and only a study the user may still see."""
    ticket = _checked(read(token))
    mark = _running.set(ticket)
    try:
        with session.acting_as(ticket.user, ticket.fingerprint):
            yield ticket
    finally:
        _running.reset(mark)


def audit(event: str, **fields) -> None:
    """Append ``event`` to the audit log for the job's user (as the callback gate does
    for a request; only when login is required)."""
    from accounts import audit as audit_log

    ticket, settings = _running.get(), settings_mod.current()
    if ticket is None or not settings.auth_required():
        return
    audit_log.write_event(settings.audit_log, event, user=ticket.user, ip=ticket.ip, **fields)


def audited_by_job() -> None:
    """Tell the callback gate that this answer carries no download: a job logs it."""
    from flask import g, has_request_context

    if has_request_context():
        g.download_by_job = True


__all__ = ["MAX_AGE_S", "Ticket", "TicketError", "audit", "audited_by_job", "check_sender",
           "issue", "read", "run_as"]
