"""Callback requests per browser session are limited (429) when login is required."""

from __future__ import annotations

import re

import pytest

from accounts.audit import read_events
from accounts.store import AccountStore
from analysis import settings as settings_mod
from components import ids

PASSWORD = "a long test password"
LIMIT = 5


@pytest.fixture()
def limited(dash_app, dependencies, tmp_path):
    import app as app_module

    settings = settings_mod.Settings(
        cache_type="SimpleCache", auth="required", accounts_file=str(tmp_path / "a.json"),
        audit_log=str(tmp_path / "audit.log"), secret_key="rate-secret", rate_per_min=LIMIT)
    AccountStore(settings.accounts_file).add("rita", PASSWORD, "viewer")
    app_module.configure(settings)
    yield settings
    app_module.configure(settings_mod.Settings(cache_type="SimpleCache"))


def _session(dash_app):
    c = dash_app.server.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      c.get("/login").get_data(as_text=True)).group(1)
    assert c.post("/login", data={"username": "rita", "password": PASSWORD,
                                  "csrf_token": token}).status_code == 303
    return c


def _counts(client):
    body = {"output": f"{ids.GROUP_COUNTS}.children",
            "outputs": {"id": ids.GROUP_COUNTS, "property": "children"},
            "inputs": [{"id": ids.FILTER_STORE, "property": "data", "value": "age=50-70"}],
            "state": [], "changedPropIds": [f"{ids.FILTER_STORE}.data"]}
    return client.post("/_dash-update-component", json=body)


def test_a_session_over_its_rate_gets_429_and_another_does_not(dash_app, limited):
    first = _session(dash_app)
    codes = [_counts(first).status_code for _ in range(LIMIT + 2)]
    assert codes == [200] * LIMIT + [429, 429]
    r = _counts(first)
    assert "Too many requests" in r.get_json()["error"] and "Traceback" not in r.text
    assert _counts(_session(dash_app)).status_code == 200  # another browser session
    events = [e for e in read_events(limited.audit_log) if e["event"] == "rate_limited"]
    assert len(events) == 1 and events[0]["user"] == "rita"  # logged once per window
