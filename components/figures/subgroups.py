"""The subgroup forest plot: spotty - none difference (95% CI) overall and per subgroup,
with n per group, the estimate and the interaction p as text columns beside the marks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.data.schema import get
from analysis.display import format_count, format_num, format_p
from components import theme
from components.figures.base import ci_arrays, count_data, finish, frame_of
from components.figures.footnote import Footnote

#: Average glyph width as a share of the font size (system sans-serif, digits and
#: lower case), used to size the label margin and the text columns in px.
GLYPH = 0.56
#: Text columns right of the plot: header and the px gap before it.
COLUMNS = (("n none / spotty", 14), ("Difference (95% CI)", 18), ("p interaction", 18))
#: The fourth column, when the table carries the adjusted interaction p (p_holm, p_bh).
ADJUSTED_COLUMN = ("Holm / BH", 14)


def _row_label(r: pd.Series) -> str:
    lvl = "" if pd.isna(r.get("level")) else str(r.get("level"))
    base = str(r.get("label") or r.get("variable"))
    return base if not lvl or lvl == base else f"{base}: {lvl}"


def forest_columns(table: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """Per row of a subgroup table: (n none / spotty, estimate (95% CI), interaction p,
    Holm / Benjamini-Hochberg adjusted interaction p).

    The interaction p (with its test: t-test for a two-level subgroup, F-test for more)
    and its adjustments over the subgroup variables sit on the first row of each
    subgroup variable; other rows get ``""``.
    """
    out = []
    for _, r in table.iterrows():
        n = f"{format_count(r['n_none'])} / {format_count(r['n_spotty'])}"
        est = ("not estimated" if not np.isfinite(float(r["estimate"])) else
               f"{format_num(r['estimate'])} ({format_num(r['ci_low'])} to "
               f"{format_num(r['ci_high'])})")
        pint = format_p(r.get("p_interaction"))
        test = str(r.get("interaction_test") or "").split(" ")[0]
        holm, bh = format_p(r.get("p_holm")), format_p(r.get("p_bh"))
        adjusted = f"{holm} / {bh}" if holm and bh else ""
        out.append((n, est, f"{pint} ({test})" if pint and test else (pint or ""), adjusted))
    return out


def make_forest_figure(result, *, outcome: str, footnote: Footnote | None = None,
                       presentation: bool = False) -> go.Figure:
    """Spotty - none difference (95% CI) overall and per subgroup.

    Rows are labelled on the left; right of the plot three text columns give n per
    group, the estimate with its 95% CI and the interaction p with its test. Margins
    and the height are computed in px from the text, so nothing is clipped at either
    font size; the height grows with the rows.
    """
    d = frame_of(result, "table").reset_index(drop=True)
    var = get(outcome)
    labels = [_row_label(r) for _, r in d.iterrows()]
    cols = forest_columns(d)
    font = 20 if presentation else 15
    char = GLYPH * font
    row_px = 38 if presentation else 28
    hi, lo = ci_arrays(d, "estimate")
    text = any(isinstance(v, str) for v in [*d["n_none"], *d["n_spotty"]])
    (n_none, fmt), (n_spotty, _fmt) = (count_data(d["n_none"], as_text=text),
                                       count_data(d["n_spotty"], as_text=text))
    rows = list(range(len(labels)))
    fig = go.Figure(go.Scatter(
        x=d["estimate"].to_numpy(float), y=rows, mode="markers",
        marker=dict(symbol="square", size=12 if presentation else 10,
                    color=theme.group_color("spotty")),
        error_x=dict(type="data", array=hi, arrayminus=lo, color="#333", thickness=2),
        customdata=np.column_stack([n_none, n_spotty,
                                    np.array(labels, dtype=object),
                                    np.array([c[1] for c in cols], dtype=object)]),
        hovertemplate=("%{customdata[2]}<br>difference %{customdata[3]}<br>n none = "
                       "%{customdata[0]" + fmt + "}, n spotty = %{customdata[1]" + fmt + "}<extra></extra>"),
        name="spotty - none",
    ))
    fig.add_vline(x=0, line_dash="dash", line_color="#777", line_width=1.5)
    # the text columns sit in the right margin, at px offsets from the plot's right edge
    shown = COLUMNS + ((ADJUSTED_COLUMN,) if "p_holm" in d.columns else ())
    widths = [max(len(h), *(len(c[i]) for c in cols)) * char for i, (h, _g) in
              enumerate(shown)]
    shift = 0.0
    notes = []  # set at once: add_annotation per cell re-validates every earlier one
    for i, (header, gap) in enumerate(shown):
        shift += gap
        notes.append(dict(text=f"<b>{header}</b>", x=1, y=-1, xref="paper", yref="y",
                          xanchor="left", xshift=shift, showarrow=False))
        notes += [dict(text=texts[i], x=1, y=row, xref="paper", yref="y", xanchor="left",
                       xshift=shift, showarrow=False)
                  for row, texts in zip(rows, cols, strict=True)]
        shift += widths[i]
    left = int(24 + char * max(len(x) for x in labels))
    # the top margin keeps the column headers clear of the modebar
    top, bottom = (44 if presentation else 36), (100 if presentation else 78)
    fig.update_layout(
        xaxis=dict(title=dict(text=f"Spotty - none, {var.axis_label} (95% CI)"),
                   zeroline=False, automargin=True),
        yaxis=dict(autorange=False, range=[len(labels) - 0.5, -1.6], title="",
                   tickmode="array", tickvals=rows, ticktext=labels, zeroline=False,
                   showgrid=False, automargin=False),
        showlegend=False, margin=dict(l=left, r=int(shift + 12), t=top, b=bottom),
        annotations=notes,
        height=top + bottom + row_px * (len(labels) + 1),
    )
    return finish(fig, footnote, presentation)
