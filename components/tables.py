"""Table builders: small result tables as styled HTML (numbers read as analysis.display says)."""

from __future__ import annotations

import re

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import html

from analysis.disclosure.results import WITHHELD_ROWS
from analysis.disclosure.rule import WITHHELD
from analysis.display import format_num, format_p

#: Integer columns that are not counts (no thousands separator): years, identifiers.
_NOT_COUNTS = re.compile(r"(year|_id|^id)$", re.IGNORECASE)


def _cell(value, column: str) -> str:
    """Display text of one value; ``column`` (or a statistic's name) picks the format."""
    if isinstance(value, float):
        if column == "p" or column.startswith("p_") or column.endswith(("_p", " p")):
            return format_p(value)
        if pd.isna(value):
            return ""
        if float(value).is_integer() and column.startswith("n"):
            return f"{int(value):,}"
        return format_num(value, 3 if abs(value) < 1 else 2)
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_) \
            and not _NOT_COUNTS.search(column):
        return f"{int(value):,}"  # a count (n, a flow table's cell): 1,347 as on the cards
    if value is None or (not isinstance(value, str | tuple | list) and pd.isna(value)):
        return ""
    return str(value)


def frame_table(frame: pd.DataFrame, *, table_id: str | None = None,
                columns: dict[str, str] | None = None, max_rows: int = 200):
    """A small frame as a styled, striped HTML table (``columns`` renames headers)."""
    columns = columns or {c: c for c in frame.columns}
    cols = [c for c in columns if c in frame.columns]
    head = html.Thead(html.Tr([html.Th(columns[c], scope="col") for c in cols]))
    # a statistic/value table (model diagnostics): each value is formatted by its
    # statistic's name, so p-values read "<0.001" and counts have no decimals
    def key(row, c: str) -> str:
        return str(row["statistic"]) if c == "value" and "statistic" in frame.columns else c

    # rows whose summaries disclosure control withheld: their empty numbers read "—"
    withheld = set(frame.attrs.get(WITHHELD_ROWS, ()))

    def text(i: int, row, c: str) -> str:
        value = row[c]
        if i in withheld and isinstance(value, float) and pd.isna(value):
            return WITHHELD
        return _cell(value, key(row, c))

    body = html.Tbody([
        html.Tr([html.Td(text(i, row, c)) for c in cols])
        for i, (_, row) in enumerate(frame.head(max_rows).iterrows())
    ])
    kwargs = {"id": table_id} if table_id else {}
    return dbc.Table([head, body], striped=True, bordered=False, hover=True, size="sm",
                     responsive=True, className="results-table", **kwargs)


def stat_card(label: str, value: str, note: str = "", *, card_id: str | None = None):
    """A small card with one headline number."""
    kwargs = {"id": card_id} if card_id else {}
    return dbc.Card(dbc.CardBody([
        html.Div(label, className="stat-label"),
        html.Div(value, className="stat-value"),
        html.Div(note, className="small text-muted") if note else None,
    ]), className="stat-card h-100", **kwargs)
