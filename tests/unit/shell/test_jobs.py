"""Job tickets: who a background job runs for, signed by the server."""

from __future__ import annotations

import pytest

from analysis.data import registry
from components import session
from shell import jobs


def test_a_ticket_carries_the_user_role_and_study(request_as):
    ctx = request_as("ana", "analyst")
    token = jobs.issue()
    ctx.pop()
    ticket = jobs.read(token)
    assert (ticket.user, ticket.role, ticket.ip) == ("ana", "analyst", "10.0.0.9")
    assert ticket.fingerprint == registry.active().provenance.fingerprint


def test_an_altered_or_foreign_ticket_is_refused(request_as, use_settings):
    request_as("ben", "viewer")
    token = jobs.issue()
    payload, _dot, rest = token.partition(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + rest
    with pytest.raises(jobs.TicketError, match="reload it"):
        jobs.read(forged)
    use_settings(auth="required", secret_key="another-server")  # signed by another secret
    with pytest.raises(jobs.TicketError):
        jobs.read(token)


def test_a_stale_or_missing_ticket_is_refused_when_login_is_required(request_as, use_settings,
                                                                    monkeypatch):
    request_as("ana", "analyst")
    token = jobs.issue()
    monkeypatch.setattr(jobs, "MAX_AGE_S", -1)  # any age is too old
    with pytest.raises(jobs.TicketError):
        jobs.read(token)
    use_settings(auth="required")
    with pytest.raises(jobs.TicketError):
        jobs.read(None)


def test_without_login_a_missing_ticket_is_the_local_user_on_the_default(use_settings):
    ticket = jobs.read(None)
    assert (ticket.user, ticket.role) == ("local", "admin")
    assert ticket.fingerprint == registry.active().provenance.fingerprint


def test_a_job_never_opens_a_study_its_user_may_not_see(use_settings):
    default = registry.active().provenance.fingerprint
    other = "0" * 64  # no record: nobody's study
    with session.acting_as("ben", other):
        assert session.current_fingerprint() == default
        assert session.user_id() == "ben"
    with session.acting_as("ben", default):
        assert session.current_fingerprint() == default


def test_a_job_download_is_audited_for_the_ticket_user(request_as, use_settings, tmp_path):
    from accounts.audit import read_events
    from accounts.store import AccountStore

    AccountStore(tmp_path / "accounts.json").add("ana", "a long enough password", "analyst")
    request_as("ana", "analyst")
    token = jobs.issue()
    use_settings(auth="required", audit_log=str(tmp_path / "audit.log"),
                 accounts_file=str(tmp_path / "accounts.json"))
    with jobs.run_as(token):
        jobs.audit("download", view="data-download.data", rows=12)
    jobs.audit("download", view="outside a job")  # no ticket: nothing written
    events = read_events(str(tmp_path / "audit.log"))
    assert [(e["user"], e["ip"], e["view"], e["rows"]) for e in events] == [
        ("ana", "10.0.0.9", "data-download.data", 12)]


def test_a_ticket_is_refused_to_another_browser_session(request_as):
    # ana's old tab in a browser where ben has since logged in: ben's requests may not
    # start jobs as ana (the callback gate asks check_sender)
    ctx = request_as("ana", "analyst")
    token = jobs.issue()
    assert jobs.check_sender(token) is None
    ctx.pop()
    request_as("ben", "analyst")
    assert "another user" in jobs.check_sender(token)
    assert jobs.check_sender("forged.token") is not None


def test_a_job_runs_with_the_role_the_account_has_now(request_as, use_settings, tmp_path):
    from accounts.store import AccountStore

    accounts = tmp_path / "accounts.json"
    store = AccountStore(accounts)
    store.add("ana", "a long enough password", "analyst")
    use_settings(auth="required", accounts_file=str(accounts))
    request_as("ana", "analyst")
    token = jobs.issue()
    store.add("ana", "a long enough password", "viewer", replace=True)  # demoted
    with jobs.run_as(token) as who:
        assert who.role == "viewer"
    AccountStore(accounts).remove("ana")
    with pytest.raises(jobs.TicketError, match="no longer exists"):
        with jobs.run_as(token):
            pass


def test_the_one_user_apps_ticket_is_admin_and_a_login_without_user_a_viewer(
        request_as, use_settings):
    # login off (the one-user app): no account, and the user may do everything, as a
    # missing ticket already said; the kit's rows follow (data.csv for analysts and up)
    from flask import g

    from accounts.roles import ADMIN_ROLE

    ctx = request_as("local", "viewer")
    del g.account
    use_settings(auth="off")
    ticket = jobs.read(jobs.issue())
    assert ticket.role == ADMIN_ROLE == jobs.read(None).role
    use_settings(auth="required")  # and nobody logged in: the least role
    assert jobs.read(jobs.issue()).role == "viewer"
    ctx.pop()
