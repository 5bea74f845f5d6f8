"""Progress messages of long computations, for whoever is waiting on them.

A long analysis step (each analysis of :func:`analysis.stats.sensitivity.
sensitivity_table`, each imputation of :func:`analysis.stats.sensitivity.
multiple_imputation`) calls :func:`report`; nothing happens unless a caller wrapped
the computation in :func:`reporting`, as the meeting kit's background job does to show
"imputation 3 of 20" in its progress bar. The reporter lives in a context variable, so
it never enters a cache key, a result or another thread's computation, and a cached
result (computed before) reports nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

Reporter = Callable[[str], None]

_reporter: contextvars.ContextVar[Reporter | None] = contextvars.ContextVar(
    "analysis_progress_reporter", default=None)


@contextlib.contextmanager
def reporting(reporter: Reporter | None) -> Iterator[None]:
    """Send the :func:`report` messages of the computations inside to ``reporter``."""
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)


def report(message: str) -> None:
    """Pass ``message`` to the reporter in force, if any (a reporter's own error is
    not the computation's: it is ignored)."""
    reporter = _reporter.get()
    if reporter is None:
        return
    with contextlib.suppress(Exception):
        reporter(message)


__all__ = ["Reporter", "report", "reporting"]
