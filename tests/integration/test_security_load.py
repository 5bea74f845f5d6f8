"""Under load: Redis stopping mid-way causes no errors; a short smoke run of the load test.

Both start their own redis-server (on a free port, with a password) so the shared
test Redis of ``make test`` is never stopped.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import threading
import time

import pytest

from analysis import settings as settings_mod
from analysis.service import cache as analysis_cache
from benchmarks import loadtest

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None,
                                reason="redis-server missing (make test installs it)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def redis_url():
    """A private redis-server with a password; yields (url, process)."""
    port, password = _free_port(), "fault-test-password"
    proc = subprocess.Popen(["redis-server", "-"], stdin=subprocess.PIPE, text=True,
                            stdout=subprocess.DEVNULL)
    proc.stdin.write(f"port {port}\nbind 127.0.0.1\nrequirepass {password}\nsave \"\"\n")
    proc.stdin.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield f"redis://:{password}@127.0.0.1:{port}/0", proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


def test_redis_stopping_under_load_causes_no_errors(dash_app, dependencies, redis_url):
    import app as app_module

    url, proc = redis_url
    app_module.configure(settings_mod.Settings(cache_type="RedisCache", cache_redis_url=url))
    try:
        backend = analysis_cache.get_cache()
        assert backend.set("probe", (1,)) and backend.get("probe") == (1,)  # Redis is used
        views = [loadtest.page_bodies(dependencies, q)
                 for q in loadtest.filter_links(6, random.Random(3))]
        statuses: list[int] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + 6.0

        def user(seed: int) -> None:
            rng = random.Random(seed)
            c = dash_app.server.test_client()
            while time.monotonic() < stop_at:
                view = rng.choice(views)
                r = c.post("/_dash-update-component", json=view[rng.choice(list(view))])
                with lock:
                    statuses.append(r.status_code)

        threads = [threading.Thread(target=user, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        time.sleep(2.0)
        before = len(statuses)
        proc.terminate()  # Redis goes away in the middle of the load
        proc.wait(timeout=10)
        for t in threads:
            t.join(timeout=120)
    finally:
        app_module.configure(settings_mod.Settings(cache_type="SimpleCache"))
    assert before > 0 and len(statuses) > before  # requests both before and after the stop
    assert sorted(set(statuses)) in ([200], [200, 204], [204])


@pytest.mark.slow
def test_load_test_smoke_run(capsys):
    """``make loadtest`` in miniature: spawn server + Redis, 3 users for 3 s, no errors."""
    status = loadtest.main(["--spawn", "--users", "3", "--duration", "3", "--links", "1",
                            "--think", "0.2,0.5", "--no-bare", "--workers", "2"])
    out = capsys.readouterr().out
    assert status == 0, out
    line = next(x for x in out.splitlines() if x.startswith("users 3,"))
    assert line.endswith("errors 0")
    assert int(line.split("requests ")[1].split(",")[0]) > 0
