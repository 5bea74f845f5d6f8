"""First page in a fresh browser on the team server: log in, then the Overview drawn.

The server is the load test's (:func:`benchmarks.loadtest.spawned_server`: gunicorn
with 2 workers, a Celery worker and Redis with a password, login required, on the
loopback). Each round opens a new headless Chromium (empty profile: no cached bundles,
no cookie), loads ``/login``, submits the form and times from the submit to the
Overview drawn (its LS-means figure and the group counts present, no spinner). Round 1
meets a cold server cache, round 2 a warm one (another user's view of the same page).
Beside it, the bytes the browser fetched (``performance`` entries: transfer sizes).

Run: ``python -m benchmarks.bench_first_page`` (needs Chromium and redis-server).
"""

from __future__ import annotations

import http.server
import json
import os
import time

from components import ids

ROUNDS = ("cold server cache", "warm server cache")


def _fresh_driver():
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1440,900",
                "--incognito"):
        options.add_argument(arg)
    return webdriver.Chrome(options=options)


def first_page(port: int, user: str, password: str) -> tuple[float, int, dict]:
    """(seconds from the login submit to the drawn Overview, bytes transferred, the
    page's navigation timings in s: document received, DOM ready, all bundles loaded)."""
    from selenium.webdriver.common.by import By

    _path, ready = ids.PAGE_READY["overview"]
    driver = _fresh_driver()
    try:
        driver.get(f"http://127.0.0.1:{port}/login")
        driver.find_element(By.ID, "username").send_keys(user)
        driver.find_element(By.ID, "password").send_keys(password)
        t0 = time.perf_counter()
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        deadline = t0 + 60
        while time.perf_counter() < deadline:
            done = driver.find_elements(By.CSS_SELECTOR, ready) and not \
                driver.find_elements(By.CSS_SELECTOR, ".dash-spinner, ._dash-loading")
            counts = driver.find_elements(By.CSS_SELECTOR, f"#{ids.GROUP_COUNTS}")
            if done and counts and "patients selected" in counts[0].text:
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - t0
        # from the Overview's own navigation start (after the login's answer and its
        # redirect: scrypt checks the password on purpose slowly) to drawn
        page_s = driver.execute_script("return performance.now()") / 1000
        if seconds >= 60:  # not drawn: say what the browser saw
            print("not drawn; browser log:", driver.get_log("browser")[:5])
            print("answers:", driver.execute_script(
                "return performance.getEntriesByType('resource').filter(e => "
                "e.name.includes('_dash')).map(e => [e.name.slice(-30), e.responseStatus])"))
        sizes = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.transferSize)"
            ".concat([performance.getEntriesByType('navigation')[0].transferSize])")
        nav = driver.execute_script(
            "const n = performance.getEntriesByType('navigation')[0];"
            "return [n.responseEnd, n.domContentLoadedEventEnd, n.loadEventEnd]")
        timings = dict(zip(("document", "dom_ready", "loaded"),
                           (round(x / 1000, 2) for x in nav), strict=True))
        timings["page"] = round(page_s, 2)
        return seconds, int(sum(x or 0 for x in sizes)), timings
    finally:
        driver.quit()


_BARE_PAGE = """<!doctype html><html><head><meta charset="utf-8"><script src="{src}"></script>
</head><body><div id="g" style="height:450px"></div><script>
Plotly.newPlot('g', [{{type: 'bar', x: ['No calcification', 'Spotty calcification'],
  y: [0.5, 1.1], error_y: {{type: 'data', array: [0.2, 0.15]}}}}],
  {{title: {{text: 'LS means'}}}}).then(() => {{ window.drawnAt = performance.now(); }});
</script></body></html>"""


def bare_pages(rounds: int = 2) -> list[tuple[str, float, int]]:
    """(label, s until the chart is drawn, bytes) of the bare plotly.js pages, ``rounds``
    fresh browsers each, served from a temporary folder on the loopback."""
    import functools
    import shutil
    import tempfile
    import threading
    from pathlib import Path

    import plotly

    root = Path(__file__).resolve().parents[1]
    bundles = {"full plotly.min.js": Path(plotly.__file__).parent / "package_data" /
               "plotly.min.js",
               "app's plotly bundle": root / "assets" / "vendor" / "plotly-explorer.min.js"}
    out = []
    with tempfile.TemporaryDirectory() as folder:
        for i, (_label, path) in enumerate(bundles.items()):
            shutil.copy(path, Path(folder) / path.name)
            (Path(folder) / f"page{i}.html").write_text(_BARE_PAGE.format(src=path.name))
        handler = functools.partial(_QuietHandler, directory=folder)
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        try:
            for _round in range(rounds):
                for i, (label, path) in enumerate(bundles.items()):
                    driver = _fresh_driver()
                    try:
                        driver.get(f"http://127.0.0.1:{httpd.server_port}/page{i}.html")
                        drawn = None
                        deadline = time.perf_counter() + 30
                        while drawn is None and time.perf_counter() < deadline:
                            drawn = driver.execute_script("return window.drawnAt || null")
                            time.sleep(0.02)
                        if drawn is None:  # never a number: say what the browser saw
                            raise RuntimeError(f"the bare page with {label} was not drawn "
                                               f"in 30 s: {driver.get_log('browser')[:3]}")
                        out.append((label, drawn / 1000, path.stat().st_size))
                    finally:
                        driver.quit()
        finally:
            httpd.shutdown()
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """http.server's file handler without its request log."""

    def log_message(self, *_args):
        pass


def main() -> str:
    """Both rounds and the bare pages; returns the markdown table."""
    from benchmarks.loadtest import spawned_server

    rows = []
    with spawned_server(2) as (port, user, password, _web, _redis):
        for label in ROUNDS:
            rows.append((label, *first_page(port, user, password)))
    bare = bare_pages()
    lines = ["| fresh browser, login -> Overview drawn | s | page s | transferred MB | "
             "document s | DOM ready s | bundles loaded s |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {label} | {s:.2f} | {t['page']:.2f} | {b / 1e6:.2f} | {t['document']:.2f} | "
              f"{t['dom_ready']:.2f} | {t['loaded']:.2f} |" for label, s, b, t in rows]
    lines.append("\ns: from the login form's submit; page s: from the Overview's own navigation "
                 "start (the browser's performance.now() when drawn), i.e. without the "
                 "password check and its redirect")
    full = min(t for label, t, _b in bare if label.startswith("full"))
    lines += ["", f"| bare page: load a plotly.js, draw one bar chart | s (best of "
              f"{len(bare) // 2}) | "
              "file MB | app's page s / this |", "| --- | --- | --- | --- |"]
    for label in dict.fromkeys(label for label, _t, _b in bare):
        best = min(t for lab, t, _b in bare if lab == label)
        size = next(b for lab, _t, b in bare if lab == label)
        ratios = " / ".join(f"{t['page'] / best:.2f}" for _l, _s, _b, t in rows)
        lines.append(f"| {label} | {best:.2f} | {size / 1e6:.2f} | {ratios} |")
    lines.append("\nthe app's Overview (cold / warm) is drawn in "
                 + " / ".join(f"{t['page'] / full:.2f}" for _l, _s, _b, t in rows)
                 + "x the time a bare page takes to draw one chart with the full plotly.js")
    lines.append(f"\nmachine load average (1 min): {os.getloadavg()[0]:.1f} on "
                 f"{os.cpu_count()} cores")
    table = "\n".join(lines)
    print(table)
    print(json.dumps([{"round": r, "s": s, "bytes": b, **t} for r, s, b, t in rows]))
    return table


if __name__ == "__main__":
    main()
