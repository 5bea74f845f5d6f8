"""Compressed responses (brotli or gzip, flask-compress), static bundles compressed once.

The pages' plotly.js is 1.3 MB and the grid's bundle 1.4 MB; brotli brings each near
0.4 MB. Compressing them on every request would cost each worker tens of milliseconds,
so compressed bundles (Dash
component suites and assets) are kept in memory per worker, keyed by the path with
Dash's fingerprint removed (every fingerprint of one file is the same bytes), at
most :data:`MAX_ENTRIES` of them. Callback answers are compressed per request and
never cached. :func:`precompress` fills that cache with the largest bundles ahead of
the first visitor (gunicorn's master calls it before forking, so every worker, also
one recycled after ``max_requests``, starts with them). plotly.py's full plotly.min.js
(4.8 MB) is left out of that: no page asks for it (they load their own bundle), and it
is still compressed on demand if something does.
"""

from __future__ import annotations

import threading
from pathlib import Path

from dash.fingerprint import check_fingerprint
from flask import Flask, Request
from flask_compress import Compress

MAX_ENTRIES = 256
_STATIC = ("/_dash-component-suites/", "/assets/")
_NO_CACHE = "-"


def cache_key(req: Request) -> str:
    """Key of a static bundle (fingerprint removed), or a marker that it is not static."""
    path = req.path
    if req.method != "GET" or not path.startswith(_STATIC):
        return _NO_CACHE
    head, _sep, name = path.rpartition("/")
    plain, _fingerprinted = check_fingerprint(name)
    return f"{head}/{plain}"


class StaticBundleCache:
    """flask-compress cache backend that keeps static bundles only (bounded, thread-safe)."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        return self._data.get(key)

    def set(self, key: str, value: bytes) -> None:
        if key.endswith(";" + _NO_CACHE):
            return
        with self._lock:
            if len(self._data) < MAX_ENTRIES:
                self._data[key] = value

    def __len__(self) -> int:
        return len(self._data)


#: Bundles at least this large are compressed ahead (plotly.js, the grid, the renderer).
PRECOMPRESS_MIN_BYTES = 400_000
#: plotly.py's full plotly.js, which Dash lists but the pages never load (see above)
UNUSED = ("plotly", "package_data/plotly.min.js")


def _bundles() -> list[tuple[str, str]]:
    """(namespace, path in the package) of every component library's JavaScript."""
    import sys

    seen = []
    for module in list(sys.modules.values()):
        for dist in getattr(module, "_js_dist", None) or []:
            if not isinstance(dist, dict) or "namespace" not in dist:
                continue
            rel = dist.get("relative_package_path")
            for path in rel if isinstance(rel, list) else [rel]:
                if isinstance(path, str) and path.endswith(".js") and \
                        (dist["namespace"], path) not in seen:
                    seen.append((dist["namespace"], path))
    return seen


def _assets(folder: str | None) -> list[tuple[str, Path]]:
    """(URL, file) of the JavaScript and CSS files under the app's assets folder."""
    if not folder or not Path(folder).is_dir():
        return []
    root = Path(folder)
    return [("/assets/" + p.relative_to(root).as_posix(), p) for p in sorted(root.rglob("*"))
            if p.suffix in (".js", ".css") and p.is_file()]


def precompress(server: Flask, compress: Compress,
                min_bytes: int = PRECOMPRESS_MIN_BYTES, assets_folder: str | None = None) -> int:
    """Compress the large static bundles into the bundle cache now; returns how many.

    The bundles are the component libraries' JavaScript and, when ``assets_folder`` is
    given, the app's own assets (the pages' plotly.js is one). Each goes through
    flask-compress itself (a request context per algorithm), so the cache holds exactly
    what it would store on a first request.
    """
    import pkgutil

    from flask import Response

    def read_package(namespace: str, path: str) -> bytes | None:
        try:
            return pkgutil.get_data(namespace, path)
        except (OSError, ImportError, ValueError):
            return None

    found = [(f"/_dash-component-suites/{ns}/{path}", lambda ns=ns, path=path:
              read_package(ns, path)) for ns, path in _bundles() if (ns, path) != UNUSED]
    found += [(url, file.read_bytes) for url, file in _assets(assets_folder)]
    done = 0
    for url, read in found:
        data = read()
        if not data or len(data) < min_bytes:
            continue
        for algorithm in ("br", "gzip"):
            with server.test_request_context(url, headers={"Accept-Encoding": algorithm}):
                compress.after_request(Response(data, mimetype="text/css" if url.endswith(
                    ".css") else "application/javascript"))
        done += 1
    return done


def install(server: Flask) -> Compress:
    """Compress text responses of ``server`` (brotli if the browser takes it, else gzip)."""
    server.config.update(
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_MIMETYPES=["text/html", "text/css", "text/plain", "application/json",
                            "application/javascript", "text/javascript", "image/svg+xml"],
        COMPRESS_MIN_SIZE=1024,
        COMPRESS_BR_LEVEL=5,
        COMPRESS_CACHE_KEY=cache_key,
        COMPRESS_CACHE_BACKEND=StaticBundleCache,
    )
    compress = Compress(server)
    server.extensions["compress"] = compress  # for precompress (gunicorn_conf.when_ready)
    return compress
