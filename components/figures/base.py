"""What every figure factory shares: the finishing step, frames, levels, dodging."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.display import format_count
from components import theme
from components.figures.footnote import Footnote

#: Horizontal offset (in category slots) of two series drawn side by side at one category.
DODGE = 0.14


def finish(fig: go.Figure, footnote: Footnote | None, presentation: bool) -> go.Figure:
    """Apply the screen or presentation template and record the footnote.

    The footnote is not drawn: pages show it as a caption under the figure and exports
    as a band below the image. Its lines are kept in ``layout.meta["footnote"]`` so a
    figure carries what it says about itself.
    """
    fig.update_layout(template=theme.template_name(presentation))
    if footnote is not None:
        fig.update_layout(meta={"footnote": footnote.lines()})
    return fig


def count_data(values, *, as_text: bool = False) -> tuple[np.ndarray, str]:
    """(customdata column, its hover format) of counts: floats formatted ``:.0f``; when
    one is a suppressed count (``"≤7"``, ``"redacted"``: disclosure control) or
    ``as_text``, all as text (``"1,234"``) with no format."""
    vals = list(values)
    if as_text or any(isinstance(v, str) for v in vals):
        return np.array([format_count(v) for v in vals], dtype=object), ""
    return np.asarray(vals, dtype=float), ":.0f"


def frame_of(result, attr: str) -> pd.DataFrame:
    """The tidy frame ``attr`` of an analysis result (or the frame itself)."""
    if isinstance(result, pd.DataFrame):
        return result
    return getattr(result, attr)


def levels(frame: pd.DataFrame, column: str = "level") -> list[str]:
    """Group levels present in ``column``, in the app's group order."""
    present = [str(v) for v in frame[column].astype(str).unique()]
    order = [g for g in theme.GROUP_ORDER if g in present]
    return order + [g for g in present if g not in order]


def axis_label(level: str) -> str:
    """Group label for a category axis, on two lines ("No<br>calcification")."""
    return theme.group_label(level).replace(" ", "<br>", 1)


def ci_arrays(d: pd.DataFrame, centre: str = "ls_mean", low: str = "ci_low",
              high: str = "ci_high") -> tuple[np.ndarray, np.ndarray]:
    """(upper, lower) error-bar lengths of an interval around ``centre``."""
    return ((d[high] - d[centre]).to_numpy(float), (d[centre] - d[low]).to_numpy(float))


def dodge_offsets(n_series: int, step: float = DODGE) -> list[float]:
    """Offsets that centre ``n_series`` series around each category slot.

    Two series: ``[-step, +step]``; three: ``[-step, 0, +step]``; one stays centred.
    """
    if n_series <= 1:
        return [0.0] * n_series
    return [step * (2 * i - (n_series - 1)) / (n_series - 1) for i in range(n_series)]


def category_axis(labels: Sequence[str], title: str) -> dict:
    """An x-axis of category slots 0..k-1 (one per label), so every category is drawn
    and series can be dodged around a slot."""
    k = len(labels)
    return dict(title=dict(text=title), tickmode="array", tickvals=list(range(k)),
                ticktext=list(labels), range=[-0.5, k - 0.5], zeroline=False,
                showgrid=False)


def rgba(hex_colour: str, alpha: float) -> str:
    """``"#0072B2"`` -> ``"rgba(0, 114, 178, alpha)"``."""
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"


def coloured(text: str, colour: str) -> str:
    """``text`` in ``colour`` for plotly text (ticks, annotations)."""
    return f"<span style='color:{colour}'>{text}</span>"
