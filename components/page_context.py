"""What every page callback needs first: the active dataset and the filter spec.

``page_context(store_query)`` pairs the cross-page store (the canonical filter query)
with the fingerprint of the active dataset: what the cached ``analysis.service.api`` entry
points take. Errors the user can act on (a load failure, a bad filter) become
messages through :func:`error_alert` / :func:`error_figure`, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import html

from analysis import settings as settings_mod
from analysis.display import format_count
from analysis.errors import DataLoadError, ExplorerError
from analysis.service.results import Computed
from components import session
from components.figures import Footnote, message_figure
from components.tables import frame_table


@dataclass(frozen=True)
class PageContext:
    """The dataset (by fingerprint) and the store's canonical filter query."""

    fingerprint: str
    query: str
    presentation: bool = False

    def footnote(self, computed: Computed, n: int | None = None, method: str = "") -> Footnote:
        """Footnote for a figure of ``computed``: n, its filters, the method and the
        simulated-data label of the selection it ran on."""
        return Footnote.of(computed, n, method)


def active_fingerprint() -> str:
    """Fingerprint of the study this browser session has open (or the default dataset).

    Raises
    ------
    DataLoadError
        The default dataset could not be loaded (its report is attached).
    """
    return session.current_fingerprint()


def page_context(store_query: str | None, presentation: bool | None = False) -> PageContext:
    """Context from the filter store (the canonical query; ``None`` = no filters).

    The query is passed on as it is: the analysis API parses it (once per process).

    Raises
    ------
    DataLoadError
        The dataset could not be loaded (its report is attached).
    """
    return PageContext(fingerprint=active_fingerprint(), query=str(store_query or ""),
                       presentation=bool(presentation))


def small_n_warning(n_by_group: dict[str, int]):
    """A warning when any compared group is below ``settings.small_n_warning`` (else None)."""
    limit = settings_mod.current().small_n_warning
    # a suppressed count (a marker, under disclosure control) is small by definition
    small = {g: n for g, n in n_by_group.items()
             if g in ("none", "spotty") and (isinstance(n, str) or n < limit)}
    if not small:
        return None
    text = ", ".join(f"{g}: n = {format_count(n)}" for g, n in small.items())
    return dbc.Alert(f"Small groups ({text}; below {limit}): estimates are imprecise and "
                     "may be unstable. Widen the filters.", color="warning", className="py-2")


#: ``flask.g`` flag: this answer shows an error that may pass (a study that did not
#: load, an unexpected failure), so the finished-page cache must not keep it.
TRANSIENT = "page_error_may_pass"


def mark_transient() -> None:
    """Tell :mod:`shell.page_cache` not to keep this request's answer."""
    from flask import g, has_request_context

    if has_request_context():
        setattr(g, TRANSIENT, True)


def error_alert(err: Exception):
    """A message for an analysis or loading error (DataLoadError shows its report)."""
    if isinstance(err, DataLoadError) or not isinstance(err, ExplorerError):
        mark_transient()
    if isinstance(err, DataLoadError):
        children = [html.H2("The dataset could not be loaded"), html.P(str(err))]
        report = getattr(err, "report", None)
        if report is not None:
            children.append(frame_table(report.to_frame(), table_id=None))
        return dbc.Alert(children, color="danger")
    if isinstance(err, ExplorerError):
        return dbc.Alert(str(err), color="warning")
    return dbc.Alert("This view could not be computed; the error was logged. Change a "
                     "setting or reload the page.", color="danger")


def error_figure(err: Exception, presentation: bool = False) -> go.Figure:
    """An empty figure carrying the error message (for figure outputs)."""
    if isinstance(err, DataLoadError) or not isinstance(err, ExplorerError):
        mark_transient()
    if isinstance(err, DataLoadError):
        text = "The dataset could not be loaded: see the report at the top of the page."
    else:
        text = str(err)
    return message_figure(_wrap_text(text), presentation=presentation)


def _wrap_text(text: str, width: int = 80) -> str:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + len(w) + 1 > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    lines.append(cur)
    return "<br>".join(lines)
