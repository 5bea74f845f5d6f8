"""Static-bundle cache of the compressor (serving.compression)."""

from __future__ import annotations

from flask import Flask

from serving.compression import MAX_ENTRIES, StaticBundleCache, cache_key

app = Flask(__name__)


def _key(path, method="GET"):
    with app.test_request_context(path, method=method):
        from flask import request

        return cache_key(request)


def test_fingerprints_of_one_file_share_a_key():
    a = _key("/_dash-component-suites/plotly/package_data/plotly.v7_1_0m1.min.js")
    b = _key("/_dash-component-suites/plotly/package_data/plotly.v7_1_0m999.min.js")
    assert a == b == "/_dash-component-suites/plotly/package_data/plotly.min.js"


def test_callbacks_are_never_cached():
    key = _key("/_dash-update-component", method="POST")
    cache = StaticBundleCache()
    cache.set(f"br;{key}", b"compressed answer")
    assert cache.get(f"br;{key}") is None and len(cache) == 0


def test_cache_is_bounded():
    cache = StaticBundleCache()
    for i in range(MAX_ENTRIES + 10):
        cache.set(f"br;/assets/f{i}.js", b"x")
    assert len(cache) == MAX_ENTRIES
    assert cache.get("br;/assets/f0.js") == b"x"
