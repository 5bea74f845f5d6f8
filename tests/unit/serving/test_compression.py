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


def test_large_bundles_are_compressed_ahead_and_served_from_the_cache(monkeypatch):
    import gzip
    import pkgutil
    import sys
    import types

    import brotli

    from serving import compression

    lib = types.ModuleType("fake_component_library")
    lib._js_dist = [{"namespace": "plotly", "relative_package_path": "package_data/plotly.min.js"},
                    {"namespace": "dash_ag_grid", "relative_package_path": "dash_ag_grid.min.js"},
                    {"namespace": "plotly", "relative_package_path": "package_data/none.js.map"}]
    monkeypatch.setitem(sys.modules, "fake_component_library", lib)
    server = Flask(__name__)
    compress = compression.install(server)
    grid_js = pkgutil.get_data("dash_ag_grid", "dash_ag_grid.min.js")
    # the grid's bundle (1.4 MB) is this large; maps are never compressed ahead, nor
    # plotly.py's full plotly.js (4.8 MB), which the pages never load
    assert compression.precompress(server, compress, min_bytes=len(grid_js)) >= 1
    key = "/_dash-component-suites/dash_ag_grid/dash_ag_grid.min.js"
    assert brotli.decompress(compress.cache.get(f"br;{key}")) == grid_js
    assert gzip.decompress(compress.cache.get(f"gzip;{key}")) == grid_js
    assert compress.cache.get("gzip;/_dash-component-suites/plotly/package_data/plotly.min.js") \
        is None


def test_large_assets_are_compressed_ahead_too(tmp_path):
    import gzip

    from serving import compression

    (tmp_path / "vendor").mkdir()
    big = b"var Plotly = 1;\n" * 40_000  # 640 KB, like the pages' plotly.js (1.3 MB)
    (tmp_path / "vendor" / "big.min.js").write_bytes(big)
    (tmp_path / "small.js").write_bytes(b"var x = 1;\n" * 100)
    (tmp_path / "notes.txt").write_bytes(big)  # not a script or style sheet
    server = Flask(__name__)
    compress = compression.install(server)
    assert compression.precompress(server, compress, min_bytes=600_000,
                                   assets_folder=str(tmp_path)) >= 1
    assert gzip.decompress(compress.cache.get("gzip;/assets/vendor/big.min.js")) == big
    assert compress.cache.get("gzip;/assets/small.js") is None
    assert compress.cache.get("gzip;/assets/notes.txt") is None

