"""What the Definition page contributes to a :class:`~reports.view.View`.

The same cached results and figure factories as ``pages/definition.py``: the spotty -
none difference of ΔPAV under the chosen and the published definition, the flow of
patients between the groups (Sankey and its table), and the sensitivity curves over the
arc limit and the maximum deposit length, each with its table of points. The outcome is
ΔPAV, as on the page; means and weights follow the view's options.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from analysis.display import format_count, format_num, format_p
from analysis.selection.definition import SpottyDefinition
from analysis.service import api
from components.figures.definition import (
    make_definition_curve_figure,
    make_definition_difference_figure,
    make_definition_flow_figure,
)
from components.theme import group_label
from reports.view import FigureItem, TableItem, View, footnote

OUTCOME = "delta_pav"
_AXES = {"arc": "arc limit (degrees)", "length": "maximum deposit length (mm)"}
_CURVE_COLUMNS = {"max_arc": "Arc below (°)", "min_length": "Length from (mm)",
                  "max_length": "Length to (mm)", "other": "Other calcium",
                  "estimate": "Difference", "ci_low": "95% CI low", "ci_high": "95% CI high",
                  "p": "p", "n_none": "n none", "n_spotty": "n spotty", "note": "Note"}
_OTHER = {"exclude": "excluded", "allow": "allowed"}


def _difference_text(label: str, res) -> str:
    con = res.value.contrast.iloc[0]
    return (f"{label}: spotty - none {format_num(con['estimate'], 3)} % (95% CI "
            f"{format_num(con['ci_low'], 3)} to {format_num(con['ci_high'], 3)}), "
            f"{format_p(con['p'], prefix=True)} ({con['test']}), n = {res.value.n_used}.")


def _flow_table(flow) -> pd.DataFrame:
    t = flow.table
    out = pd.DataFrame({"Published → chosen": [f"{group_label(g)} (published)"
                                               for g in t.index]})
    for g in t.columns:
        out[group_label(g)] = [format_count(v) for v in t[g]]
    return out


def _curve_table(points: pd.DataFrame) -> pd.DataFrame:
    from reports.view_pages import display

    table = display(points, _CURVE_COLUMNS)
    for col in ("max_arc", "min_length", "max_length"):  # a definition reads 90, 1, 4
        table[_CURVE_COLUMNS[col]] = [f"{float(v):g}" for v in points[col]]
    table[_CURVE_COLUMNS["other"]] = [_OTHER[v] for v in points["other"]]
    marks = ["published" if p else "chosen" if c else ""
             for p, c in zip(points["published"], points["chosen"], strict=True)]
    table.insert(0, "Definition", marks)
    if not table["Note"].str.len().any():  # a note only where no estimate was made
        table = table.drop(columns="Note")
    return table


def definition(view: View) -> None:
    """Definition: the difference at both definitions, the flow, the two curves."""
    fp, q, model = view.fingerprint, view.filter_query, view.model
    chosen = api.ancova(fp, q, OUTCOME, weights=model.weights, means=model.means,
                        diagnostics=False)
    if chosen.selection is None:
        view.notes.append(f"Definition: {chosen.error}")
        return
    published_query = dataclasses.replace(chosen.selection.spec,
                                          definition=SpottyDefinition()).to_query()
    published = api.ancova(fp, published_query, OUTCOME, weights=model.weights,
                           means=model.means, diagnostics=False)
    view.add_method(chosen.selection.spec.definition.describe() + ".")
    for label, res in (("Chosen definition", chosen), ("Published definition", published)):
        if res.ok:
            view.add_method(_difference_text(label, res))
        else:
            view.notes.append(f"{label}: {res.error}")
    if published.ok:
        method = (chosen.value if chosen.ok else published.value).method
        view.figures.append(FigureItem(
            "definition_difference", "Headline difference, published and chosen definition",
            make_definition_difference_figure(published.value,
                                              chosen.value if chosen.ok else None,
                                              outcome=OUTCOME),
            footnote(chosen, chosen.value.n_used if chosen.ok else None, method)))
    flow = api.definition_flow(fp, q)
    if flow.ok:
        view.add_method(flow.value.method)
        view.figures.append(FigureItem(
            "definition_flow", "Patients moving between groups",
            make_definition_flow_figure(flow.value),
            footnote(flow, flow.value.n, flow.value.method)))
        view.tables.append(TableItem("definition_flow", "Patients by published and chosen "
                                     "group", _flow_table(flow.value)))
    else:
        view.notes.append(f"Flow between groups: {flow.error}")
    curve = api.definition_curve(fp, q, OUTCOME, weights=model.weights, means=model.means)
    if not curve.ok:
        view.notes.append(f"Sensitivity to the definition: {curve.error}")
        return
    c = curve.value
    view.add_method(c.method)
    reference = float(published.value.contrast["estimate"].iloc[0]) if published.ok else None
    for axis, label in _AXES.items():
        points = c.curve[c.curve["axis"] == axis]
        chosen_point = points[points["chosen"]]
        n = int(chosen_point["n"].iloc[0]) if len(chosen_point) else None
        note = footnote(curve, n, c.method + ". Dashed line and black diamond: the "
                        "published definition; large dot: the chosen one")
        view.figures.append(FigureItem(
            f"definition_curve_{axis}", f"Difference across the {label}",
            make_definition_curve_figure(c, axis, published_estimate=reference),
            note))
        table = _curve_table(points)
        view.tables.append(TableItem(
            f"definition_curve_{axis}", f"Sensitivity to the {label}", table,
            widths=tuple(1.4 if c in ("Definition", "Note") else 1.0 for c in table.columns)))


__all__ = ["definition"]
