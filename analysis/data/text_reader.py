"""Delimited text (CSV/TSV) -> raw cells, with every record accounted for.

Order of work, each step bounded before the next: the first 64 KB give the delimiter
and the header row; :func:`~analysis.data.csv_records.scan_text` checks line lengths,
encodings and counts lines, delimiters and quotes; pandas' C parser reads the cells
(exact text, as Arrow strings, for identifiers, open sets, columns with explicit codes
and columns the loader does not use; numeric and code columns the caller names are
typed by the C parser itself, a cell it cannot read leaving the column as text for
the validator); then the parser's row count is checked against the scan (quote-aware:
delimiters and line breaks inside quoted fields are counted apart), and, when some
quote is misplaced, a quoted field holds a line break or the counts differ, against a
record walk with the :mod:`csv` module that names the offending lines.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.data.csv_records import (
    encoding_issues,
    exact_records,
    head_records,
    record_issues,
    scan_text,
    sniff_delimiter,
)
from analysis.data.headers import HEADER_SEARCH_ROWS, dedupe_names, guess_header, header_issue
from analysis.data.limits import Limits, check_columns, check_rows
from analysis.data.report import Issue

SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class TextOptions:
    """How to read a text file.

    Attributes
    ----------
    header_row : int or None
        1-based line of the header (``header_row`` in the mapping); ``None``: line 1.
    expected : frozenset of str
        Lower-case column names the loader expects (for finding the header).
    numeric : frozenset of str
        Lower-case names of columns the C parser may read as numbers directly.
    multiline_fields : bool
        Accept quoted fields holding line breaks (``multiline_fields`` in the mapping).
    only_expected : bool
        Convert only the expected columns (the others are still counted and listed).
    """

    header_row: int | None = None
    expected: frozenset[str] = frozenset()
    numeric: frozenset[str] = frozenset()
    multiline_fields: bool = False
    only_expected: bool = False
    #: Lower-case names of code columns the C parser may type itself (bool/int/text).
    categorical: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TextCells:
    frame: pd.DataFrame
    columns: tuple[str, ...]
    encoding: str
    delimiter: str
    header_row: int
    issues: tuple[Issue, ...]


class TextReadError(Exception):
    """Reading stopped; ``issues`` say why (the caller turns them into a report)."""

    def __init__(self, issues: list[Issue]):
        super().__init__("; ".join(i.message for i in issues))
        self.issues = issues


def _head(path: Path) -> str:
    with path.open("rb") as fh:
        sample = fh.read(SNIFF_BYTES)
    return sample.decode("utf-8", errors="replace").lstrip("\ufeff")


#: Convert only the used columns (``usecols``) when at least this share of the file's
#: columns is unused: ``usecols`` itself costs about half a bare read, more than
#: converting a few unused columns does.
USECOLS_SHARE = 0.25


def _parse(path: Path, names: list[str], numeric: frozenset[str], delim: str, enc: str,
           skip: int, replace_errors: bool, keep: frozenset[str] | None,
           categorical: frozenset[str] = frozenset()) -> pd.DataFrame:
    num = [n for n in names if n.strip().lower() in numeric]
    cat = [n for n in names if n.strip().lower() in categorical and n not in num]
    use = None
    if keep is not None:
        kept = [n for n in names if n.strip().lower() in keep]
        if len(names) - len(kept) >= max(1.0, USECOLS_SHARE * len(names)):
            use = kept
    exact = [n for n in names if n not in num and n not in cat and (use is None or n in use)]
    with warnings.catch_warnings():
        # pandas warns, and drops the extra fields, for rows longer than the header;
        # the record walk reports those rows as errors instead.
        warnings.simplefilter("ignore", pd.errors.ParserWarning)
        frame = _read_csv(path, names, num, exact, delim, enc, skip, replace_errors, use)
    if exact:
        frame = frame.astype(dict.fromkeys(exact, "str"))
    return frame


def _read_csv(path: Path, names: list[str], num: list[str], exact: list[str], delim: str,
              enc: str, skip: int, replace_errors: bool, use: list[str] | None
              ) -> pd.DataFrame:
    """One pass of pandas' C parser: every cell as written, no missing-value guessing.

    Text columns (identifiers, open sets, columns with explicit codes: ``exact``) keep
    their exact text ("001" stays "001"). They are asked for as Arrow strings, which
    the C parser builds as fast as it infers a type; asking for ``dtype="str"`` makes a
    Python object per cell first (four times a bare read for an all-text file). Code
    columns get the C parser's own inference (True/False -> bool, 1/2 -> int, else
    text); codes read back as the same text (cell_text). ``num`` columns: empty cells
    are missing.
    """
    import pyarrow as pa

    text = pd.ArrowDtype(pa.string())
    return pd.read_csv(
        path, sep=delim, header=None, names=names, skiprows=skip, index_col=False,
        usecols=use, dtype=dict.fromkeys(exact, text), keep_default_na=False,
        na_values={n: [""] for n in num}, encoding=enc, engine="c", quotechar='"',
        skipinitialspace=False,
        encoding_errors="replace" if replace_errors else "strict")


def read_delimited(path: Path, *, tab: bool, limits: Limits, options: TextOptions) -> TextCells:
    """Read a delimited text file as cells; see the module docstring.

    Raises
    ------
    TextReadError
        With the issues found when the file cannot be read at all.
    DataLoadError
        A resource limit is exceeded.
    """
    head = _head(path)
    if not head.strip():
        raise TextReadError([Issue("error", "empty_file", None,
                                   f"'{path.name}' is empty: it has no header and no data rows.")])
    delim = sniff_delimiter(head, "\t" if tab else ",")
    scan = scan_text(path, delim, limits)   # line lengths first: a 1 MB line stops here
    records = head_records(head, delim, HEADER_SEARCH_ROWS)
    header_row = options.header_row or 1
    issues: list[Issue] = header_issue(guess_header(records, options.expected), header_row,
                                       f"'{path.name}'")
    if header_row > len(records):
        raise TextReadError(issues + [Issue(
            "error", "header_row", None,
            f"the mapping sets `header_row = {header_row}` but '{path.name}' has only "
            f"{len(records)} line(s) in its first {SNIFF_BYTES // 1024} KB.")])
    header = records[header_row - 1]
    check_columns(len(header), path.name, limits, " in its header")
    names, dup = dedupe_names(header, f"'{path.name}'")
    issues += dup
    if header_row > 1:
        issues.append(Issue("info", "rows_above_header", None,
                            f"the {header_row - 1} line(s) above the header (line "
                            f"{header_row}) are not data and were skipped.", (), header_row - 1,
                            conversion=f"{header_row - 1} line(s) above the header skipped"))
    issues += encoding_issues(scan, path.name)
    enc = scan.encoding
    # With ';' a decimal comma is likely, and "1.234" may be a thousands-grouped 1234:
    # every column stays text so the number reader sees how each value is written.
    numeric = options.numeric if delim != ";" else frozenset()
    frame = None
    parse_error = None
    for attempt in (enc, "latin-1"):
        try:
            frame = _parse(path, names, numeric, delim, attempt, header_row,
                           scan.mixed_encoding,
                           options.expected if options.only_expected else None,
                           options.categorical)
            enc = attempt
            break
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, ValueError, IndexError) as err:
            # rows wider than the header (with usecols pandas raises IndexError): the
            # record walk below names the lines
            parse_error = str(err) or type(err).__name__
            break
    if enc not in ("utf-8", "utf-8-sig"):
        issues.append(Issue("info", "encoding", None,
                            f"'{path.name}' is not UTF-8; it was decoded as {enc}.",
                            conversion=f"text decoded as {enc}"))
    issues += _integrity(path, scan, frame, names, delim, enc, header_row, options, parse_error)
    if frame is None:
        raise TextReadError(issues)
    check_rows(len(frame), path.name, limits)
    return TextCells(frame, tuple(names), enc, delim, header_row, tuple(issues))


def _integrity(path: Path, scan, frame: pd.DataFrame | None, names: list[str], delim: str,
               enc: str, header_row: int, options: TextOptions, parse_error: str | None
               ) -> list[Issue]:
    """Check the parser's rows against the independent counts; issues naming the lines."""
    width = len(names)
    # Without quotes, or with quotes all where standard quoting puts them and no line
    # break inside a quoted field, every line is one record: the parser's rows must be
    # the lines and the delimiters outside quotes (width - 1) per line. A row with too
    # many fields stops the C parser, so short rows cannot hide behind long ones.
    plain = scan.quotes == 0 or (scan.quotes_placed and not scan.quote_parity
                                 and not scan.newlines_in_quotes)
    if frame is not None and plain and header_row == 1 and scan.newline == b"\n":
        data_lines = scan.lines - scan.blank_lines - 1
        outside = scan.delimiters - scan.delimiters_in_quotes
        if len(frame) == data_lines and outside == (width - 1) * (data_lines + 1):
            return []
    walk = exact_records(path, "utf-8" if scan.mixed_encoding else enc, delim, header_row,
                         width) if not scan.mixed_encoding else None
    if walk is None:
        return []
    issues = record_issues(walk, path.name, width, options.multiline_fields)
    if parse_error and not issues:
        issues.append(Issue("error", "unreadable", None,
                            f"'{path.name}' could not be read as delimited text (delimiter "
                            f"{delim!r}): {parse_error}. Check that every row has the same "
                            "number of fields."))
    if frame is not None and not issues and len(frame) != walk.records:
        issues.append(Issue(
            "error", "record_count", None,
            f"the parser read {len(frame):,} rows from '{path.name}' but the file holds "
            f"{walk.records:,} records; the file is not plain delimited text. Save it again "
            "as CSV."))
    return issues
