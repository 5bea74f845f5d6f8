"""The mapping wizard of the 'Open a study' page: one row per dictionary variable.

Each row offers the file's columns (pre-filled with the suggestion or an uploaded
mapping), a code table for categorical variables (every value found, with its
count, and the dictionary level it stands for) and, for lipids, the unit. The
controls read back into a mapping in the mapping-file format (:func:`mapping_from`).
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from analysis.data.mapping import UNIT_FACTORS
from analysis.data.schema import PATIENT_VARIABLES, Variable
from analysis.data.suggest import ColumnProfile, suggest_codes
from analysis.display import format_num

COL = "map-col"          # {"type": COL, "var": name}: the file column of a variable
CODE = "map-code"        # {"type": CODE, "var": name, "code": value}: what a code means
UNIT = "map-unit"        # {"type": UNIT, "var": name}: the file's unit of a lipid
CODES_BOX = "map-codes"  # {"type": CODES_BOX, "var": name}: where the code table sits
NOT_IN_FILE = ""
#: Units a file may use, per variable (the loader's conversions), as users write them.
UNITS = {name: tuple("mmol/L" if u == "mmol/l" else u for u in factors)
         for name, factors in UNIT_FACTORS.items()}


def mapped_variables() -> list[Variable]:
    """Dictionary variables a file can provide (derived ones are always computed)."""
    return [v for v in PATIENT_VARIABLES if not v.derived]


def _profile_text(p: ColumnProfile) -> str:
    filled = p.n - p.n_missing
    text = f"{p.name}: {filled:,} values"
    if p.numeric_share > 0.95 and p.minimum is not None:
        text += f", {format_num(p.minimum)} to {format_num(p.maximum)}"
    elif p.n_distinct:
        text += f", {p.n_distinct:,} distinct"
    return text


def _level_options(var: Variable) -> list[dict]:
    if var.is_binary:
        return [{"label": "yes", "value": "true"}, {"label": "no", "value": "false"}]
    return [{"label": lev, "value": lev} for lev in (var.levels or ())]


def _as_option(value: object) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value in ("", None) else str(value)


def code_table(var: Variable, profile: ColumnProfile | None, codes: dict | None) -> list:
    """The code table of ``var`` for the chosen column (empty when none is needed)."""
    if profile is None:
        return []
    table = dict(suggest_codes(profile, var))
    if not table:
        return []
    table.update({k: v for k, v in (codes or {}).items() if k in table})
    counts = dict(profile.top)
    rows = [html.Tr([
        html.Td(html.Code(code)), html.Td(f"{counts.get(code, 0):,}"),
        html.Td(dcc.Dropdown(id={"type": CODE, "var": var.name, "code": code},
                             options=_level_options(var), value=_as_option(meaning),
                             placeholder="means ...", clearable=True)),
    ]) for code, meaning in table.items()]
    head = html.Thead(html.Tr([html.Th("Code in the file"), html.Th("n"),
                               html.Th(f"{var.label} value")]))
    return [html.Table([head, html.Tbody(rows)], className="table table-sm code-table mb-1")]


def _row(var: Variable, columns: tuple[str, ...], profiles: dict[str, ColumnProfile],
         mapping: dict) -> html.Tr:
    chosen = (mapping.get("columns") or {}).get(var.name, NOT_IN_FILE)
    if chosen not in columns:
        chosen = NOT_IN_FILE
    options = [{"label": "(not in the file)", "value": NOT_IN_FILE}] + [
        {"label": _profile_text(profiles[c]), "value": c} for c in columns]
    cells = [
        html.Td([html.Span(var.label, className="fw-semibold"),
                 html.Span(" *", title="required", className="text-danger") if var.required
                 else None,
                 html.Div(html.Code(var.name), className="small text-muted")]),
        html.Td(dcc.Dropdown(id={"type": COL, "var": var.name}, options=options, value=chosen,
                             clearable=False)),
    ]
    extra = []
    if var.name in UNITS:
        unit = (mapping.get("units") or {}).get(var.name, var.unit)
        extra.append(dbc.RadioItems(id={"type": UNIT, "var": var.name}, inline=True,
                                    options=[{"label": u, "value": u} for u in UNITS[var.name]],
                                    value=unit if unit in UNITS[var.name] else var.unit))
    codes = (mapping.get("codes") or {}).get(var.name)
    extra.append(html.Div(code_table(var, profiles.get(chosen), codes),
                          id={"type": CODES_BOX, "var": var.name}))
    cells.append(html.Td(extra))
    return html.Tr(cells)


def wizard(columns: tuple[str, ...], profiles: dict[str, ColumnProfile], mapping: dict):
    """The wizard table for a file's columns, starting from ``mapping``."""
    head = html.Thead(html.Tr([html.Th("Dictionary variable (* required)"),
                               html.Th("Column of your file"), html.Th("Unit and codes")]))
    body = html.Tbody([_row(v, columns, profiles, mapping) for v in mapped_variables()])
    return html.Table([head, body], className="table table-sm mapping-wizard align-top")


def _code_value(text: object, var: Variable) -> object:
    if var.is_binary:
        return {"true": True, "false": False}.get(str(text), "")
    return "" if text is None else str(text)


def mapping_from(col_values, col_ids, code_values, code_ids, unit_values, unit_ids) -> dict:
    """The mapping (mapping-file format) the wizard's controls describe."""
    variables = {v.name: v for v in mapped_variables()}
    columns = {i["var"]: v for v, i in zip(col_values, col_ids, strict=True) if v}
    codes: dict[str, dict] = {}
    for value, ident in zip(code_values, code_ids, strict=True):
        name = ident["var"]
        if name in columns and value not in (None, ""):
            codes.setdefault(name, {})[ident["code"]] = _code_value(value, variables[name])
    units = {i["var"]: v for v, i in zip(unit_values, unit_ids, strict=True)
             if i["var"] in columns and v and v != variables[i["var"]].unit}
    return {"columns": columns, "codes": codes, "units": units}


__all__ = ["CODE", "CODES_BOX", "COL", "UNIT", "UNITS", "code_table", "mapped_variables",
           "mapping_from", "wizard"]
