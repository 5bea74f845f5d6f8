"""The Definition page's kit: its figures and tables carry the page's numbers.

References: the chosen and published differences are ``api.ancova`` on the two
definitions (itself checked against R's emmeans); the flow counts are recounted here
from the lesion file with pandas, independently of ``regroup``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data import registry
from analysis.service import api
from reports.deck import build_deck
from reports.html_report import build_html
from reports.view import build_view

LINK = "/definition?spotty_arc=120&spotty_len=1-6&age=40-70"


def _groups_by_hand(frame: pd.DataFrame, lesions: pd.DataFrame) -> pd.Series:
    """Each patient's group under arc < 120°, 1-6 mm (inclusive), no other calcium: none
    without any deposit, spotty when every deposit is of that kind, other otherwise."""
    fits = (lesions["arc_deg"] < 120) & lesions["length_mm"].between(1, 6)
    every = fits.groupby(lesions["patient_id"]).all()
    out = pd.Series("none", index=frame["patient_id"].to_numpy())
    has = out.index.isin(every.index)
    out[has] = np.where(every.reindex(out.index[has]).to_numpy(bool), "spotty", "other")
    return out


def test_definition_kit_holds_the_page_figures_and_tables(fingerprint):
    view = build_view(LINK, fingerprint)
    assert [f.key for f in view.figures] == ["definition_difference", "definition_flow",
                                             "definition_curve_arc",
                                             "definition_curve_length"]
    assert {"definition_flow", "definition_curve_arc", "definition_curve_length"} <= \
        {t.key for t in view.tables}
    assert view.figures[1].figure.data[0].type == "sankey"
    assert "a deposit 1-6 mm long with an arc < 120° and no other calcium" in \
        " ".join(view.methods)
    assert all(f.footnote.n and f.footnote.method for f in view.figures)


def test_definition_kit_differences_are_the_two_ancovas(fingerprint):
    view = build_view(LINK, fingerprint)
    chosen = api.ancova(fingerprint, view.filter_query, "delta_pav", diagnostics=False)
    published = api.ancova(fingerprint, "age=40-70", "delta_pav", diagnostics=False)
    for label, res in (("Chosen definition", chosen), ("Published definition", published)):
        est = res.value.contrast["estimate"].iloc[0]
        line = next(m for m in view.methods if m.startswith(label))
        assert f"spotty - none {est:.3f} %" in line and f"n = {res.value.n_used}" in line
    # the curve's chosen point is a separate fit on the same groups: the same number
    arc = next(t for t in view.tables if t.key == "definition_curve_arc").frame
    row = arc[arc["Definition"] == "chosen"].iloc[0]
    assert row["Arc below (°)"] == "120" and row["Length to (mm)"] == "6"
    assert float(row["Difference"]) == round(chosen.value.contrast["estimate"].iloc[0], 3)


def test_definition_kit_flow_counts_by_hand(fingerprint):
    ds = registry.get(fingerprint)
    frame = ds.frame[ds.frame["age"].between(40, 70)]
    chosen = _groups_by_hand(frame, ds.lesions)
    table = next(t for t in build_view(LINK, fingerprint).tables
                 if t.key == "definition_flow").frame.set_index("Published → chosen")
    published = frame.set_index("patient_id")["calcification"].astype(str)
    for pub, label in (("none", "No calcification"), ("spotty", "Spotty calcification"),
                       ("other", "Other calcification")):
        for new, column in (("none", "No calcification"), ("spotty", "Spotty calcification"),
                            ("other", "Other calcification")):
            expected = int(np.sum((published == pub).to_numpy() &
                                  (chosen.reindex(published.index) == new).to_numpy()))
            assert table.loc[f"{label} (published)", column] == f"{expected:,}", (pub, new)


def test_definition_kit_report_and_deck_build(fingerprint):
    view = build_view(LINK, fingerprint)
    html = build_html(view)
    assert 'id="figure-definition_flow"' in html and "Sensitivity to the arc limit" in html
    deck = build_deck(view)
    assert len(deck) > 10_000
