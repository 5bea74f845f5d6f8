"""Figure factories and the one dcc.Graph wrapper.

Every factory is ``make_*_figure(result, *, ...) -> go.Figure``: it takes an analysis
result (or the tidy frame it holds), reads no globals and loads no data. Every figure
gets a footnote (n, filters, method, simulated label) from :class:`Footnote`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from analysis.data.schema import get
from analysis.display import format_p
from components import theme

#: Scale factor of the PNG written by the modebar camera button (4 x 700 px wide ≈ 2800 px).
PNG_SCALE = 4
#: Id ``type`` of the per-figure "SVG" export buttons (handled by one clientside callback).
SVG_BUTTON = "svg-export"


@dataclass(frozen=True)
class Footnote:
    """What a figure says about itself: n, filters, method, simulated label."""

    n: int | None = None
    filters: Sequence[str] = field(default_factory=tuple)
    method: str = ""
    simulated_label: str = ""

    def text(self, width: int = 72) -> str:
        """The footnote as plotly annotation text (lines joined with ``<br>``)."""
        parts = []
        if self.n is not None:
            parts.append(f"n = {self.n:,}")
        if self.filters:
            parts.append("Filters: " + "; ".join(self.filters))
        else:
            parts.append("Filters: none")
        lines = _wrap(" · ".join(parts), width)
        if self.method:
            lines += _wrap(self.method, width)
        if self.simulated_label:
            lines += [f"<b>{line}</b>" for line in _wrap(self.simulated_label, width)]
        return "<br>".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    if cur:
        lines.append(cur)
    return lines


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


def graph(graph_id: str, stem: str, *, height: int | None = 480,
          figure: go.Figure | None = None):
    """A figure on a page: dcc.Graph (PNG and SVG export in the modebar) + an SVG button.

    The button below the figure is the keyboard-reachable way to the SVG export.

    Parameters
    ----------
    graph_id : str
        Id of the dcc.Graph (the page callback writes its ``figure``).
    stem : str
        File-name stem of the exports, e.g. ``"dpav_ls_means"`` (the date is appended).
    height : int or None
        Height in px; None lets the figure's own ``layout.height`` decide (figures whose
        height grows with their number of rows, such as the forest plot).
    """
    filename = export_filename(stem)
    fig = figure if figure is not None else message_figure("Computing…")
    return html.Div(
        [
            dcc.Loading(
                dcc.Graph(id=graph_id, figure=fig, config=graph_config(filename),
                          style={"height": f"{height}px"} if height else {}),
                type="default", delay_show=300,
            ),
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


def _finish(fig: go.Figure, footnote: Footnote | None, presentation: bool,
            title: str | None = None, left: int | None = None) -> go.Figure:
    """Apply the template and add the footnote below the plot, starting at the left edge.

    ``left`` fixes the left margin (px) for figures with long tick labels; the footnote
    is shifted by it so it starts near the figure's left edge, not the plot area's.
    """
    fig.update_layout(template=theme.template_name(presentation))
    if title:
        fig.update_layout(title=dict(text=title))
    margin_left = left if left is not None else 70
    if left is not None:
        fig.update_layout(margin=dict(l=left), yaxis=dict(automargin=False))
    if footnote is not None:
        # presentation fonts are larger and figures may sit in a narrow column
        text = footnote.text(width=46 if presentation else 64)
        nlines = text.count("<br>") + 1
        shift = 110 if presentation else 82
        fig.add_annotation(text=text, xref="paper", yref="paper", x=0.0, y=0.0,
                           xanchor="left", yanchor="top", yshift=-shift,
                           xshift=-(margin_left - 8), showarrow=False, align="left",
                           font=dict(size=13 if presentation else 11, color="#444"))
        fig.update_layout(margin=dict(b=shift + 30 + (19 if presentation else 15) * nlines))
    return fig


def _frame(result, attr: str) -> pd.DataFrame:
    """The tidy frame ``attr`` of an analysis result (or the frame itself)."""
    if isinstance(result, pd.DataFrame):
        return result
    return getattr(result, attr)


def _levels(frame: pd.DataFrame, column: str = "level") -> list[str]:
    present = [str(v) for v in frame[column].astype(str).unique()]
    order = [g for g in theme.GROUP_ORDER if g in present]
    return order + [g for g in present if g not in order]


def _axis_label(level: str) -> str:
    """Group label for a category axis, on two lines ("No<br>calcification")."""
    return theme.group_label(level).replace(" ", "<br>", 1)


def _ci_arrays(d: pd.DataFrame, centre: str = "ls_mean"):
    return (d["ci_high"] - d[centre]).to_numpy(float), (d[centre] - d["ci_low"]).to_numpy(float)


# --------------------------------------------------------------------------------------
# Overview / comparison
# --------------------------------------------------------------------------------------
def make_ls_means_figure(result, *, outcome: str, footnote: Footnote | None = None,
                         presentation: bool = False, adjusted: bool = True) -> go.Figure:
    """Adjusted (LS) or raw means per group with 95% CI.

    ``result`` is an ``AncovaResult`` (uses ``.ls_means``: level, ls_mean, se, ci_low,
    ci_high, n) or that frame; for raw means pass a frame with a ``mean`` column
    (``ProgressionSummary.by_group`` plus ``ci_low``/``ci_high``).
    """
    d = _frame(result, "ls_means").copy()
    centre = "ls_mean" if "ls_mean" in d.columns else "mean"
    if "ci_low" not in d.columns:
        d["ci_low"] = d[centre] - 1.96 * d["se"]
        d["ci_high"] = d[centre] + 1.96 * d["se"]
    var = get(outcome)
    fig = go.Figure()
    for level in _levels(d):
        row = d[d["level"].astype(str) == level]
        hi, lo = _ci_arrays(row, centre)
        fig.add_trace(go.Scatter(
            x=[_axis_label(level)], y=row[centre].to_numpy(float), mode="markers",
            name=theme.group_label(level), marker=dict(color=theme.group_color(level), size=14),
            error_y=dict(type="data", array=hi, arrayminus=lo, thickness=2.5, width=10,
                         color=theme.group_color(level)),
            customdata=row[["n", "ci_low", "ci_high"]].to_numpy(float),
            hovertemplate=("%{x}<br>" + ("LS mean" if adjusted else "Mean")
                           + " %{y:.2f}<br>95% CI %{customdata[1]:.2f} to %{customdata[2]:.2f}"
                           "<br>n = %{customdata[0]:.0f}<extra></extra>"),
        ))
    kind = "LS mean" if adjusted else "Mean"
    fig.update_layout(yaxis_title=f"{kind} {var.axis_label} ± 95% CI", showlegend=False,
                      xaxis_title="Calcification group")
    return _finish(fig, footnote, presentation)


# --------------------------------------------------------------------------------------
# Progression
# --------------------------------------------------------------------------------------
def make_histogram_figure(result, *, outcome: str, footnote: Footnote | None = None,
                          presentation: bool = False) -> go.Figure:
    """Histogram per group from server-side bins (level, left, right, count, density)."""
    d = _frame(result, "histogram")
    var = get(outcome)
    fig = go.Figure()
    for level in _levels(d):
        row = d[d["level"].astype(str) == level]
        left, right = row["left"].to_numpy(float), row["right"].to_numpy(float)
        fig.add_trace(go.Bar(
            x=(left + right) / 2, y=row["density"].to_numpy(float), width=(right - left),
            name=theme.group_label(level), marker_color=theme.group_color(level), opacity=0.6,
            customdata=row[["left", "right", "count"]].to_numpy(float),
            hovertemplate=("%{customdata[0]:.2f} to %{customdata[1]:.2f}<br>n = %{customdata[2]:.0f}"
                           "<br>density %{y:.3f}<extra>" + theme.group_label(level) + "</extra>"),
        ))
    fig.update_layout(barmode="overlay", bargap=0, xaxis_title=var.axis_label,
                      yaxis_title="Density (proportion per unit)")
    return _finish(fig, footnote, presentation)


def make_box_figure(result, *, outcome: str, footnote: Footnote | None = None,
                    presentation: bool = False) -> go.Figure:
    """Box plots per group from server-side quartiles (no raw rows are sent)."""
    d = _frame(result, "box")
    var = get(outcome)
    fig = go.Figure()
    for level in _levels(d):
        r = d[d["level"].astype(str) == level].iloc[0]
        name = theme.group_label(level)
        fig.add_trace(go.Box(
            x=[_axis_label(level)], q1=[r["q1"]], median=[r["median"]], q3=[r["q3"]],
            lowerfence=[r["whisker_low"]], upperfence=[r["whisker_high"]], mean=[r["mean"]],
            name=name, marker_color=theme.group_color(level), boxpoints=False,
            hovertemplate=f"{name}<br>n = {int(r['n']):,}<extra></extra>",
        ))
        outliers = r.get("outliers")
        if outliers is not None and len(outliers):
            fig.add_trace(go.Scatter(
                x=[_axis_label(level)] * len(outliers), y=list(outliers), mode="markers",
                showlegend=False,
                marker=dict(color=theme.group_color(level), size=6, opacity=0.6),
                name=f"{name} outliers",
                hovertemplate="%{y:.2f}<extra>outlier (" + f"{int(r['n_outliers'])} in all)</extra>",
            ))
    fig.update_layout(yaxis_title=var.axis_label, xaxis_title="Calcification group",
                      showlegend=False)
    return _finish(fig, footnote, presentation)


def make_ecdf_figure(result, *, outcome: str, footnote: Footnote | None = None,
                     presentation: bool = False) -> go.Figure:
    """Empirical cumulative distribution per group on a server-side grid (level, x, p)."""
    d = _frame(result, "ecdf")
    var = get(outcome)
    fig = go.Figure()
    for level in _levels(d):
        row = d[d["level"].astype(str) == level]
        n = f"<br>n = {int(row['n'].iloc[0]):,}" if "n" in row.columns and len(row) else ""
        fig.add_trace(go.Scatter(
            x=row["x"].to_numpy(float), y=row["p"].to_numpy(float), mode="lines",
            line_shape="hv", name=theme.group_label(level),
            line_color=theme.group_color(level),
            hovertemplate="%{x:.2f}: %{y:.1%} at or below" + n + "<extra>"
            + theme.group_label(level) + "</extra>",
        ))
    fig.update_layout(xaxis_title=var.axis_label, yaxis_title="Cumulative proportion",
                      yaxis_tickformat=".0%")
    return _finish(fig, footnote, presentation)


def make_paired_figure(result, *, variable: str, footnote: Footnote | None = None,
                       presentation: bool = False) -> go.Figure:
    """Baseline vs follow-up mean with 95% CI per group (level, time, n, mean, ci_low, ci_high)."""
    d = _frame(result, "paired")
    var = get(variable)
    label = var.label.replace("Baseline ", "")
    unit = f" ({var.unit})" if var.unit else ""
    fig = go.Figure()
    for level in _levels(d):
        row = d[d["level"].astype(str) == level]
        hi, lo = _ci_arrays(row, "mean")
        fig.add_trace(go.Scatter(
            x=row["time"].astype(str).tolist(), y=row["mean"].to_numpy(float),
            mode="lines+markers", name=theme.group_label(level),
            line_color=theme.group_color(level), marker_color=theme.group_color(level),
            error_y=dict(type="data", array=hi, arrayminus=lo, color=theme.group_color(level)),
            customdata=row[["n"]].to_numpy(float),
            hovertemplate="%{x}: %{y:.2f}<br>n = %{customdata[0]:.0f}<extra>"
            + theme.group_label(level) + "</extra>",
        ))
    fig.update_layout(yaxis_title=f"{label}{unit}, mean and 95% CI", xaxis_title="Time")
    return _finish(fig, footnote, presentation)


def make_regression_figure(result, *, footnote: Footnote | None = None,
                           presentation: bool = False) -> go.Figure:
    """% of patients with atheroma regression (ΔPAV < 0) per group."""
    d = _frame(result, "by_group")
    fig = go.Figure()
    for level in _levels(d):
        row = d[d["level"].astype(str) == level]
        fig.add_trace(go.Bar(
            x=[_axis_label(level)], y=row["pct_regression"].to_numpy(float),
            name=theme.group_label(level), marker_color=theme.group_color(level),
            customdata=row[["n_regression", "n"]].to_numpy(float),
            hovertemplate="%{y:.1f}%: %{customdata[0]:.0f} of n = %{customdata[1]:.0f}<extra></extra>",
            text=[f"{v:.1f}%" for v in row["pct_regression"]], textposition="outside",
        ))
    fig.update_layout(yaxis_title="Patients with regression (%)", showlegend=False,
                      xaxis_title="Calcification group", yaxis_rangemode="tozero")
    return _finish(fig, footnote, presentation)


def make_dose_response_figure(result, *, outcome: str, adjusted: bool = False,
                              footnote: Footnote | None = None,
                              presentation: bool = False) -> go.Figure:
    """Outcome (95% CI) by number of spotty deposits.

    ``result`` is a ``DoseResponseResult`` (``.table``: category, n, mean, ci_low, ci_high
    and, for ``adjusted=True``, ls_mean, ls_ci_low, ls_ci_high) or that frame.
    """
    d = _frame(result, "table").copy()
    var = get(outcome)
    if adjusted and "ls_mean" in d.columns:
        d = d.assign(mean=d["ls_mean"], ci_low=d["ls_ci_low"], ci_high=d["ls_ci_high"])
    hi, lo = _ci_arrays(d, "mean")
    kind = "LS mean" if adjusted else "Mean"
    fig = go.Figure(go.Scatter(
        x=d["category"].astype(str).tolist(), y=d["mean"].to_numpy(float), mode="lines+markers",
        name=kind, line_color=theme.group_color("spotty"),
        marker_color=theme.group_color("spotty"),
        error_y=dict(type="data", array=hi, arrayminus=lo, color=theme.group_color("spotty")),
        customdata=d[["n"]].to_numpy(float),
        hovertemplate="%{x} deposits: %{y:.2f}<br>n = %{customdata[0]:.0f}<extra></extra>",
    ))
    fig.update_layout(xaxis_title=f"{get('n_spotty').label} (count)",
                      yaxis_title=f"{kind} {var.axis_label}, 95% CI", showlegend=False)
    return _finish(fig, footnote, presentation)


# --------------------------------------------------------------------------------------
# Subgroups and interactions
# --------------------------------------------------------------------------------------
def make_forest_figure(result, *, outcome: str, footnote: Footnote | None = None,
                       presentation: bool = False) -> go.Figure:
    """Spotty - none difference (95% CI) overall and per subgroup, with interaction p
    (and its Holm and Benjamini-Hochberg adjustments when the table has ``p_holm``,
    ``p_bh``)."""
    d = _frame(result, "table").reset_index(drop=True)
    var = get(outcome)
    # the interaction test of each subgroup variable (named on its first row):
    # "t-test" for a two-level subgroup, "F-test" for more levels
    tests = {}
    if "interaction_test" in d.columns:
        tests = {v: str(t).split(" ")[0] for v, t in zip(d["variable"], d["interaction_test"],
                                                         strict=True) if isinstance(t, str) and t}
    labels = []
    for _, r in d.iterrows():
        lvl = "" if pd.isna(r.get("level")) else str(r.get("level"))
        base = str(r.get("label") or r.get("variable"))
        name = base if not lvl or lvl == base else f"{base}: {lvl}"
        pint = format_p(r.get("p_interaction"))
        test = tests.get(r.get("variable"), "")
        # Holm / Benjamini-Hochberg adjusted interaction p beside the raw one, when given
        adj = "".join(f"; {name_} {format_p(r.get(col))}" for col, name_ in
                      (("p_holm", "Holm"), ("p_bh", "BH")) if format_p(r.get(col)))
        labels.append(f"{name}" + (f"  (p int. {pint}{', ' + test if test else ''}{adj})"
                                   if pint else ""))
    hi, lo = _ci_arrays(d, "estimate")
    fig = go.Figure(go.Scatter(
        x=d["estimate"].to_numpy(float), y=list(range(len(labels))), text=labels,
        mode="markers",
        marker=dict(symbol="square", size=11, color=theme.group_color("spotty")),
        error_x=dict(type="data", array=hi, arrayminus=lo, color="#333"),
        customdata=d[["n_none", "n_spotty", "ci_low", "ci_high"]].to_numpy(float),
        hovertemplate=("%{text}<br>difference %{x:.2f} (95% CI %{customdata[2]:.2f} to "
                       "%{customdata[3]:.2f})<br>n none = %{customdata[0]:.0f}, n spotty = "
                       "%{customdata[1]:.0f}<extra></extra>"),
        name="spotty - none",
    ))
    fig.add_vline(x=0, line_dash="dash", line_color="#777")
    # room for the longest label and a row height that keeps labels apart at either
    # font size (the presentation template uses 20 px text)
    char_px, row_px = (11, 34) if presentation else (7, 26)
    left = int(min(600, 40 + char_px * max(len(x) for x in labels)))
    fig.update_layout(xaxis_title=f"Difference in {var.axis_label}, spotty - none (95% CI)",
                      yaxis=dict(autorange="reversed", title="", tickmode="array",
                                 tickvals=list(range(len(labels))), ticktext=labels,
                                 zeroline=False, showgrid=False),
                      showlegend=False)
    fig = _finish(fig, footnote, presentation, left=left)
    top = 40
    fig.update_layout(margin=dict(t=top),
                      height=top + row_px * len(labels) + int(fig.layout.margin.b or 80))
    return fig


def make_interaction_figure(result, *, outcome: str, modifier_label: str,
                            footnote: Footnote | None = None,
                            presentation: bool = False) -> go.Figure:
    """LS means (95% CI) per group across the levels of a therapy modifier."""
    d = _frame(result, "cells")
    var = get(outcome)
    fig = go.Figure()
    for level in _levels(d, "group"):
        row = d[d["group"].astype(str) == level]
        hi, lo = _ci_arrays(row, "ls_mean")
        fig.add_trace(go.Scatter(
            x=row["modifier_level"].astype(str).tolist(), y=row["ls_mean"].to_numpy(float),
            mode="lines+markers", name=theme.group_label(level),
            line_color=theme.group_color(level), marker_color=theme.group_color(level),
            error_y=dict(type="data", array=hi, arrayminus=lo, color=theme.group_color(level)),
            customdata=row[["n"]].to_numpy(float),
            hovertemplate="%{x}: LS mean %{y:.2f}<br>n = %{customdata[0]:.0f}<extra>"
            + theme.group_label(level) + "</extra>",
        ))
    fig.update_layout(xaxis_title=modifier_label,
                      yaxis_title=f"LS mean {var.axis_label}, 95% CI")
    return _finish(fig, footnote, presentation)


def make_continuous_interaction_figure(result, *, outcome: str, modifier: str,
                                       cut: float | None = None,
                                       footnote: Footnote | None = None,
                                       presentation: bool = False) -> go.Figure:
    """Fitted outcome (95% CI band) per group along a continuous modifier.

    ``cut`` (optional) marks the therapy cut-point with a dashed vertical line.
    """
    d = _frame(result, "curve")
    var, mod = get(outcome), get(modifier)
    n_used = getattr(result, "n_used", None)
    n_text = f"<br>model n = {int(n_used):,}" if n_used is not None else ""
    fig = go.Figure()
    for level in _levels(d, "group"):
        row = d[d["group"].astype(str) == level].sort_values("x")
        colour = theme.group_color(level)
        x = row["x"].to_numpy(float)
        fig.add_trace(go.Scatter(
            x=list(x) + list(x[::-1]),
            y=list(row["ci_high"].to_numpy(float)) + list(row["ci_low"].to_numpy(float)[::-1]),
            fill="toself", fillcolor=_rgba(colour, 0.18), line=dict(width=0),
            hoverinfo="skip", showlegend=False, name=f"{theme.group_label(level)} 95% CI",
        ))
        fig.add_trace(go.Scatter(
            x=x, y=row["fit"].to_numpy(float), mode="lines", name=theme.group_label(level),
            line_color=colour,
            hovertemplate="%{x:.1f}: %{y:.2f}" + n_text + "<extra>" + theme.group_label(level)
            + "</extra>",
        ))
    if cut is not None:
        fig.add_vline(x=cut, line_dash="dot", line_color="#555",
                      annotation_text=f"cut-point {cut:g}", annotation_position="top left")
    fig.update_layout(xaxis_title=mod.axis_label,
                      yaxis_title=f"Fitted {var.axis_label}, 95% CI")
    return _finish(fig, footnote, presentation)


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"
