"""Static images of figures on the server (kaleido 1.x with the system Chromium).

One long-lived kaleido server per process (:func:`start`, started on first use): each
image then takes about a second instead of a fresh browser's three. Chromium is
``BROWSER_PATH`` if set, else ``/usr/bin/chromium`` when it exists (else kaleido's own
search).

Every exported image carries its caption (n, filters, method, simulated label) in a
band below the plot: :func:`with_caption`. Slide size is 10 x 5.625 in (16:9); PNGs are
rendered at :data:`PNG_SCALE` times :data:`SLIDE_PX`, i.e. 3000 x 1688 px = 300 dpi
at slide size.
"""

from __future__ import annotations

import os
import threading

import plotly.graph_objects as go

from analysis.errors import ExplorerError
from components.figures import Footnote

#: Figure size in CSS px at slide size (10 x 5.625 in at 100 px per inch).
SLIDE_PX = (1000, 563)
#: PNG scale: 3000 x 1688 px, 300 dpi on a 10 in wide slide.
PNG_SCALE = 3
#: Formats :func:`render` writes.
FORMATS = ("png", "svg", "pdf")
#: Caption font size (px) and the height of one caption line.
CAPTION_FONT = 12
_LINE_PX = 16
#: Characters per caption line at 1000 px width (about 7 px per character at 12 px).
_PX_PER_CHAR = 7.0
DEFAULT_CHROMIUM = "/usr/bin/chromium"

_lock = threading.Lock()
_started = False


class ImageExportError(ExplorerError):
    """A figure could not be rendered as a static image (no Chromium, ...)."""


def caption_band(footnote: Footnote, width: int) -> tuple[str, int]:
    """The caption's plotly text wrapped for an image ``width`` px wide, and the height
    (px) of the band it needs below the plot."""
    text = footnote.text(max(40, int(width / _PX_PER_CHAR)))
    return text, (text.count("<br>") + 1) * _LINE_PX + 16


def with_caption(fig: go.Figure, footnote: Footnote | None, *, width: int,
                 height: int) -> go.Figure:
    """A copy of ``fig`` with a caption band below the plot.

    The bottom margin grows by the caption's line count; the caption is a
    paper-anchored annotation at the figure's left edge.

    Parameters
    ----------
    fig : go.Figure
        The figure (not modified).
    footnote : Footnote or None
        Its caption; None gives a sized copy without a caption.
    width, height : int
        Size of the exported image in CSS px (the caption wraps to the width).

    Returns
    -------
    go.Figure
    """
    out = go.Figure(fig)
    out.update_layout(width=width, height=height)
    if footnote is None:
        return out
    text, band = caption_band(footnote, width)
    margin = out.layout.margin
    bottom = (margin.b if margin.b is not None else 80) + band
    left = margin.l if margin.l is not None else 80
    plot_h = height - bottom - (margin.t if margin.t is not None else 60)
    if plot_h < 120:  # keep a readable plot: the image grows instead
        out.update_layout(height=height + (120 - plot_h))
        plot_h = 120
    out.update_layout(margin=dict(b=bottom))
    out.add_annotation(text=text, xref="paper", yref="paper", x=0, xanchor="left",
                       xshift=-left + 10, y=0, yanchor="top",
                       yshift=-(bottom - band) - 4, showarrow=False, align="left",
                       font=dict(size=CAPTION_FONT, color="#333"))
    return out


def chromium_path() -> str | None:
    """The Chromium kaleido uses: ``BROWSER_PATH``, else /usr/bin/chromium if present."""
    path = os.environ.get("BROWSER_PATH")
    if path:
        return path
    return DEFAULT_CHROMIUM if os.path.exists(DEFAULT_CHROMIUM) else None


def start() -> None:
    """Start the process's kaleido server once (later calls do nothing)."""
    global _started
    with _lock:
        if _started:
            return
        import kaleido

        path = chromium_path()
        if path and not os.environ.get("BROWSER_PATH"):
            os.environ["BROWSER_PATH"] = path  # choreographer reads it
        kaleido.start_sync_server(silence_warnings=True)
        _started = True


def _after_fork_in_child() -> None:
    """A forked worker (a background callback) has no kaleido server thread: forget the
    parent's, so the child starts its own instead of waiting on a dead queue."""
    global _started
    if _started:
        _started = False
        import kaleido

        kaleido._global_server._initialized = False  # noqa: SLF001 - kaleido has no API


os.register_at_fork(after_in_child=_after_fork_in_child)


def stop() -> None:
    """Stop the kaleido server (tests, command-line runs)."""
    global _started
    with _lock:
        if _started:
            import kaleido

            kaleido.stop_sync_server(silence_warnings=True)
            _started = False


def render(fig: go.Figure, fmt: str, *, footnote: Footnote | None = None,
           width: int = SLIDE_PX[0], height: int = SLIDE_PX[1]) -> bytes:
    """``fig`` with its caption as PNG (at :data:`PNG_SCALE`), SVG or PDF bytes.

    Raises
    ------
    ImageExportError
        Unknown format, or the renderer failed (the message says what to install).
    """
    if fmt not in FORMATS:
        raise ImageExportError(f"unknown image format {fmt!r}; choose png, svg or pdf")
    start()
    import kaleido

    captioned = with_caption(fig, footnote, width=width, height=height)
    opts = {"format": fmt, "width": int(captioned.layout.width),
            "height": int(captioned.layout.height), "scale": PNG_SCALE if fmt == "png" else 1}
    try:
        return kaleido.calc_fig_sync(captioned.to_dict(), opts=opts)
    except Exception as err:  # noqa: BLE001 - kaleido raises many kinds; say what to do
        raise ImageExportError(
            "The figure could not be rendered as an image: the server needs Chromium "
            "(Debian: apt-get install chromium, or set BROWSER_PATH).") from err


__all__ = ["FORMATS", "PNG_SCALE", "SLIDE_PX", "ImageExportError", "caption_band",
           "chromium_path", "render", "start", "stop", "with_caption"]
