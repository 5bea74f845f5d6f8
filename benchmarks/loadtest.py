"""Load test: logged-in users browsing page callbacks with varied filter links.

Each simulated user logs in (GET /login for the form token, POST /login), then until
the time is up POSTs page callbacks to ``/_dash-update-component`` as the renderer
does on a page view: the request bodies are built from the server's own
``/_dash-dependencies`` with values a browser sends (a filter store from one of
``--links`` varied filter links, the page options of that link), then waits a
think time (``--think``, default 2-6 s, a reader looking at the figures) before the
next. A warm-up pass (one user, every view once) fills the shared cache first and
is reported on its own line (``--no-warmup`` measures from a cold cache). Printed: users, requests, requests/s,
p50/p95/p99 latency, errors (any answer but 200/204, or a failed connection), per
callback; then the bare computation of the same callbacks in this process (Flask
test client, no HTTP, one at a time, warm cache) and the ratio of the two.

``--spawn`` starts the server itself on the loopback (gunicorn with ``--workers``,
a Redis with a password, login required, a throw-away account) and stops both at
the end; otherwise ``--url`` names a running server (loopback only) and
``--user``/``--password`` an account on it. Bounded: at most ``--users`` threads
for ``--duration`` seconds (both capped), then it stops by itself.

Run: ``make loadtest`` (50 users, 60 s) or ``python -m benchmarks.loadtest --spawn
--users 5 --duration 5``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MAX_USERS = 200
MAX_DURATION_S = 600
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: The page callbacks a page view sends (by an output they name).
PAGE_CALLBACKS = {"overview": "ov-ls-means.figure", "baseline": "bl-table.children",
                  "progression": "pr-dose.figure", "comparison": "cmp-forest.figure",
                  "therapy": "th-curve-sbp_intensive.figure", "counts": "flt-group-counts.children"}


# ------------------------------------------------------------------ request bodies
def filter_links(n: int, rng: random.Random) -> list[str]:
    """``n`` valid, varied filter links (query strings), always including "all patients"."""
    from analysis.errors import FilterSpecError
    from analysis.selection.spec import FilterSpec

    links = {""}
    while len(links) < n:
        parts = []
        if rng.random() < 0.8:
            lo = rng.randrange(35, 61, 5)
            parts.append(f"age={lo}-{lo + rng.randrange(10, 35, 5)}")
        if rng.random() < 0.4:
            parts.append(f"sex={rng.choice(['male', 'female'])}")
        if rng.random() < 0.3:
            parts.append(f"ldl_cut={rng.randrange(60, 101, 10)}")
        if rng.random() < 0.3:
            parts.append(f"outcome={rng.choice(['delta_pav', 'delta_tav'])}")
        if rng.random() < 0.2:
            parts.append("means=raw")
        query = "&".join(parts)
        try:
            FilterSpec.from_query(_split(query)[0])
        except FilterSpecError:
            continue
        links.add(query)
    return sorted(links)


def _split(query: str):
    from components.url_state import split_query

    return split_query("?" + query if query else "")


def _value(ident, prop: str, spec_dict: dict, opts: dict):
    from components import ids
    from components.url_state import OPTION_DEFAULTS, decode_option

    if ident == ids.FILTER_STORE and prop == "data":
        return spec_dict
    if isinstance(ident, dict) and ident.get("type") == ids.PAGE_OPTION and prop == "value":
        key = ident.get("key")
        if key in OPTION_DEFAULTS:
            return decode_option(key, opts.get(key))
    return None


def page_bodies(dependencies: list[dict], query: str) -> dict[str, dict]:
    """The request body of each page callback for the filter link ``query``."""
    from analysis.selection.spec import FilterSpec

    filt, opts = _split(query)
    spec = FilterSpec.from_query(filt).to_dict()

    def item(dep_item):
        ident, prop = dep_item["id"], dep_item["property"]
        parsed = json.loads(ident) if ident.startswith("{") else ident
        return {"id": parsed, "property": prop, "value": _value(parsed, prop, spec, opts)}

    bodies = {}
    for name, output in PAGE_CALLBACKS.items():
        dep = next(d for d in dependencies if output in d["output"])
        out = dep["output"]
        parts = out[2:-2].split("...") if out.startswith("..") else [out]
        outs = []
        for p in parts:
            ident, prop = p.rsplit(".", 1)
            outs.append({"id": json.loads(ident) if ident.startswith("{") else ident,
                         "property": prop})
        bodies[name] = {"output": out, "outputs": outs if out.startswith("..") else outs[0],
                        "inputs": [item(i) for i in dep["inputs"]],
                        "state": [item(s) for s in dep.get("state", [])],
                        "changedPropIds": [f"{dep['inputs'][0]['id']}.data"]}
    return bodies


# ------------------------------------------------------------------ one user
@dataclass
class Tally:
    """Latencies (s) per callback, and errors, shared by all users."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies.setdefault(name, []).append(seconds)
            if error:
                self.errors.append(f"{name}: {error}")


class User:
    """One logged-in browser: a keep-alive connection and a session cookie."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.cookie = ""
        self.retries = 0

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str | None = None, decode: bool = False):
        """(status, body); the body is decompressed only when ``decode``."""
        headers = {"Accept-Encoding": "gzip, deflate, br", "Cookie": self.cookie}
        if content_type:
            headers["Content-Type"] = content_type
        for attempt in (1, 2):
            reused = self.conn.sock is not None
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                break
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                # a kept-alive connection the server closed meanwhile: a browser sends
                # the request again on a new one; counted in ``retries``, not an error
                if not (reused and attempt == 1):
                    raise
                self.retries += 1
        data = resp.read()
        encoding = resp.getheader("Content-Encoding")
        if decode and encoding == "br":
            import brotli

            data = brotli.decompress(data)
        elif decode and encoding == "gzip":
            data = gzip.decompress(data)
        for k, v in resp.getheaders():
            if k.lower() == "set-cookie" and v.startswith("ivus_session="):
                self.cookie = v.split(";", 1)[0]
        return resp.status, data

    def login(self, user: str, password: str) -> None:
        status, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        form = urllib.parse.urlencode({"username": user, "password": password,
                                       "csrf_token": token, "next": "/"}).encode()
        status, _ = self.request("POST", "/login", form, "application/x-www-form-urlencoded")
        if status != 303:
            raise RuntimeError(f"login of {user!r} answered {status}")


def browse(user: User, bodies: list[dict[str, bytes]], deadline: float, tally: Tally,
           rng: random.Random, think: tuple[float, float] = (2.0, 6.0)) -> None:
    """Page views until ``deadline``: each sends one page's callbacks, then a think time."""
    time.sleep(rng.uniform(0, think[1]))  # users do not all click at the same instant
    while time.monotonic() < deadline:
        view = rng.choice(bodies)
        for name in (rng.choice([n for n in view if n != "counts"]), "counts"):
            t0 = time.perf_counter()
            try:
                status, _data = user.request("POST", "/_dash-update-component", view[name],
                                             "application/json")
                error = None if status in (200, 204) else f"HTTP {status}"
            except (OSError, http.client.HTTPException) as err:
                error = type(err).__name__
            tally.add(name, time.perf_counter() - t0, error)
        time.sleep(rng.uniform(*think))


# ------------------------------------------------------------------ the server
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_up(port: int, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the server on port {port} did not come up in {timeout:.0f} s")


@contextlib.contextmanager
def spawned_server(workers: int):
    """gunicorn (login required, one throw-away account), a Celery worker for the
    background jobs and Redis with a password, as ``make serve`` runs them.

    Yields ``(port, user, password, web, redis)``; every process is stopped on exit.
    """
    from accounts.store import AccountStore

    folder = Path(tempfile.mkdtemp(prefix="ivus-loadtest-"))
    password, redis_pw = secrets.token_hex(12), secrets.token_hex(16)
    AccountStore(folder / "accounts.json").add("loadtest", password, "analyst")
    redis_port, port = _free_port(), _free_port()
    redis = subprocess.Popen(["redis-server", "-"], stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, text=True)
    redis.stdin.write(f"port {redis_port}\nbind 127.0.0.1\nrequirepass {redis_pw}\n"
                      "maxmemory 256mb\nmaxmemory-policy allkeys-lru\nsave \"\"\n"
                      "appendonly no\n")
    redis.stdin.close()
    env = {**os.environ, "EXPLORER_AUTH": "required", "EXPLORER_HOST": "127.0.0.1",
           "EXPLORER_PORT": str(port), "EXPLORER_WORKERS": str(workers),
           "EXPLORER_ACCOUNTS": str(folder / "accounts.json"),
           "EXPLORER_AUDIT_LOG": str(folder / "audit.log"),
           "EXPLORER_SECRET_KEY_FILE": str(folder / "secret_key"),
           "CACHE_TYPE": "RedisCache", "CACHE_DEFAULT_TIMEOUT": "3600",
           "CACHE_REDIS_URL": f"redis://:{redis_pw}@127.0.0.1:{redis_port}/0",
           "EXPLORER_JOBS": "celery"}
    log = open(folder / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "serving/gunicorn_conf.py",
                            "app:server"], cwd=ROOT, env=env, stdout=log, stderr=log)
    jobs = subprocess.Popen([sys.executable, "-m", "celery", "-A", "shell.worker", "worker",
                             "--loglevel=WARNING", "--concurrency=1", "--without-gossip",
                             "--without-mingle"], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        try:
            _wait_up(port)
        except RuntimeError:
            log.flush()
            print((folder / "gunicorn.log").read_text()[-3000:], file=sys.stderr)
            raise
        yield port, "loadtest", password, web, redis
    finally:
        for proc in (web, jobs, redis):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (web, jobs, redis):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------ run and report
def _pct(values, q) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q)) if values else float("nan")


def warm_up(user: User, views: list[dict[str, bytes]]) -> Tally:
    """One pass over every view by one user (fills the shared cache); its own tally."""
    tally = Tally()
    for view in views:
        for name, body in view.items():
            t0 = time.perf_counter()
            status, _ = user.request("POST", "/_dash-update-component", body, "application/json")
            tally.add(name, time.perf_counter() - t0,
                      None if status in (200, 204) else f"HTTP {status}")
    return tally


def run_load(host: str, port: int, user: str, password: str, users: int, duration: float,
             links: int, seed: int, think: tuple[float, float] = (2.0, 6.0),
             warm: bool = True) -> tuple[Tally, float, Tally | None]:
    """Log ``users`` users in, let them browse for ``duration`` s.

    Returns the tally, the wall time and the tally of the warm-up pass (or None).
    """
    rng = random.Random(seed)
    probe = User(host, port)
    probe.login(user, password)
    _status, raw = probe.request("GET", "/_dash-dependencies", decode=True)
    deps = json.loads(raw)
    views = [{k: json.dumps(v).encode() for k, v in page_bodies(deps, q).items()}
             for q in filter_links(links, rng)]
    cold = warm_up(probe, views) if warm else None
    clients = []
    for _ in range(users):
        u = User(host, port)
        u.login(user, password)
        clients.append(u)
    tally = Tally()
    t0 = time.monotonic()
    deadline = t0 + duration
    threads = [threading.Thread(target=browse, args=(u, views, deadline, tally,
                                                     random.Random(seed + i), think),
                                daemon=True)
               for i, u in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration + 60)
    tally.retries = sum(u.retries for u in clients)
    return tally, time.monotonic() - t0, cold


def bare_computation(links: int, seed: int, repeat: int = 3) -> dict[str, float]:
    """Median warm time (ms) of each page callback in this process, no HTTP, one at a time."""
    import logging

    logging.disable(logging.WARNING)
    import app as app_module
    from analysis import settings as settings_mod

    app_module.configure(settings_mod.Settings(cache_type="SimpleCache"))
    client = app_module.app.server.test_client()
    deps = json.loads(client.get("/_dash-dependencies").data)
    views = [page_bodies(deps, q) for q in filter_links(links, random.Random(seed))]
    times: dict[str, list[float]] = {}
    for view in views:
        for name, body in view.items():
            client.post("/_dash-update-component", json=body)  # fills the cache
            for _ in range(repeat):
                t0 = time.perf_counter()
                client.post("/_dash-update-component", json=body)
                times.setdefault(name, []).append(time.perf_counter() - t0)
    return {name: _pct(v, 50) for name, v in times.items()}


def report(tally: Tally, wall: float, users: int, bare: dict[str, float] | None,
           cold: Tally | None = None) -> str:
    """The printed summary (markdown)."""
    every = [x for v in tally.latencies.values() for x in v]
    lines = []
    if cold is not None:
        c = [x for v in cold.latencies.values() for x in v]
        lines.append(f"warm-up pass (one user, every view once, cold cache): {len(c)} requests, "
                     f"p50 {_pct(c, 50):.0f} ms, p95 {_pct(c, 95):.0f} ms, "
                     f"errors {len(cold.errors)}")
    lines += [f"users {users}, requests {len(every)}, {len(every) / wall:.1f} requests/s over "
             f"{wall:.0f} s, errors {len(tally.errors)}",
              f"resent on a new connection after an idle keep-alive was closed: {tally.retries}; "
              f"machine load average (1 min) at the end: {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} cores",
             f"all page callbacks: p50 {_pct(every, 50):.0f} ms, p95 {_pct(every, 95):.0f} ms, "
             f"p99 {_pct(every, 99):.0f} ms", "",
             "| callback | requests | p50 ms | p95 ms | p99 ms | bare p50 ms | p50 / bare |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, v in sorted(tally.latencies.items()):
        b = (bare or {}).get(name, float("nan"))
        lines.append(f"| {name} | {len(v)} | {_pct(v, 50):.0f} | {_pct(v, 95):.0f} | "
                     f"{_pct(v, 99):.0f} | {b:.1f} | {_pct(v, 50) / b:.1f} |")
    if tally.errors:
        lines += ["", "first errors: " + "; ".join(tally.errors[:5])]
    return "\n".join(lines)


def main(argv=None) -> int:
    """Command line; exit status 1 if any request failed."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--spawn", action="store_true", help="start (and stop) the server here")
    p.add_argument("--url", default="http://127.0.0.1:8050", help="a running server (loopback)")
    p.add_argument("--user", default=os.environ.get("LOADTEST_USER", ""))
    p.add_argument("--password", default=os.environ.get("LOADTEST_PASSWORD", ""))
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--duration", type=float, default=60.0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--links", type=int, default=20, help="distinct filter links browsed")
    p.add_argument("--think", default="2,6", help="think time between page views: MIN,MAX s")
    p.add_argument("--no-warmup", action="store_true", help="measure from a cold cache")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-bare", action="store_true", help="skip the in-process baseline")
    a = p.parse_args(argv)
    users, duration = min(max(a.users, 1), MAX_USERS), min(max(a.duration, 1), MAX_DURATION_S)
    lo, hi = (float(x) for x in a.think.split(","))
    opts = {"think": (lo, hi), "warm": not a.no_warmup}
    if a.spawn:
        with spawned_server(a.workers) as (port, user, password, _web, _redis):
            tally, wall, cold = run_load("127.0.0.1", port, user, password, users, duration,
                                         a.links, a.seed, **opts)
    else:
        url = urllib.parse.urlsplit(a.url)
        if url.hostname not in LOOPBACK:
            p.error("the load test only targets a server on the loopback address")
        tally, wall, cold = run_load(url.hostname, url.port or 80, a.user, a.password, users,
                                     duration, a.links, a.seed, **opts)
    bare = None if a.no_bare else bare_computation(min(a.links, 10), a.seed)
    print(report(tally, wall, users, bare, cold))
    return 1 if tally.errors or (cold and cold.errors) else 0


if __name__ == "__main__":
    sys.exit(main())
