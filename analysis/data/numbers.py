"""Numbers written with thousands separators or decimal commas: detected, never guessed.

Only the cells a plain number parser could not read (and, for columns that show a
decimal comma, the cells with one dot and three digits) are looked at, so a clean
column costs nothing. Each value is read only when its meaning is certain:

==================  =====================================  =========================
written             read as                                because
==================  =====================================  =========================
``27,5``            27.5                                   one comma, not 3 digits after
``1,234.5``         1234.5                                 comma groups before a point
``1,234,567``       1234567                                several comma groups
``1.234,5``         1234.5                                 point groups before a comma
``1 234`` ``1'234`` 1234                                   space/apostrophe groups
``1,234``           1234 or 1.234: **ambiguous**           resolved only by the column:
``1.234`` (with     1.234 or 1234: **ambiguous**           other values of the column
commas elsewhere)                                          must settle it, else an error
==================  =====================================  =========================

An ambiguous column is an error that says what to set in the mapping
(``[numbers]`` ``decimal = ","`` / ``thousands = ","``, file-wide or per column); with a
declared format every value must follow it. Every conversion is listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.data.report import Issue

_SIGN = r"[-+]?"
AMB_COMMA = re.compile(_SIGN + r"\d{1,3},\d{3}")
DEC_COMMA = re.compile(_SIGN + r"\d*,\d+")
THOU_COMMA = re.compile(_SIGN + r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
THOU_DOT = re.compile(_SIGN + r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")
THOU_SPACE = re.compile(_SIGN + r"\d{1,3}(?:[ \u00a0\u202f']\d{3})+(?:[.,]\d+)?")
AMB_DOT = re.compile(_SIGN + r"\d{1,3}\.\d{3}")
DOT_DEC = re.compile(_SIGN + r"\d*\.\d+")
SPACES = re.compile(r"[ \u00a0\u202f']")


@dataclass(frozen=True)
class NumberFormat:
    """A declared number format: the decimal mark and the thousands separator (or none)."""

    decimal: str = "."
    thousands: str = ""


def _rows(mask: np.ndarray) -> tuple[tuple[int, ...], int]:
    idx = np.flatnonzero(mask)
    return tuple(int(i) + 1 for i in idx[:5]), int(idx.size)


def _parse(texts: pd.Series) -> pd.Series:
    return pd.to_numeric(texts, errors="coerce").astype("float64")


def declared(text: pd.Series, fmt: NumberFormat) -> tuple[pd.Series, int]:
    """Parse every value with the declared format; NaN where a value does not follow it.

    Returns the values and how many cells were changed by the format.
    """
    t = text
    if fmt.thousands:
        sep = re.escape(fmt.thousands)
        dec = re.escape(fmt.decimal)
        grouped = t.str.fullmatch(_SIGN + rf"\d{{1,3}}(?:{sep}\d{{3}})+(?:{dec}\d+)?")
        has_sep = t.str.contains(sep, regex=True)
        t = t.where(~(has_sep & grouped.fillna(False)), t.str.replace(fmt.thousands, "",
                                                                       regex=False))
        t = t.where(~(has_sep & ~grouped.fillna(False)), "not a number")
    if fmt.decimal != ".":
        bad_dot = t.str.contains(".", regex=False).fillna(False)
        t = t.where(~bad_dot, "not a number").str.replace(fmt.decimal, ".", regex=False)
    changed = int(((t != text) & text.notna()).sum())
    return _parse(t), changed


@dataclass
class Detected:
    """Outcome of :func:`detect`: values, the cells read, issues."""

    values: pd.Series
    fixed: np.ndarray
    issues: list[Issue]


def detect(text: pd.Series, values: pd.Series, bad: pd.Series, name: str, col: str
           ) -> Detected:
    """Read the cells in ``bad`` that are numbers with separators, where certain.

    Kept whole (about 70 lines) so the table in the module docstring maps onto it
    line by line.

    Parameters
    ----------
    text : Series
        The column as trimmed text (missing as NaN).
    values : Series
        The plain parse (NaN where it failed).
    bad : Series of bool
        Cells with text that the plain parse could not read.
    name, col : str
        Dictionary name and its description for messages.
    """
    cand = text[bad]
    amb_comma = cand.str.fullmatch(AMB_COMMA.pattern)
    dec_comma = cand.str.fullmatch(DEC_COMMA.pattern) & ~amb_comma
    thou_comma = cand.str.fullmatch(THOU_COMMA.pattern) & ~amb_comma
    thou_dot = cand.str.fullmatch(THOU_DOT.pattern)
    thou_space = cand.str.fullmatch(THOU_SPACE.pattern)
    comma_is_decimal = bool(dec_comma.any() or thou_dot.any())
    good_text = text[~bad & text.notna()]
    dot_dec = False
    amb_dot = pd.Series(False, index=good_text.index)
    if amb_comma.any() or comma_is_decimal:
        dotted = good_text[good_text.str.contains(".", regex=False)]
        amb_dot = dotted.str.fullmatch(AMB_DOT.pattern)
        dot_dec = bool((~amb_dot & dotted.str.fullmatch(DOT_DEC.pattern)).any())
    comma_is_thousands = bool(thou_comma.any() or dot_dec)
    issues: list[Issue] = []
    out = values.copy()
    decimal = np.zeros(len(text), dtype=bool)
    grouped = np.zeros(len(text), dtype=bool)

    def put(mask: pd.Series, converted: pd.Series, kind: np.ndarray) -> None:
        idx = mask[mask].index
        out.loc[idx] = _parse(converted[idx]).to_numpy()
        kind[text.index.get_indexer(idx)] = True

    put(dec_comma, cand.str.replace(",", ".", regex=False), decimal)
    put(thou_comma, cand.str.replace(",", "", regex=False), grouped)
    put(thou_dot, cand.str.replace(".", "", regex=False).str.replace(",", ".", regex=False),
        grouped)
    put(thou_space, cand.str.replace(SPACES.pattern, "", regex=True).str.replace(",", ".",
                                                                                   regex=False),
        grouped)
    ambiguous = amb_comma.copy()
    if comma_is_decimal and not comma_is_thousands:
        put(amb_comma, cand.str.replace(",", ".", regex=False), decimal)
        ambiguous[:] = False
    elif comma_is_thousands and not comma_is_decimal:
        put(amb_comma, cand.str.replace(",", "", regex=False), grouped)
        ambiguous[:] = False
    mask = np.zeros(len(text), dtype=bool)
    mask[text.index.get_indexer(ambiguous[ambiguous].index)] = True
    if comma_is_decimal and amb_dot.any():
        mask[text.index.get_indexer(amb_dot[amb_dot].index)] = True
    if mask.any():
        rows, n = _rows(mask)
        examples = ", ".join(repr(v) for v in text[mask].unique()[:3])
        issues.append(Issue(
            "error", "ambiguous_number", name,
            f"{n} value(s) in {col} such as {examples} could be read with ',' or '.' as the "
            f"thousands separator or as the decimal mark, rows {', '.join(map(str, rows))}"
            f"{' ...' if n > len(rows) else ''}; they are not guessed. Say which in the "
            f"mapping: [numbers.{name}] decimal = \",\" (1,234 = 1.234) or thousands = \",\" "
            "(1,234 = 1234); or for the whole file [numbers] decimal = \",\".", rows, n))
        out[mask] = np.nan
        decimal &= ~mask
        grouped &= ~mask
    for kind, code, words in ((decimal, "decimal_comma", "a decimal comma"),
                              (grouped, "thousands_separator", "thousands separators")):
        if kind.any():
            rows, n = _rows(kind)
            first = text[kind].iloc[0]
            issues.append(Issue(
                "info", code, name,
                f"{n} value(s) in {col} use {words} and were read as numbers (e.g. {first!r} "
                f"= {out[kind].iloc[0]:g}), rows {', '.join(map(str, rows))}"
                f"{' ...' if n > len(rows) else ''}.", rows, n,
                conversion=f"{n} value(s) with {words} read as numbers"))
    return Detected(out, decimal | grouped | mask, issues)
