"""Raw cells as trimmed text: one rule for every format, so codes read the same.

A whole-number float prints without ``.0`` (``1.0`` -> ``"1"``), so a code read from
SAS/Stata/Parquet equals the same code read from a CSV; missing-value codes
(:data:`MISSING_TOKENS`, any case) become missing.
"""

from __future__ import annotations

import math
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
        text = raw.str.strip()
    elif pd.api.types.infer_dtype(raw, skipna=True) in ("string", "empty"):
        # object column holding only text (SAS/Stata/SPSS strings): vectorised path
        text = raw.astype("str").str.strip()
    else:
        text = pd.Series(raw.map(cell_text).to_numpy(dtype=object), index=raw.index,
                         dtype="str")
    missing = text.isna() | text.str.lower().isin(MISSING_TOKENS)
    return text.where(~missing)


def factorize_text(raw: pd.Series) -> tuple[np.ndarray, list[str | None]]:
    """Distinct raw values as trimmed text, and each row's position among them.

    Works on the distinct values only (a million rows with three codes convert three
    values). Missing cells and missing tokens get position -1.
    """
    factor, uniques = pd.factorize(raw, use_na_sentinel=True)
    texts: list[str | None] = []
    for u in uniques:
        t = cell_text(u)
        texts.append(None if t is None or t.lower() in MISSING_TOKENS else t)
    idx = np.array([i if t is not None else -1 for i, t in enumerate(texts)] + [-1],
                   dtype="int64")
    return idx[np.asarray(factor)], texts
