"""The patient table: AG Grid column definitions and server-side row blocks.

The grid uses AG Grid's infinite row model: the browser asks for one block of rows
at a time (``getRowsRequest``: startRow, endRow, sortModel, filterModel) and
:func:`rows_block` answers with only those rows, so a response stays small whatever
the cohort size.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.data.schema import VARIABLES

#: Rows per block the grid requests.
BLOCK_SIZE = 100
#: Largest block answered (a request for more is cut to this).
MAX_BLOCK = 500


def column_defs(columns: Sequence[str]) -> list[dict]:
    """Grid columns: dictionary label (with unit) as header, tooltip with the description."""
    defs = []
    for name in columns:
        var = VARIABLES.get(name)
        numeric = var is not None and var.is_numeric
        d = {"field": name, "headerName": var.axis_label if var else name,
             "headerTooltip": var.description if var else name, "sortable": True,
             "filter": "agNumberColumnFilter" if numeric else "agTextColumnFilter",
             "filterParams": {"buttons": ["reset"], "maxNumConditions": 1}}
        if numeric and var.dtype == "float":
            d["valueFormatter"] = {"function": "params.value == null ? '' : "
                                               "d3.format('.2~f')(params.value)"}
        defs.append(d)
    return defs


def _text(series: pd.Series) -> pd.Series:
    """Values as lower-case text for text filters (booleans as yes/no)."""
    if str(series.dtype) == "boolean":
        return series.map({True: "yes", False: "no"}).astype("str").str.lower()
    return series.astype("str").str.lower()


def _filter_mask(frame: pd.DataFrame, column: str, model: Mapping) -> np.ndarray:
    """Rows passing one AG Grid column filter (number or text; one condition)."""
    kind, ftype = model.get("filterType"), model.get("type")
    if kind == "number":
        x = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        v = model.get("filter")
        v2 = model.get("filterTo")
        with np.errstate(invalid="ignore"):
            ops = {
                "equals": lambda: x == v, "notEqual": lambda: x != v,
                "lessThan": lambda: x < v, "lessThanOrEqual": lambda: x <= v,
                "greaterThan": lambda: x > v, "greaterThanOrEqual": lambda: x >= v,
                "inRange": lambda: (x >= v) & (x <= v2),
                "blank": lambda: np.isnan(x), "notBlank": lambda: ~np.isnan(x),
            }
            if ftype not in ops or (v is None and ftype not in ("blank", "notBlank")):
                return np.ones(len(frame), dtype=bool)
            return np.asarray(ops[ftype](), dtype=bool)
    text = _text(frame[column])
    v = str(model.get("filter") or "").lower()
    ops = {
        "contains": lambda: text.str.contains(v, regex=False),
        "notContains": lambda: ~text.str.contains(v, regex=False),
        "equals": lambda: text == v, "notEqual": lambda: text != v,
        "startsWith": lambda: text.str.startswith(v), "endsWith": lambda: text.str.endswith(v),
    }
    if ftype not in ops:
        return np.ones(len(frame), dtype=bool)
    return ops[ftype]().fillna(False).to_numpy(dtype=bool)


def _json_value(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def rows_block(frame: pd.DataFrame, columns: Sequence[str], request: Mapping | None) -> dict:
    """Answer one ``getRowsRequest``: the requested rows after the grid's sort and filters.

    Parameters
    ----------
    frame : DataFrame
        The filtered patients (not modified).
    columns : sequence of str
        Columns to send.
    request : dict
        ``startRow``, ``endRow``, ``sortModel`` ([{colId, sort}]), ``filterModel``.

    Returns
    -------
    dict
        ``{"rowData": [...], "rowCount": n}`` for ``getRowsResponse``.
    """
    request = request or {}
    cols = [c for c in columns if c in frame.columns]
    mask = np.ones(len(frame), dtype=bool)
    for col, model in (request.get("filterModel") or {}).items():
        if col in frame.columns and isinstance(model, Mapping):
            mask &= _filter_mask(frame, col, model)
    view = frame.loc[mask, cols] if not mask.all() else frame[cols]
    sort = [s for s in (request.get("sortModel") or []) if s.get("colId") in cols]
    if sort:
        view = view.sort_values([s["colId"] for s in sort],
                                ascending=[s.get("sort") != "desc" for s in sort],
                                na_position="last", kind="stable")
    start = max(0, int(request.get("startRow") or 0))
    end = int(request.get("endRow") or start + BLOCK_SIZE)
    end = min(end, start + MAX_BLOCK)
    block = view.iloc[start:end]
    records = [{k: _json_value(v) for k, v in zip(cols, row, strict=True)}
               for row in block.itertuples(index=False, name=None)]
    return {"rowData": records, "rowCount": int(len(view))}
