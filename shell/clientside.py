"""Clientside callbacks of the shell; their JavaScript is ``assets/shell.js``."""

from __future__ import annotations

from dash import MATCH, ClientsideFunction, Input, Output, State, clientside_callback

from components import ids
from components.figures import SVG_BUTTON


def _js(name: str) -> ClientsideFunction:
    return ClientsideFunction(namespace="shell", function_name=name)


clientside_callback(_js("setTitle"), Output(ids.PAGE_TITLE, "modified_timestamp"),
                    Input(ids.PAGE_TITLE, "data"))
clientside_callback(_js("rangeText"), Output({"type": "flt-range-text", "name": MATCH}, "children"),
                    Input({"type": ids.RANGE, "name": MATCH}, "value"))
clientside_callback(_js("presentation"), Output(ids.SHELL_ROOT, "title"),
                    Input(ids.option_id("present"), "value"))
clientside_callback(_js("svgExport"), Output({"type": SVG_BUTTON, "graph": MATCH}, "title"),
                    Input({"type": SVG_BUTTON, "graph": MATCH}, "n_clicks"),
                    State({"type": SVG_BUTTON, "graph": MATCH}, "value"),
                    State({"type": SVG_BUTTON, "graph": MATCH}, "id"))
