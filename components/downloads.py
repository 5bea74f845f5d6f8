"""File exports that carry their provenance (for dcc.Download).

Formats and where the provenance goes:

* CSV: a zip holding ``data.csv`` (plain CSV: header row, no comment lines, so Excel,
  R, SAS and Stata read it as is; UTF-8 with a byte-order mark unless
  ``EXPLORER_CSV_BOM=0``, so Excel on Windows reads "±"), ``provenance.txt`` and
  ``dictionary.csv``.
* Excel: a workbook with the data sheet and a ``provenance`` sheet.
* Parquet: the table with the provenance in the file's key-value metadata
  (key ``ivus_explorer_provenance``, JSON).

What every text export does to the values, and says in its provenance
(:data:`CONVERSIONS`): a text cell a spreadsheet would run as a formula (starting
with ``=``, ``+``, ``-``, ``@``, tab or carriage return, and not a plain number; OWASP
"CSV Injection") gets a leading apostrophe in CSV and is a text cell in Excel;
booleans are 0/1 (labelled in the dictionary's ``codes``); numbers are rounded to the
dictionary's ``decimals``. Parquet keeps its typed columns as held.

Column headers of patient tables are the dictionary names (one word each, safe for
every statistics package); the labels and units are in the dictionary file.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from importlib import metadata

import numpy as np
import pandas as pd

from analysis import settings as settings_mod
from analysis.data.schema import VARIABLES, dictionary_frame
from analysis.display import source_name
from analysis.service import api
from analysis.service.results import Selection

PARQUET_KEY = b"ivus_explorer_provenance"
#: First characters that make a spreadsheet run a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The conversions of a CSV / Excel export, as the provenance states them.
CONVERSIONS = (
    "text cells starting with =, +, -, @, tab or carriage return (and not a plain number) "
    "are written with a leading apostrophe in CSV and as text cells in Excel, so a "
    "spreadsheet never runs them as formulas; remove one leading apostrophe to get the value",
    "booleans as 1 (yes) / 0 (no); the dictionary's codes column says so",
    "numbers rounded to the dictionary's decimals column",
    "missing values as empty cells",
)


def app_version() -> str:
    """Version of the app (the project version, else "dev")."""
    try:
        return metadata.version("ivus-study-explorer")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def provenance_record(*, source: str, fingerprint: str, n: int | str,
                      filters: Sequence[str],
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


def view_provenance(selection: Selection, n: int | str,
                    extra: Mapping | None = None) -> dict:
    """The provenance of an export of ``selection``: the source file's name (never the
    server path), its mapping, fingerprint, filters, rows and the data label; with
    disclosure control on, its rule (``disclosure_control``)."""
    prov = api.provenance(selection.fingerprint)
    if selection.disclosure:
        extra = {"disclosure_control": selection.disclosure, **(extra or {})}
    return provenance_record(
        source=source_name(prov.source), fingerprint=selection.fingerprint, n=n,
        filters=selection.filters if not selection.spec.is_empty else (),
        query=selection.query, simulated_label=selection.data_label,
        extra={"mapping": source_name(prov.mapping) if prov.mapping else "none",
               "mapping_hash": _file_hash(prov.mapping),
               "conversions": "; ".join(CONVERSIONS), **(extra or {})})


def row_level_note() -> dict[str, str]:
    """The provenance line of a patient-row download while disclosure control is on
    (empty when it is off): the rows are not redacted, the role grants them."""
    k = settings_mod.current().suppress_k
    if k <= 0:
        return {}
    return {"disclosure_control": (
        f"row-level data: not subject to disclosure control (counts ≤ {k} are suppressed "
        "in summaries only); patient rows are granted by the analyst role")}


def _file_hash(path: str | None) -> str:
    """SHA-256 of a mapping file (``"none"`` without one, ``"unreadable"`` if gone)."""
    if not path:
        return "none"
    import hashlib

    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return "unreadable"


def provenance_frame(record: Mapping[str, str]) -> pd.DataFrame:
    """Provenance as a two-column table (field, value)."""
    return pd.DataFrame({"field": list(record), "value": [str(v) for v in record.values()]})


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would run ``text`` as a formula (and it is not a number)."""
    if not text or not text.startswith(FORMULA_STARTS):
        return False
    try:
        float(text)
    except ValueError:
        return True
    return text[0] in "\t\r"  # "\t1" parses as a number but still shifts the cell


def neutralise(value: object) -> object:
    """A text value with a leading apostrophe when it is formula-like (else as is)."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def _export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as an export writes them (a copy): categories as text, booleans as 0/1
    (nullable), numbers rounded to the dictionary's decimals. Text is left as is."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        var = VARIABLES.get(str(col))
        if isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.astype("str").where(s.notna(), None)
        elif pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.astype("Int64")
        elif (var is not None and var.decimals is not None
              and pd.api.types.is_numeric_dtype(s.dtype)):
            out[col] = s.round(var.decimals)
    return out


def _csv_text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`_export_frame` with every formula-like text cell neutralised."""
    out = _export_frame(frame)
    for col in out.columns:
        s = out[col]
        if not pd.api.types.is_numeric_dtype(s.dtype):
            out[col] = s.map(neutralise, na_action="ignore")
    return out


def _bom() -> str:
    return "\ufeff" if settings_mod.current().csv_bom else ""


def csv_text(frame: pd.DataFrame) -> str:
    """A frame as export CSV text (neutralised, 0/1, rounded; BOM per the setting).

    Lines end in CRLF (RFC 4180), so a value holding a carriage return is quoted.
    """
    return _bom() + _csv_text_frame(frame).to_csv(index=False, lineterminator="\r\n")


def export_dictionary(columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The data dictionary of a download: the dictionary plus ``decimals`` and ``codes``
    (``"1 = yes, 0 = no"`` for booleans), for ``columns`` (all when None)."""
    d = dictionary_frame()
    if columns is not None:
        d = d[d["name"].isin(list(columns))]
    d = d.reset_index(drop=True)
    d["decimals"] = [("" if VARIABLES[n].decimals is None else str(VARIABLES[n].decimals))
                     for n in d["name"]]
    d["codes"] = ["1 = yes, 0 = no" if VARIABLES[n].dtype == "bool" else "" for n in d["name"]]
    return d


def csv_zip_bytes(frame: pd.DataFrame, record: Mapping[str, str],
                  dictionary: pd.DataFrame | None = None) -> bytes:
    """Zip with ``data.csv``, ``provenance.txt`` (and ``dictionary.csv`` if given)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data.csv", csv_text(frame).encode("utf-8"))
        fields = {**record, "conversions": record.get("conversions", "; ".join(CONVERSIONS))}
        text = "\n".join(f"{k}: {v}" for k, v in fields.items()) + "\n"
        zf.writestr("provenance.txt", text.encode("utf-8"))
        if dictionary is not None:
            zf.writestr("dictionary.csv", csv_text(dictionary).encode("utf-8"))
    return buf.getvalue()


def _sheet_rows(frame: pd.DataFrame):
    """Header, then rows of plain Python values (missing -> empty cell)."""
    yield [str(c) for c in frame.columns]
    plain = _export_frame(frame).astype(object)
    plain = plain.where(plain.notna(), None)
    for row in plain.itertuples(index=False, name=None):
        yield [v.item() if isinstance(v, np.generic) else v for v in row]


def _text_cell(ws, value: str):
    """A write-only cell that holds ``value`` as text, never as a formula."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def excel_bytes(sheets: Mapping[str, pd.DataFrame], record: Mapping[str, str]) -> bytes:
    """Workbook with one sheet per frame plus a ``provenance`` sheet.

    Written with openpyxl's write-only mode (streamed rows), several times faster than
    ``DataFrame.to_excel`` for large selections. Formula-like text is a text cell
    (data type ``s``, quote prefix), so Excel shows it and never runs it.
    """
    from openpyxl import Workbook

    fields = {**record, "conversions": record.get("conversions", "; ".join(CONVERSIONS))}
    wb = Workbook(write_only=True)
    for name, frame in {**sheets, "provenance": provenance_frame(fields)}.items():
        ws = wb.create_sheet(title=name[:31])
        for row in _sheet_rows(frame):
            ws.append([_text_cell(ws, v) if isinstance(v, str) and is_formula_like(v) else v
                       for v in row])
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
