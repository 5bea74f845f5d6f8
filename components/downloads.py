"""File exports that carry their provenance (for dcc.Download).

Formats and where the provenance goes:

* CSV: a zip holding ``data.csv`` (plain CSV: header row, no comment lines, so Excel,
  R, SAS and Stata read it as is) and ``provenance.txt``.
* Excel: a workbook with the data sheet and a ``provenance`` sheet.
* Parquet: the table with the provenance in the file's key-value metadata
  (key ``ivus_explorer_provenance``, JSON).

Column headers of patient tables are the dictionary names (one word each, safe for
every statistics package); the labels and units are in the provenance file.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from importlib import metadata

import pandas as pd

from analysis.display import source_name
from analysis.service import api
from analysis.service.results import Selection

PARQUET_KEY = b"ivus_explorer_provenance"


def app_version() -> str:
    """Version of the app (the project version, else "dev")."""
    try:
        return metadata.version("ivus-study-explorer")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def provenance_record(*, source: str, fingerprint: str, n: int, filters: Sequence[str],
                      query: str, simulated_label: str = "", extra: Mapping | None = None,
                      now: _dt.datetime | None = None) -> dict:
    """The provenance of an export, as an ordered dict of text fields."""
    now = now or _dt.datetime.now(_dt.UTC)
    rec = {
        "dataset": source,
        "dataset_fingerprint": fingerprint,
        "rows": str(n),
        "filters": "; ".join(filters) if filters else "none (all patients)",
        "filter_query": query or "(none)",
        "exported_at": now.isoformat(timespec="seconds"),
        "app": f"IVUS study explorer {app_version()}",
    }
    if simulated_label:
        rec["data_note"] = simulated_label
    for k, v in (extra or {}).items():
        rec[str(k)] = str(v)
    return rec


def view_provenance(selection: Selection, n: int, extra: Mapping | None = None) -> dict:
    """The provenance of an export of ``selection``: the source file's name (never the
    server path), its mapping, fingerprint, filters, rows and the data label."""
    prov = api.provenance(selection.fingerprint)
    return provenance_record(
        source=source_name(prov.source), fingerprint=selection.fingerprint, n=n,
        filters=selection.filters if not selection.spec.is_empty else (),
        query=selection.query, simulated_label=selection.data_label,
        extra={"mapping": source_name(prov.mapping) if prov.mapping else "none",
               **(extra or {})})


def provenance_frame(record: Mapping[str, str]) -> pd.DataFrame:
    """Provenance as a two-column table (field, value)."""
    return pd.DataFrame({"field": list(record), "value": [str(v) for v in record.values()]})


def _export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable dtypes as plain values so every writer handles them (copy)."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype("str").where(out[col].notna(), None)
    return out


def csv_zip_bytes(frame: pd.DataFrame, record: Mapping[str, str],
                  dictionary: pd.DataFrame | None = None) -> bytes:
    """Zip with ``data.csv``, ``provenance.txt`` (and ``dictionary.csv`` if given)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data.csv", _export_frame(frame).to_csv(index=False))
        text = "\n".join(f"{k}: {v}" for k, v in record.items()) + "\n"
        zf.writestr("provenance.txt", text)
        if dictionary is not None:
            zf.writestr("dictionary.csv", dictionary.to_csv(index=False))
    return buf.getvalue()


def _sheet_rows(frame: pd.DataFrame):
    """Header, then rows of plain Python values (missing -> empty cell)."""
    yield [str(c) for c in frame.columns]
    plain = _export_frame(frame).astype(object)
    plain = plain.where(plain.notna(), None)
    for row in plain.itertuples(index=False, name=None):
        yield [v.item() if hasattr(v, "item") else v for v in row]


def excel_bytes(sheets: Mapping[str, pd.DataFrame], record: Mapping[str, str]) -> bytes:
    """Workbook with one sheet per frame plus a ``provenance`` sheet.

    Written with openpyxl's write-only mode (streamed rows), several times faster than
    ``DataFrame.to_excel`` for large selections.
    """
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for name, frame in {**sheets, "provenance": provenance_frame(record)}.items():
        ws = wb.create_sheet(title=name[:31])
        for row in _sheet_rows(frame):
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def parquet_bytes(frame: pd.DataFrame, record: Mapping[str, str]) -> bytes:
    """Parquet with the provenance as JSON in the key-value metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[PARQUET_KEY] = json.dumps(dict(record)).encode()
    table = table.replace_schema_metadata(meta)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def file_stem(what: str, today: _dt.date | None = None) -> str:
    """``ivus_<what>_<date>`` file-name stem."""
    return f"ivus_{what}_{(today or _dt.date.today()).isoformat()}"
