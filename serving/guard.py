"""The callback endpoint's gate: body shape (400), rate (429), role (403), audit of downloads.

Runs before Dash sees a ``POST /_dash-update-component``: the JSON is parsed and
checked against the app's callback list (:mod:`serving.payload`), then the outputs
the callback would send are checked against the user's role (:mod:`accounts.roles`).
After a download answers 200 the audit log gets who, which view, the filter query
and the number of patients (a download written by a background job is logged by the
job, :func:`shell.jobs.audit`, once, when the file is made); the first callback of a session on a study (the one it
opened, ``session["study"]``, else the one in use) logs a ``study_load``. The audit log is kept when login is required (the team
server); the one-user app on the loopback address keeps none.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from flask import Flask, Response, g, request, session

from accounts import audit
from accounts.roles import refusal_message, refused_outputs
from accounts.web import current_user
from analysis import settings as settings_mod
from components.ids import DOWNLOAD_OUTPUTS, FILTER_STORE
from serving.errors import error_response
from serving.payload import PayloadError, callback_specs, validate

log = logging.getLogger("ivus_explorer.guard")
CALLBACK_PATH = "/_dash-update-component"


def _filter_query(body: dict) -> str:
    """The filter query of a callback body (from the filter store), or "".

    The store holds a filter spec (a dict) or its canonical query (a string).
    """
    from analysis.selection.spec import FilterSpec

    for item in body.get("state", []) + body.get("inputs", []):
        if isinstance(item, dict) and item.get("id") == FILTER_STORE:
            data = item.get("value")
            try:
                return FilterSpec.from_query(data).to_query() if isinstance(data, str) else ""
            except Exception:  # noqa: BLE001 - an invalid spec is answered by the callback
                return "(invalid)"
    return ""


def _study_fingerprint() -> str | None:
    """The study this session has open (components.session), else the one in use."""
    from components import session as study_session

    try:
        return study_session.current_fingerprint()
    except Exception:  # noqa: BLE001 - no study: nothing to audit
        return None


def _selection_size(query: str) -> int | None:
    from analysis.service import api

    fp = _study_fingerprint()
    try:
        # the exact count (the audit log is the server's): api.selection's n is the one
        # disclosure control shows, rounded or suppressed
        return len(api.filtered_frame(fp, query)) if fp else None
    except Exception:  # noqa: BLE001 - the count is informative, never blocking
        return None


def install(server: Flask, callback_list: Callable[[], list],
            settings: Callable[[], settings_mod.Settings]) -> None:
    """Register the gate on ``server``; ``callback_list()`` is Dash's dependency list."""
    specs: dict = {}
    background: set[str] = set()  # background callbacks: their jobs log their downloads

    def record(event: str, **fields) -> None:
        if not settings().auth_required():  # the one-user app keeps no audit log
            return
        account = current_user()
        audit.write_event(settings().audit_log, event,
                          user=account.name if account else None,
                          ip=request.remote_addr or "unknown", **fields)

    @server.before_request
    def _gate_callbacks():
        if request.path != CALLBACK_PATH or request.method != "POST":
            return None
        try:
            body = json.loads(request.get_data(cache=True) or b"null")
        except (ValueError, UnicodeDecodeError):
            return error_response(400, "The request body is not valid JSON.")
        if not specs:
            specs.update(callback_specs(callback_list()))
            background.update(d["output"] for d in callback_list() if d.get("background"))
        try:
            outputs = validate(body, specs)
        except PayloadError as err:
            return error_response(400, f"The request does not fit the app: {err}.")
        keys = [slot.key for slot in outputs]
        account = current_user()
        if _over_rate(account, settings(), record):
            return error_response(429, RATE_MESSAGE)
        if account is not None:
            refused = refused_outputs(account.has_role, keys)
            if refused:
                record("refused", role=account.role, view=",".join(refused))
                return error_response(403, refusal_message(account.role, refused))
        problem = _ticket_problem(body)
        if problem is not None:
            record("refused", view="job ticket of another session")
            return error_response(403, problem)
        g.callback_body, g.callback_keys = body, keys
        g.callback_background = body.get("output") in background
        return None

    @server.after_request
    def _audit(response: Response) -> Response:
        keys = g.get("callback_keys")
        if keys and response.status_code == 200:
            by_job = g.get("callback_background") or g.get("download_by_job")
            for key in keys:
                if key in DOWNLOAD_OUTPUTS and not by_job:
                    query = _filter_query(g.callback_body)
                    record("download", view=key, kind=DOWNLOAD_OUTPUTS[key], query=query,
                           rows=_selection_size(query))
            if settings().auth_required():
                _audit_study_load(record)
        return response


def _ticket_problem(body: dict) -> str | None:
    """Why the job ticket this callback carries may not be used by this session."""
    from components import ids
    from shell import jobs

    for item in (body.get("state") or []) + (body.get("inputs") or []):
        if isinstance(item, dict) and item.get("id") == ids.JOB_TICKET:
            return jobs.check_sender(item.get("value"))
    return None


RATE_MESSAGE = ("Too many requests from this browser session in the last minute; wait a "
                "moment and try again.")


def _over_rate(account, cur: settings_mod.Settings, record) -> bool:
    """Whether this browser session has used up ``rate_per_min`` callbacks this minute.

    Counted per user and browser session whenever login is required: in Redis under
    ``make serve`` (every worker counts together), in the process when the cache is not
    Redis (:mod:`accounts.counters`). The one-user app on the loopback address (login
    off) is not limited.
    """
    from accounts import counters

    limit = cur.rate_per_min
    if not limit or not cur.auth_required():
        return False
    who = account.name if account is not None else "anonymous"
    sid = session.get("sid") or session.get("anon") or (request.remote_addr or "")
    n = counters.counter(cur).hit(f"rate:{who}:{sid}", 60)
    if n == limit + 1:  # once per window in the audit log
        record("rate_limited", limit=limit)
    return n > limit


def _audit_study_load(record) -> None:
    """Log a ``study_load`` the first time this session works on a study."""
    from analysis.data import registry

    fp = _study_fingerprint()
    if fp is None or session.get("audited_study") == fp:
        return
    session["audited_study"] = fp
    try:
        prov = registry.get(fp).provenance
        record("study_load", fingerprint=fp, source=prov.source, rows=prov.rows)
    except Exception:  # noqa: BLE001 - auditing must not break a response
        log.warning("could not audit the study %s", fp[:12])
