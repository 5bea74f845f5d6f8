"""The fingerprint of a validated dataset: a digest of its data, not of its file.

Equal data give equal fingerprints whatever file or format they came from (the
bundled cohort as CSV or as Parquet), so the fingerprint is the cache key of
everything computed from a dataset and the identity a link or a study record
carries. Each column is hashed through canonical bytes (lengths and text for text,
one NaN pattern for floats, data and mask for nullable columns, codes for
categoricals), far faster than hashing each value.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd


def _dtype_text(s: pd.Series) -> str:
    dt = s.dtype
    if isinstance(dt, pd.CategoricalDtype):
        return f"category{list(map(str, dt.categories))}{'ordered' if dt.ordered else ''}"
    return str(dt)


def _string_parts(s: pd.Series) -> list | None:
    """Canonical bytes of an Arrow-backed text column (lengths, nulls, then the text),
    as buffers hashed in turn (no copy of the text).

    Independent of how the column is chunked or sliced, and far faster than hashing
    each value; ``None`` if the column is not Arrow-backed text.
    """
    data = getattr(s.array, "_pa_array", None)
    if data is None:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = data.combine_chunks() if isinstance(data, pa.ChunkedArray) else data
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    lengths = pc.binary_length(arr).to_numpy(zero_copy_only=False)
    lengths = np.nan_to_num(lengths.astype("float64"), nan=-1).astype("int64")
    if len(arr) == 0:
        return [lengths]
    width = 8 if pa.types.is_large_string(arr.type) else 4
    offsets = np.frombuffer(arr.buffers()[1], dtype=f"int{width * 8}")[arr.offset:]
    text = arr.buffers()[2]
    if text is None:
        return [lengths]
    return [lengths, memoryview(text)[int(offsets[0]):int(offsets[len(arr)])]]


def fingerprint(frame: pd.DataFrame, lesions: pd.DataFrame | None = None) -> str:
    """Stable sha256 hex digest of a frame (and lesion table): values, names, dtypes, order."""
    h = hashlib.sha256()
    for part in (frame, lesions):
        if part is None:
            h.update(b"<none>")
            continue
        h.update(json.dumps([[str(c), _dtype_text(part[c])] for c in part.columns]).encode())
        h.update(str(len(part)).encode())
        h.update(pd.util.hash_pandas_object(part.index.to_series(), index=False)
                 .to_numpy().tobytes())
        for c in part.columns:
            for buf in _column_parts(part[c]):
                h.update(buf)
    return h.hexdigest()


def _column_parts(s: pd.Series) -> list:
    """Canonical bytes of one column's values (the dtype is hashed separately), as
    buffers hashed one after the other (the digest of their concatenation).

    Text by :func:`_string_parts`; floats with one NaN pattern (copied only when there
    is a NaN); nullable columns as data (zero where missing) plus mask; categoricals as
    codes (the categories are in the dtype text); anything else by pandas' per-value
    hash.
    """
    text = _string_parts(s)
    if text is not None:
        return text
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return [np.ascontiguousarray(s.cat.codes.to_numpy())]
    arr = s.array
    if hasattr(arr, "_data") and hasattr(arr, "_mask"):  # boolean, Int64, Float64
        mask = np.asarray(arr._mask, dtype=bool)
        data = np.where(mask, 0, np.asarray(arr._data))   # (bool data hashed as int64)
        return [np.ascontiguousarray(data), np.packbits(mask)]
    if isinstance(dtype, np.dtype) and dtype.kind in "fiub":
        values = s.to_numpy()
        if dtype.kind == "f":
            nan = np.isnan(values)
            if nan.any():
                values = np.where(nan, np.nan, values)
        return [np.ascontiguousarray(values)]
    return [pd.util.hash_pandas_object(s, index=False).to_numpy()]
