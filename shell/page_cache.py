"""Finished page outputs, kept in the shared cache; large cohorts computed as jobs.

``@cached_page("overview")`` under a page's ``@callback`` keeps what the callback
returns (its figures and tables, serialised as Dash sends them) in the analysis cache
(:func:`analysis.service.cache.lookup` / ``store``: Redis under ``make serve``, signed
like every entry), keyed by

* the page and every input of the callback (the filter store's canonical query, the
  page options, presentation mode),
* the study's fingerprint and the user's role,
* every setting that can change what a page shows (suppression, model limits,
  the dataset's file, ...: all but the server-only ones,
  :data:`analysis.settings.SERVER_ONLY`),
* a version of the code of ``pages/``, ``components/``, ``shell/``, ``reports/`` and
  ``analysis/`` (that one by the analysis cache's own key).

A second user (or worker) asking for the same view then gets it in milliseconds,
without building figures again.

When the study has more than ``Settings.background_rows`` patients and the view is not
cached yet, the callback does not compute in the request thread: it answers with
"computing" placeholders and asks the shell for a background job
(:mod:`shell.page_jobs`: progress bar and Cancel), which computes the same outputs for
the same session (a signed job ticket), stores them and has the page ask again.

Outside a request (a callback called as a plain function) nothing is cached.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import has_request_context

from analysis import settings as settings_mod
from analysis.errors import ExplorerError
from analysis.service import cache

log = logging.getLogger("ivus_explorer.page_cache")
ROOT = Path(__file__).resolve().parent.parent
_BUILDERS: dict[str, Callable[..., Any]] = {}
_code: list[str] = []


def code_version() -> str:
    """Short hash of the code that draws pages (read once per process); ``analysis/``
    is in every key already (:func:`analysis.service.cache.output_key`)."""
    if not _code:
        digest = hashlib.sha256()
        for folder in ("pages", "components", "shell", "reports"):
            for path in sorted((ROOT / folder).rglob("*.py")):
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
        _code.append(digest.hexdigest()[:12])
    return _code[0]


def _jsonable(value: Any) -> Any:
    """A callback argument as a key part: plain values as they are, lists and dicts as
    a tagged JSON text (so the string '["age"]' never shares a key with the list)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return ("json", json.dumps(value, sort_keys=True, default=str))


def page_key(name: str, fingerprint: str, role: str, args: tuple) -> str:
    """The cache key of one page view (see the module docstring)."""
    parts = (name, fingerprint, role, settings_mod.results_digest(settings_mod.current()),
             *(_jsonable(a) for a in args))
    return cache.output_key("page", *parts, code=code_version())


def encode(value: Any) -> str:
    """A callback's return value as the JSON Dash would send."""
    from plotly.io.json import to_json_plotly  # what Dash serialises callback answers with

    return to_json_plotly(list(value) if isinstance(value, tuple) else value)


def decode(text: str, multi: bool) -> Any:
    """What :func:`encode` kept, as a return value (a tuple for several outputs)."""
    value = json.loads(text)
    return tuple(value) if multi and isinstance(value, list) else value


def current_role() -> str:
    """The role of this request's user ("admin" for the one-user app)."""
    from accounts.web import current_role as role

    return role()


def compute(name: str, args: list, role: str) -> None:
    """Compute the outputs of page ``name`` for ``args`` and keep them (in a job)."""
    from components import session

    fn = _BUILDERS[name]
    key = page_key(name, session.current_fingerprint(), role, tuple(args))
    if cache.lookup(key) is cache.MISS:
        cache.store(key, encode(fn(*args)))


def _large(fingerprint: str) -> int | None:
    """The study's number of patients when above the background threshold, else None."""
    from analysis.data import registry

    # the exact count (api.provenance's is the one disclosure control shows)
    rows = int(registry.ensure(fingerprint).provenance.rows)
    return rows if rows > settings_mod.current().background_rows else None


def _placeholders(rows: int) -> tuple:
    """'Computing' outputs for every output of the running callback."""
    from dash import callback_context, html

    from components.figures import message_figure

    text = (f"Computing the analyses of {rows:,} patients in the background (progress and "
            "Cancel above the page); the results appear here when they are ready.")
    out, first = [], True
    for spec in callback_context.outputs_list:
        prop = spec.get("property") if isinstance(spec, dict) else None
        if prop == "figure":
            out.append(message_figure("Computing…"))
        elif prop == "children" and first:
            out.append(html.P(text, className="text-muted job-waiting"))
            first = False
        else:
            out.append(None if isinstance(spec, dict) else [])
    return tuple(out)


#: Page views this browser session asked a job for (most recent last, a few only).
ASKED = "page_jobs_asked"


def _ask_once(key: str) -> bool:
    """True the first time this session asks a job for ``key``: a view still missing
    after its job (a cache that lost the entry, a job in a process whose cache is its
    own) is then computed in the request instead of asking again and again."""
    from flask import session as cookie

    asked = list(cookie.get(ASKED, []))
    if key in asked:
        log.warning("page view still not cached after its job; computing it in the request")
        return False
    cookie[ASKED] = [*asked, key][-4:]
    return True


def _request_job(name: str, args: tuple, rows: int, fingerprint: str) -> None:
    from dash import set_props

    from components import ids

    set_props(ids.JOB_REQUEST, {"data": {"page": name, "args": list(args), "rows": rows,
                                         "fp": fingerprint}})


def cached_page(name: str) -> Callable:
    """Keep a page callback's outputs in the shared cache (see the module docstring).

    The first argument of the callback must be the filter store (None: the callback
    runs as it is, to raise PreventUpdate).
    """

    def decorate(fn: Callable) -> Callable:
        _BUILDERS[name] = fn

        @functools.wraps(fn)
        def wrapper(*args):
            if not has_request_context() or not args or args[0] is None:
                return fn(*args)
            from components import session

            try:
                fingerprint = session.current_fingerprint()
            except ExplorerError:
                return fn(*args)
            key = page_key(name, fingerprint, current_role(), args)
            hit = cache.lookup(key)
            if hit is not cache.MISS:
                return decode(hit, multi=True)
            rows = _large(fingerprint)
            if rows is not None and _ask_once(key):
                _request_job(name, args, rows, fingerprint)
                return _placeholders(rows)
            from flask import g

            from components.page_context import TRANSIENT

            setattr(g, TRANSIENT, False)
            value = fn(*args)
            if not g.get(TRANSIENT):  # an error that may pass is never kept
                cache.store(key, encode(value))
            return value

        wrapper.uncached = fn  # type: ignore[attr-defined]
        return wrapper

    return decorate


__all__ = ["cached_page", "code_version", "compute", "decode", "encode", "page_key"]
