"""The meeting kit of a view in one call: ``build(link, fmt)`` -> (file name, bytes).

Formats: ``pptx`` (the deck), ``html`` (the offline report), ``py`` and ``r`` (the
scripts that reproduce the view from its data.csv) and ``zip``: data.csv with its
provenance and dictionary, every figure as PNG (300 dpi at slide size) and SVG with
its caption band, both scripts, the deck and the HTML report.

``sensitivity`` adds the Sensitivity section (:mod:`reports.view_sensitivity`; by
default for /comparison only) to every format: its figures and tables in the deck, the
report and the zip, and the HC3 and propensity-weighted estimates in both scripts.
"""

from __future__ import annotations

import datetime as _dt
import io
import zipfile
from collections.abc import Callable

from analysis.errors import ExplorerError
from components import static_images
from reports.data_files import data_files
from reports.deck import build_deck, figure_png
from reports.html_report import build_html
from reports.script_py import python_script
from reports.script_r import r_script
from reports.view import FigureItem, View, build_view

FORMATS = ("pptx", "html", "py", "r", "zip")
MEDIA_TYPES = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml."
                       "presentation", "html": "text/html", "py": "text/x-python",
               "r": "text/plain", "zip": "application/zip"}
Progress = Callable[[str], None]


class KitError(ExplorerError):
    """A kit that cannot be built as asked (unknown format, ...)."""


def _stem(view: View) -> str:
    page = view.path.strip("/") or "overview"
    return f"ivus_{page}_{_dt.date.today().isoformat()}"


def image_size(item: FigureItem) -> tuple[int, int]:
    """CSS px of a figure's image file with its caption band: the slide size, taller
    when the figure sets a taller height of its own (a forest with many rows), so
    its rows are never squeezed together."""
    width, height = static_images.SLIDE_PX
    own = item.figure.layout.height
    if not own:
        return width, height
    _text, band = static_images.caption_band(item.footnote, width)
    return width, max(height, int(own) + band)


#: What the kit's README says when the patient rows are left out of a zip.
NO_ROWS = ("data.csv is left out: the role of the account that built this kit does not "
           "grant patient rows (an analyst's does); view.py and view.R need it to run.")


def _zip(view: View, progress: Progress, rows: bool = True) -> bytes:
    buf = io.BytesIO()
    plots: dict[str, bytes] = {}
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in data_files(view).items():
            if name == "data.csv" and not rows:
                continue
            zf.writestr(name, data)
        for i, item in enumerate(view.figures, start=1):
            progress(f"Figure {i} of {len(view.figures)}: PNG and SVG")
            width, height = image_size(item)
            for fmt in ("png", "svg"):
                zf.writestr(f"figures/{item.key}.{fmt}",
                            static_images.render(item.figure, fmt, footnote=item.footnote,
                                                 width=width, height=height))
            plots[item.key] = figure_png(item)
        zf.writestr("view.py", python_script(view))
        zf.writestr("view.R", r_script(view))
        progress("Slide deck")
        zf.writestr("deck.pptx", build_deck(view, pngs=plots))
        progress("HTML report")
        zf.writestr("report.html", build_html(view))
        zf.writestr("README.txt", _readme(view) + ("" if rows else NO_ROWS + "\n"))
    return buf.getvalue()


def _readme(view: View) -> str:
    lines = [f"Meeting kit of the view {view.link}", "",
             f"Dataset: {view.dataset} (fingerprint {view.fingerprint})",
             "Filters: " + ("; ".join(view.filters) or "none (all patients)"),
             view.simulated_label, "",
             "data.csv, provenance.txt, dictionary.csv  the rows of the view (as the Data page)",
             "figures/*.png, figures/*.svg             every figure with its caption",
             "view.py   python view.py  (pandas + statsmodels) reproduces every number",
             "view.R    Rscript view.R  (lm + emmeans) reproduces every number",
             "deck.pptx, report.html                   slides and the offline report"]
    if view.sensitivity:
        lines += ["", "Sensitivity section: figures/sensitivity_forest.* and "
                  "figures/propensity_balance.*;",
                  "view.py (statsmodels) and view.R (sandwich) also reproduce the HC3 and "
                  "propensity-weighted estimates."]
    return "\n".join([*lines, ""])


def build(link: str, fmt: str, *, fingerprint: str | None = None,
          progress: Progress | None = None,
          sensitivity: bool | None = None, rows: bool = True) -> tuple[str, bytes]:
    """The kit file of ``link`` in ``fmt``: (file name, contents).

    ``rows``: the zip holds the patient rows (``data.csv``); False for a role that may
    not see them (the README then says so).
    ``sensitivity``: hold the Sensitivity section (None: for /comparison only).
    ``progress`` gets one message per step, and one per imputation while the multiple
    imputation of the section runs.

    Raises
    ------
    KitError, ViewError, ImageExportError
        A bad format or link, or no Chromium for the figures (each says what to do).
    """
    if fmt not in FORMATS:
        raise KitError(f"unknown kit format {fmt!r}; choose one of {', '.join(FORMATS)}")
    say = progress or (lambda _msg: None)
    say("Computing the view")
    view = build_view(link, fingerprint, sensitivity=sensitivity, progress=say)
    stem = _stem(view)
    if fmt == "pptx":
        return f"{stem}.pptx", build_deck(view, progress=say)
    if fmt == "html":
        return f"{stem}.html", build_html(view).encode("utf-8")
    if fmt == "py":
        return f"{stem}.py", python_script(view).encode("utf-8")
    if fmt == "r":
        return f"{stem}.R", r_script(view).encode("utf-8")
    return f"{stem}.zip", _zip(view, say, rows)


__all__ = ["FORMATS", "MEDIA_TYPES", "KitError", "build", "image_size"]
