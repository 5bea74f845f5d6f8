"""Labelled page-option controls (outcome, chart type, ...) whose values live in the URL."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from analysis.data.schema import get
from components import ids


def option_radio(name: str, label: str, value: str, options: dict[str, str], *,
                 page: str) -> html.Div:
    """A labelled, keyboard-usable radio group for page option ``name``.

    ``options`` maps value -> label; ``page`` prefixes the label's id so two pages'
    controls never share an id.
    """
    label_id = f"{page}-{name}-label"
    return html.Div([
        html.Div(label, id=label_id, className="form-label"),
        dbc.RadioItems(id=ids.option_id(name), value=value, inline=True,
                       options=[{"label": text, "value": key} for key, text in options.items()]),
    ], role="radiogroup", **{"aria-labelledby": label_id})


def outcome_radio(value: str, outcomes, *, page: str) -> html.Div:
    """The outcome selector: the dictionary's outcomes labelled with their units."""
    return option_radio("outcome", "Outcome", value, {o: get(o).axis_label for o in outcomes},
                        page=page)
