"""Dash's @babel/polyfill is left out of every page; regenerator-runtime is loaded in its
place (after React, before the component libraries), once."""

from __future__ import annotations

import re
from pathlib import Path

from dash import _dash_renderer

from shell import browser_scripts

ROOT = Path(__file__).resolve().parents[3]


def test_dash_lists_the_polyfill_where_the_change_finds_it():
    # Dash's list as Dash builds it (app.py already edited the live one): if an upgrade
    # renames or moves the polyfill, this fails instead of the polyfill coming back
    saved = [dict(d) for d in _dash_renderer._js_dist_dependencies]
    try:
        _dash_renderer._set_react_version("18.3.1")
        prod = _dash_renderer._js_dist_dependencies[0]["relative_package_path"]["prod"]
        assert any(browser_scripts.POLYFILL.search(p) for p in prod)
        assert browser_scripts.drop_babel_polyfill() == 4  # file + CDN, prod + dev
        left = [p for d in _dash_renderer._js_dist_dependencies
                for field in ("relative_package_path", "external_url")
                for paths in d[field].values() for p in paths]
        # React, ReactDOM and prop-types stay, each as a file and a CDN address x 2 modes
        assert len(left) == 12 and not any("polyfill" in p for p in left)
        assert browser_scripts.drop_babel_polyfill() == 0
    finally:
        _dash_renderer._js_dist_dependencies[:] = saved


def test_the_index_loads_the_runtime_right_after_react_and_no_polyfill():
    import app as app_module

    page = app_module.app.server.test_client().get("/").get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert not [s for s in scripts if "polyfill" in s]
    names = [s.rsplit("/", 1)[-1] for s in scripts]
    at = next(i for i, n in enumerate(names) if n.startswith("regenerator-runtime-"))
    assert names[at - 1].startswith("prop-types@") and names[at - 3].startswith("react@")
    assert sum(n.startswith("regenerator-runtime-") for n in names) == 1  # not also as asset
    assert names.index(next(n for n in names if n.startswith("dash_bootstrap"))) > at
    runtime = (ROOT / "assets" / browser_scripts.RUNTIME).read_text()
    assert "regeneratorRuntime = runtime;" in runtime  # defines the global the lazy
    # loaders call (regeneratorRuntime.mark / .wrap)
