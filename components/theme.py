"""The one plotly template of the app and the group colours.

``register()`` adds two templates to ``plotly.io.templates``: ``"explorer"`` (screen)
and ``"explorer_presentation"`` (larger fonts, thicker marks, white background). It runs
once, when this module is imported; figure factories name the template they use
through :func:`template_name`.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

from analysis.data.schema import GROUP_COLORS, GROUP_LABELS

TEMPLATE = "explorer"
PRESENTATION_TEMPLATE = "explorer_presentation"
FONT_FAMILY = ("system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, "
               "'Liberation Sans', sans-serif")
#: Order in which groups appear in legends and on axes.
GROUP_ORDER = ("none", "spotty", "other")


def group_color(level: str) -> str:
    """Colour of a calcification group (Okabe-Ito, colour-blind safe; grey if unknown)."""
    return GROUP_COLORS.get(str(level), "#555555")


def group_label(level: str) -> str:
    """Display label of a calcification group."""
    return GROUP_LABELS.get(str(level), str(level))


def _template(*, presentation: bool) -> go.layout.Template:
    size = 20 if presentation else 15
    line = 3.5 if presentation else 2.0
    marker = 11 if presentation else 8
    grid = "#e3e6ea"
    t = go.layout.Template()
    t.layout = go.Layout(
        font=dict(family=FONT_FAMILY, size=size, color="#1d2125"),
        title=dict(font=dict(size=size + 3), x=0.0, xanchor="left"),
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        colorway=[GROUP_COLORS[g] for g in GROUP_ORDER],
        # small fixed margins: axis titles, tick labels and the legend above the plot
        # widen them as they need (automargin), so the plot keeps the rest
        # (the top margin also keeps the legend clear of the modebar)
        margin=dict(l=56, r=24, t=84 if presentation else 72, b=48, autoexpand=True),
        xaxis=dict(showgrid=False, linecolor="#555", ticks="outside", zeroline=False,
                   title=dict(standoff=10), automargin=True),
        yaxis=dict(gridcolor=grid, linecolor="#555", ticks="outside", zeroline=True,
                   zerolinecolor="#aaa", title=dict(standoff=10), automargin=True),
        # above the plot area, never over the data
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0.0,
                    yref="paper", bgcolor="rgba(255, 255, 255, 0)"),
        hoverlabel=dict(font=dict(size=size - 1)),
    )
    t.data.scatter = [go.Scatter(line=dict(width=line), marker=dict(size=marker))]
    t.data.bar = [go.Bar(marker=dict(line=dict(width=0)))]
    t.data.box = [go.Box(line=dict(width=line))]
    return t


def register() -> None:
    """Add the app's templates to ``plotly.io.templates`` (idempotent)."""
    if TEMPLATE not in pio.templates:
        pio.templates[TEMPLATE] = _template(presentation=False)
    if PRESENTATION_TEMPLATE not in pio.templates:
        pio.templates[PRESENTATION_TEMPLATE] = _template(presentation=True)


def template_name(presentation: bool = False) -> str:
    """Name of the template for screen or presentation mode."""
    return PRESENTATION_TEMPLATE if presentation else TEMPLATE


register()
