"""Raw cells as trimmed text: one rule for every format, so codes read the same.

A whole-number float prints without ``.0`` (``1.0`` -> ``"1"``), so a code read from
SAS/Stata/Parquet equals the same code read from a CSV; missing-value codes
(:data:`MISSING_TOKENS`, any case) become missing.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

import numpy as np
import pandas as pd

#: Cell texts read as a missing value (any case, spaces trimmed). "none" is a level, not missing.
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", ".", "<na>"})


def cell_text(v: object) -> object:
    """One raw cell as trimmed text; ``None`` for a missing cell."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        f = float(v)
        if math.isnan(f):
            return None
        if f.is_integer() and abs(f) < 1e15:
            return str(int(f))
        return repr(f)
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, bytes):
        v = v.decode("utf-8", errors="replace")
    return str(v).strip()


def as_text(raw: pd.Series) -> pd.Series:
    """Raw cells as trimmed text (``str`` dtype); missing tokens become missing.

    Whole-number floats print without ``.0`` (``1.0`` -> ``"1"``) so codes read the
    same from a CSV and from a SAS/Stata/Parquet file.
    """
    if isinstance(raw.dtype, pd.CategoricalDtype):
        cats = [cell_text(c) for c in raw.cat.categories] + [None]
        text = pd.Series(np.array(cats, dtype=object)[raw.cat.codes.to_numpy()],
                         index=raw.index, dtype="str")
    elif pd.api.types.is_bool_dtype(raw.dtype) and raw.dtype != object:
        missing = raw.isna().to_numpy()
        flags = raw.fillna(False).to_numpy(dtype=bool)
        out = np.where(flags, "true", "false").astype(object)
        out[missing] = None
        text = pd.Series(out, index=raw.index, dtype="str")
    elif pd.api.types.is_numeric_dtype(raw.dtype):
        arr = raw.to_numpy(dtype="float64", na_value=np.nan)
        integral = np.isfinite(arr) & (np.abs(arr) < 1e15)
        integral &= np.where(integral, arr, 0.0) == np.round(np.where(integral, arr, 0.0))
        out = np.where(integral, np.where(integral, arr, 0).astype("int64").astype(str),
                       arr.astype(str)).astype(object)
        out[np.isnan(arr)] = None
        text = pd.Series(out, index=raw.index, dtype="str")
    elif isinstance(raw.dtype, pd.StringDtype):
        text = raw.str.strip() if _may_need_strip(raw) else raw
    elif pd.api.types.infer_dtype(raw, skipna=True) in ("string", "empty"):
        # object column holding only text (SAS/Stata/SPSS strings): vectorised path
        text = raw.astype("str").str.strip()
    else:
        text = pd.Series(raw.map(cell_text).to_numpy(dtype=object), index=raw.index,
                         dtype="str")
    missing = _missing_tokens(text)
    return text.where(~missing) if missing.any() else text


def _may_need_strip(text: pd.Series) -> bool:
    """False when no text of an Arrow-backed column can start or end with white space.

    Looks at the first and the last byte of each text (NumPy, through the offsets of
    each chunk, without joining them): only when every one is a printable ASCII
    character other than a space is there nothing to strip (any other byte, such as
    the start or the end of a multi-byte character, counts as possible white space).
    True for any other column.
    """
    chunks = text_chunks(text)
    if chunks is None:
        return True
    for offsets, body in chunks:
        starts, ends = offsets[:-1], offsets[1:]
        filled = ends > starts
        edges = np.concatenate((body[starts[filled]], body[ends[filled] - 1]))
        if not bool(((edges > 0x20) & (edges < 0x7F)).all()):
            return True
    return False


def arrow_text(text: pd.Series) -> list[tuple] | None:
    """``(chunk, offsets)`` of each non-empty chunk of an Arrow-backed text column
    (``offsets``: a view of the chunk's offsets buffer, one more than its texts), or
    None when the column is not Arrow-backed text."""
    data = getattr(text.array, "_pa_array", None)
    if data is None:
        return None
    import pyarrow as pa

    if not (pa.types.is_string(data.type) or pa.types.is_large_string(data.type)):
        return None
    width = "int64" if pa.types.is_large_string(data.type) else "int32"
    return [(arr, np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset:arr.offset + len(arr) + 1])
            for arr in (data.chunks if isinstance(data, pa.ChunkedArray) else [data])
            if len(arr)]


def text_chunks(text: pd.Series) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """``(offsets, bytes)`` of each chunk of an Arrow-backed text column, or None.

    ``offsets`` (int64, one more than the chunk's texts) index into ``bytes`` (uint8);
    both are views of the Arrow buffers, nothing is copied.
    """
    chunks = arrow_text(text)
    if chunks is None:
        return None
    out = []
    for arr, offsets in chunks:
        body = arr.buffers()[2]
        out.append((offsets.astype(np.int64, copy=False),
                    np.frombuffer(body, dtype=np.uint8) if body is not None
                    else np.zeros(0, dtype=np.uint8)))
    return out


#: Longest missing-value token (only texts this short are compared with the tokens).
_TOKEN_LEN = max(map(len, MISSING_TOKENS))


def _missing_tokens(text: pd.Series) -> pd.Series:
    """Missing cells and cells written as a missing-value token (any case).

    Only texts no longer than the longest token are lower-cased and compared: a column
    of long identifiers costs one length count.
    """
    missing = text.isna()
    short = text.str.len() <= _TOKEN_LEN
    if short.any():
        missing |= short & text.where(short).str.lower().isin(MISSING_TOKENS)
    return missing


def factorize_text(raw: pd.Series) -> tuple[np.ndarray, list[str | None]]:
    """Distinct raw values as trimmed text, and each row's position among them.

    Works on the distinct values only (a million rows with three codes convert three
    values). Missing cells and missing tokens get position -1. Yes/no columns
    (``bool``, ``boolean``) are coded directly, without hashing.
    """
    flags = _bool_factor(raw)
    if flags is not None:
        return flags
    factor, uniques = pd.factorize(raw, use_na_sentinel=True)
    texts: list[str | None] = []
    for u in uniques:
        t = cell_text(u)
        texts.append(None if t is None or t.lower() in MISSING_TOKENS else t)
    idx = np.array([i if t is not None else -1 for i, t in enumerate(texts)] + [-1],
                   dtype="int64")
    return idx[np.asarray(factor)], texts


def _bool_factor(raw: pd.Series) -> tuple[np.ndarray, list[str | None]] | None:
    """:func:`factorize_text` of a yes/no column (values in order of first appearance,
    as ``pandas.factorize`` gives them), or None for any other column."""
    if raw.dtype == np.dtype(bool):
        data, missing = raw.to_numpy(), np.zeros(len(raw), dtype=bool)
    elif isinstance(raw.dtype, pd.BooleanDtype):
        data, missing = np.asarray(raw.array._data), np.asarray(raw.array._mask, dtype=bool)
    else:
        return None
    present = ~missing
    if not present.any():
        return np.full(len(raw), -1, dtype="int64"), []
    first = bool(data[int(np.argmax(present))])
    order = [first] + ([not first] if bool((present & (data != first)).any()) else [])
    codes = np.where(data == first, 0, 1).astype("int64")
    codes[missing] = -1
    return codes, ["true" if v else "false" for v in order]


def all_distinct(text: pd.Series) -> bool:
    """Whether the (non-missing) texts of ``text`` are all different.

    Short Arrow-backed texts (at most 8 bytes, e.g. ``P0000001`` or ``10234``) are
    packed into one 64-bit key each, written length-tagged when the lengths vary, and
    sorted: about five times faster than a hash of the strings. Anything else uses
    ``Series.is_unique``.
    """
    keys = _short_keys(text)
    if keys is None:
        return bool(text.is_unique)
    keys.sort()
    return not bool((keys[1:] == keys[:-1]).any())


def _short_keys(text: pd.Series) -> np.ndarray | None:
    """One uint64 per text that equals another text's key only for equal texts, or None.

    Built chunk by chunk from the Arrow offsets (the chunks are not joined first).
    """
    chunks = text_chunks(text) if len(text) >= 2 and not text.hasnans else None
    if not chunks:
        return None
    lengths = np.concatenate([np.diff(offsets) for offsets, _ in chunks])
    widest, fixed = int(lengths.max()), bool(lengths.min() == lengths.max())
    if widest > (8 if fixed else 7) or widest == 0:
        return None
    packed = np.zeros((len(lengths), 8), dtype=np.uint8)
    row = 0
    for offsets, body in chunks:
        n = len(offsets) - 1
        part = packed[row:row + n]
        if fixed:
            part[:, :widest] = body[offsets[0]:offsets[n]].reshape(n, widest)
        else:
            size = np.diff(offsets)
            for k in range(widest):  # byte k of every text at least k+1 bytes long
                has = size > k
                part[has, k] = body[offsets[:-1][has] + k]
            part[:, 7] = size
        row += n
    return packed.view(">u8").ravel().copy()


#: A plain number as pandas.to_numeric and Arrow's cast both read it (ASCII digits).
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                           r"|[+-]?(?:inf|infinity|nan)", re.IGNORECASE)


def text_to_float(text: pd.Series) -> pd.Series:
    """Trimmed text to float64; text that is not a plain number becomes NaN.

    Arrow's cast (correctly rounded, like Python's ``float``) reads the column in one
    go; when some cell is not a number, only the cells that look like plain numbers
    are cast, so one bad cell does not send a million through the per-cell parser of
    ``pandas.to_numeric`` (about 50 times slower).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(text.array, from_pandas=True)
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            raise TypeError(arr.type)
    except (TypeError, ValueError, pa.ArrowException):
        return pd.to_numeric(text, errors="coerce").astype("float64")
    out = None
    try:
        pc.cast(arr.slice(0, 64), pa.float64())   # a text column fails here, cheaply
        out = pc.cast(arr, pa.float64())
    except pa.ArrowException:
        pass
    if out is None:
        plain = pc.match_substring_regex(arr, "^(?:" + _PLAIN_NUMBER.pattern + ")$",
                                         ignore_case=True)
        if not pc.any(plain).as_py():
            return pd.Series(np.nan, index=text.index, dtype="float64")
        try:
            out = pc.cast(pc.if_else(plain, arr, pa.scalar(None, arr.type)), pa.float64())
        except pa.ArrowException:
            return pd.to_numeric(text, errors="coerce").astype("float64")
    return pd.Series(out.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")
