"""Readers: a file on disk -> a table of raw cells, as the file holds them.

Text files are read as text (no type guessing, no "NA" conversion), except the
columns the loader names as numeric, which pandas' C parser converts (a cell it
cannot read leaves the column as text for the validator to report); every record is
counted independently of the parser (:mod:`analysis.data.text_reader`). Excel is
streamed within limits (:mod:`analysis.data.xlsx`). Typed formats (Parquet, SAS,
Stata, SPSS) keep their own cell types; Stata, SPSS and SAS (catalog) value labels
are returned alongside the raw codes. Parsing into dictionary types happens
in :mod:`analysis.data.validation`. The source file is only ever opened for reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.data.headers import dedupe_names
from analysis.data.limits import Limits, check_columns, check_rows
from analysis.data.text_reader import TextOptions, TextReadError, read_delimited
from analysis.data.validation import Issue, ValidationReport, cell_text
from analysis.data.xlsx import read_xlsx
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


@dataclass(frozen=True)
class RawTable:
    """Raw cells of one file plus how they were read."""

    frame: pd.DataFrame
    format: str
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    #: Stata/SPSS/SAS value labels: file column -> {code as text: label}.
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    issues: tuple[Issue, ...] = ()
    #: 1-based row of the header in a text file or sheet.
    header_row: int = 1
    #: Every column of the file, when ``frame`` holds only those the loader uses.
    file_columns: tuple[str, ...] | None = None

    @property
    def columns(self) -> list[str]:
        """All column names of the file (``frame`` may hold fewer)."""
        return list(self.file_columns) if self.file_columns is not None else \
            [str(c) for c in self.frame.columns]


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


# --- text and Excel -----------------------------------------------------------------

@dataclass(frozen=True)
class ReadOptions:
    """What the loader knows before reading (from the mapping and the dictionary).

    Attributes
    ----------
    header_row : int or None
        1-based row of the header (``header_row`` in the mapping).
    expected : frozenset of str
        Lower-case names of columns the loader looks for (to find the header row and
        the sheet that holds the data).
    numeric : frozenset of str
        Lower-case names of file columns that map to numeric dictionary columns.
    multiline_fields : bool
        Accept quoted text fields holding line breaks.
    only_expected : bool
        Text files: convert only the expected columns (the rest are listed, not read).
    """

    header_row: int | None = None
    expected: frozenset[str] = frozenset()
    numeric: frozenset[str] = frozenset()
    multiline_fields: bool = False
    only_expected: bool = False
    #: Lower-case names of file columns that map to yes/no or category columns without
    #: explicit [codes] (the C parser may type them; their codes read back the same).
    categorical: frozenset[str] = frozenset()


def _fail(issues: list[Issue] | tuple[Issue, ...]) -> DataLoadError:
    report = ValidationReport.of(issues)
    first = report.errors[0].message if report.errors else "the file could not be read."
    return DataLoadError(first, report=report)


def read_text(path: str | Path, *, tab: bool = False, limits: Limits | None = None,
              options: ReadOptions | None = None) -> RawTable:
    """Read a delimited text file as text cells, detecting encoding and delimiter.

    See :mod:`analysis.data.text_reader`; every record is accounted for.
    """
    path = Path(path)
    options = options or ReadOptions()
    try:
        cells = read_delimited(path, tab=tab, limits=limits or Limits.from_settings(),
                               options=TextOptions(options.header_row, options.expected,
                                                   options.numeric, options.multiline_fields,
                                                   options.only_expected,
                                                   options.categorical))
    except TextReadError as err:
        raise _fail(err.issues) from None
    return RawTable(cells.frame, "tsv" if tab else "csv", encoding=cells.encoding,
                    delimiter=cells.delimiter, issues=cells.issues, header_row=cells.header_row,
                    file_columns=cells.columns)


def read_excel(path: str | Path, sheet: str | None = None, *, limits: Limits | None = None,
               options: ReadOptions | None = None) -> RawTable:
    """Read one sheet of an .xlsx workbook (the first unless ``sheet`` is given).

    See :mod:`analysis.data.xlsx`: sizes are checked before reading, cells are
    streamed, error cells and formulas without saved values are reported.
    """
    path = Path(path)
    options = options or ReadOptions()
    try:
        cells = read_xlsx(path, sheet, limits or Limits.from_settings(),
                          header_row=options.header_row, expected=options.expected)
    except TextReadError as err:
        raise _fail(err.issues) from None
    return RawTable(cells.frame, "excel", sheet=cells.sheet, issues=cells.issues,
                    header_row=cells.header_row)


# --- binary formats ----------------------------------------------------------------------

def _labels(meta) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for col, labels in (getattr(meta, "variable_value_labels", None) or {}).items():
        out[col] = {str(cell_text(k)): str(v) for k, v in labels.items()}
    return out


def _read_sas(path: Path, fmt: str) -> tuple[pd.DataFrame, dict[str, dict[str, str]]]:
    """SAS files via pyreadstat; pandas' reader only for what pyreadstat cannot read.

    Value labels come from a format catalog (.sas7bcat) next to the file, if any.
    pyreadstat comes first because ``pandas.read_sas`` reads some XPORT zeros as
    5.4e-79 (the smallest IBM float; pandas-dev/pandas#50670).
    """
    import pyreadstat

    reader = pyreadstat.read_xport if fmt == "xport" else pyreadstat.read_sas7bdat
    catalog = _catalog(path) if fmt == "sas7bdat" else None
    try:
        if catalog is not None:
            frame, meta = reader(str(path), catalog_file=str(catalog))
        else:
            frame, meta = reader(str(path))
        return frame, _labels(meta)
    except Exception as first:  # noqa: BLE001 - retried with the second reader below
        try:
            return pd.read_sas(path, format=fmt, encoding="infer"), {}
        except Exception:
            raise first from None


def _catalog(path: Path) -> Path | None:
    """The SAS format catalog next to a .sas7bdat (same stem, or formats.sas7bcat)."""
    for cand in (path.with_suffix(".sas7bcat"), path.with_name("formats.sas7bcat")):
        if cand.is_file():
            return cand
    return None


def read_binary(path: str | Path, fmt: str, limits: Limits | None = None) -> RawTable:
    """Read Parquet, SAS, Stata or SPSS without converting codes to labels (labels are returned)."""
    import pyreadstat

    path = Path(path)
    labels: dict[str, dict[str, str]] = {}
    try:
        if fmt == "parquet":
            frame = _read_parquet(path, limits or Limits.from_settings())
        elif fmt in ("sas7bdat", "xport"):
            frame, labels = _read_sas(path, fmt)
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
        # the library's own message may hold server paths: only its kind is shown
        raise _error("unreadable", f"'{path.name}' could not be read as "
                                   f"{FORMAT_NAMES.get(fmt, fmt)} ({type(err).__name__}); "
                                   "check that it is not damaged, or save it again.") from None
    check_columns(frame.shape[1], path.name, limits or Limits.from_settings())
    check_rows(frame.shape[0], path.name, limits or Limits.from_settings())
    names, issues = dedupe_names(list(frame.columns), f"'{path.name}'")
    frame.columns = names
    return RawTable(frame.reset_index(drop=True), fmt, value_labels=labels, issues=tuple(issues))


def _read_parquet(path: Path, limits: Limits) -> pd.DataFrame:
    """Parquet through pyarrow; rows and columns checked from the footer before reading,
    and duplicate column names kept so that they are reported."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    check_columns(pf.metadata.num_columns, path.name, limits)
    check_rows(pf.metadata.num_rows, path.name, limits)
    table = pf.read()
    names = [str(n) for n in table.column_names]
    if len(set(names)) != len(names):
        frame = table.rename_columns([f"c{i}" for i in range(len(names))]).to_pandas()
        frame.columns = names
        return frame
    return table.to_pandas()


def read_raw(path: str | Path, *, sheet: str | None = None,
             max_file_mb: float | None = None, limits: Limits | None = None,
             options: ReadOptions | None = None) -> RawTable:
    """Read any supported file as raw cells.

    Parameters
    ----------
    path : str or Path
        The file; its extension selects the reader.
    sheet : str, optional
        Excel sheet name (first sheet if omitted). Ignored for other formats.
    max_file_mb : float, optional
        Size limit; no limit if ``None`` (unless ``limits`` is given).
    limits : Limits, optional
        All resource limits (default: the settings in force, with ``max_file_mb``).
    options : ReadOptions, optional
        Header row, expected and numeric column names, from the mapping.

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
    if limits is None:
        limits = Limits.from_settings(max_file_mb=1e12 if max_file_mb is None else max_file_mb)
    check_size(path, limits.max_file_mb)
    if path.stat().st_size == 0:
        raise _error("empty_file", f"'{path.name}' is empty: it has no header and no data rows.")
    if fmt in ("csv", "tsv"):
        return read_text(path, tab=fmt == "tsv", limits=limits, options=options)
    if fmt == "excel":
        return read_excel(path, sheet, limits=limits, options=options)
    return read_binary(path, fmt, limits)
