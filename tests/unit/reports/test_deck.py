"""The slide deck, opened with python-pptx as its users' PowerPoint would read it."""

from __future__ import annotations

import io

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Inches, Pt

from reports.deck import TABLE_ROWS, build_deck


def _slides(view):
    return list(Presentation(io.BytesIO(build_deck(view))).slides), view


def _texts(slide) -> str:
    return " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)


@pytest.fixture(scope="module", params=["default_view", "filtered_view"])
def deck(request, kaleido_server):
    view = request.getfixturevalue(request.param)
    return Presentation(io.BytesIO(build_deck(view))), view


def test_deck_is_16_9_with_a_slide_per_figure_table_page_and_methods(deck):
    prs, view = deck
    assert (prs.slide_width, prs.slide_height) == (Inches(10), Inches(5.625))  # 16:9
    pages = sum(-(-len(t.frame) // TABLE_ROWS) for t in view.tables)
    # title + one per figure + table pages + at least one methods slide
    assert len(prs.slides) >= 1 + len(view.figures) + pages + 1
    titles = [_texts(s) for s in prs.slides]
    assert titles[-1].startswith("Methods") or any(t.startswith("Methods") for t in titles)


def test_title_slide_names_dataset_filters_and_the_simulated_label(deck):
    prs, view = deck
    text = _texts(prs.slides[0])
    assert view.dataset in text and view.fingerprint[:16] in text
    assert "Simulated data calibrated to published summaries - not patient data" in text
    for words in view.filters:
        assert words in text


def _figure_slide(prs, key):
    """The one slide holding the picture of figure ``key``."""
    found = [sl for sl in prs.slides for s in sl.shapes
             if s.shape_type == MSO_SHAPE_TYPE.PICTURE and s.name == f"Figure {key}"]
    assert len(found) == 1, key
    return found[0]


def test_each_figure_slide_has_its_picture_and_caption(deck):
    prs, view = deck
    # the page's own figures follow the title slide, in order
    own = [f for f in view.figures if not f.section]
    for slide, item in zip(list(prs.slides)[1:1 + len(own)], own, strict=True):
        assert slide == _figure_slide(prs, item.key)
    for item in view.figures:
        slide = _figure_slide(prs, item.key)
        pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == 1 and pictures[0].image.content_type == "image/png"
        # at least 300 dpi over the picture's width on the slide
        px = pictures[0].image.size[0]
        assert px / (pictures[0].width / 914400) >= 300
        caption = next(s for s in slide.shapes if s.name == "Caption").text_frame.text
        assert f"n = {item.footnote.n:,}" in caption and "Simulated data" in caption
        assert item.title in _texts(slide)


def test_tables_are_native_with_set_font_sizes(deck):
    prs, view = deck
    tables = [s for sl in prs.slides for s in sl.shapes if s.shape_type == MSO_SHAPE_TYPE.TABLE]
    names = {s.name.removeprefix("Table ") for s in tables}
    assert names == {t.key for t in view.tables}
    for shape in tables:
        assert len(shape.table.rows) <= TABLE_ROWS + 1
        cell = shape.table.cell(1, 0)
        assert cell.text_frame.paragraphs[0].font.size == Pt(9)
    table1 = next(t for t in view.tables if t.key == "table1")
    first = next(s for s in tables if s.name == "Table table1").table
    assert first.cell(1, 0).text == str(table1.frame.iloc[0, 0])


def test_methods_name_every_model_weighting_and_n(deck):
    prs, view = deck
    text = " ".join(_texts(s) for s in prs.slides if _texts(s).startswith("Methods"))
    assert "Welch t-test" in text and "LS-mean weights: proportional" in text
    assert f"n = {view.n:,} patients" in text
    for method in view.methods:
        assert method in text


def _slide_title(slide) -> str:
    return next((s.text_frame.text for s in slide.shapes if s.name == "Title"), "")


def test_sensitivity_section_follows_the_page_with_figures_tables_and_captions(deck,
                                                                              fingerprint):
    from analysis.display import format_num, format_p
    from analysis.service import api

    prs, view = deck
    slides = list(prs.slides)
    titles = [_slide_title(s) for s in slides]
    if not view.sensitivity:                      # the therapy view: no such section
        assert "Sensitivity" not in titles
        return
    start = titles.index("Sensitivity")
    names = [[s.name for s in sl.shapes] for sl in slides[start + 1:start + 5]]
    # each figure followed by its table: forest, estimates, balance plot, balance table
    assert ["Figure sensitivity_forest" in n for n in names] == [True, False, False, False]
    assert "Table sensitivity_estimates" in names[1]
    assert "Figure propensity_balance" in names[2] and "Table propensity_balance" in names[3]
    assert titles[start + 5].startswith("Methods")
    table = api.sensitivity(fingerprint, "", "delta_pav").value
    cells = next(s for s in slides[start + 2].shapes if s.name == "Table sensitivity_estimates")
    grid = [[c.text for c in row.cells] for row in cells.table.rows]
    assert grid[0][:4] == ["Analysis", "Estimate (%)", "95% CI", "p"]
    for row, (_i, r) in zip(grid[1:], table.iterrows(), strict=True):
        assert row[0] == r["analysis"] and row[1] == format_num(r["estimate"], 3)
        assert row[3] == format_p(r["p"]) and row[4] == r["test"]
        assert row[5] == f"{int(r['n']):,}"
    captions = [" ".join(next(s for s in slides[start + k].shapes
                              if s.name == "Caption").text_frame.text.split())
                for k in (1, 2, 3, 4)]          # caption lines joined
    assert "20 imputations, seed 20120501" in captions[0] and "n = 1,347" in captions[0]
    assert "percentiles 1 and 99" in captions[1] and "HC3" in captions[1]
    assert "effective sample size 1,023" in captions[2] and "Austin & Stuart" in captions[3]


def test_pictures_keep_their_aspect_and_stay_on_the_slide_above_their_caption(deck):
    prs, _view = deck
    for slide in prs.slides:
        for pic in [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]:
            px_w, px_h = pic.image.size
            assert abs((pic.width / pic.height) / (px_w / px_h) - 1) < 0.01   # not stretched
            assert pic.left >= 0 and pic.top >= 0
            assert pic.left + pic.width <= prs.slide_width
            caption = next(s for s in slide.shapes if s.name == "Caption")
            assert caption.top >= pic.top + pic.height
            assert caption.top + caption.height <= prs.slide_height
