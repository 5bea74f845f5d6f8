"""Cost of the web hardening per callback request, side by side with the bare dispatch.

The same warm callback request is answered in one run two ways, alternately (so a
busy machine slows both alike), inside a Flask request context: with every request
hook (login check with a session, body validation, role check, audit, security
headers, compression: ``preprocess_request`` + ``process_response``) and as Dash's
dispatch alone. Printed: median ms of each and the ratio. Login is required (one analyst account in a temporary file).

Run: ``python -m benchmarks.bench_serving`` (part of ``make bench``).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

N = 100
CALLBACKS = ("counts", "overview")


def main() -> str:
    """Run the comparison; returns the markdown table."""
    logging.disable(logging.WARNING)
    import app as app_module
    from accounts.store import AccountStore
    from analysis import settings as settings_mod
    from benchmarks.loadtest import page_bodies

    folder = Path(tempfile.mkdtemp(prefix="ivus-bench-serving-"))
    AccountStore(folder / "a.json").add("ana", "a long password", "analyst")
    app_module.configure(settings_mod.Settings(cache_type="SimpleCache"))
    server = app_module.app.server
    client = server.test_client()
    deps = json.loads(client.get("/_dash-dependencies").data)
    app_module.configure(settings_mod.Settings(
        cache_type="SimpleCache", auth="required", accounts_file=str(folder / "a.json"),
        audit_log=str(folder / "audit.log"), secret_key="bench"))
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "ana", "password": "a long password",
                                "csrf_token": token})
    bodies = page_bodies(deps, "age=40-70")
    cookie = f"ivus_session={client.get_cookie('ivus_session').value}"

    def one(body: bytes, hardened: bool) -> float:
        with server.test_request_context(
                "/_dash-update-component", method="POST", data=body,
                headers={"Content-Type": "application/json", "Accept-Encoding": "br",
                         "Cookie": cookie}):
            t0 = time.perf_counter()
            rv = server.preprocess_request() if hardened else None
            if rv is None:
                rv = server.dispatch_request()
            resp = server.make_response(rv)
            if hardened:
                resp = server.process_response(resp)
            resp.get_data()
            return time.perf_counter() - t0

    times: dict[tuple[str, bool], list[float]] = {}
    try:
        for name in CALLBACKS:
            raw = json.dumps(bodies[name]).encode()
            one(raw, True)  # warm the analysis cache
            for _ in range(N):  # alternate, so a busy machine slows both alike
                for hardened in (True, False):
                    times.setdefault((name, hardened), []).append(one(raw, hardened))
    finally:
        app_module.configure(settings_mod.Settings(cache_type="SimpleCache"))
        shutil.rmtree(folder, ignore_errors=True)
    hardened = {n: statistics.median(times[(n, True)]) * 1000 for n in CALLBACKS}
    bare = {n: statistics.median(times[(n, False)]) * 1000 for n in CALLBACKS}
    lines = ["| callback | with hardening ms | bare dispatch ms | ratio |",
             "| --- | --- | --- | --- |"]
    for name in CALLBACKS:
        lines.append(f"| {name} | {hardened[name]:.1f} | {bare[name]:.1f} | "
                     f"{hardened[name] / bare[name]:.2f} |")
    table = "\n".join(lines)
    print(table)
    return table


if __name__ == "__main__":
    main()
