"""Security headers, the Content-Security-Policy and the cache lifetimes of responses.

The policy allows scripts from this server only, plus the inline scripts Dash writes
into its index page (its config and the clientside callbacks), each by its SHA-256
hash (``Dash.csp_hashes()``), so no other inline script runs. Styles allow
'unsafe-inline' because plotly.js and React set style elements and attributes at run
time; images allow data: and blob: for plotly's PNG/SVG export.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import Flask, Response, request

#: Responses that may hold patient data or per-user state are never stored.
NO_STORE = "no-store"
#: Fingerprinted bundles (Dash component suites, assets with ?m=) never change.
IMMUTABLE = "public, max-age=31536000, immutable"


def content_security_policy(script_hashes: Sequence[str]) -> str:
    """The CSP header value with the given ``'sha256-...'`` script hashes."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{k} {' '.join(v)}" for k, v in directives.items())


def _cache_control(path: str, response: Response) -> str | None:
    if path.startswith("/_dash-component-suites/"):
        return IMMUTABLE if "max-age" in (response.headers.get("Cache-Control") or "") else None
    if path.startswith("/assets/") and request.args.get("m"):
        return IMMUTABLE
    if path.startswith("/assets/"):
        return None
    return NO_STORE


def install(server: Flask, script_hashes: Callable[[], Sequence[str]], *,
            https: Callable[[], bool]) -> None:
    """Add the headers to every response of ``server``.

    Parameters
    ----------
    script_hashes
        Called once, at the first response, for the inline-script hashes (all
        callbacks are registered by then).
    https
        Whether the app is served over HTTPS (HSTS is only sent then).
    """
    policy: list[str] = []

    @server.after_request
    def _security_headers(response: Response) -> Response:
        if not policy:
            policy.append(content_security_policy(script_hashes()))
        h = response.headers
        h["Content-Security-Policy"] = policy[0]
        h["X-Frame-Options"] = "DENY"
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "no-referrer"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if https() or request.is_secure:
            h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        cache = _cache_control(request.path, response)
        if cache:
            h["Cache-Control"] = cache
            if cache == NO_STORE:
                h.pop("Expires", None)
        return response
