"""The HTML report of a view: one self-contained file that opens with no network.

plotly.js is inlined once, before the first figure: the pages' own bundle
(``assets/vendor/plotly-explorer.min.js``: the trace types the figures draw, 1.3 MB
instead of plotly.py's 4.8 MB, so the file is a quarter of the size and opens faster);
the figures stay interactive; the tables, methods and provenance follow. A
named section of the view (Sensitivity) is a ``<section>`` of its own after the page's
figures and tables: each figure followed by its table, each with its caption. No
stylesheet, font or script is fetched from anywhere: the file works on a hospital
intranet and as an e-mail attachment. Every text from the data is HTML-escaped.
"""

from __future__ import annotations

import html
from pathlib import Path

import plotly.io as pio

from analysis.display import format_count
from reports.view import STUDY, FigureItem, TableItem, View, sections

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       margin: 2rem auto; max-width: 1100px; color: #1b1b1b; line-height: 1.45; }
h1 { color: #16324f; margin-bottom: .2rem; } h2 { color: #16324f; margin-top: 2rem; }
.label { font-weight: 700; color: #b03a00; border: 2px solid #b03a00; padding: .4rem .6rem;
         display: inline-block; }
dl.prov { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.prov dt { font-weight: 600; } dl.prov dd { margin: 0; word-break: break-all; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border-bottom: 1px solid #ddd; padding: .25rem .5rem; text-align: left; }
th { background: #eef2f6; } tr:nth-child(even) td { background: #fafafa; }
.caption { font-size: .85rem; color: #333; margin: .2rem 0 1.5rem; }
.note { font-size: .9rem; }
"""
#: plotly config of the report's figures: no logo link, no cloud buttons.
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True,
                 "modeBarButtonsToRemove": ["sendDataToCloud", "lasso2d", "select2d"]}


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _table(item: TableItem, level: int = 2) -> str:
    head = "".join(f"<th scope='col'>{_e(c)}</th>" for c in item.frame.columns)
    rows = "".join("<tr>" + "".join(f"<td>{_e('' if v is None else v)}</td>" for v in row)
                   + "</tr>" for row in item.frame.itertuples(index=False, name=None))
    note = f"<p class='note'>{_e(item.note)}</p>" if item.note else ""
    return (f"<h{level} id='{_e(item.key)}'>{_e(item.title)}</h{level}>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{note}")


def _caption(text: str) -> str:
    """The footnote's plotly text as escaped HTML lines."""
    parts = [p.replace("<b>", "").replace("</b>", "") for p in text.split("<br>")]
    return "<br>".join(_e(p) for p in parts)


def _provenance(view: View) -> str:
    rows = [("Study", STUDY), ("Dataset", view.dataset), ("Fingerprint", view.fingerprint),
            ("Patients", f"{format_count(view.n)} (" + ", ".join(f"{g}: {format_count(n)}" for g, n in
                                                    view.n_by_group.items()) + ")"),
            ("Filters", "; ".join(view.filters) or "none (all patients)"),
            ("View (link)", view.link), ("Made", view.created)]
    return "<dl class='prov'>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>"
                                         for k, v in rows) + "</dl>"


#: The plotly.js the pages load (see vendor/plotly/README.md); the report inlines it.
PLOTLY_BUNDLE = Path(__file__).resolve().parents[1] / "assets" / "vendor" / \
    "plotly-explorer.min.js"


def _plotly_js() -> str:
    """A script element with the pages' plotly.js bundle."""
    return f"<script type=\"text/javascript\">{PLOTLY_BUNDLE.read_text(encoding='utf-8')}</script>"


def _figure(item: FigureItem, first: bool, level: int = 2) -> str:
    height = max(480, int(item.figure.layout.height or 0))
    div = pio.to_html(item.figure, full_html=False, include_plotlyjs=False,
                      config=PLOTLY_CONFIG, default_height=f"{height}px",
                      div_id=f"figure-{item.key}")
    if first:
        div = _plotly_js() + div
    return (f"<h{level}>{_e(item.title)}</h{level}>{div}"
            f"<p class='caption'>{_caption(item.footnote.text(140))}</p>")


def _body(view: View) -> list[str]:
    """The figures and tables, section by section (plotly.js with the first figure)."""
    parts: list[str] = []
    shown = {"figures": 0}

    def figure(item: FigureItem, level: int) -> str:
        shown["figures"] += 1
        return _figure(item, shown["figures"] == 1, level)

    for section in sections(view):
        figures = [f for f in view.figures if f.section == section]
        tables = [t for t in view.tables if t.section == section]
        if not section:
            parts += [figure(f, 2) for f in figures] + [_table(t) for t in tables]
            continue
        inner: list[str] = []
        for k in range(max(len(figures), len(tables))):  # each figure, then its table
            if k < len(figures):
                inner.append(figure(figures[k], 3))
            if k < len(tables):
                inner.append(_table(tables[k], level=3))
        sid = "section-" + "-".join(section.lower().split())
        parts.append(f"<section id='{_e(sid)}'><h2>{_e(section)}</h2>"
                     + "".join(inner) + "</section>")
    return parts


def build_html(view: View) -> str:
    """The report as one HTML document (text)."""
    parts = [f"<h1>{_e(view.page)}</h1>", f"<p>{_e(STUDY)}</p>"]
    if view.simulated_label:
        parts.append(f"<p class='label' role='note'>{_e(view.simulated_label)}</p>")
    parts.append(_provenance(view))
    parts += _body(view)
    methods = [*view.methods,
               f"LS-mean weights: {view.model.weights}; means: {view.model.means}; outcome: "
               f"{view.model.outcome}; covariates: {', '.join(view.model.covariates) or 'none'}.",
               f"n = {format_count(view.n)} patients after the filters.",
               *(f"Not computed: {n}" for n in view.notes)]
    parts.append("<h2>Methods</h2><ul>" + "".join(f"<li>{_e(m)}</li>" for m in methods)
                 + "</ul>")
    body = "\n".join(parts)
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_e(view.title)}</title><style>{CSS}</style></head>"
            f"<body>\n{body}\n</body></html>\n")


__all__ = ["build_html"]
