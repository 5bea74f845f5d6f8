"""Figure factories of the sensitivity analyses: the forest of estimates and the love plot.

Both take results, not patient rows: :func:`make_sensitivity_forest_figure` the frame of
:func:`analysis.stats.sensitivity.sensitivity_table` (``api.sensitivity(...).value``),
:func:`make_balance_figure` the ``balance`` frame of a
:class:`~analysis.stats.sensitivity.PropensityResult` (``api.propensity(...).value``).
They use the app's template and group colours (:mod:`components.theme`) and place the
footnote (n, filters, method, simulated label) as every other figure does
(:func:`components.figures.base.finish`: pages show it as a caption under the figure).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.data.schema import VARIABLES, get
from analysis.display import format_ci, format_count, format_num, format_p
from analysis.stats.sensitivity.common import CONTRAST
from analysis.stats.sensitivity.table import MAIN
from analysis.stats.sensitivity.trend import ANALYSIS as TREND
from components import theme
from components.figures import Footnote
from components.figures.base import finish

#: Colour of the main model's marker (the sensitivity rows use the spotty colour).
MAIN_COLOUR = "#1d2125"
#: Standardised mean difference beyond which a covariate is commonly called imbalanced.
SMD_THRESHOLD = 0.1
#: Subplot titles of the two panels of the forest.
CONTRAST_TITLE = "Spotty - none difference"
TREND_TITLE = "Trend over deposit categories (its own estimand)"


def _is_trend(row: pd.Series) -> bool:
    """A row whose estimand is not the spotty - none difference (the deposit trend)."""
    estimand = str(row.get("estimand") or "")
    return row.get("analysis") == TREND or estimand not in ("", CONTRAST)


#: Longest line (characters) of a row label's test before it wraps.
DETAIL_WIDTH = 58


def _detail_lines(row: pd.Series) -> list[str]:
    """The test and n of a row (or why it has none), wrapped at :data:`DETAIL_WIDTH`."""
    if pd.isna(row.get("estimate")):
        return ["not estimated (see the notes)"]
    words = [*str(row["test"]).split(" "), f"· n = {format_count(row['n'])}"]  # n kept whole
    lines, cur = [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > DETAIL_WIDTH:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    return [*lines, cur]


def row_label(row: pd.Series) -> str:
    """Tick label of one analysis: its name, then (smaller) its test and n.

    A row that could not be estimated says so instead of naming a test.
    """
    detail = "<br>".join(f"<span style='font-size:0.85em;color:#555'>{line}</span>"
                         for line in _detail_lines(row))
    return f"{row['analysis']}<br>{detail}"


def _hover(row: pd.Series) -> str:
    if pd.isna(row.get("estimate")):
        return f"{row['analysis']}: not estimated"
    return (f"{row['analysis']}<br>{format_num(row['estimate'])} "
            f"({format_ci(row['ci_low'], row['ci_high'])}), {format_p(row['p'], prefix=True)}"
            f"<br>{row['test']}<br>n = {format_count(row['n'])}")


def _vline(x: float, panel: int, dash: str, colour: str, width: float = 1.5) -> dict:
    """A vertical line across one panel (a plain shape: ``add_vline`` is slow)."""
    axis = "" if panel == 1 else str(panel)
    return dict(type="line", xref=f"x{axis}", yref=f"y{axis} domain", x0=x, x1=x, y0=0, y1=1,
                line=dict(dash=dash, color=colour, width=width))


def _panel_trace(rows: pd.DataFrame) -> go.Scatter:
    """One marker per analysis, 95% CI as error bars; the main model drawn apart."""
    est = rows["estimate"].to_numpy(float)
    main = (rows["analysis"] == MAIN).to_numpy()
    return go.Scatter(
        x=est, y=[row_label(r) for _, r in rows.iterrows()], mode="markers",
        marker=dict(symbol=["diamond" if m else "square" for m in main], size=12,
                    color=[MAIN_COLOUR if m else theme.group_color("spotty") for m in main]),
        error_x=dict(type="data", array=(rows["ci_high"] - rows["estimate"]).to_numpy(float),
                     arrayminus=(rows["estimate"] - rows["ci_low"]).to_numpy(float),
                     color="#333"),
        text=[_hover(r) for _, r in rows.iterrows()], hovertemplate="%{text}<extra></extra>",
        name="estimate (95% CI)", showlegend=False,
    )


def make_sensitivity_forest_figure(result, *, outcome: str, footnote: Footnote | None = None,
                                   presentation: bool = False) -> go.Figure:
    """The spotty - none difference (95% CI) under the main model and each sensitivity
    analysis, one row each, naming its test and n; the deposit trend in its own panel.

    Parameters
    ----------
    result : DataFrame
        :func:`analysis.stats.sensitivity.sensitivity_table` (``analysis, estimate, se,
        ci_low, ci_high, p, test, n, note, estimand``), main model first.
    outcome : str
        The outcome (axis title and unit).
    footnote : Footnote, optional
    presentation : bool

    Returns
    -------
    go.Figure
        ``data[0]`` the spotty - none rows, ``data[1]`` (when present) the trend row:
        ``x`` the estimates, ``y`` the row labels (top to bottom).
    """
    d = result.reset_index(drop=True)
    trend = d.apply(_is_trend, axis=1).to_numpy(bool) if len(d) else []
    contrast_rows, trend_rows = d[~trend], d[trend]
    var = get(outcome)
    panels = [contrast_rows] + ([trend_rows] if len(trend_rows) else [])
    fig = make_subplots(rows=len(panels), cols=1, vertical_spacing=0.22 if len(panels) > 1 else 0,
                        row_heights=[max(len(p), 1) for p in panels],
                        subplot_titles=[CONTRAST_TITLE, TREND_TITLE][:len(panels)])
    shapes = []
    for i, rows in enumerate(panels, start=1):
        fig.add_trace(_panel_trace(rows), row=i, col=1)
        shapes.append(_vline(0.0, i, "dash", "#777"))
        fig.update_yaxes(autorange="reversed", showgrid=False, zeroline=False,
                         automargin=False, row=i, col=1)
    main = contrast_rows[contrast_rows["analysis"] == MAIN]["estimate"]
    if len(main) and pd.notna(main.iloc[0]):
        shapes.append(_vline(float(main.iloc[0]), 1, "dot", MAIN_COLOUR))
    fig.update_layout(shapes=shapes)
    fig.update_xaxes(title_text=f"Difference in {var.axis_label}, spotty - none (95% CI)",
                     row=1, col=1)
    if len(panels) > 1:
        fig.update_xaxes(title_text=f"Change in {var.axis_label} per deposit category (95% CI)",
                         row=2, col=1)
    details = [_detail_lines(r) for _, r in d.iterrows()]
    # px per character of the name and of the smaller detail lines, px per label line
    name_px, detail_px, line_px = (11, 9.5, 30) if presentation else (7.5, 6.5, 20)
    left = int(min(640, 30 + max([name_px * len(str(a)) for a in d["analysis"]]
                                 + [detail_px * len(x) for lines in details for x in lines]
                                 + [120])))
    fig.update_layout(showlegend=False)
    fig = finish(fig, footnote, presentation)
    fig.update_layout(margin=dict(l=left, b=70))
    top = 50
    gaps = 120 * (len(panels) - 1)
    rows_px = sum(line_px * (1 + len(lines)) + 14 for lines in details) or 60
    fig.update_layout(margin=dict(t=top),
                      height=top + gaps + rows_px + int(fig.layout.margin.b or 80))
    return fig


def term_label(term: str) -> str:
    """Display label of a design column: ``"sex[male]"`` -> ``"Sex: male"``."""
    name, _, level = str(term).partition("[")
    label = VARIABLES[name].label if name in VARIABLES else name
    return f"{label}: {level.rstrip(']')}" if level else label


def make_balance_figure(result, *, footnote: Footnote | None = None,
                        presentation: bool = False) -> go.Figure:
    """Love plot: standardised mean difference (spotty - none) of every covariate column
    before and after propensity-score weighting, with the ±0.1 reference lines.

    Parameters
    ----------
    result : PropensityResult or DataFrame
        Its ``balance`` frame (``term, smd_before, smd_after``) or that frame.
    footnote : Footnote, optional
    presentation : bool

    Returns
    -------
    go.Figure
        ``data[0]`` before, ``data[1]`` after weighting (``x`` the SMDs, ``y`` the terms).
    """
    d = result if isinstance(result, pd.DataFrame) else result.balance
    labels = [term_label(t) for t in d["term"]]
    fig = go.Figure()
    for column, name, symbol, colour in (
            ("smd_before", "Before weighting", "circle-open", theme.group_color("other")),
            ("smd_after", "After weighting", "circle", theme.group_color("spotty"))):
        fig.add_trace(go.Scatter(
            x=d[column].to_numpy(float), y=labels, mode="markers", name=name,
            marker=dict(symbol=symbol, size=11, color=colour, line=dict(width=2, color=colour)),
            hovertemplate="%{y}: SMD %{x:.3f}<extra>" + name + "</extra>",
        ))
    fig.update_layout(shapes=[_vline(x, 1, dash, "#777", 1.0) for x, dash in (
        (0.0, "solid"), (-SMD_THRESHOLD, "dot"), (SMD_THRESHOLD, "dot"))])
    char_px, row_px = (11, 34) if presentation else (7, 26)
    left = int(min(420, 40 + char_px * max([len(x) for x in labels] + [8])))
    fig.update_layout(xaxis_title="Standardised mean difference, spotty - none",
                      yaxis=dict(autorange="reversed", showgrid=False, zeroline=False))
    fig = finish(fig, footnote, presentation)
    fig.update_layout(margin=dict(l=left, b=70))
    top = 60
    fig.update_layout(margin=dict(t=top), height=top + row_px * max(len(labels), 1)
                      + int(fig.layout.margin.b or 80))
    return fig


__all__ = ["make_balance_figure", "make_sensitivity_forest_figure", "row_label", "term_label"]
