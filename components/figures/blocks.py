"""A figure on a page: dcc.Graph (PNG and SVG export) with its caption underneath.

:func:`figure_block` is what a page layout places; the page callback writes the Graph's
``figure`` and the caption's ``children`` (:func:`caption` of the figure's
:class:`~components.figures.footnote.Footnote`). The figure's height comes from the
stylesheet (``.figure-graph`` in assets/app.css), so presentation mode can size figures
from the viewport.
"""

from __future__ import annotations

import datetime as _dt

import plotly.graph_objects as go
from dash import dcc, html

from components import theme
from components.figures.footnote import Footnote

#: Scale factor of the PNG written by the modebar camera button (4 x 700 px wide ≈ 2800 px).
PNG_SCALE = 4
#: Id ``type`` of the per-figure "SVG" export buttons (handled by one clientside callback).
SVG_BUTTON = "svg-export"


def export_filename(stem: str, today: _dt.date | None = None) -> str:
    """A meaningful file name for a figure export: ``"dpav_ls_means_2026-11-25"``."""
    today = today or _dt.date.today()
    text = stem.replace("Δ", "d").replace("δ", "d").lower()
    safe = "".join(c if (c.isascii() and c.isalnum()) or c in "-_" else "_" for c in text)
    return f"{safe}_{today.isoformat()}"


def graph_config(filename: str) -> dict:
    """dcc.Graph config: high-resolution PNG from the modebar, with a meaningful name.

    ``assets/figure_export.js`` adds the SVG button to the modebar using the same name.
    """
    return {
        "displaylogo": False,
        "responsive": True,
        "toImageButtonOptions": {"format": "png", "scale": PNG_SCALE, "filename": filename},
        # no upload to Plotly's cloud from a hospital intranet
        "modeBarButtonsToRemove": ["lasso2d", "select2d", "sendChartToCloud",
                                   "sendDataToCloud"],
    }


#: Graph heights by size: CSS variables of assets/app.css (presentation mode sets them
#: from the viewport); "auto" leaves the height to the figure's ``layout.height``.
_HEIGHTS = {"standard": {"height": "var(--figure-height)"},
            "tall": {"height": "var(--figure-height-tall)"}, "auto": {}}


def caption_id(graph_id: str) -> str:
    """Id of the caption under the figure ``graph_id``."""
    return f"{graph_id}-caption"


def caption(footnote: Footnote | None) -> list | None:
    """Children of a figure's caption: selection line, method, simulated label (bold)."""
    if footnote is None:
        return None
    children = [html.Div(footnote.selection_line(), className="caption-selection")]
    if footnote.method:
        children.append(html.Div(footnote.method, className="caption-method"))
    if footnote.disclosure:
        children.append(html.Div(footnote.disclosure, className="caption-disclosure"))
    if footnote.simulated_label:
        children.append(html.Div(html.Strong(footnote.simulated_label),
                                 className="caption-label"))
    return children


def figure_block(graph_id: str, stem: str, *, size: str = "standard",
                 figure: go.Figure | None = None) -> html.Div:
    """A figure on a page: the Graph, its caption and a keyboard-reachable SVG button.

    Parameters
    ----------
    graph_id : str
        Id of the dcc.Graph (the page callback writes its ``figure``); the caption's id
        is :func:`caption_id` of it.
    stem : str
        File-name stem of the exports, e.g. ``"dpav_ls_means"`` (the date is appended).
    size : {"standard", "tall", "auto"}
        Height: ``standard`` and ``tall`` come from the stylesheet's variables (from the
        viewport in presentation mode); ``auto`` lets the figure's own ``layout.height``
        decide (figures that grow with their rows, such as the forest plot).
    figure : go.Figure, optional
        The figure drawn before the callback answers (default: "Computing…").
    """
    if size not in _HEIGHTS:
        raise ValueError(f"size must be one of {sorted(_HEIGHTS)}, not {size!r}")
    filename = export_filename(stem)
    fig = figure if figure is not None else message_figure("Computing…")
    return html.Div(
        [
            dcc.Loading(
                dcc.Graph(id=graph_id, figure=fig, config=graph_config(filename),
                          className=f"figure-graph figure-graph-{size}",
                          style=_HEIGHTS[size]),
                type="default", delay_show=300,
            ),
            html.Div(id=caption_id(graph_id), className="figure-caption", role="note",
                     **{"aria-live": "polite"}),
            html.Div(
                html.Button(
                    "Download SVG", id={"type": SVG_BUTTON, "graph": graph_id},
                    value=filename, className="btn btn-sm btn-outline-secondary",
                    title="Download this figure as SVG (vector)",
                    **{"aria-label": f"Download figure {stem} as SVG"},
                ),
                className="text-end",
            ),
        ],
        className="figure-card",
    )


def message_figure(text: str, *, presentation: bool = False) -> go.Figure:
    """An empty figure that shows ``text`` where the plot would be."""
    fig = go.Figure()
    fig.update_layout(
        template=theme.template_name(presentation),
        xaxis=dict(visible=False), yaxis=dict(visible=False),
        annotations=[dict(text=text, x=0.5, y=0.5, xref="paper", yref="paper",
                          showarrow=False, font=dict(size=18, color="#555"))],
        margin=dict(l=20, r=20, t=20, b=20),
    )
    return fig
