"""Large cohorts: a page's analyses run as a background job, then come from the cache.

With ``background_rows`` below the cohort's size the overview callback answers at
once with "computing" placeholders and asks for a job (a side update of the job
request store); the job (the app's diskcache manager here, Celery under ``make
serve``) computes and keeps the outputs; the page then gets exactly what it computes
in the request when the cohort is small.
"""
# ruff: noqa: F811  (pytest fixtures imported from dash_callback_client are parameters)

from __future__ import annotations

import json
import time

import pandas as pd
import pytest
from dash_callback_client import (  # noqa: F401
    MEANS,
    PRESENT,
    STORE,
    WEIGHTS,
    caller,
    client,
    dash_app,
    dependencies,
    key,
)

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


def _poll(caller, output: str, values: dict, changed: list[str], timeout: float = 120):
    status, first, _ = caller.call(output, values, changed=changed)
    assert status == 200 and "job" in first
    dep = caller.find(output)
    body = {"output": dep["output"], "outputs": caller._outputs(dep, values),
            "inputs": [caller._item(i["id"], i["property"], values) for i in dep["inputs"]],
            "state": [caller._item(i["id"], i["property"], values) for i in dep["state"]],
            "changedPropIds": changed}
    url = f"/_dash-update-component?cacheKey={first['cacheKey']}&job={first['job']}"
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r = caller.client.post(url, json=body)
        data = json.loads(r.data) if r.data else {}
        if "response" in data:
            return data["response"]
        time.sleep(0.3)
    raise AssertionError("the page job did not finish")


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

    done = _poll(caller, "job-done.data", {key(ids.JOB_REQUEST, "data"): request},
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
