"""The slide deck of a view (python-pptx 1.0): 16:9 slides, 10 x 5.625 in.

Slides: a title slide (study, dataset and fingerprint, filters in words, date, the
simulated-data label when it applies); one slide per figure (title, the figure as a
300 dpi PNG rendered by kaleido, the caption as text below it); native tables
(Table 1, LS means, simple effects, forest rows), paginated with fixed font sizes
(python-pptx cannot fit text in table cells); then each named section of the view
(the Sensitivity section: a section slide, then each figure followed by its table);
a methods slide naming every test, model, weighting and n.

A figure taller than the picture box (a forest with many rows) is rendered at its own
height and placed scaled to fit, never stretched; the caption's lines take the room
they need under it.
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
from reports.view import STUDY, FigureItem, TableItem, View, sections

SLIDE_W, SLIDE_H = Inches(10), Inches(5.625)
#: Figure picture size (in) and its render size in CSS px (x PNG_SCALE = 300+ dpi).
PICTURE_IN = (9.4, 3.95)
PICTURE_PX = (940, 395)
#: Rows of a table per slide, by font size.
TABLE_ROWS = 13
TABLE_FONT = Pt(9)
TITLE_FONT = Pt(22)
CAPTION_FONT = Pt(8)
#: Height of one caption line at CAPTION_FONT (in) and the slide's bottom margin.
CAPTION_LINE_IN = 0.14
#: Characters of a caption line at CAPTION_FONT over the 9.4 in text width (as
#: LibreOffice and PowerPoint wrap it; 170 ran over the box).
CAPTION_CHARS = 150
BOTTOM_IN = 0.1
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


def picture_px(item: FigureItem) -> tuple[int, int]:
    """CSS px the figure is rendered at: the picture box's, or the figure's own height
    when it is taller (the width stays, so text keeps its size)."""
    height = item.figure.layout.height
    return PICTURE_PX[0], max(PICTURE_PX[1], int(height or 0))


def picture_box(item: FigureItem, caption_lines: int) -> tuple[float, float, float, float]:
    """(left, top, width, height) in inches of the figure on its slide: the largest box
    of the figure's aspect ratio above the caption, centred."""
    px_w, px_h = picture_px(item)
    room_h = min(PICTURE_IN[1], SLIDE_H / 914400 - 0.8 - BOTTOM_IN - 0.04
                 - CAPTION_LINE_IN * caption_lines)
    width, height = PICTURE_IN[0], PICTURE_IN[0] * px_h / px_w
    if height > room_h:
        width, height = room_h * px_w / px_h, room_h
    return 0.3 + (PICTURE_IN[0] - width) / 2, 0.8, width, height


def _figure_slide(prs, item: FigureItem, png: bytes) -> None:
    slide = _blank(prs)
    _title(slide, item.title)
    caption = item.footnote.text(CAPTION_CHARS).replace("<b>", "").replace("</b>", "").split("<br>")
    left, top, width, height = picture_box(item, len(caption))
    pic = slide.shapes.add_picture(io.BytesIO(png), Inches(left), Inches(top),
                                   Inches(width), Inches(height))
    pic.name = f"Figure {item.key}"
    cap_top = top + height + 0.02
    _text(slide, 0.3, cap_top, 9.4, SLIDE_H / 914400 - cap_top - BOTTOM_IN / 2, caption,
          CAPTION_FONT, name="Caption")


def _section_slide(prs, view: View, section: str) -> None:
    """The divider slide of a named section: its name and what it holds."""
    slide = _blank(prs)
    _text(slide, 0.5, 1.6, 9.0, 0.9, [section], Pt(32), bold=True, color=ACCENT,
          name="Title")
    lines = [f"{len([f for f in view.figures if f.section == section])} figures, "
             f"{len([t for t in view.tables if t.section == section])} tables",
             *(f.title for f in view.figures if f.section == section),
             *(t.title for t in view.tables if t.section == section)]
    _text(slide, 0.5, 2.6, 9.0, 2.4, lines, Pt(13), name="Contents")


def _pages(frame: pd.DataFrame, rows: int) -> list[pd.DataFrame]:
    return [frame.iloc[i:i + rows] for i in range(0, max(len(frame), 1), rows)]


#: Width of one character at TABLE_FONT (in), for the row heights of wrapped cells.
TABLE_CHAR_IN = 0.068
TABLE_LINE_IN = 0.16


def _column_widths(item: TableItem, n_cols: int) -> list[int]:
    """EMU widths of the columns: the item's relative widths, else a wider first column
    (it holds the labels) when there are more than three."""
    full = Inches(9.4)
    if item.widths and len(item.widths) == n_cols:
        total = float(sum(item.widths))
        return [int(full * w / total) for w in item.widths]
    if n_cols > 3:
        first = Inches(2.6)
        return [first] + [int((full - first) / (n_cols - 1))] * (n_cols - 1)
    return [int(full / n_cols)] * n_cols


def _row_height(texts: Sequence[str], widths: Sequence[int]) -> float:
    """Inches a row needs: its most-wrapped cell's lines (python-pptx sets no height
    from the text; PowerPoint would grow the row and push the caption off the slide)."""
    lines = max(-(-max(len(t), 1) * TABLE_CHAR_IN // max(w / 914400 - 0.1, 0.2))
                for t, w in zip(texts, widths, strict=True))
    return max(0.26, 0.08 + TABLE_LINE_IN * lines)


def _table_caption(slide, notes: Sequence[str], table_bottom: float) -> None:
    """The table's caption under it, as low as its lines allow."""
    lines = sum(max(1, -(-len(n) // CAPTION_CHARS)) for n in notes)
    height = CAPTION_LINE_IN * lines + 0.05
    top = max(table_bottom + 0.05, min(5.0, SLIDE_H / 914400 - BOTTOM_IN / 2 - height))
    _text(slide, 0.3, top, 9.4, height, notes, CAPTION_FONT, name="Caption")


def _table_slides(prs, item: TableItem, label: str) -> None:
    pages = _pages(item.frame, TABLE_ROWS)
    for k, part in enumerate(pages, start=1):
        slide = _blank(prs)
        more = f" ({k} of {len(pages)})" if len(pages) > 1 else ""
        _title(slide, item.title + more)
        rows = [[str(c) for c in part.columns]] + [
            ["" if v is None else str(v) for v in row]
            for row in part.itertuples(index=False, name=None)]
        widths = _column_widths(item, len(part.columns))
        heights = [_row_height(r, widths) for r in rows]
        shape = slide.shapes.add_table(len(rows), len(widths), Inches(0.3), Inches(0.85),
                                       Inches(9.4), Inches(sum(heights)))
        shape.name = f"Table {item.key}"
        table = shape.table
        for j, w in enumerate(widths):
            table.columns[j].width = w
        for i, (texts, h) in enumerate(zip(rows, heights, strict=True)):
            table.rows[i].height = Inches(h)
            for j, text in enumerate(texts):
                _cell(table.cell(i, j), text, bold=i == 0)
        notes = [n for n in (item.note, label) if n]
        if notes and k == len(pages):
            _table_caption(slide, notes, 0.85 + sum(heights))


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
    width, height = picture_px(item)
    return static_images.render(item.figure, "png", footnote=None, width=width,
                                height=height)



def build_deck(view: View, *, progress: Progress | None = None,
               pngs: dict[str, bytes] | None = None) -> bytes:
    """The .pptx bytes of ``view`` (``pngs``: figure key -> plot PNG already rendered)."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
    _title_slide(prs, view)
    done = {"n": 0}

    def figure(item: FigureItem) -> None:
        done["n"] += 1
        if progress:
            progress(f"Slide for figure {done['n']} of {len(view.figures)}")
        _figure_slide(prs, item, (pngs or {}).get(item.key) or figure_png(item))

    for section in sections(view):
        figures = [f for f in view.figures if f.section == section]
        tables = [t for t in view.tables if t.section == section]
        if not section:  # the page's own: figures, then tables
            for item in figures:
                figure(item)
            for table in tables:
                _table_slides(prs, table, view.simulated_label)
            continue
        _section_slide(prs, view, section)
        for k in range(max(len(figures), len(tables))):  # each figure, then its table
            if k < len(figures):
                figure(figures[k])
            if k < len(tables):
                _table_slides(prs, tables[k], view.simulated_label)
    _methods_slides(prs, view)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


__all__ = ["build_deck", "figure_png", "picture_box", "picture_px"]
