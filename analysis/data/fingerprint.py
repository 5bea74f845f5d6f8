"""The fingerprint of a validated dataset: a digest of its data, not of its file.

Equal data give equal fingerprints whatever file or format they came from (the
bundled cohort as CSV or as Parquet), so the fingerprint is the cache key of
everything computed from a dataset and the identity a link or a study record
carries. Each column is hashed through canonical bytes (lengths and text for text,
one NaN pattern for floats, data and mask for nullable columns, codes for
categoricals), far faster than hashing each value.

For a large frame the digest is computed on a second thread while the canonical
bytes of the next column are prepared (``hashlib`` releases the GIL while it hashes),
and the nullable columns' data are written into two reused buffers instead of a new
array per column; the bytes hashed, and so every digest, are the same either way.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from analysis.data.cells import arrow_text

#: Hash on a second thread from this many cells (rows x columns) on: below it a
#: thread costs more than it saves.
THREAD_CELLS = 1_000_000

def _dtype_text(s: pd.Series) -> str:
    dt = s.dtype
    if isinstance(dt, pd.CategoricalDtype):
        return f"category{list(map(str, dt.categories))}{'ordered' if dt.ordered else ''}"
    return str(dt)


#: Index values mixed per piece of this many (a small array each, not one of n).
INDEX_PIECE = 1 << 16


def _index_parts(index: pd.Index) -> Iterator:
    """``pd.util.hash_pandas_object(index.to_series(), index=False)``, as byte pieces.

    An integer index (a loaded frame's 0..n-1) is hashed by pandas' ``hash_array``
    piece by piece (a ``RangeIndex`` is never materialised whole); any other index is
    hashed by ``hash_pandas_object`` itself.
    """
    if isinstance(index, pd.RangeIndex) or index.dtype == np.int64:
        for lo in range(0, len(index), INDEX_PIECE):
            hi = min(lo + INDEX_PIECE, len(index))
            if isinstance(index, pd.RangeIndex):
                vals = np.arange(index.start + lo * index.step, index.start + hi * index.step,
                                 index.step, dtype=np.int64)
            else:
                vals = np.asarray(index[lo:hi], dtype=np.int64)
            yield pd.util.hash_array(vals)
        return
    yield pd.util.hash_pandas_object(index.to_series(), index=False).to_numpy().tobytes()


def _string_parts(s: pd.Series) -> list | None:
    """Canonical bytes of an Arrow-backed text column (lengths, nulls, then the text),
    as buffers hashed in turn (no copy of the text).

    The lengths are ``int64``, -1 for a missing value, read from each chunk's offsets;
    the text of each chunk follows as a view of its buffer. Independent of how the
    column is chunked or sliced, and far faster than hashing each value; ``None`` if
    the column is not Arrow-backed text.
    """
    chunks = arrow_text(s)
    if chunks is None:
        return None
    lengths, texts = [], []
    for arr, offsets in chunks:
        n = len(arr)
        size = np.diff(offsets).astype("int64", copy=False)
        if arr.null_count:
            size = np.where(np.asarray(arr.is_valid()), size, -1)
        lengths.append(size)
        if arr.buffers()[2] is not None and offsets[n] > offsets[0]:
            texts.append(memoryview(arr.buffers()[2])[int(offsets[0]):int(offsets[n])])
    if not lengths:
        return [np.zeros(0, dtype="int64")]
    return [np.concatenate(lengths) if len(lengths) > 1 else lengths[0], *texts]


class Scratch:
    """Reusable output arrays for the nullable columns' data (two per dtype), handed
    back by the hasher once it has hashed them."""

    def __init__(self, n: int):
        self.n = n
        self.free: dict[np.dtype, queue.SimpleQueue] = {}
        self.made: dict[np.dtype, int] = {}

    def take(self, dtype: np.dtype) -> np.ndarray:
        pool = self.free.setdefault(dtype, queue.SimpleQueue())
        if pool.empty() and self.made.get(dtype, 0) < 2:
            self.made[dtype] = self.made.get(dtype, 0) + 1
            return np.empty(self.n, dtype=dtype)
        return pool.get()

    def giver(self, buf: np.ndarray) -> Callable[[], None]:
        return lambda: self.free[buf.dtype].put(buf)


def _masked_parts(arr, scratch: Scratch | None) -> list:
    """Data (zero where missing) and packed mask of a nullable column (boolean, Int64,
    Float64); bool data are written as int64, as ``np.where(mask, 0, data)`` gives."""
    mask = np.asarray(arr._mask, dtype=bool)
    data = np.asarray(arr._data)
    out_dtype = np.result_type(np.int64, data.dtype) if data.dtype == bool else data.dtype
    if scratch is None or len(data) != scratch.n:
        return [np.ascontiguousarray(np.where(mask, 0, data)), np.packbits(mask)]
    buf = scratch.take(np.dtype(out_dtype))
    np.copyto(buf, data, casting="unsafe")
    np.copyto(buf, 0, where=mask)
    return [(buf, scratch.giver(buf)), np.packbits(mask)]


def _column_parts(s: pd.Series, scratch: Scratch | None = None) -> list:
    """Canonical bytes of one column's values (the dtype is hashed separately), as
    buffers hashed one after the other (the digest of their concatenation).

    Text by :func:`_string_parts`; floats with one NaN pattern (copied only when there
    is a NaN); nullable columns as data (zero where missing) plus mask; categoricals as
    codes (the categories are in the dtype text); anything else by pandas' per-value
    hash. A part may be ``(buffer, release)``: ``release()`` once it is hashed.
    """
    text = _string_parts(s)
    if text is not None:
        return text
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return [np.ascontiguousarray(s.cat.codes.to_numpy())]
    arr = s.array
    if hasattr(arr, "_data") and hasattr(arr, "_mask"):  # boolean, Int64, Float64
        return _masked_parts(arr, scratch)
    if isinstance(dtype, np.dtype) and dtype.kind in "fiub":
        values = s.to_numpy()
        if dtype.kind == "f":
            nan = np.isnan(values)
            if nan.any():
                values = np.where(nan, np.nan, values)
        return [np.ascontiguousarray(values)]
    return [pd.util.hash_pandas_object(s, index=False).to_numpy()]


def table_parts(part: pd.DataFrame, scratch: Scratch | None = None) -> Iterator:
    """Every buffer of one table's share of the digest, in order: the JSON list of
    ``[name, dtype]``, the row count as text, the index hash, each column's bytes."""
    yield header_bytes([(str(c), _dtype_text(part[c])) for c in part.columns])
    yield str(len(part)).encode()
    yield from _index_parts(part.index)
    for i in range(part.shape[1]):
        yield from _column_parts(part.iloc[:, i], scratch)


def header_bytes(columns: list[tuple[str, str]]) -> bytes:
    """The digest's header of a table: its ``(name, dtype text)`` pairs as JSON."""
    return json.dumps([list(c) for c in columns]).encode()


def _parts(frame: pd.DataFrame, lesions: pd.DataFrame | None,
           scratch: Scratch | None) -> Iterator:
    """Every buffer of the digest, in order."""
    yield from table_parts(frame, scratch)
    yield from (table_parts(lesions) if lesions is not None else [b"<none>"])


class Hasher:
    """A sha256 fed on a second thread, in the order the buffers are given.

    ``put`` returns at once (up to four buffers wait); a buffer given as
    ``(buffer, release)`` has ``release()`` called once it is hashed. ``digest`` waits
    for the last (and raises what hashing raised, if anything); ``close`` (idempotent)
    stops the thread without a digest. A failed update never blocks ``put``: the
    thread keeps taking buffers until it is told to stop.
    """

    def __init__(self) -> None:
        self.sha = hashlib.sha256()
        self._error: BaseException | None = None
        self._work: queue.Queue = queue.Queue(maxsize=4)
        self._thread = threading.Thread(target=self._run, name="fingerprint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._work.get()) is not None:
            buf, release = item
            if self._error is None:
                try:
                    self.sha.update(buf)
                except BaseException as err:  # noqa: BLE001 - raised again by digest()
                    self._error = err
            if release is not None:
                release()

    def put(self, part) -> None:
        self._work.put(part if isinstance(part, tuple) else (part, None))

    def close(self) -> None:
        if self._thread.is_alive():
            self._work.put(None)
            self._thread.join()

    def digest(self) -> str:
        self.close()
        if self._error is not None:
            raise self._error
        return self.sha.hexdigest()


def fingerprint(frame: pd.DataFrame, lesions: pd.DataFrame | None = None) -> str:
    """Stable sha256 hex digest of a frame (and lesion table): values, names, dtypes, order.

    The digest of: per table (or ``b"<none>"``), the JSON list of ``[name, dtype]``,
    the row count as text, pandas' hash of the index values, then each column's
    canonical bytes (:func:`_column_parts`).
    """
    if frame.size >= THREAD_CELLS:
        hasher = Hasher()
        try:
            for p in _parts(frame, lesions, Scratch(len(frame))):
                hasher.put(p)
        finally:
            hasher.close()
        return hasher.digest()
    h = hashlib.sha256()
    for p in _parts(frame, lesions, None):
        h.update(p[0] if isinstance(p, tuple) else p)
    return h.hexdigest()
