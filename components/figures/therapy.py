"""Therapy interaction figures: group x therapy-intensity LS means, and the fitted
outcome along a continuous modifier."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from analysis.data.schema import get
from analysis.display import format_count
from components import theme
from components.figures.base import (
    category_axis,
    ci_arrays,
    coloured,
    count_data,
    dodge_offsets,
    finish,
    frame_of,
    levels,
    rgba,
)
from components.figures.footnote import Footnote


def _modifier_levels(cells) -> list[str]:
    return [str(v) for v in dict.fromkeys(cells["modifier_level"].astype(str))]


def make_interaction_figure(result, *, outcome: str, modifier_label: str,
                            footnote: Footnote | None = None,
                            presentation: bool = False) -> go.Figure:
    """LS means (95% CI) per group across the levels of a therapy modifier.

    Each modifier level is a slot on the x-axis; the groups are dodged around it so
    their intervals never sit on top of each other. The n of every cell is in the
    hover and under the axis (one coloured n per group).
    """
    d = frame_of(result, "cells")
    var = get(outcome)
    mods = _modifier_levels(d)
    groups = levels(d, "group")
    n_cell = {(str(g), str(m)): format_count(n) for g, m, n in
              zip(d["group"], d["modifier_level"], d["n"], strict=True)}
    ticks = []
    for m in mods:
        ns = " · ".join(coloured(f"n = {n_cell[(g, m)]}", theme.group_color(g))
                        for g in groups if (g, m) in n_cell)
        ticks.append(f"{m.capitalize()}<br>{ns}")
    fig = go.Figure()
    for level, offset in zip(groups, dodge_offsets(len(groups)), strict=True):
        row = d[d["group"].astype(str) == level]
        hi, lo = ci_arrays(row, "ls_mean")
        ns, fmt = count_data(row["n"])
        slot = [mods.index(str(m)) + offset for m in row["modifier_level"].astype(str)]
        fig.add_trace(go.Scatter(
            x=slot, y=row["ls_mean"].to_numpy(float),
            mode="lines+markers", name=theme.group_label(level),
            line_color=theme.group_color(level), marker_color=theme.group_color(level),
            error_y=dict(type="data", array=hi, arrayminus=lo, color=theme.group_color(level)),
            customdata=np.column_stack([ns,
                                        row["modifier_level"].astype(str).to_numpy(object),
                                        row[["ci_low", "ci_high"]].to_numpy(float)]),
            hovertemplate=("%{customdata[1]}: LS mean %{y:.2f} (95% CI %{customdata[2]:.2f} "
                           "to %{customdata[3]:.2f})<br>n = %{customdata[0]" + fmt + "}<extra>"
                           + theme.group_label(level) + "</extra>"),
        ))
    fig.update_layout(xaxis=category_axis(ticks, modifier_label),
                      yaxis_title=f"LS mean {var.axis_label}, 95% CI")
    return finish(fig, footnote, presentation)


def make_continuous_interaction_figure(result, *, outcome: str, modifier: str,
                                       cut: float | None = None,
                                       footnote: Footnote | None = None,
                                       presentation: bool = False) -> go.Figure:
    """Fitted outcome (95% CI band) per group along a continuous modifier.

    ``cut`` (optional) marks the therapy cut-point with a dotted vertical line, named in
    the axis title (a label inside the plot would cover the curves).
    """
    d = frame_of(result, "curve")
    var, mod = get(outcome), get(modifier)
    n_used = getattr(result, "n_used", None)
    n_text = f"<br>model n = {format_count(n_used)}" if n_used is not None else ""
    fig = go.Figure()
    for level in levels(d, "group"):
        row = d[d["group"].astype(str) == level].sort_values("x")
        colour = theme.group_color(level)
        x = row["x"].to_numpy(float)
        fig.add_trace(go.Scatter(
            x=list(x) + list(x[::-1]),
            y=list(row["ci_high"].to_numpy(float)) + list(row["ci_low"].to_numpy(float)[::-1]),
            fill="toself", fillcolor=rgba(colour, 0.18), line=dict(width=0),
            hoverinfo="skip", showlegend=False, name=f"{theme.group_label(level)} 95% CI",
        ))
        fig.add_trace(go.Scatter(
            x=x, y=row["fit"].to_numpy(float), mode="lines", name=theme.group_label(level),
            line_color=colour,
            hovertemplate="%{x:.1f}: %{y:.2f}" + n_text + "<extra>" + theme.group_label(level)
            + "</extra>",
        ))
    title = mod.axis_label
    if cut is not None:
        fig.add_vline(x=cut, line_dash="dot", line_color="#555", line_width=2)
        title += f"<br>dotted line: cut-point {cut:g}"
    fig.update_layout(xaxis_title=title,
                      yaxis_title=f"Fitted {var.axis_label}, 95% CI")
    return finish(fig, footnote, presentation)
