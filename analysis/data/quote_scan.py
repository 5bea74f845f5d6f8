"""Quote-aware counts over raw bytes, vectorised: delimiters and line breaks inside quotes.

Standard CSV quoting (a field opened by ``"``, a quote inside it written twice) means
a byte is inside a quoted field exactly when an odd number of quotes comes before it,
provided every quote sits where that quoting puts one. So the records of a quoted
file can be counted with NumPy instead of a per-record walk: the quote positions,
their running parity, and the delimiters and line breaks at odd parity (inside).

The model holds only for well-placed quotes; :func:`quoted_counts` checks every run
of consecutive quotes and gives up (``None``) on any other, such as a quote in the
middle of an unquoted field (``5'10"``), which the parsers keep as a literal
character. The caller then walks the records one by one with the :mod:`csv` module.

=========================  ===========================================================
run of quotes              well placed when
=========================  ===========================================================
outside a field, odd       it opens a field: after a delimiter or a line break
outside a field, even      an empty quoted field (two quotes, or four): also before a
                           delimiter, a line break or the end
inside a field, odd        it closes the field: before a delimiter, a line break (or
                           a carriage return) or the end
inside a field, even       escaped quotes: anywhere
=========================  ===========================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QUOTE = ord('"')
CR = 13


@dataclass(frozen=True)
class QuotedCounts:
    """Counts over one piece of whole lines (see :func:`quoted_counts`)."""

    quotes: int
    delimiters_inside: int
    newlines_inside: int
    #: Quotes so far, modulo 2, after this piece (1: a quoted field is still open).
    parity: int


def quoted_counts(view: np.ndarray, delim: int, newline: int, parity: int) -> QuotedCounts | None:
    """Quote-aware counts of ``view`` (whole lines of a file, as uint8), or ``None``.

    Parameters
    ----------
    view : ndarray of uint8
        Bytes that start at the start of a line and end after a line break (or at the
        end of the file).
    delim, newline : int
        The delimiter and line-break bytes.
    parity : int
        Quotes before ``view``, modulo 2 (1 when a quoted field runs into it).

    Returns
    -------
    QuotedCounts or None
        ``None`` when some quote is not where standard quoting puts one.
    """
    q = np.flatnonzero(view == QUOTE)
    if q.size == 0:
        inside = int(np.count_nonzero(view == delim)) if parity else 0
        lines = int(np.count_nonzero(view == newline)) if parity else 0
        return QuotedCounts(0, inside, lines, parity)
    n = view.size
    breaks = np.flatnonzero(np.diff(q) != 1) + 1
    first = np.concatenate(([0], breaks))
    start = q[first]
    length = np.diff(np.concatenate((first, [q.size])))
    before = (parity + np.cumsum(length) - length) & 1
    prev = np.where(start > 0, view[np.maximum(start - 1, 0)], newline)
    stop = start + length
    nxt = np.where(stop < n, view[np.minimum(stop, n - 1)], newline)
    opens_field = (prev == delim) | (prev == newline)
    ends_field = (nxt == delim) | (nxt == newline) | (nxt == CR)
    odd = (length & 1) == 1
    placed = np.where(before == 0, opens_field & (odd | ends_field), ~odd | ends_field)
    if not placed.all():
        return None
    d = np.flatnonzero(view == delim)
    nl = np.flatnonzero(view == newline)
    inside_d = int(np.count_nonzero((parity + np.searchsorted(q, d)) & 1))
    inside_nl = int(np.count_nonzero((parity + np.searchsorted(q, nl)) & 1))
    return QuotedCounts(int(q.size), inside_d, inside_nl, (parity + int(q.size)) & 1)


__all__ = ["QuotedCounts", "quoted_counts"]
