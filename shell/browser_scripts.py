"""The scripts every page loads: Dash's @babel/polyfill left out.

Dash puts ``@babel/polyfill`` 7.12 (core-js 2 and regenerator-runtime, for browsers of
the Internet Explorer era) in front of React on every page. Every browser that runs
React 18 and Dash 4 has the language features core-js 2 adds; evaluating it still
costs the main thread about 0.25 s in a fresh headless Chromium here, a tenth of the
first page (``benchmarks/bench_first_page.py``). The one part still needed is
regenerator-runtime: Dash's renderer and component libraries call the global
``regeneratorRuntime`` in their lazy loaders, so ``assets/vendor/`` ships it
(``regenerator-runtime-0.14.1.js``, the npm package's ``runtime.js`` unmodified, MIT),
and Dash loads every script there.

Dash has no option for this; :func:`drop_babel_polyfill` edits the list Dash reads when
it draws the index page (``dash._dash_renderer._js_dist_dependencies``), and
``tests/unit/shell/test_browser_scripts.py`` fails if a Dash upgrade changes that list's
shape, so the change can never silently stop applying or remove something else.
"""

from __future__ import annotations

from dash import _dash_renderer

POLYFILL = "polyfill@"


def drop_babel_polyfill() -> int:
    """Remove @babel/polyfill from the scripts Dash puts on every page; returns the number
    of addresses removed (its local file and CDN address, for the production and the
    development bundles: 4 with Dash 4.4, 0 when already removed)."""
    removed = 0
    for dep in _dash_renderer._js_dist_dependencies:
        for field in ("relative_package_path", "external_url"):
            for mode, paths in dep.get(field, {}).items():
                kept = [p for p in paths if POLYFILL not in p]
                removed += len(paths) - len(kept)
                dep[field][mode] = kept
    return removed


__all__ = ["drop_babel_polyfill"]
