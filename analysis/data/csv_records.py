"""Delimited text files, checked byte by byte before (and after) pandas parses them.

A parser can lose rows without an error: a stray double quote opens a quoted field
that swallows the next lines, a short row is padded with empty cells. So the records
are counted independently of the parser:

* :func:`scan_text` reads the file in chunks (bounded memory) and counts the physical
  lines, blank lines, delimiters and quotes with NumPy (and, where quotes are, the
  delimiters and line breaks inside quoted fields: :mod:`analysis.data.quote_scan`),
  checks the longest line against the limit, and checks every line's encoding
  (a UTF-8 file with a few Windows-1252 lines is reported with those lines);
* :func:`exact_records` walks the records with the :mod:`csv` module (only when a
  quote is not where standard quoting puts one, a quoted field holds a line break, or
  the fast counts do not add up) and names the lines where a quoted field runs over
  several lines or a row has the wrong number of fields.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from analysis.data.limits import Limits, limit_error
from analysis.data.quote_scan import quoted_counts
from analysis.data.report import Issue

CHUNK_BYTES = 16 * 1024 * 1024
#: Candidate delimiters, in order of preference on a tie.
DELIMITERS = ",;\t|"
MAX_LINES_SHOWN = 5
BOM = b"\xef\xbb\xbf"


def lines_text(lines: list[int], count: int) -> str:
    """``"line 4"`` or ``"lines 4, 9, ... (first 5 of 12)"``."""
    word = "line" if count == 1 else "lines"
    text = f"{word} " + ", ".join(map(str, lines[:MAX_LINES_SHOWN]))
    if count > MAX_LINES_SHOWN:
        text += f", ... (first {MAX_LINES_SHOWN} of {count})"
    return text


@dataclass
class TextScan:
    """Counts over the raw bytes of a text file (see :func:`scan_text`)."""

    lines: int = 0
    blank_lines: int = 0
    delimiters: int = 0
    quotes: int = 0
    #: Lines with non-ASCII bytes that are valid UTF-8 / that are not.
    utf8_lines: int = 0
    bad_utf8_lines: list[int] = field(default_factory=list)
    bad_utf8_count: int = 0
    bom: bool = False
    newline: bytes = b"\n"
    #: Quote-aware counts (:mod:`analysis.data.quote_scan`): whether every quote is
    #: where standard quoting puts one, delimiters and line breaks inside quoted
    #: fields, and the quotes so far modulo 2 (1 at the end: a quote never closed).
    quotes_placed: bool = True
    delimiters_in_quotes: int = 0
    newlines_in_quotes: int = 0
    quote_parity: int = 0

    @property
    def encoding(self) -> str:
        """``utf-8``/``utf-8-sig`` when every line is UTF-8; else the single-byte fallback."""
        if not self.bad_utf8_count:
            return "utf-8-sig" if self.bom else "utf-8"
        return "cp1252"

    @property
    def mixed_encoding(self) -> bool:
        """Some lines are UTF-8 with accents, others are not UTF-8 at all."""
        return self.bad_utf8_count > 0 and (self.utf8_lines > 0 or self.bom)


def _check_lines(buf: bytes, first_line: int, scan: TextScan) -> None:
    """Per-line encoding check of a buffer that is not entirely valid UTF-8."""
    for i, line in enumerate(buf.split(scan.newline)):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            scan.utf8_lines += 1
        except UnicodeDecodeError:
            scan.bad_utf8_count += 1
            if len(scan.bad_utf8_lines) < MAX_LINES_SHOWN:
                scan.bad_utf8_lines.append(first_line + i)


def _long_line(buf: bytes, nl: bytes, max_len: int, pos: int, end: int) -> int:
    """Offset of the start of a line longer than ``max_len`` in ``buf[pos:end]``, or -1.

    Jumps from line break to line break in windows of ``max_len`` bytes (``rfind`` at
    C speed): a 16 MB buffer takes a few dozen calls, whatever its line count.
    """
    while end - pos > max_len:
        j = buf.rfind(nl, pos, pos + max_len + 1)
        if j < 0:
            return pos
        pos = j + 1
    return -1


def _count(buf: bytes, pos: int, end: int, scan: TextScan, delim: bytes, max_len: int,
           line_no: int, path: Path, limits: Limits) -> int:
    """Count and check the whole lines ``buf[pos:end]``; returns their number."""
    nl = scan.newline
    start = _long_line(buf, nl, max_len, pos, end)
    if start >= 0:
        stop = buf.find(nl, start, end)
        length = (end if stop < 0 else stop) - start
        _too_long(path, line_no + buf.count(nl, pos, start), length, limits)
    view = np.frombuffer(buf, dtype=np.uint8, count=end - pos, offset=pos)
    if len(delim) == 1:
        scan.delimiters += _count_byte(view, delim[0])
    else:
        scan.delimiters += buf.count(delim, pos, end)
    if buf.find(b'"', pos, end) >= 0 or scan.quote_parity:
        _count_quotes(view, scan, delim)
    if not buf.isascii():
        part = buf[pos:end]
        if not part.isascii():
            try:
                part.decode("utf-8")
                scan.utf8_lines += 1
            except UnicodeDecodeError:
                _check_lines(part, line_no, scan)
    return _count_byte(view, nl[0])


def _count_quotes(view: np.ndarray, scan: TextScan, delim: bytes) -> None:
    """Quotes of whole lines, and (while the quote model holds) what lies inside quotes."""
    if not scan.quotes_placed or len(delim) != 1:
        scan.quotes += _count_byte(view, ord('"'))
        scan.quotes_placed = False
        return
    counts = quoted_counts(view, delim[0], scan.newline[0], scan.quote_parity)
    if counts is None:
        scan.quotes += _count_byte(view, ord('"'))
        scan.quotes_placed = False
        return
    scan.quotes += counts.quotes
    scan.delimiters_in_quotes += counts.delimiters_inside
    scan.newlines_in_quotes += counts.newlines_inside
    scan.quote_parity = counts.parity


def _count_byte(view: np.ndarray, byte: int) -> int:
    """How often ``byte`` occurs in ``view`` (NumPy: about five times ``bytes.count``)."""
    return int(np.count_nonzero(view == byte))


def scan_text(path: Path, delimiter: str, limits: Limits) -> TextScan:
    """Count lines, blank lines, delimiters and quotes; check line length and encoding.

    Reads ``path`` in chunks of :data:`CHUNK_BYTES` (plus at most one over-long line,
    which is an error as soon as it is seen), so memory stays bounded; counts run on
    index ranges of each chunk, without copying it.

    Raises
    ------
    DataLoadError
        A line longer than ``limits.max_line_kb``.
    """
    scan = TextScan()
    delim = delimiter.encode()
    max_len = limits.max_line_bytes
    carry = b""   # the unfinished last line of the previous chunk
    tail = b""    # the last bytes read, for blank lines at the end
    line_no = 1   # line number of the next line to count
    with path.open("rb") as fh:
        chunk = fh.read(CHUNK_BYTES)
        if chunk.startswith(BOM):
            scan.bom, chunk = True, chunk[len(BOM):]
        if b"\n" not in chunk and b"\r" in chunk:
            scan.newline = b"\r"
        nl = scan.newline
        while chunk:
            tail = (tail + chunk[-64:])[-64:]
            first = chunk.find(nl)
            if first < 0:
                carry += chunk
                if len(carry) > max_len:
                    _too_long(path, line_no, len(carry), limits)
                chunk = fh.read(CHUNK_BYTES)
                continue
            head = carry + chunk[:first + 1]          # one line: the carry completed
            n = _count(head, 0, len(head), scan, delim, max_len, line_no, path, limits)
            line_no += n
            cut = chunk.rfind(nl) + 1
            n = _count(chunk, first + 1, cut, scan, delim, max_len, line_no, path, limits)
            line_no += n
            scan.lines = line_no - 1
            carry = chunk[cut:]
            chunk = fh.read(CHUNK_BYTES)
        if carry:
            if len(carry) > max_len:
                _too_long(path, line_no, len(carry), limits)
            _count(carry, 0, len(carry), scan, delim, max_len, line_no, path, limits)
            scan.lines = line_no
    # Only blank lines at the end are counted here (a common export habit); blank lines
    # inside the file make the fast record count differ from the parser's, and the
    # exact walk then counts the records one by one.
    scan.blank_lines = _trailing_blank(tail, nl)
    return scan


def _trailing_blank(tail: bytes, nl: bytes) -> int:
    """Blank lines at the very end of the file, from its last bytes."""
    body = tail.rstrip(b"\r\n" if nl == b"\n" else nl)
    if len(body) == len(tail):
        return 0
    breaks = tail[len(body):].count(nl)
    return max(breaks - 1, 0) if body else breaks


def _too_long(path: Path, line_no: int, length: int, limits: Limits) -> None:
    raise limit_error("line_too_long",
                      f"line {line_no} of '{path.name}' is {length / 1024:,.0f} KB long, above "
                      f"the limit of {limits.max_line_kb:g} KB: this is not a table of one "
                      "patient per line (a file without line breaks, or the wrong delimiter).",
                      "EXPLORER_MAX_LINE_KB")


def encoding_issues(scan: TextScan, name: str) -> list[Issue]:
    """An error for a file whose lines mix UTF-8 and another encoding."""
    if not scan.mixed_encoding:
        return []
    return [Issue(
        "error", "mixed_encoding", None,
        f"'{name}' is UTF-8 text except for {lines_text(scan.bad_utf8_lines, scan.bad_utf8_count)}"
        ", which are in another encoding (probably Windows-1252, e.g. pasted from Excel). "
        "Nothing was re-decoded; fix those lines or save the whole file as UTF-8.",
        (), scan.bad_utf8_count)]


# --- delimiter and header detection on the first lines -------------------------------------

def head_records(text: str, delimiter: str, n: int) -> list[list[str]]:
    """The first ``n`` records of ``text`` (quote-aware); a cut-off last line is dropped."""
    lines = text.splitlines(keepends=True)
    if len(lines) > 1 and not lines[-1].endswith(("\n", "\r")):
        lines = lines[:-1]
    out: list[list[str]] = []
    try:
        for rec in csv.reader(io.StringIO("".join(lines)), delimiter=delimiter):
            out.append(rec)
            if len(out) >= n:
                break
    except csv.Error:
        pass
    return out


def sniff_delimiter(text: str, default: str) -> str:
    """The delimiter giving the most fields, the same number on the first lines.

    Bounded: looks at no more than 50 records of ``text`` (which the caller limits).
    """
    best, best_key = default, (0, 0)
    for d in DELIMITERS:
        counts = [len(r) for r in head_records(text, d, 50) if r]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:   # most records hold one field: not this delimiter
            continue
        key = (counts.count(mode), mode)
        if key > best_key:
            best, best_key = d, key
    return best


# --- exact record walk ---------------------------------------------------------------------

@dataclass
class RecordWalk:
    """What :func:`exact_records` found."""

    records: int = 0
    multiline: list[tuple[int, int]] = field(default_factory=list)
    multiline_count: int = 0
    wrong_width: list[tuple[int, int]] = field(default_factory=list)
    wrong_width_count: int = 0
    error: str | None = None


def exact_records(path: Path, encoding: str, delimiter: str, skip_lines: int, width: int
                  ) -> RecordWalk:
    """Walk the data records after ``skip_lines`` header lines with the :mod:`csv` module.

    Counts non-blank records; lists records spanning several physical lines (a quoted
    field with line breaks) and records whose field count differs from ``width``.
    """
    walk = RecordWalk()
    with path.open("r", encoding=encoding, newline="") as fh:
        for _ in range(skip_lines):
            fh.readline()
        reader = csv.reader(fh, delimiter=delimiter)
        end = skip_lines
        try:
            for rec in reader:
                start, end = end + 1, skip_lines + reader.line_num
                if not rec:
                    continue
                walk.records += 1
                if end > start:
                    walk.multiline_count += 1
                    if len(walk.multiline) < MAX_LINES_SHOWN:
                        walk.multiline.append((start, end))
                if len(rec) != width:
                    walk.wrong_width_count += 1
                    if len(walk.wrong_width) < MAX_LINES_SHOWN:
                        walk.wrong_width.append((start, len(rec)))
        except csv.Error as err:
            walk.error = f"line {skip_lines + reader.line_num}: {err}"
    return walk


def record_issues(walk: RecordWalk, name: str, width: int, allow_multiline: bool) -> list[Issue]:
    """Errors for quoted fields running over lines and rows of the wrong width."""
    issues: list[Issue] = []
    if walk.multiline_count and not allow_multiline:
        spans = ", ".join(f"{a}-{b}" for a, b in walk.multiline)
        more = (f" (first {len(walk.multiline)} of {walk.multiline_count})"
                if walk.multiline_count > len(walk.multiline) else "")
        a, b = walk.multiline[0]
        issues.append(Issue(
            "error", "quote_spans_lines", None,
            f"in '{name}' a double quote opens a field on line {a} that is closed only on "
            f"line {b}, so lines {a}-{b} would be read as one row and {b - a} row(s) lost. "
            f"Records spanning lines: {spans}{more}. Fix the quote (inside a quoted field "
            "write it twice: \"\"), or, if those fields really hold line breaks, set "
            "`multiline_fields = true` in the mapping.", (), walk.multiline_count))
    if walk.wrong_width_count:
        shown = ", ".join(f"line {ln} has {n}" for ln, n in walk.wrong_width)
        more = (f" (first {len(walk.wrong_width)} of {walk.wrong_width_count})"
                if walk.wrong_width_count > len(walk.wrong_width) else "")
        issues.append(Issue(
            "error", "wrong_field_count", None,
            f"{walk.wrong_width_count} row(s) of '{name}' do not have the header's {width} "
            f"fields: {shown}{more}. A missing or extra delimiter shifts the values into the "
            "wrong columns; fix those lines.", (), walk.wrong_width_count))
    if walk.error:
        issues.append(Issue("error", "unreadable", None,
                            f"'{name}' could not be read as delimited text ({walk.error})."))
    return issues
