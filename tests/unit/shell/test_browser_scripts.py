"""Dash's @babel/polyfill is left out of every page; regenerator-runtime stays."""

from __future__ import annotations

from pathlib import Path

from dash import _dash_renderer

from shell import browser_scripts

ROOT = Path(__file__).resolve().parents[3]


def test_dash_lists_the_polyfill_where_the_change_looks_for_it():
    # if a Dash upgrade moves or renames the list, this fails instead of the change
    # silently not applying: every dependency group has local paths and CDN addresses
    # for 'prod' and 'dev', and React itself is among them
    deps = _dash_renderer._js_dist_dependencies
    assert deps and all(set(d["relative_package_path"]) == {"prod", "dev"} and
                        set(d["external_url"]) == {"prod", "dev"} for d in deps)
    paths = [p for d in deps for p in d["relative_package_path"]["prod"]]
    assert any(p.startswith("deps/react@") for p in paths)


def test_the_index_page_has_no_polyfill_but_react_and_regenerator_runtime():
    import app as app_module

    assert browser_scripts.drop_babel_polyfill() == 0  # app.py removed it already
    page = app_module.app.server.test_client().get("/").get_data(as_text=True)
    assert browser_scripts.POLYFILL not in page
    assert "deps/react@18" in page and "deps/react-dom@18" in page
    assert "/assets/vendor/regenerator-runtime-0.14.1.js" in page
    runtime = (ROOT / "assets" / "vendor" / "regenerator-runtime-0.14.1.js").read_text()
    assert "regeneratorRuntime = runtime;" in runtime  # it defines the global the
    # renderer's lazy loaders call (regeneratorRuntime.mark / .wrap)
