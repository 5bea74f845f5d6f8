"""Figure factories of the definition explorer, on small hand-written results."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.selection.definition import SpottyDefinition
from analysis.stats.definition import CURVE_COLUMNS, DefinitionCurve, DefinitionFlow
from components import theme
from components.figures import Footnote
from components.figures.definition import (
    PUBLISHED_COLOUR,
    make_definition_curve_figure,
    make_definition_difference_figure,
    make_definition_flow_figure,
)

LEVELS = ["none", "spotty", "other"]


@pytest.fixture
def flow() -> DefinitionFlow:
    """10 none stay none; 20 spotty: 15 stay, 5 become other; 30 other: 12 become spotty."""
    table = pd.DataFrame([[10, 0, 0], [0, 15, 5], [0, 12, 18]], index=LEVELS, columns=LEVELS)
    moves = table.stack().rename("n").reset_index()
    return DefinitionFlow(table=table, moves=moves, definition=SpottyDefinition(max_arc=120),
                          n=60, n_moved=17, method="m")


def _row(axis, arc, hi, est, *, published=False, chosen=False):
    se = 0.1
    return {"axis": axis, "max_arc": arc, "min_length": 1.0, "max_length": hi,
            "other": "exclude", "estimate": est, "se": se, "ci_low": est - 0.2,
            "ci_high": est + 0.2, "t": est / se, "df": 100.0, "p": 0.01, "n_none": 50,
            "n_spotty": 60, "n": 110, "published": published, "chosen": chosen, "note": ""}


@pytest.fixture
def curve() -> DefinitionCurve:
    rows = [_row("arc", 60, 4, 0.3), _row("arc", 90, 4, 0.4, published=True),
            _row("arc", 120, 4, 0.5, chosen=True), _row("arc", 30, 4, math.nan),
            _row("length", 120, 2, 0.2), _row("length", 120, 4, 0.5, chosen=True)]
    frame = pd.DataFrame(rows, columns=CURVE_COLUMNS).sort_values(["axis", "max_arc"])
    return DefinitionCurve(curve=frame, definition=SpottyDefinition(max_arc=120),
                           dv="delta_pav", covariates=("age",), dropped=(), formula="f",
                           method="m", notes=())


def test_sankey_draws_each_nonzero_cell_from_published_to_chosen(flow):
    fig = make_definition_flow_figure(flow, footnote=Footnote(n=60, method="m"))
    sankey = fig.data[0]
    # nodes 0-2 published (none, spotty, other), 3-5 chosen; one link per non-zero cell
    links = sorted(zip(sankey.link.source, sankey.link.target, sankey.link.value, strict=True))
    assert links == [(0, 3, 10), (1, 4, 15), (1, 5, 5), (2, 4, 12), (2, 5, 18)]
    assert "published: n = 20" in sankey.node.label[1]   # 15 + 5
    assert "chosen: n = 27" in sankey.node.label[4]      # 15 + 12
    assert list(sankey.node.color[:3]) == [theme.group_color(g) for g in LEVELS]
    assert "17 of 60 patients change group" in fig.layout.title.text
    assert fig.layout.meta["footnote"][0] == "n = 60 · Filters: none"


def test_curve_marks_published_and_chosen_and_names_the_gaps(curve):
    fig = make_definition_curve_figure(curve, "arc", footnote=Footnote(n=110))
    line = next(t for t in fig.data if t.mode == "lines+markers")
    # the NaN point (arc 30: not estimated) is left out of the line and named below
    assert list(line.x) == [60, 90, 120] and list(line.y) == [0.3, 0.4, 0.5]
    published = next(t for t in fig.data if t.name.startswith("Published ("))
    assert list(published.x) == [90] and published.marker.color == PUBLISHED_COLOUR
    chosen = next(t for t in fig.data if t.name == "Chosen definition")
    assert list(chosen.x) == [120] and list(chosen.y) == [0.5]
    reference = next(t for t in fig.data if t.name == "Published definition")
    assert list(reference.y) == [0.4, 0.4]
    assert any("Not estimated" in a.text and "30°" in a.text for a in fig.layout.annotations)
    band = fig.data[0]
    assert band.fill == "toself"
    assert list(band.y) == pytest.approx([0.5, 0.6, 0.7, 0.3, 0.2, 0.1], abs=1e-12)


def test_length_curve_takes_the_reference_line_from_the_page(curve):
    d = curve.curve.copy()
    d["published"] = False  # the chosen definition's curves miss the published one
    off = DefinitionCurve(**{**curve.__dict__, "curve": d})
    fig = make_definition_curve_figure(off, "length", published_estimate=0.41)
    line = next(t for t in fig.data if t.mode == "lines+markers")
    assert list(line.x) == [2, 4]
    assert list(next(t for t in fig.data if t.name == "Published definition").y) == [0.41, 0.41]
    assert not any(t.name.startswith("Published (") for t in fig.data)
    with pytest.raises(ValueError, match="axis must be one of"):
        make_definition_curve_figure(curve, "width")


class _Fit:
    def __init__(self, est, lo, hi, n_spotty, n_none):
        self.contrast = pd.DataFrame({"estimate": [est], "ci_low": [lo], "ci_high": [hi]})
        self.ls_means = pd.DataFrame({"level": ["none", "spotty"], "n": [n_none, n_spotty]})


def test_difference_figure_shows_both_definitions_with_their_ci():
    fig = make_definition_difference_figure(_Fit(0.41, 0.15, 0.68, 922, 425),
                                            _Fit(0.45, 0.19, 0.71, 971, 425),
                                            outcome="delta_pav", presentation=True)
    assert [t.y[0] for t in fig.data] == [0.41, 0.45]
    assert np.allclose([t.error_y.array[0] for t in fig.data], [0.27, 0.26])
    assert np.allclose([t.error_y.arrayminus[0] for t in fig.data], [0.26, 0.26])
    ticks = fig.layout.xaxis.ticktext
    assert "0.41" in ticks[0] and "n = 922 / 425" in ticks[0] and "n = 971 / 425" in ticks[1]
    assert fig.layout.template.layout.font.size == 20  # presentation template
    missing = make_definition_difference_figure(_Fit(0.41, 0.15, 0.68, 922, 425), None,
                                                outcome="delta_pav")
    assert len(missing.data) == 1 and "not estimated" in missing.layout.xaxis.ticktext[1]
