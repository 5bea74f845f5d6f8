"""One background callback through a real Celery worker on the test Redis.

The manager is the one :func:`shell.background.make_manager` builds for
``EXPLORER_JOBS=celery`` (JSON only, its own Redis database); the worker is Celery's
embedded worker (solo pool, in a thread of this process) consuming that Redis. The
callback is driven over HTTP as dash-renderer does: the first request answers at
once with a job, then polls bring the progress and the result.

Needs ``REDIS_TEST_URL`` (``make test`` starts a redis-server on port 6399): skipped
without it outside CI, failed in CI.
"""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from analysis.settings import Settings

REDIS_URL = os.environ.get("REDIS_TEST_URL", "")
if not REDIS_URL and not os.environ.get("CI"):
    pytest.skip("REDIS_TEST_URL not set: make test starts a redis-server on port 6399 for "
                "this test", allow_module_level=True)


@pytest.fixture()
def celery_dash():
    """A small Dash app on the project's CeleryManager, and a worker consuming its queue."""
    import dash
    from celery.contrib.testing.worker import start_worker
    from dash import Dash, Input, Output, _callback, html

    from shell.background import make_manager

    assert REDIS_URL, "CI must run this test: REDIS_TEST_URL is not set (see the Makefile)"
    # a second Dash app takes over every callback registered with dash.callback at its
    # first request: keep the explorer's (and the current app) away from it, and restore
    previous_app = dash._get_app.APP  # noqa: SLF001
    saved = (list(_callback.GLOBAL_CALLBACK_LIST), dict(_callback.GLOBAL_CALLBACK_MAP),
             list(_callback.GLOBAL_INLINE_SCRIPTS))
    _callback.GLOBAL_CALLBACK_LIST.clear()
    _callback.GLOBAL_CALLBACK_MAP.clear()
    _callback.GLOBAL_INLINE_SCRIPTS.clear()
    settings = Settings(jobs="celery", cache_redis_url=REDIS_URL)
    manager = make_manager(settings)
    app = Dash(__name__, background_callback_manager=manager)
    app.layout = html.Div([html.Button(id="go"), html.Div(id="out"), html.Progress(id="bar")])

    @app.callback(Output("out", "children"), Input("go", "n_clicks"), background=True,
                  progress=[Output("bar", "value")], prevent_initial_call=True)
    def job(set_progress, clicks):
        set_progress(50)
        time.sleep(1.0)  # long enough for a poll to see the progress
        return f"done {clicks} in {threading.current_thread().name}"

    try:
        with start_worker(manager.handle, pool="solo", perform_ping_check=False,
                          loglevel="WARNING", shutdown_timeout=10):
            yield app, manager, settings
    finally:
        dash._get_app.APP = previous_app  # noqa: SLF001
        _callback.GLOBAL_CALLBACK_LIST[:] = saved[0]
        _callback.GLOBAL_CALLBACK_MAP.clear()
        _callback.GLOBAL_CALLBACK_MAP.update(saved[1])
        _callback.GLOBAL_INLINE_SCRIPTS[:] = saved[2]


def test_a_background_callback_runs_in_the_celery_worker(celery_dash):
    import redis

    app, manager, settings = celery_dash
    client = app.server.test_client()
    body = {"output": "out.children", "outputs": {"id": "out", "property": "children"},
            "inputs": [{"id": "go", "property": "n_clicks", "value": 3}], "state": [],
            "changedPropIds": ["go.n_clicks"]}
    first = client.post("/_dash-update-component", json=body)
    assert first.status_code == 200  # answered at once with a job handle, not the result
    handles = first.get_json()
    assert set(handles) >= {"cacheKey", "job"}
    url = f"/_dash-update-component?cacheKey={handles['cacheKey']}&job={handles['job']}"
    progress, result = [], None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and result is None:
        r = client.post(url, json=body)
        data = json.loads(r.data) if r.data else {}
        progress += list(data.get("progress", {}).values())
        result = data.get("response", {}).get("out", {}).get("children")
        time.sleep(0.1)
    assert result is not None, "the Celery worker did not finish the job in 30 s"
    assert result.startswith("done 3 in ")
    assert result != f"done 3 in {threading.current_thread().name}"  # not the request's thread
    assert 50 in progress
    # the jobs live in a database of their own on the cache's Redis (db 1 here)
    assert settings.celery_url().endswith("/1")
    db = redis.Redis.from_url(settings.celery_url())
    assert db.exists(manager.SIGNING_SECRET_KEY)
