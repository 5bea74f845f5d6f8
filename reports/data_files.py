"""The view's rows as the Data page downloads them: data.csv, provenance, dictionary.

The kit's CSV is byte for byte what the Data page's "CSV (zip)" holds for the same
filters (:mod:`components.downloads`), so a script written for the kit also runs on
a download made from the page.
"""

from __future__ import annotations

import pandas as pd

from analysis.data.schema import PATIENT_VARIABLES
from analysis.service import api
from components.downloads import csv_text, export_dictionary, row_level_note, view_provenance
from reports.view import View


def view_frame(view: View) -> pd.DataFrame:
    """The selected rows, all dictionary columns, in dictionary order."""
    frame = api.filtered_frame(view.fingerprint, view.filter_query)
    cols = [v.name for v in PATIENT_VARIABLES if v.name in frame.columns]
    return frame[cols]


def data_files(view: View) -> dict[str, bytes]:
    """``data.csv``, ``provenance.txt`` and ``dictionary.csv`` of the view."""
    frame = view_frame(view)
    sel = api.selection(view.fingerprint, view.filter_query).unwrap()
    # the rows are not redacted (the role grants them): the provenance says so when
    # disclosure control is on
    record = view_provenance(sel, len(frame), extra={"view": view.link, **row_level_note()})
    text = "\n".join(f"{k}: {v}" for k, v in record.items()) + "\n"
    return {"data.csv": csv_text(frame).encode("utf-8"),
            "provenance.txt": text.encode("utf-8"),
            "dictionary.csv": csv_text(export_dictionary(list(frame.columns))).encode("utf-8")}


__all__ = ["data_files", "view_frame"]
