"""Security headers, the CSP against the page's own inline scripts, caching, compression,
the request size limit and the error shape (login off: the one-user app)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re

import brotli
import pytest
from dash_callback_client import STORE

from analysis import settings as settings_mod
from analysis.settings import ROOT


@pytest.fixture(scope="module")
def index(client):
    return client.get("/")


def _csp(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}


def test_security_headers_on_the_page(index):
    h = index.headers
    assert h["X-Frame-Options"] == "DENY"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in h  # plain HTTP: no HSTS
    assert h["Cache-Control"] == "no-store"
    csp = _csp(index)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]


def test_every_inline_script_of_the_page_is_allowed_by_hash(index):
    """Reference: the SHA-256 of each inline <script> body, computed here with hashlib."""
    html = re.sub(r"<!--.*?-->", "", index.get_data(as_text=True), flags=re.S)  # not run
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", html, flags=re.S)
    inline = [body for attrs, body in scripts if "application/json" not in attrs]  # data only
    assert len(inline) >= 2  # the clientside callbacks and the renderer start-up
    allowed = set(_csp(index)["script-src"])
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed


def test_hsts_only_over_https(client):
    import app as app_module

    app_module.configure(settings_mod.Settings(cache_type="SimpleCache", https=True))
    try:
        h = client.get("/").headers
    finally:
        app_module.configure(settings_mod.Settings(cache_type="SimpleCache"))
    assert h["Strict-Transport-Security"].startswith("max-age=31536000")


def test_callback_answers_are_not_stored(caller):
    status, _data, _raw = caller.call("flt-group-counts.children", {STORE: {}})
    assert status == 200
    r = caller.client.post("/_dash-update-component", json={"output": "x"})
    assert r.headers["Cache-Control"] == "no-store"


def _plotly_bundle(client) -> str:
    """The fingerprinted URL dcc.Graph loads plotly.js from (as the renderer builds it)."""
    html = client.get("/").get_data(as_text=True)
    fingerprint = re.search(r"\.(v[0-9_]+m[0-9]+)\.", html).group(1)
    return f"/_dash-component-suites/plotly/package_data/plotly.{fingerprint}.min.js"


def test_plotly_bundle_is_compressed_with_a_long_lifetime(client):
    url = _plotly_bundle(client)
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    br = client.get(url, headers={"Accept-Encoding": "br, gzip"})
    gz = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert br.headers["Content-Encoding"] == "br"
    assert gz.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert br.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # reference: the stdlib and brotli decoders give back the identical bytes
    assert brotli.decompress(br.data) == plain.data
    assert gzip.decompress(gz.data) == plain.data
    assert len(br.data) < len(plain.data) / 3
    assert len(plain.data) > 3_000_000  # plotly.js itself, not an error page


def test_request_size_limit(client):
    big = b'{"output": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    r = client.post("/_dash-update-component", data=big, content_type="application/json")
    assert r.status_code == 413
    assert r.get_json()["error"] == "The request is too large."
    assert re.fullmatch(r"[0-9a-f]{12}", r.get_json()["error_id"])


def test_uncaught_error_has_the_callback_error_shape(client, monkeypatch, caplog):
    """A failure outside any callback: short message, error id, details only in the log."""
    import app as app_module

    def broken():
        raise RuntimeError(f"secret detail {ROOT}")

    monkeypatch.setattr(app_module.app, "_layout_value", broken)
    r = client.get("/_dash-layout")
    assert r.status_code == 500
    body = r.get_json()
    assert set(body) == {"error", "error_id"}
    assert f"error id {body['error_id']}" in body["error"]
    assert "secret detail" not in r.get_data(as_text=True)
    assert str(ROOT) not in r.get_data(as_text=True)
    assert any(body["error_id"] in rec.getMessage() for rec in caplog.records)


def test_no_server_banner_from_the_dev_server():
    from serving.startup import QuietRequestHandler

    assert "Werkzeug" not in QuietRequestHandler.version_string(None)
    assert "Python" not in QuietRequestHandler.version_string(None)
