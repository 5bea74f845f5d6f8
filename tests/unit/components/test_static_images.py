"""Static images: the caption band and kaleido's PNG / SVG / PDF output."""

from __future__ import annotations

import struct

import plotly.graph_objects as go
import pytest

from components.figures import Footnote
from components.static_images import PNG_SCALE, ImageExportError, render, with_caption

FOOT = Footnote(n=1347, filters=("Age 45-75 years",), method="ANCOVA (OLS): y ~ group",
                simulated_label="Simulated data calibrated to published summaries")


def _fig() -> go.Figure:
    fig = go.Figure(go.Scatter(x=[1, 2, 3], y=[2, 1, 3]))
    fig.update_layout(margin=dict(l=60, r=20, t=40, b=50))
    return fig


def test_caption_band_grows_with_the_caption_and_leaves_the_figure_alone():
    fig = _fig()
    before = fig.to_dict()
    short = with_caption(fig, Footnote(n=10), width=1000, height=563)
    long = with_caption(fig, Footnote(n=10, method="word " * 400), width=1000, height=563)
    assert fig.to_dict() == before                       # a copy, not the figure
    assert short.layout.margin.b > 50                    # the band is below the old margin
    # 2,000 characters of method at ~140 per line: at least 14 lines more, 16 px each
    assert long.layout.margin.b - short.layout.margin.b >= 14 * 16
    ann = short.layout.annotations[-1]
    assert ann.xref == "paper" and ann.yref == "paper" and ann.text == Footnote(n=10).text(142)
    assert "n = 10" in ann.text
    assert with_caption(fig, None, width=800, height=400).layout.annotations == ()


@pytest.mark.usefixtures("kaleido_server")
def test_png_is_300_dpi_at_slide_size_and_svg_pdf_are_what_they_say():
    png = render(_fig(), "png", footnote=FOOT)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    # 10 in x 5.63 in at 300 dpi: 1000 x 563 CSS px times scale 3
    assert (width, height) == (1000 * PNG_SCALE, 563 * PNG_SCALE) == (3000, 1689)
    svg = render(_fig(), "svg", footnote=FOOT).decode()
    assert svg.lstrip().startswith("<svg") and "n = 1,347" in svg
    assert render(_fig(), "pdf", footnote=FOOT)[:5] == b"%PDF-"


def test_unknown_format_is_a_clear_error():
    with pytest.raises(ImageExportError, match="png, svg or pdf"):
        render(_fig(), "eps")
