"""Readers: a file on disk -> a table of raw cells, as the file holds them.

Text files are read as text (no type guessing, no "NA" conversion); typed formats
(Parquet, SAS, Stata, SPSS, Excel) keep their own cell types. Stata and SPSS value
labels are returned alongside the raw codes. Parsing into dictionary types happens
in :mod:`analysis.data.validation`. The source file is only ever opened for reading.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.data.validation import Issue, ValidationReport, cell_text, suggest
from analysis.errors import DataLoadError

#: File extension -> format name.
FORMATS: dict[str, str] = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "csv",
    ".xlsx": "excel", ".xlsm": "excel",
    ".parquet": "parquet", ".pq": "parquet",
    ".sas7bdat": "sas7bdat", ".xpt": "xport",
    ".dta": "stata", ".sav": "spss", ".zsav": "spss",
}
FORMAT_NAMES = {
    "csv": "CSV (.csv, .txt)", "tsv": "tab-separated (.tsv, .tab)", "excel": "Excel (.xlsx)",
    "parquet": "Parquet (.parquet)", "sas7bdat": "SAS (.sas7bdat)",
    "xport": "SAS transport (.xpt)", "stata": "Stata (.dta)", "spss": "SPSS (.sav)",
}
#: Encodings tried in order for text files.
ENCODINGS = ("utf-8", "cp1252", "latin-1")
DELIMITERS = ",;\t|"
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class RawTable:
    """Raw cells of one file plus how they were read."""

    frame: pd.DataFrame
    format: str
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    #: Stata/SPSS value labels: file column -> {code as text: label}.
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    issues: tuple[Issue, ...] = ()


def supported_formats() -> str:
    """Human list of the supported formats."""
    return ", ".join(FORMAT_NAMES.values())


def _error(code: str, message: str, column: str | None = None) -> DataLoadError:
    return DataLoadError(message, report=ValidationReport.of([Issue("error", code, column, message)]))


def detect_format(path: str | Path) -> str:
    """The format name for ``path`` from its extension; a clear error if unsupported."""
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        shown = ext or "(no extension)"
        raise _error("unknown_format", f"cannot read '{Path(path).name}': files ending in "
                                       f"{shown} are not supported. Supported formats: "
                                       f"{supported_formats()}.")
    return FORMATS[ext]


def check_size(path: str | Path, max_file_mb: float) -> float:
    """The file size in MB; an error if it is above ``max_file_mb``."""
    size_mb = Path(path).stat().st_size / 1e6
    if size_mb > max_file_mb:
        size = f"{size_mb:,.1f}" if size_mb >= 1 else f"{size_mb:.3g}"
        raise _error("file_too_large",
                     f"'{Path(path).name}' is {size} MB, above the limit of "
                     f"{max_file_mb:g} MB. Load a smaller extract or raise the limit "
                     "(EXPLORER_MAX_FILE_MB).")
    return size_mb


# --- text ------------------------------------------------------------------------------

def _sample(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(SNIFF_BYTES)


def _sniff_delimiter(text: str, default: str) -> str:
    lines = text.splitlines()
    # Drop a possibly cut-off last line of the sample.
    sample = "\n".join(lines[:-1] if len(lines) > 2 else lines)
    try:
        found = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = None
    header = lines[0] if lines else ""
    if found and header.count(found) > 0:
        return found
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else default


def read_text(path: str | Path, *, tab: bool = False) -> RawTable:
    """Read a delimited text file as text cells, detecting encoding and delimiter."""
    path = Path(path)
    sample = _sample(path)
    if not sample.strip():
        raise _error("empty_file", f"'{path.name}' is empty: it has no header and no data rows.")
    encodings = ("utf-8-sig",) if sample.startswith(b"\xef\xbb\xbf") else ENCODINGS
    last_err: Exception | None = None
    for enc in encodings:
        try:
            head = sample.decode(enc, errors="ignore" if len(sample) == SNIFF_BYTES else "strict")
        except UnicodeDecodeError as err:
            last_err = err
            continue
        delim = _sniff_delimiter(head, "\t" if tab else ",")
        try:
            frame = pd.read_csv(path, sep=delim, dtype=str, keep_default_na=False,
                                na_filter=False, encoding=enc, engine="c", quotechar='"',
                                skipinitialspace=False)
        except UnicodeDecodeError as err:
            last_err = err
            continue
        except pd.errors.EmptyDataError:
            raise _error("empty_file", f"'{path.name}' is empty: it has no header.") from None
        except pd.errors.ParserError as err:
            raise _error("unreadable", f"'{path.name}' could not be read as delimited text "
                                       f"(delimiter {delim!r}): {err}. Check that every row "
                                       "has the same number of fields.") from None
        issues = _duplicate_header(head, delim, path.name)
        return RawTable(frame, "tsv" if tab else "csv", encoding=enc, delimiter=delim,
                        issues=issues)
    raise _error("unreadable", f"'{path.name}' is not readable text ({last_err}).")


def _duplicate_header(head: str, delim: str, name: str) -> tuple[Issue, ...]:
    first = head.splitlines()[0] if head else ""
    cells = next(csv.reader(io.StringIO(first), delimiter=delim), [])
    seen: set[str] = set()
    dups = sorted({c for c in cells if c in seen or seen.add(c)})
    return tuple(Issue("error", "duplicate_column", c,
                       f"column '{c}' appears more than once in the header of '{name}'; "
                       "rename one of them.", (), cells.count(c)) for c in dups)


# --- binary formats ----------------------------------------------------------------------

def read_excel(path: str | Path, sheet: str | None = None) -> RawTable:
    """Read one sheet of an .xlsx workbook (the first unless ``sheet`` is given)."""
    path = Path(path)
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as err:  # openpyxl raises several unrelated types for a bad file
        raise _error("unreadable", f"'{path.name}' is not a readable .xlsx workbook: {err}.") from None
    with book:
        names = [str(s) for s in book.sheet_names]
        if sheet is None:
            chosen = names[0]
        elif sheet in names:
            chosen = sheet
        else:
            hint = suggest(sheet, names)
            near = f" Did you mean '{hint[0]}'?" if hint else ""
            raise _error("unknown_sheet",
                         f"'{path.name}' has no sheet named '{sheet}'.{near} Sheets in the file: "
                         f"{', '.join(repr(n) for n in names)}.")
        frame = pd.read_excel(book, sheet_name=chosen, dtype=object, na_filter=False)
    frame.columns = [str(c) for c in frame.columns]
    return RawTable(frame, "excel", sheet=chosen)


def _labels(meta) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for col, labels in (getattr(meta, "variable_value_labels", None) or {}).items():
        out[col] = {str(cell_text(k)): str(v) for k, v in labels.items()}
    return out


def _read_sas(path: Path, fmt: str) -> pd.DataFrame:
    """SAS files via pyreadstat; pandas' reader only for what pyreadstat cannot read.

    pyreadstat comes first because ``pandas.read_sas`` reads some XPORT zeros as
    5.4e-79 (the smallest IBM float; pandas-dev/pandas#50670).
    """
    import pyreadstat

    reader = pyreadstat.read_xport if fmt == "xport" else pyreadstat.read_sas7bdat
    try:
        frame, _ = reader(str(path))
        return frame
    except Exception as first:  # noqa: BLE001 - retried with the second reader below
        try:
            return pd.read_sas(path, format=fmt, encoding="infer")
        except Exception:
            raise first from None


def read_binary(path: str | Path, fmt: str) -> RawTable:
    """Read Parquet, SAS, Stata or SPSS without converting codes to labels."""
    import pyreadstat

    path = Path(path)
    labels: dict[str, dict[str, str]] = {}
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(path)
        elif fmt in ("sas7bdat", "xport"):
            frame = _read_sas(path, fmt)
        elif fmt == "stata":
            frame, meta = pyreadstat.read_dta(str(path), apply_value_formats=False)
            labels = _labels(meta)
        elif fmt == "spss":
            frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
            labels = _labels(meta)
        else:  # pragma: no cover - guarded by detect_format
            raise _error("unknown_format", f"no reader for format {fmt!r}.")
    except DataLoadError:
        raise
    except Exception as err:  # each library raises its own types for a corrupt file
        raise _error("unreadable", f"'{path.name}' could not be read as "
                                   f"{FORMAT_NAMES.get(fmt, fmt)}: {err}.") from None
    frame.columns = [str(c) for c in frame.columns]
    return RawTable(frame.reset_index(drop=True), fmt, value_labels=labels)


def read_raw(path: str | Path, *, sheet: str | None = None,
             max_file_mb: float | None = None) -> RawTable:
    """Read any supported file as raw cells.

    Parameters
    ----------
    path : str or Path
        The file; its extension selects the reader.
    sheet : str, optional
        Excel sheet name (first sheet if omitted). Ignored for other formats.
    max_file_mb : float, optional
        Size limit; no limit if ``None``.

    Raises
    ------
    DataLoadError
        File missing, unsupported extension, too large, empty, unreadable, or an
        unknown sheet name (the message lists the sheets).
    """
    path = Path(path)
    fmt = detect_format(path)
    if not path.is_file():
        raise _error("file_not_found", f"file {path} not found; check the path.")
    if max_file_mb is not None:
        check_size(path, max_file_mb)
    if path.stat().st_size == 0:
        raise _error("empty_file", f"'{path.name}' is empty: it has no header and no data rows.")
    if fmt in ("csv", "tsv"):
        return read_text(path, tab=fmt == "tsv")
    if fmt == "excel":
        return read_excel(path, sheet)
    return read_binary(path, fmt)
