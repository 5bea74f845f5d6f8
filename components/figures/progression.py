"""Progression figures: distributions by group, baseline vs follow-up, % with
regression, and the dose-response over the number of spotty deposits."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from analysis.data.schema import get
from analysis.display import format_count, format_p
from components import theme
from components.figures.base import (
    axis_label,
    category_axis,
    ci_arrays,
    count_data,
    dodge_offsets,
    finish,
    frame_of,
    levels,
)
from components.figures.footnote import Footnote

#: Colours of the dose-response series: raw means dark grey, LS means the spotty colour.
RAW_COLOUR = "#4d4d4d"


def make_histogram_figure(result, *, outcome: str, footnote: Footnote | None = None,
                          presentation: bool = False) -> go.Figure:
    """Histogram per group from server-side bins (level, left, right, count, density)."""
    d = frame_of(result, "histogram")
    var = get(outcome)
    fig = go.Figure()
    for level in levels(d):
        row = d[d["level"].astype(str) == level]
        left, right = row["left"].to_numpy(float), row["right"].to_numpy(float)
        counts, fmt = count_data(row["count"])
        fig.add_trace(go.Bar(
            x=(left + right) / 2, y=row["density"].to_numpy(float), width=(right - left),
            name=theme.group_label(level), marker_color=theme.group_color(level), opacity=0.6,
            customdata=np.column_stack([row[["left", "right"]].to_numpy(float), counts]),
            hovertemplate=("%{customdata[0]:.2f} to %{customdata[1]:.2f}<br>n = %{customdata[2]"
                           + fmt + "}"
                           "<br>density %{y:.3f}<extra>" + theme.group_label(level) + "</extra>"),
        ))
    fig.update_layout(barmode="overlay", bargap=0, xaxis_title=var.axis_label,
                      yaxis_title="Density (proportion per unit)")
    return finish(fig, footnote, presentation)


def make_box_figure(result, *, outcome: str, footnote: Footnote | None = None,
                    presentation: bool = False) -> go.Figure:
    """Box plots per group from server-side quartiles (no raw rows are sent)."""
    d = frame_of(result, "box")
    var = get(outcome)
    fig = go.Figure()
    for level in levels(d):
        r = d[d["level"].astype(str) == level].iloc[0]
        name = theme.group_label(level)
        x = f"{axis_label(level)}<br>n = {format_count(r['n'])}"
        fig.add_trace(go.Box(
            x=[x], q1=[r["q1"]], median=[r["median"]], q3=[r["q3"]],
            lowerfence=[r["whisker_low"]], upperfence=[r["whisker_high"]], mean=[r["mean"]],
            name=name, marker_color=theme.group_color(level), boxpoints=False,
            hovertemplate=f"{name}<br>n = {format_count(r['n'])}<extra></extra>",
        ))
        outliers = r.get("outliers")
        if outliers is not None and len(outliers):
            fig.add_trace(go.Scatter(
                x=[x] * len(outliers), y=list(outliers), mode="markers", showlegend=False,
                marker=dict(color=theme.group_color(level), size=6, opacity=0.6),
                name=f"{name} outliers",
                hovertemplate="%{y:.2f}<extra>outlier (" + f"{format_count(r['n_outliers'])} in all)</extra>",
            ))
    fig.update_layout(yaxis_title=var.axis_label, showlegend=False,
                      xaxis=dict(title=dict(text="Calcification group"), type="category"))
    return finish(fig, footnote, presentation)


def make_ecdf_figure(result, *, outcome: str, footnote: Footnote | None = None,
                     presentation: bool = False) -> go.Figure:
    """Empirical cumulative distribution per group on a server-side grid (level, x, p)."""
    d = frame_of(result, "ecdf")
    var = get(outcome)
    fig = go.Figure()
    for level in levels(d):
        row = d[d["level"].astype(str) == level]
        n = f"<br>n = {format_count(row['n'].iloc[0])}" if "n" in row.columns and len(row) else ""
        fig.add_trace(go.Scatter(
            x=row["x"].to_numpy(float), y=row["p"].to_numpy(float), mode="lines",
            line_shape="hv", name=theme.group_label(level),
            line_color=theme.group_color(level),
            hovertemplate="%{x:.2f}: %{y:.1%} at or below" + n + "<extra>"
            + theme.group_label(level) + "</extra>",
        ))
    fig.update_layout(xaxis_title=var.axis_label, yaxis_title="Cumulative proportion",
                      yaxis_tickformat=".0%")
    return finish(fig, footnote, presentation)


def make_paired_figure(result, *, variable: str, footnote: Footnote | None = None,
                       presentation: bool = False) -> go.Figure:
    """Baseline vs follow-up mean with 95% CI per group (level, time, n, mean, ci_low,
    ci_high); the two groups are dodged at each time point."""
    d = frame_of(result, "paired")
    var = get(variable)
    label = var.label.replace("Baseline ", "")
    unit = f" ({var.unit})" if var.unit else ""
    times = [str(t) for t in dict.fromkeys(d["time"].astype(str))]
    groups = levels(d)
    fig = go.Figure()
    for level, offset in zip(groups, dodge_offsets(len(groups)), strict=True):
        row = d[d["level"].astype(str) == level]
        hi, lo = ci_arrays(row, "mean")
        ns, fmt = count_data(row["n"])
        slot = [times.index(str(t)) + offset for t in row["time"].astype(str)]
        fig.add_trace(go.Scatter(
            x=slot, y=row["mean"].to_numpy(float),
            mode="lines+markers", name=theme.group_label(level),
            line_color=theme.group_color(level), marker_color=theme.group_color(level),
            error_y=dict(type="data", array=hi, arrayminus=lo, color=theme.group_color(level)),
            customdata=np.column_stack([ns, row["time"].astype(str).to_numpy(object)]),
            hovertemplate="%{customdata[1]}: %{y:.2f}<br>n = %{customdata[0]" + fmt + "}<extra>"
            + theme.group_label(level) + "</extra>",
        ))
    fig.update_layout(yaxis_title=f"{label}{unit}, mean and 95% CI",
                      xaxis=category_axis([t.capitalize() for t in times], "Time"))
    return finish(fig, footnote, presentation)


def make_regression_figure(result, *, footnote: Footnote | None = None,
                           presentation: bool = False) -> go.Figure:
    """% of patients with atheroma regression (ΔPAV < 0) per group."""
    d = frame_of(result, "by_group")
    fig = go.Figure()
    for level in levels(d):
        row = d[d["level"].astype(str) == level]
        n = format_count(row["n"].iloc[0])
        (reg, fmt_r), (ns, fmt) = count_data(row["n_regression"]), count_data(row["n"])
        fig.add_trace(go.Bar(
            x=[f"{axis_label(level)}<br>n = {n}"], y=row["pct_regression"].to_numpy(float),
            name=theme.group_label(level), marker_color=theme.group_color(level),
            customdata=np.column_stack([reg, ns]),
            hovertemplate=("%{y:.1f}%: %{customdata[0]" + fmt_r + "} of n = %{customdata[1]"
                           + fmt + "}<extra></extra>"),
            text=[f"{v:.1f}%" if np.isfinite(v) else "—"
                  for v in row["pct_regression"].to_numpy(float)], textposition="outside",
            cliponaxis=False,
        ))
    pct = d["pct_regression"].to_numpy(float)
    top = float(np.nanmax(pct)) if np.isfinite(pct).any() else 0.0
    fig.update_layout(yaxis=dict(title=dict(text="Patients with regression (%)"),
                                 range=[0, max(10.0, top * 1.18)]),
                      showlegend=False,
                      xaxis=dict(title=dict(text="Calcification group"), type="category"))
    return finish(fig, footnote, presentation)


def _short_test(name: str) -> str:
    """The test's name without its details: "linear trend test (OLS ...)" -> "linear trend test"."""
    return name.split(" (")[0].strip() or name


def make_dose_response_figure(result, *, outcome: str, adjusted: bool = True,
                              footnote: Footnote | None = None,
                              presentation: bool = False) -> go.Figure:
    """Raw mean ± SE and adjusted LS mean ± 95% CI by number of spotty deposits.

    Every category of the table (0, 1, 2, 3+) gets a slot on the x-axis, labelled with
    its n; the two series are dodged around it and named in the legend; the axis title
    gives, on a second line, the trend p with the name of its test.

    Parameters
    ----------
    result : DoseResponseResult or DataFrame
        ``.table``: category, n, mean, se and ls_mean, ls_ci_low, ls_ci_high; the
        result's ``p_trend`` and ``trend_test`` name the trend (a bare frame has none).
    adjusted : bool
        Draw the LS means too (False: raw means only, as with Means: Raw).
    """
    d = frame_of(result, "table").reset_index(drop=True)
    var = get(outcome)
    cats = d["category"].astype(str).tolist()
    ticks = [f"{c}<br>n = {format_count(n)}" for c, n in zip(cats, d["n"], strict=True)]
    has_ls = adjusted and "ls_mean" in d.columns and bool(np.isfinite(
        d["ls_mean"].to_numpy(float)).any())
    p_trend = getattr(result, "p_trend", None)
    trend = (f"<br>{_short_test(result.trend_test).capitalize()}: {format_p(p_trend, prefix=True)}"
             if p_trend is not None and np.isfinite(p_trend) else "")
    series = [("Raw mean ± SE", "mean", d["se"].to_numpy(float), d["se"].to_numpy(float),
               RAW_COLOUR, "circle-open")]
    if has_ls:
        hi, lo = ci_arrays(d, "ls_mean", "ls_ci_low", "ls_ci_high")
        series.append(("LS mean ± 95% CI", "ls_mean", hi, lo, theme.group_color("spotty"),
                       "diamond"))
    fig = go.Figure()
    ns, fmt = count_data(d["n"])
    for (name, col, hi, lo, colour, symbol), offset in zip(
            series, dodge_offsets(len(series)), strict=True):
        fig.add_trace(go.Scatter(
            x=np.arange(len(cats)) + offset, y=d[col].to_numpy(float), mode="lines+markers",
            name=name, line=dict(color=colour, dash="dot" if col == "mean" else "solid"),
            marker=dict(color=colour, symbol=symbol, size=12 if presentation else 10,
                        line=dict(width=2, color=colour)),
            error_y=dict(type="data", array=hi, arrayminus=lo, color=colour, thickness=2),
            customdata=np.column_stack([ns, np.array(cats, dtype=object)]),
            hovertemplate=("%{customdata[1]} deposits (n = %{customdata[0]" + fmt + "})<br>"
                           + name
                           + ": %{y:.2f}<extra></extra>"),
        ))
    kind = "Mean / LS mean" if has_ls else "Mean"
    fig.update_layout(xaxis=category_axis(ticks, f"{get('n_spotty').label} (count){trend}"),
                      yaxis_title=f"{kind} {var.axis_label}", showlegend=True)
    return finish(fig, footnote, presentation)
