"""The HTML report of a view: one self-contained file that opens with no network.

plotly.js is inlined once (``include_plotlyjs=True`` for the first figure, ``False``
after); the figures stay interactive; the tables, methods and provenance follow. No
stylesheet, font or script is fetched from anywhere: the file works on a hospital
intranet and as an e-mail attachment. Every text from the data is HTML-escaped.
"""

from __future__ import annotations

import html

import plotly.io as pio

from analysis.display import format_count
from reports.view import STUDY, TableItem, View

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


def _table(item: TableItem) -> str:
    head = "".join(f"<th scope='col'>{_e(c)}</th>" for c in item.frame.columns)
    rows = "".join("<tr>" + "".join(f"<td>{_e('' if v is None else v)}</td>" for v in row)
                   + "</tr>" for row in item.frame.itertuples(index=False, name=None))
    note = f"<p class='note'>{_e(item.note)}</p>" if item.note else ""
    return (f"<h2 id='{_e(item.key)}'>{_e(item.title)}</h2>"
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


def build_html(view: View) -> str:
    """The report as one HTML document (text)."""
    parts = [f"<h1>{_e(view.page)}</h1>", f"<p>{_e(STUDY)}</p>"]
    if view.simulated_label:
        parts.append(f"<p class='label' role='note'>{_e(view.simulated_label)}</p>")
    parts.append(_provenance(view))
    for i, item in enumerate(view.figures):
        div = pio.to_html(item.figure, full_html=False, include_plotlyjs=(i == 0),
                          config=PLOTLY_CONFIG, default_height="480px",
                          div_id=f"figure-{item.key}")
        parts += [f"<h2>{_e(item.title)}</h2>", div,
                  f"<p class='caption'>{_caption(item.footnote.text(140))}</p>"]
    parts += [_table(t) for t in view.tables]
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
