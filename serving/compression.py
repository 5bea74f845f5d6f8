"""Compressed responses (brotli or gzip, flask-compress), static bundles compressed once.

plotly.js alone is 4.8 MB; brotli brings it near 1 MB. Compressing it on every
request would cost each worker tens of milliseconds, so compressed bundles (Dash
component suites and assets) are kept in memory per worker, keyed by the path with
Dash's fingerprint removed (every fingerprint of one file is the same bytes), at
most :data:`MAX_ENTRIES` of them. Callback answers are compressed per request and
never cached.
"""

from __future__ import annotations

import threading

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
    return Compress(server)
