"""What every page callback needs first: the active dataset and the filter spec.

``page_context(store_data)`` turns the cross-page store (the filter spec JSON) into
the dataset fingerprint and canonical query that the cached ``analysis.service.api`` entry
points take. Errors the user can act on (a load failure, a bad filter) become
messages through :func:`error_alert` / :func:`error_figure`, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import html

from analysis import settings as settings_mod
from analysis.data import registry
from analysis.errors import DataLoadError, ExplorerError
from analysis.selection import FilterSpec
from components.figures import Footnote, message_figure
from components.tables import frame_table


@dataclass(frozen=True)
class PageContext:
    """The dataset (by fingerprint), the filter spec and what footnotes need."""

    fingerprint: str
    spec: FilterSpec
    query: str
    simulated_label: str
    source: str
    rows: int
    presentation: bool = False

    def footnote(self, n: int | None, method: str = "") -> Footnote:
        """Footnote for a figure: n, the filters, the method and the simulated label."""
        return Footnote(n=n, filters=tuple(self.spec.describe()) if not self.spec.is_empty
                        else (), method=method, simulated_label=self.simulated_label)


def page_context(store_data: dict | None, presentation: bool | None = False) -> PageContext:
    """Context from the filter store (``None`` = default spec).

    Raises
    ------
    DataLoadError
        The dataset could not be loaded (its report is attached).
    FilterSpecError
        The stored spec is invalid.
    """
    dataset = registry.active()
    spec = FilterSpec.from_dict(store_data) if store_data else FilterSpec()
    prov = dataset.provenance
    return PageContext(fingerprint=prov.fingerprint, spec=spec, query=spec.to_query(),
                       simulated_label=prov.label, source=prov.source, rows=prov.rows,
                       presentation=bool(presentation))


def small_n_warning(n_by_group: dict[str, int]):
    """A warning when any compared group is below ``settings.small_n_warning`` (else None)."""
    limit = settings_mod.current().small_n_warning
    small = {g: n for g, n in n_by_group.items() if g in ("none", "spotty") and n < limit}
    if not small:
        return None
    text = ", ".join(f"{g}: n = {n}" for g, n in small.items())
    return dbc.Alert(f"Small groups ({text}; below {limit}): estimates are imprecise and "
                     "may be unstable. Widen the filters.", color="warning", className="py-2")


def error_alert(err: Exception):
    """A message for an analysis or loading error (DataLoadError shows its report)."""
    if isinstance(err, DataLoadError):
        children = [html.H2("The dataset could not be loaded"), html.P(str(err))]
        report = getattr(err, "report", None)
        if report is not None:
            children.append(frame_table(report.to_frame(), table_id=None))
        return dbc.Alert(children, color="danger")
    if isinstance(err, ExplorerError):
        return dbc.Alert(str(err), color="warning")
    return dbc.Alert(f"This view could not be computed: {err}", color="danger")


def error_figure(err: Exception, presentation: bool = False) -> go.Figure:
    """An empty figure carrying the error message (for figure outputs)."""
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
