"""The fingerprint of a patient table hashed while the table is being validated.

:func:`~analysis.data.fingerprint.fingerprint` hashes a finished frame; for a large
file the loader instead hands each column to a :class:`ColumnStream` as soon as it is
parsed (``validate_table(..., sink=stream)``), and a second thread hashes it while
the next columns are parsed. The digest is the same: the stream predicts the frame's
header (names in dictionary order, the derived columns included; dtypes from the data
dictionary, and from the parsed column itself for an open set such as ``trial``), and
:meth:`ColumnStream.finish` checks the finished frame against what it hashed - the same
header, a 0..n-1 index, and every hashed column still the frame's own data - before it
hashes the derived columns and the lesion table. If anything differs (a lesion file
that replaced the groups, say) it hashes the finished frame from the start.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.data.derive import derived_names
from analysis.data.fingerprint import (
    THREAD_CELLS,
    Hasher,
    Scratch,
    _column_parts,
    _dtype_text,
    _index_parts,
    fingerprint,
    header_bytes,
    table_parts,
)
from analysis.data.schema import Variable


@functools.lru_cache(maxsize=256)
def predicted_dtype(var: Variable) -> str | None:
    """The dtype text a validated column of ``var`` has; ``None`` when the data decide
    it (an open set of categories). Kept per variable (pandas takes a while)."""
    dtype = var.pandas_dtype()
    if isinstance(dtype, pd.CategoricalDtype):
        return _dtype_text(pd.Series(pd.Categorical([], dtype=dtype)))
    return None if dtype == "category" else str(pd.Series([], dtype=dtype).dtype)


def _memory(s: pd.Series) -> tuple | None:
    """Where a column's values live: the address, shape and strides of each NumPy
    array behind it, or of each Arrow buffer (``None`` for any other storage)."""
    def at(a: np.ndarray) -> tuple:
        return (a.__array_interface__["data"][0], a.shape, a.strides, a.dtype.str)

    arr = s.array
    if isinstance(s.dtype, np.dtype):
        return (at(s.to_numpy()),)
    if hasattr(arr, "_data") and hasattr(arr, "_mask"):      # boolean, Int64, Float64
        return (at(np.asarray(arr._data)), at(np.asarray(arr._mask)))
    if isinstance(arr, pd.Categorical):
        return (at(arr.codes),)
    data = getattr(arr, "_pa_array", None)
    if data is not None:
        return tuple((c.offset, len(c), tuple((b.address, b.size) if b is not None else None
                                             for b in c.buffers())) for c in data.chunks)
    return None


def same_data(a: pd.Series, b: pd.Series) -> bool:
    """Whether two columns of the same dtype are views of the very same memory.

    Copy-on-write never changes shared NumPy data in place, and Arrow buffers never
    change, so the same memory means the same values.
    """
    if a.dtype != b.dtype or len(a) != len(b):
        return False
    where = _memory(a)
    return where is not None and where == _memory(b)


class ColumnStream:
    """Hashes a patient table column by column while it is validated (a ``ColumnSink``).

    Only for tables of at least :data:`~analysis.data.fingerprint.THREAD_CELLS` cells;
    a smaller one is hashed at :meth:`finish`. Call :meth:`close` when the load stops
    before :meth:`finish` (an error): it ends the hashing thread.
    """

    def __init__(self, variables: Mapping[str, Variable]):
        self.variables = variables
        self.rows = 0
        self.order: list[str] = []
        self.dtypes: dict[str, str | None] = {}
        self.columns: dict[str, pd.Series] = {}
        self.fed = 0
        self.header: bytes | None = None
        self.hasher: Hasher | None = None
        self.scratch: Scratch | None = None

    def begin(self, names: list[str], rows: int) -> None:
        present = set(names) | set(derived_names(names))
        order = [v for v in self.variables if v in present]
        if rows * len(order) < THREAD_CELLS or not set(names) <= set(order):
            return
        self.rows, self.order = rows, order
        self.dtypes = {v: predicted_dtype(self.variables[v]) for v in order}
        self.hasher, self.scratch = Hasher(), Scratch(rows)

    def add(self, name: str, column: pd.Series) -> None:
        if self.hasher is None:
            return
        self.columns[name] = column
        if self.header is None:
            self.dtypes[name] = _dtype_text(column)
        self._feed()

    def _feed(self) -> None:
        """Hash what is ready, in order: the header once every dtype is known, then
        each column whose turn it is."""
        if self.header is None:
            if any(d is None for d in self.dtypes.values()):
                return
            self.header = header_bytes([(c, self.dtypes[c]) for c in self.order])
            for part in (self.header, str(self.rows).encode(),
                         *_index_parts(pd.RangeIndex(self.rows))):
                self.hasher.put(part)
        while self.fed < len(self.order) and self.order[self.fed] in self.columns:
            for part in _column_parts(self.columns[self.order[self.fed]], self.scratch):
                self.hasher.put(part)
            self.fed += 1

    def _matches(self, frame: pd.DataFrame) -> bool:
        """Whether ``frame`` is the table whose beginning was hashed."""
        if self.header is None or list(frame.columns) != self.order:
            return False
        actual = header_bytes([(str(c), _dtype_text(frame[c])) for c in frame.columns])
        return (actual == self.header and isinstance(frame.index, pd.RangeIndex)
                and frame.index.equals(pd.RangeIndex(self.rows))
                and all(same_data(self.columns[c], frame[c]) for c in self.order[:self.fed]))

    def finish(self, frame: pd.DataFrame, lesions: pd.DataFrame | None) -> str:
        """The fingerprint of the finished ``frame`` and ``lesions``."""
        if self.hasher is None or not self._matches(frame):
            self.close()
            return fingerprint(frame, lesions)
        try:
            for name in self.order[self.fed:]:
                self.columns[name] = frame[name]
            self._feed()
            for part in (table_parts(lesions) if lesions is not None else [b"<none>"]):
                self.hasher.put(part)
        except BaseException:
            self.close()
            raise
        return self.hasher.digest()

    def close(self) -> None:
        """Stop the hashing thread (idempotent)."""
        if self.hasher is not None:
            self.hasher.close()
