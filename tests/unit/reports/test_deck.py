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


def test_each_figure_slide_has_its_picture_and_caption(deck):
    prs, view = deck
    for slide, item in zip(list(prs.slides)[1:1 + len(view.figures)], view.figures, strict=True):
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
