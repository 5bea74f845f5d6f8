"""Group means: adjusted (LS) or raw means per calcification group with 95% CI."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from analysis.data.schema import get
from analysis.display import format_count
from components import theme
from components.figures.base import (
    axis_label,
    ci_arrays,
    count_data,
    finish,
    frame_of,
    levels,
)
from components.figures.footnote import Footnote


def make_ls_means_figure(result, *, outcome: str, footnote: Footnote | None = None,
                         presentation: bool = False, adjusted: bool = True) -> go.Figure:
    """Adjusted (LS) or raw means per group with 95% CI.

    ``result`` is an ``AncovaResult`` (uses ``.ls_means``: level, ls_mean, se, ci_low,
    ci_high, n) or that frame; for raw means pass a frame with a ``mean`` column
    (``ProgressionSummary.by_group`` plus ``ci_low``/``ci_high``).
    """
    d = frame_of(result, "ls_means").copy()
    centre = "ls_mean" if "ls_mean" in d.columns else "mean"
    if "ci_low" not in d.columns:
        d["ci_low"] = d[centre] - 1.96 * d["se"]
        d["ci_high"] = d[centre] + 1.96 * d["se"]
    var = get(outcome)
    kind = "LS mean" if adjusted else "Mean"
    fig = go.Figure()
    for level in levels(d):
        row = d[d["level"].astype(str) == level]
        hi, lo = ci_arrays(row, centre)
        n = format_count(row["n"].iloc[0])
        ns, fmt = count_data(row["n"])
        fig.add_trace(go.Scatter(
            x=[f"{axis_label(level)}<br>n = {n}"], y=row[centre].to_numpy(float),
            mode="markers", name=theme.group_label(level),
            marker=dict(color=theme.group_color(level), size=14),
            error_y=dict(type="data", array=hi, arrayminus=lo, thickness=2.5, width=10,
                         color=theme.group_color(level)),
            customdata=np.column_stack([ns, row[["ci_low", "ci_high"]].to_numpy(float)]),
            hovertemplate=(theme.group_label(level) + "<br>" + kind
                           + " %{y:.2f}<br>95% CI %{customdata[1]:.2f} to %{customdata[2]:.2f}"
                           "<br>n = %{customdata[0]" + fmt + "}<extra></extra>"),
        ))
    fig.update_layout(yaxis_title=f"{kind} {var.axis_label} ± 95% CI", showlegend=False,
                      xaxis=dict(title=dict(text="Calcification group"), type="category"))
    return finish(fig, footnote, presentation)
