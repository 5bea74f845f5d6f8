"""Figures of the definition explorer: the flow of patients between groups (Sankey), the
headline difference under the published and the chosen definition, and the sensitivity
curve of that difference over the arc limit or the maximum length.

Each takes an analysis result (:class:`~analysis.stats.definition.DefinitionFlow`,
:class:`~analysis.stats.definition.DefinitionCurve`, ``AncovaResult``), never patient rows.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from analysis.data.schema import get
from analysis.disclosure.results import total_shown
from analysis.display import format_ci, format_count, format_num
from components import theme
from components.figures.base import finish, rgba
from components.figures.footnote import Footnote

#: Colour of the published definition's marks (neutral: it is the reference).
PUBLISHED_COLOUR = "#1d2125"
#: The curves' axes: (column of the varying limit, axis title, unit, hover name).
CURVE_AXES = {
    "arc": ("max_arc", "Arc limit of a spotty deposit (degrees)", "°", "arc <"),
    "length": ("max_length", "Maximum length of a spotty deposit (mm)", " mm", "length ≤"),
}
_GROUPS = ("none", "spotty", "other")


def make_definition_flow_figure(flow, *, footnote: Footnote | None = None,
                                presentation: bool = False) -> go.Figure:
    """Sankey of the patients from their published group (left) to their group under the
    chosen definition (right); ``flow`` is a ``DefinitionFlow`` (uses ``.table``)."""
    table = flow.table
    pub = [total_shown(table.loc[g]) for g in _GROUPS]
    cho = [total_shown(table[g]) for g in _GROUPS]
    labels = ([f"{theme.group_label(g)}<br>published: n = {format_count(n)}"
               for g, n in zip(_GROUPS, pub, strict=True)]
              + [f"{theme.group_label(g)}<br>chosen: n = {format_count(n)}"
                 for g, n in zip(_GROUPS, cho, strict=True)])
    colours = [theme.group_color(g) for g in _GROUPS] * 2
    source, target, value, link_colours = [], [], [], []
    for i, a in enumerate(_GROUPS):
        for j, b in enumerate(_GROUPS):
            n = table.loc[a, b]
            if not isinstance(n, str) and n:  # a suppressed flow (disclosure) is not drawn
                source.append(i)
                target.append(3 + j)
                value.append(int(n))
                link_colours.append(rgba(theme.group_color(a), 0.25 if a == b else 0.6))
    fig = go.Figure(go.Sankey(
        arrangement="fixed", valueformat=",d",
        node=dict(label=labels, color=colours, pad=24, thickness=22,
                  line=dict(color="#555", width=0.5),
                  x=[0.001] * 3 + [0.999] * 3, y=_node_y(_drawn(table, 1)) + _node_y(_drawn(table, 0)),
                  hovertemplate="%{label}<extra></extra>"),
        link=dict(source=source, target=target, value=value, color=link_colours,
                  hovertemplate="%{source.label} → %{target.label}<br>n = %{value:,}"
                                "<extra></extra>"),
    ))
    moved = f"{format_count(flow.n_moved)} of {format_count(flow.n)} patients change group"
    fig.update_layout(title=dict(text=moved),
                      margin=dict(l=24, r=24, t=64, b=24))
    return finish(fig, footnote, presentation)


def _drawn(table, axis: int) -> list[int]:
    """Per group, the sum of the flows the Sankey draws (suppressed ones count 0)."""
    numeric = table.map(lambda v: 0 if isinstance(v, str) else int(v))
    return [int(x) for x in numeric.sum(axis=axis).reindex(list(_GROUPS)).fillna(0)]


def _node_y(counts: list[int]) -> list[float]:
    """Vertical centres of the nodes of one column, stacked in group order (plotly
    otherwise reorders them and drops empty ones)."""
    total = max(sum(counts), 1)
    gap = 0.04
    free = 1 - gap * (len(counts) - 1)
    y, out = 0.0, []
    for n in counts:
        h = free * n / total
        out.append(min(max(y + h / 2, 0.001), 0.999))
        y += h + gap
    return out


def make_definition_difference_figure(published, chosen, *, outcome: str,
                                      footnote: Footnote | None = None,
                                      presentation: bool = False) -> go.Figure:
    """The spotty - none difference (95% CI) under the published and the chosen definition.

    ``published`` and ``chosen`` are ``AncovaResult`` objects (uses ``.contrast`` and
    ``.ls_means``); ``chosen`` may be ``None`` when it could not be estimated.
    """
    var = get(outcome)
    fig = go.Figure()
    slots = []
    for i, (name, res, colour) in enumerate((
            ("Published<br>definition", published, PUBLISHED_COLOUR),
            ("Chosen<br>definition", chosen, theme.group_color("spotty")))):
        if res is None:
            slots.append(f"{name}<br>not estimated")
            continue
        con = res.contrast.iloc[0]
        n = res.ls_means.set_index("level")["n"]
        slots.append(f"{name}<br><b>{format_num(con['estimate'])}</b><br>"
                     f"({format_num(con['ci_low'])} to {format_num(con['ci_high'])})<br>"
                     f"n = {format_count(n.get('spotty', 0))} / {format_count(n.get('none', 0))}")
        fig.add_trace(go.Scatter(
            x=[i], y=[con["estimate"]], mode="markers", name=name.replace("<br>", " "),
            marker=dict(color=colour, size=16 if presentation else 13, symbol="diamond"),
            error_y=dict(type="data", array=[con["ci_high"] - con["estimate"]],
                         arrayminus=[con["estimate"] - con["ci_low"]], thickness=2.5,
                         width=10, color=colour),
            hovertemplate=(f"{name.replace('<br>', ' ')}<br>{format_num(con['estimate'])} "
                           f"({format_ci(con['ci_low'], con['ci_high'])})<extra></extra>"),
        ))
    fig.add_shape(type="line", x0=0, x1=1, xref="paper", y0=0, y1=0,
                  line=dict(color="#888", dash="dot", width=1.5))
    fig.update_layout(
        xaxis=dict(tickmode="array", tickvals=[0, 1], ticktext=slots, range=[-0.6, 1.6],
                   tickangle=0, showgrid=False, zeroline=False,
                   title=dict(text="n = spotty / none")),
        yaxis=dict(title=dict(text=f"Spotty - none, {var.axis_label} ± 95% CI"),
                   zeroline=False),
        showlegend=False)
    return finish(fig, footnote, presentation)


def make_definition_curve_figure(curve, axis: str = "arc", *,
                                 published_estimate: float | None = None,
                                 footnote: Footnote | None = None,
                                 presentation: bool = False) -> go.Figure:
    """The spotty - none difference with its 95% CI band across one axis of the grid.

    ``curve`` is a ``DefinitionCurve`` (uses ``.curve``, ``.dv``). The published
    definition is marked (black diamond) where it lies on the curve; its difference
    (the curve's published row, else ``published_estimate``: the page's ANCOVA under the
    published definition) is a dashed reference line. The chosen definition is the
    large spotty-coloured dot.
    """
    if axis not in CURVE_AXES:
        raise ValueError(f"axis must be one of {sorted(CURVE_AXES)}, not {axis!r}")
    column, title, unit, hover = CURVE_AXES[axis]
    d = curve.curve[curve.curve["axis"] == axis]
    ok = d[d["estimate"].notna()]
    x = ok[column].to_numpy(float)
    colour = theme.group_color("spotty")
    var = get(curve.dv)
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=np.concatenate([x, x[::-1]]),
        y=np.concatenate([ok["ci_high"].to_numpy(float), ok["ci_low"].to_numpy(float)[::-1]]),
        mode="lines", fill="toself", fillcolor=rgba(colour, 0.15), line=dict(width=0),
        hoverinfo="skip", name="95% CI", showlegend=False))
    fig.add_trace(go.Scatter(
        x=x, y=ok["estimate"].to_numpy(float), mode="lines+markers", name="Difference (band: 95% CI)",
        line=dict(color=colour), marker=dict(color=colour, size=6),
        customdata=ok[["ci_low", "ci_high", "n_spotty", "n_none", "p"]].to_numpy(float),
        hovertemplate=(f"{hover} %{{x:g}}{unit}<br>difference %{{y:.2f}} (95% CI "
                       "%{customdata[0]:.2f} to %{customdata[1]:.2f})<br>spotty n = "
                       "%{customdata[2]:,.0f}, none n = %{customdata[3]:,.0f}"
                       "<br>p = %{customdata[4]:.3g}<extra></extra>")))
    pub = curve.curve[curve.curve["published"] & curve.curve["estimate"].notna()]
    reference = pub["estimate"].iloc[0] if len(pub) else published_estimate
    if reference is not None and np.isfinite(reference):
        fig.add_trace(go.Scatter(
            x=[x.min(), x.max()] if len(x) else [], y=[reference, reference], mode="lines",
            name="Published definition", hoverinfo="skip",
            line=dict(color=PUBLISHED_COLOUR, dash="dash", width=1.5)))
        fig.add_annotation(x=1, xref="paper", xanchor="right", y=reference, yanchor="bottom",
                           showarrow=False, text="published definition",
                           font=dict(color=PUBLISHED_COLOUR, size=16 if presentation else 12))
    on_axis = d[d["published"] & d["estimate"].notna()]
    if len(on_axis):
        fig.add_trace(go.Scatter(
            x=on_axis[column], y=on_axis["estimate"], mode="markers",
            name="Published (90°, 1-4 mm)", showlegend=False,
            marker=dict(color=PUBLISHED_COLOUR, size=15 if presentation else 12,
                        symbol="diamond", line=dict(color="#fff", width=1.5)),
            hovertemplate="Published definition<br>%{y:.2f}<extra></extra>"))
    chosen = d[d["chosen"] & d["estimate"].notna()]
    if len(chosen) and not chosen["published"].all():
        fig.add_trace(go.Scatter(
            x=chosen[column], y=chosen["estimate"], mode="markers", name="Chosen definition",
            marker=dict(color=colour, size=20 if presentation else 16, symbol="circle",
                        line=dict(color="#1d2125", width=2)),
            hovertemplate="Chosen definition<br>%{y:.2f}<extra></extra>"))
    fig.add_shape(type="line", x0=0, x1=1, xref="paper", y0=0, y1=0,
                  line=dict(color="#888", dash="dot", width=1))
    fig.update_layout(
        xaxis=dict(title=dict(text=title)),
        yaxis=dict(title=dict(text=f"Spotty - none, {var.axis_label}"), zeroline=False),
        showlegend=False, margin=dict(t=40))
    if d["estimate"].isna().any():
        missing = ", ".join(f"{v:g}{unit}" for v in d.loc[d["estimate"].isna(), column])
        fig.add_annotation(x=0, y=-0.22 if not presentation else -0.26, xref="paper",
                           yref="paper", xanchor="left", showarrow=False,
                           font=dict(size=12 if not presentation else 16, color="#555"),
                           text=f"Not estimated (a group too small): {missing}")
    return finish(fig, footnote, presentation)


__all__ = ["make_definition_curve_figure", "make_definition_difference_figure",
           "make_definition_flow_figure"]
