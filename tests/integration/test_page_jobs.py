"""Large cohorts: a page's analyses run as a background job, then come from the cache.

With ``background_rows`` below the cohort's size the overview callback answers at
once with "computing" placeholders and asks for a job (a side update of the job
request store); the job (the app's diskcache manager here, Celery under ``make
serve``) computes and keeps the outputs; the page then gets exactly what it computes
in the request when the cohort is small.
"""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile

import pandas as pd
import pytest
from dash_callback_client import (
    MEANS,
    PRESENT,
    STORE,
    WEIGHTS,
    CallbackCaller,
    key,
)

from accounts.audit import read_events
from accounts.store import AccountStore
from analysis import settings as settings_mod
from analysis.settings import BUNDLED_COHORT
from components import ids

VALUES = {STORE: "age=45-75", PRESENT: False, MEANS: "adjusted", WEIGHTS: "proportional"}


@pytest.fixture()
def shared_cache(dash_app, tmp_path):
    """A FileSystemCache the background job's process shares; the app's settings restored."""
    import app as app_module

    def use(name: str, **changes):
        app_module.configure(settings_mod.Settings(
            cache_type="FileSystemCache", cache_dir=str(tmp_path / name), **changes))

    yield use
    app_module.configure(settings_mod.Settings(cache_type="SimpleCache"))


def test_a_large_cohort_page_is_computed_by_a_job(caller, shared_cache):
    shared_cache("small")  # small-cohort behaviour: computed in the request
    status, direct, _ = caller.call("ov-ls-means.figure", VALUES)
    assert status == 200 and "sideUpdate" not in direct
    expected = direct["response"]["ov-ls-means"]["figure"]

    shared_cache("large", background_rows=100)  # the bundled cohort counts as large
    status, first, _ = caller.call("ov-ls-means.figure", VALUES)
    assert status == 200
    request = first["sideUpdate"][ids.JOB_REQUEST]["data"]
    # reference: the bundled file's row count, read by pandas
    assert request["page"] == "overview" and request["rows"] == len(pd.read_csv(BUNDLED_COHORT))
    waiting = first["response"]["ov-ls-means"]["figure"]
    assert waiting["data"] == [] and "Computing" in json.dumps(waiting["layout"])
    assert "in the background" in json.dumps(first["response"])  # the page says what happens

    done = caller.call_job("job-done.data", {key(ids.JOB_REQUEST, "data"): request},
                 [f"{ids.JOB_REQUEST}.data"])
    assert done["job-done"]["data"] == {"store": VALUES[STORE]}

    status, again, _ = caller.call("ov-ls-means.figure", VALUES)
    assert status == 200 and "sideUpdate" not in again  # from the cache: no new job
    assert again["response"]["ov-ls-means"]["figure"] == expected


def test_the_redraw_waits_for_the_same_filters(caller):
    done = {"store": "age=45-75"}
    status, same, _ = caller.call(f"{ids.FILTER_STORE}.data@", {
        key("job-done", "data"): done, STORE: "age=45-75"}, changed=["job-done.data"])
    assert status == 200 and same["response"][ids.FILTER_STORE]["data"] == "age=45-75"
    status, _moved, _ = caller.call(f"{ids.FILTER_STORE}.data@", {
        key("job-done", "data"): done, STORE: "age=50-60"}, changed=["job-done.data"])
    assert status == 204  # the user moved on: the store is left alone


@pytest.fixture()
def secured_jobs(dash_app, dependencies, tmp_path, monkeypatch):
    """Login required (one analyst), a FileSystemCache the job shares, a small
    direct-download limit (the bundled cohort's selections count as large)."""
    import app as app_module
    import pages.data as data_page

    settings = settings_mod.Settings(
        cache_type="FileSystemCache", cache_dir=str(tmp_path / "cache"), auth="required",
        accounts_file=str(tmp_path / "accounts.json"), audit_log=str(tmp_path / "audit.log"),
        secret_key="jobs-secret")
    AccountStore(settings.accounts_file).add("anna", "a long test password", "analyst")
    monkeypatch.setattr(data_page, "DIRECT_ROWS", 100)
    app_module.configure(settings)
    yield settings
    app_module.configure(settings_mod.Settings(cache_type="SimpleCache"))


@pytest.mark.parametrize("disclosure", [{}, {"suppress_k": 7, "round_base": 5}])
def test_a_large_download_is_written_by_a_job_and_audited_once(dash_app, dependencies,
                                                               secured_jobs, disclosure):
    # with disclosure control on, the rows and the audit still count exactly (872, not
    # the 870 shown on screen): the patient rows themselves are not redacted
    if disclosure:
        import dataclasses

        import app as app_module

        app_module.configure(dataclasses.replace(secured_jobs, **disclosure))
    c = dash_app.server.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      c.get("/login").get_data(as_text=True)).group(1)
    c.post("/login", data={"username": "anna", "password": "a long test password",
                           "csrf_token": token})
    layout = json.dumps(c.get("/_dash-layout").get_json())
    ticket = re.search(r'"id": "job-ticket"[^}]*?"data": "([^"]+)"|"data": "([^"]+)", "id": '
                       r'"job-ticket"', layout)
    ticket = next(g for g in ticket.groups() if g)
    caller = CallbackCaller(c, dependencies)
    status, first, _ = caller.call("data-download.data", {
        key("data-csv", "n_clicks"): 1, STORE: "age=50-70"}, changed=["data-csv.n_clicks"])
    assert status == 200 and "data-download" not in first.get("response", {})  # no file yet
    request = first["sideUpdate"]["data-dl-request"]["data"]
    assert request["format"] == "csv" and request["store"] == "age=50-70"
    assert [e for e in read_events(secured_jobs.audit_log) if e["event"] == "download"] == []

    done = caller.call_job("data-dl-status.children", {
        key("data-dl-request", "data"): request, key(ids.JOB_TICKET, "data"): ticket},
        ["data-dl-request.data"])
    sent = done["data-download"]["data"]
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(sent["content"]))) as zf:
        frame = pd.read_csv(zf.open("data.csv"))
    # reference: the bundled file read by pandas, ages 50-70, in the two compared groups
    raw = pd.read_csv(BUNDLED_COHORT)
    expected = raw[raw["age"].between(50, 70) & raw["calcification"].isin(["none", "spotty"])]
    assert len(frame) == len(expected) and request["rows"] == len(expected)
    events = [e for e in read_events(secured_jobs.audit_log) if e["event"] == "download"]
    assert len(events) == 1  # by the job, once; not by the answers that carried no file
    assert events[0]["user"] == "anna" and events[0]["rows"] == len(expected)
