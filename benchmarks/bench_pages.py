"""Speed and size of each page's callbacks, and time to a drawn page in Chromium.

Measured:

* server time and response size of each page's callbacks through Flask's test client
  (POST ``/_dash-update-component`` as the browser sends it), cold (analysis cache
  emptied first) and warm (second call), on the bundled cohort and on 100,000
  simulated patients (``benchmarks/out/cohort_100000.csv``, generated with
  ``python -m analysis.cohort.simulate`` when missing and loaded as ``EXPLORER_DATA``);
* time from navigation to a fully drawn page (ready element present, no loading
  spinner) in headless Chromium (selenium) on the bundled cohort.

Targets: every response < 300 KB at 100k patients; every page drawn < 2 s on the
bundled cohort.

Run: ``python -m benchmarks.bench_pages`` (``--no-browser`` skips Chromium,
``--no-100k`` skips the large cohort).
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd

from components import ids

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
N_LARGE = 100_000
SIZE_LIMIT = 300_000
DRAW_LIMIT_S = 2.0

#: page -> (callback output to call, input values by "id.prop"); {} store = no filters.
def _OPT(key: str) -> str:  # noqa: N802 - reads like the id constant it builds
    return json.dumps(ids.option_id(key), sort_keys=True, separators=(",", ":"))
CALLS = {
    "shell counts": ("flt-group-counts.children", {"filter-store.data": {}}),
    "overview": ("ov-ls-means.figure", {"filter-store.data": {}, f"{_OPT('present')}.value": False,
                                        f"{_OPT('means')}.value": "adjusted"}),
    "baseline": ("bl-table.children", {"filter-store.data": {}}),
    "progression": ("pr-distribution.figure", {
        "filter-store.data": {}, f"{_OPT('outcome')}.value": "delta_pav",
        f"{_OPT('chart')}.value": "histogram", f"{_OPT('present')}.value": False,
        f"{_OPT('means')}.value": "adjusted"}),
    "comparison": ("cmp-ls-means.figure", {
        "filter-store.data": {}, f"{_OPT('outcome')}.value": "delta_pav",
        f"{_OPT('covar')}.value": ["trial", "age", "sex", "diabetes", "prior_mi", "hdl_c"],
        f"{_OPT('means')}.value": "adjusted", f"{_OPT('present')}.value": False}),
    "therapy": ("th-cells-ldl_intensive.figure", {
        "filter-store.data": {}, f"{_OPT('outcome')}.value": "delta_pav",
        f"{_OPT('means')}.value": "adjusted", f"{_OPT('present')}.value": False}),
    "data grid": ("data-grid-holder.children", {"filter-store.data": {},
                                                f"{_OPT('columns')}.value": None}),
    "data rows 0-100": ("data-grid.getRowsResponse", {
        "data-grid.getRowsRequest": {"startRow": 0, "endRow": 100, "sortModel": [],
                                     "filterModel": {}},
        "filter-store.data": {}, f"{_OPT('columns')}.value": None}),
}
PAGES = ids.PAGE_READY


def _request(deps: list[dict], output_part: str, values: dict) -> dict:
    dep = next(d for d in deps if output_part in d["output"])

    def item(i):
        ident = i["id"]
        parsed = json.loads(ident) if ident.startswith("{") else ident
        return {"id": parsed, "property": i["property"],
                "value": values.get(f"{ident}.{i['property']}")}

    out = dep["output"]
    parts = out[2:-2].split("...") if out.startswith("..") else [out]
    outputs = []
    for p in parts:
        ident, prop = p.rsplit(".", 1)
        outputs.append({"id": json.loads(ident) if ident.startswith("{") else ident,
                        "property": prop})
    return {"output": out, "outputs": outputs if out.startswith("..") else outputs[0],
            "inputs": [item(i) for i in dep["inputs"]],
            "state": [item(i) for i in dep["state"]], "changedPropIds": []}


def large_cohort() -> Path:
    """benchmarks/out/cohort_100000.csv (generated once)."""
    path = OUT / f"cohort_{N_LARGE}.csv"
    if not path.exists():
        OUT.mkdir(exist_ok=True)
        subprocess.run([sys.executable, "-m", "analysis.cohort.simulate", "--n", str(N_LARGE),
                        "--seed", "7", "--out", str(path)], check=True, cwd=ROOT)
    return path


def bench_callbacks(label: str, data: str | None) -> list[dict]:
    """Cold and warm server time and response size of every page callback."""
    import app as app_module
    from analysis.data import registry
    from analysis.service import api
    from analysis.settings import Settings

    app_module.configure(Settings(data=data, cache_type="SimpleCache"))
    t0 = time.perf_counter()
    registry.active()
    load_s = time.perf_counter() - t0
    client = app_module.server.test_client()
    deps = json.loads(client.get("/_dash-dependencies").data)
    rows = [{"cohort": label, "callback": "(load dataset)", "cold_ms": load_s * 1000,
             "warm_ms": float("nan"), "kb": float("nan"), "status": 200}]
    bodies = {name: _request(deps, output, values) for name, (output, values) in CALLS.items()}
    for body in bodies.values():  # warm-up: imports and first-use costs are not "cold"
        client.post("/_dash-update-component", json=body)
    for name, body in bodies.items():
        api.clear()
        t = time.perf_counter()
        r = client.post("/_dash-update-component", json=body)
        cold = time.perf_counter() - t
        t = time.perf_counter()
        r2 = client.post("/_dash-update-component", json=body)
        warm = time.perf_counter() - t
        rows.append({"cohort": label, "callback": name, "cold_ms": cold * 1000,
                     "warm_ms": warm * 1000, "kb": len(r2.data) / 1000,
                     "status": r.status_code})
    return rows


def bench_browser() -> list[dict]:
    """Navigation -> fully drawn page in headless Chromium, bundled cohort."""
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from werkzeug.serving import make_server

    import app as app_module
    from analysis.settings import Settings

    app_module.configure(Settings(cache_type="SimpleCache"))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log in the report
    server = make_server("127.0.0.1", 8066, app_module.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1440,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options)
    rows = []
    try:
        for rnd in ("first visit", "repeat visit"):
            for name, (path, ready) in PAGES.items():
                t = time.perf_counter()
                driver.get(f"http://127.0.0.1:8066{path}")
                deadline = t + 30
                while time.perf_counter() < deadline:
                    done = driver.find_elements(By.CSS_SELECTOR, ready) and not \
                        driver.find_elements(By.CSS_SELECTOR, ".dash-spinner, ._dash-loading")
                    counts = driver.find_elements(By.CSS_SELECTOR, "#flt-group-counts")
                    if done and counts and "patients selected" in counts[0].text:
                        break
                    time.sleep(0.02)
                rows.append({"page": name, "visit": rnd,
                             "drawn_s": time.perf_counter() - t})
    finally:
        driver.quit()
        server.shutdown()
    return rows


def main(argv: list[str] | None = None) -> list[dict]:
    """Run the benchmarks, print tables, return the rows."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--no-browser", action="store_true")
    p.add_argument("--no-100k", action="store_true")
    a = p.parse_args(argv if argv is not None else [])
    from analysis import settings as settings_mod

    before = settings_mod.current()
    try:
        return _run(a)
    finally:  # other benchmarks in this process see the settings they had
        import app as app_module

        app_module.configure(before)


def _run(a: argparse.Namespace) -> list[dict]:
    rows = bench_callbacks("bundled (1,347)", None)
    if not a.no_100k:
        rows += bench_callbacks(f"simulated ({N_LARGE:,})", str(large_cohort()))
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 160, "display.float_format", "{:.1f}".format):
        print("Page callbacks: server time (ms) cold / warm and response size (KB)")
        print(table.to_string(index=False))
    too_big = table[table["kb"] > SIZE_LIMIT / 1000]
    print(f"responses over {SIZE_LIMIT // 1000} KB: {len(too_big)}")
    if not a.no_browser:
        drawn = pd.DataFrame(bench_browser())
        with pd.option_context("display.float_format", "{:.2f}".format):
            print("\nNavigation -> drawn page, headless Chromium, bundled cohort (s)")
            print(drawn.to_string(index=False))
        print(f"pages over {DRAW_LIMIT_S:g} s: {int((drawn['drawn_s'] > DRAW_LIMIT_S).sum())}")
        rows += drawn.to_dict("records")
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
