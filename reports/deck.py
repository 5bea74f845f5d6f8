"""The slide deck of a view (python-pptx 1.0): 16:9 slides, 10 x 5.625 in.

Slides: a title slide (study, dataset and fingerprint, filters in words, date, the
simulated-data label when it applies); one slide per figure (title, the figure as a
300 dpi PNG rendered by kaleido, the caption as text below it); native tables
(Table 1, LS means, simple effects, forest rows), paginated with fixed font sizes
(python-pptx cannot fit text in table cells); a methods slide naming every test,
model, weighting and n.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Inches, Pt

from analysis.display import format_count
from components import static_images
from reports.view import STUDY, FigureItem, TableItem, View

SLIDE_W, SLIDE_H = Inches(10), Inches(5.625)
#: Figure picture size (in) and its render size in CSS px (x PNG_SCALE = 300+ dpi).
PICTURE_IN = (9.4, 3.95)
PICTURE_PX = (940, 395)
#: Rows of a table per slide, by font size.
TABLE_ROWS = 13
TABLE_FONT = Pt(9)
TITLE_FONT = Pt(22)
CAPTION_FONT = Pt(8)
ACCENT = RGBColor(0x16, 0x32, 0x4F)
Progress = Callable[[str], None]


def _blank(prs):
    return prs.slides.add_slide(prs.slide_layouts[6])


def _text(slide, left, top, width, height, lines: Sequence[str], size, *, bold=False,
          color: RGBColor | None = None, name: str | None = None):
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    if name:
        box.name = name
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(lines):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.text = line
        para.font.size = size
        para.font.bold = bold
        if color is not None:
            para.font.color.rgb = color
    return box


def _title(slide, text: str) -> None:
    _text(slide, 0.3, 0.15, 9.4, 0.6, [text], TITLE_FONT, bold=True, color=ACCENT,
          name="Title")


def _title_slide(prs, view: View) -> None:
    slide = _blank(prs)
    _text(slide, 0.5, 0.5, 9.0, 1.2, [view.page, STUDY], Pt(28), bold=True, color=ACCENT,
          name="Title")
    slide.shapes[-1].text_frame.paragraphs[1].font.size = Pt(14)
    lines = [f"Dataset: {view.dataset} (fingerprint {view.fingerprint[:16]}…)",
             f"Patients: {format_count(view.n)} (" + ", ".join(f"{g}: {format_count(n)}" for g, n in
                                                  view.n_by_group.items()) + ")",
             "Filters: " + ("; ".join(view.filters) or "none (all patients)"),
             f"View: {view.link}", f"Made: {view.created[:10]} (UTC {view.created[11:16]})"]
    _text(slide, 0.5, 2.0, 9.0, 2.4, lines, Pt(13), name="Provenance")
    if view.simulated_label:
        _text(slide, 0.5, 4.6, 9.0, 0.6, [view.simulated_label], Pt(16), bold=True,
              color=RGBColor(0xB0, 0x3A, 0x00), name="Simulated label")


def _figure_slide(prs, item: FigureItem, png: bytes) -> None:
    slide = _blank(prs)
    _title(slide, item.title)
    pic = slide.shapes.add_picture(io.BytesIO(png), Inches(0.3), Inches(0.8),
                                   Inches(PICTURE_IN[0]), Inches(PICTURE_IN[1]))
    pic.name = f"Figure {item.key}"
    caption = item.footnote.text(170).replace("<b>", "").replace("</b>", "").split("<br>")
    _text(slide, 0.3, 0.8 + PICTURE_IN[1] + 0.02, 9.4, 0.8, caption, CAPTION_FONT,
          name="Caption")


def _pages(frame: pd.DataFrame, rows: int) -> list[pd.DataFrame]:
    return [frame.iloc[i:i + rows] for i in range(0, max(len(frame), 1), rows)]


def _table_slides(prs, item: TableItem, label: str) -> None:
    pages = _pages(item.frame, TABLE_ROWS)
    for k, part in enumerate(pages, start=1):
        slide = _blank(prs)
        more = f" ({k} of {len(pages)})" if len(pages) > 1 else ""
        _title(slide, item.title + more)
        n_rows, n_cols = len(part) + 1, len(part.columns)
        height = Inches(0.26) * n_rows
        shape = slide.shapes.add_table(n_rows, n_cols, Inches(0.3), Inches(0.85),
                                       Inches(9.4), height)
        shape.name = f"Table {item.key}"
        table = shape.table
        if n_cols > 3:  # the first column holds the labels: give it more room
            first = Inches(2.6)
            table.columns[0].width = first
            for j in range(1, n_cols):
                table.columns[j].width = int((Inches(9.4) - first) / (n_cols - 1))
        for j, col in enumerate(part.columns):
            _cell(table.cell(0, j), str(col), bold=True)
        for i, row in enumerate(part.itertuples(index=False, name=None), start=1):
            for j, value in enumerate(row):
                _cell(table.cell(i, j), "" if value is None else str(value))
        notes = [n for n in (item.note, label) if n]
        if notes and k == len(pages):
            _text(slide, 0.3, 5.0, 9.4, 0.5, notes, CAPTION_FONT, name="Caption")


def _cell(cell, text: str, *, bold: bool = False) -> None:
    cell.text = text
    cell.margin_top = cell.margin_bottom = Inches(0.02)
    for para in cell.text_frame.paragraphs:
        para.font.size = TABLE_FONT
        para.font.bold = bold


def _methods_slides(prs, view: View) -> None:
    lines = list(view.methods)
    lines.append(f"LS-mean weights: {view.model.weights}; means: {view.model.means}; "
                 f"outcome: {view.model.outcome}; covariates: "
                 f"{', '.join(view.model.covariates) or 'none'}.")
    lines.append(f"n = {format_count(view.n)} patients after the filters (" + ", ".join(
        f"{g}: {format_count(n)}" for g, n in view.n_by_group.items()) + ").")
    lines += [f"Not computed: {n}" for n in view.notes]
    pages, cur, size = [], [], 0
    for line in lines:  # about 1,600 characters fit one slide at 10 pt
        if cur and size + len(line) > 1600:
            pages.append(cur)
            cur, size = [], 0
        cur.append(line)
        size += len(line)
    pages.append(cur)
    for k, part in enumerate(pages, start=1):
        slide = _blank(prs)
        _title(slide, "Methods" + (f" ({k} of {len(pages)})" if len(pages) > 1 else ""))
        _text(slide, 0.3, 0.85, 9.4, 4.5, part, Pt(10), name="Methods")
        if view.simulated_label:
            _text(slide, 0.3, 5.15, 9.4, 0.35, [view.simulated_label], Pt(9), bold=True)


def figure_png(item: FigureItem) -> bytes:
    """The figure as the deck shows it: plot only (the caption is slide text)."""
    return static_images.render(item.figure, "png", footnote=None, width=PICTURE_PX[0],
                                height=PICTURE_PX[1])


def build_deck(view: View, *, progress: Progress | None = None,
               pngs: dict[str, bytes] | None = None) -> bytes:
    """The .pptx bytes of ``view`` (``pngs``: figure key -> plot PNG already rendered)."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
    _title_slide(prs, view)
    for i, item in enumerate(view.figures, start=1):
        if progress:
            progress(f"Slide for figure {i} of {len(view.figures)}")
        png = (pngs or {}).get(item.key) or figure_png(item)
        _figure_slide(prs, item, png)
    for item in view.tables:
        _table_slides(prs, item, view.simulated_label)
    _methods_slides(prs, view)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


__all__ = ["build_deck", "figure_png"]
