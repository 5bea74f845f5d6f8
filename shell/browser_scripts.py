"""The scripts every page loads: Dash's @babel/polyfill left out, regenerator-runtime
in its place.

Dash puts ``@babel/polyfill`` 7.12 (core-js 2 and regenerator-runtime, for browsers of
the Internet Explorer era) in front of React on every page. Every browser that runs
React 18 and Dash 4 (current Chrome, Edge, Firefox, Safari) has the language features
core-js 2 adds; evaluating it still cost the main thread about 0.25 s in a fresh
headless Chromium here, a tenth of the first page (``benchmarks/bench_first_page.py``).
The one part still needed is regenerator-runtime: Dash's renderer and component
libraries call the global ``regeneratorRuntime`` in their lazy loaders. It is
``assets/vendor/regenerator-runtime-0.14.1.js`` (the npm package's ``runtime.js``,
unmodified, MIT), loaded where the polyfill was: right after React, before any
component library (Dash's ``external_scripts``), and left out of the automatic
``assets/`` scripts so it is not loaded twice.

Dash has no option for this; :func:`drop_babel_polyfill` edits the list Dash reads when
it draws the index page (``dash._dash_renderer._js_dist_dependencies``), matching the
polyfill's own file and CDN names only. ``tests/unit/shell/test_browser_scripts.py``
rebuilds Dash's list and checks the polyfill is found there and removed, so a Dash
upgrade that renames it fails a test instead of silently bringing it back.
"""

from __future__ import annotations

import logging
import re

from dash import Dash, _dash_renderer

log = logging.getLogger("ivus_explorer.browser_scripts")
#: Dash's local file ``deps/polyfill@7.12.1.min.js`` and its CDN address
#: ``https://unpkg.com/@babel/polyfill@7.12.1/dist/polyfill.min.js``
POLYFILL = re.compile(r"(^deps/polyfill@|/@babel/polyfill@)")
#: the regenerator runtime, under assets/
RUNTIME = "vendor/regenerator-runtime-0.14.1.js"


def drop_babel_polyfill() -> int:
    """Remove @babel/polyfill from the scripts Dash puts on every page; returns the number
    of addresses removed (its local file and CDN address, for the production and the
    development bundles: 4 with Dash 4.4, 0 when already removed)."""
    removed = 0
    for dep in _dash_renderer._js_dist_dependencies:
        for field in ("relative_package_path", "external_url"):
            for mode, paths in dep.get(field, {}).items():
                kept = [p for p in paths if not POLYFILL.search(p)]
                removed += len(paths) - len(kept)
                dep[field][mode] = kept
    return removed


def install(app: Dash) -> None:
    """Leave the polyfill out of ``app``'s pages and load the regenerator runtime right
    after React (call before the first request: Dash reads its assets folder then)."""
    if drop_babel_polyfill() == 0:
        log.warning("Dash's @babel/polyfill was not found in its script list; the pages "
                    "may load it (see shell/browser_scripts.py)")
    runtime = app.get_asset_url(RUNTIME)
    if runtime not in app.config.external_scripts:
        app.config.external_scripts.insert(0, runtime)
    ignore = re.escape(RUNTIME.rsplit("/", 1)[-1])
    app.config.assets_ignore = (f"{app.config.assets_ignore}|{ignore}"
                                if app.config.assets_ignore else ignore)


__all__ = ["RUNTIME", "drop_babel_polyfill", "install"]
