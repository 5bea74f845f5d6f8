"""The patient table: AG Grid column definitions and server-side row blocks.

The grid uses AG Grid's infinite row model: the browser asks for one block of rows
at a time (``getRowsRequest``: startRow, endRow, sortModel, filterModel) and
:func:`rows_block` answers with only those rows, so a response stays small whatever
the cohort size.

The grid has no column filters of its own: the filter panel is the one place rows are
selected, so the count, the link and every download always hold the same patients.
A ``filterModel`` in a request is ignored.
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
             "filter": False}
        if numeric and var.dtype == "float":
            d["valueFormatter"] = {"function": "params.value == null ? '' : "
                                               "d3.format('.2~f')(params.value)"}
        defs.append(d)
    return defs


def _json_value(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def rows_block(frame: pd.DataFrame, columns: Sequence[str], request: Mapping | None) -> dict:
    """Answer one ``getRowsRequest``: the requested rows in the grid's sort order.

    Parameters
    ----------
    frame : DataFrame
        The filtered patients (not modified).
    columns : sequence of str
        Columns to send.
    request : dict
        ``startRow``, ``endRow``, ``sortModel`` ([{colId, sort}]); a ``filterModel``
        is ignored (rows are chosen in the filter panel only).

    Returns
    -------
    dict
        ``{"rowData": [...], "rowCount": n}`` for ``getRowsResponse``.
    """
    request = request or {}
    cols = [c for c in columns if c in frame.columns]
    view = frame[cols]
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
