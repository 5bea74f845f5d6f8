"""Work on the columns of a large table on several threads, results in column order.

The column parsers spend their time in NumPy and Arrow, which release the GIL, so a
second core parses other columns meanwhile.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import pandas as pd

#: Parse the columns on several threads from this many cells (rows x columns) on.
PARALLEL_CELLS = 2_000_000


class ColumnSink(Protocol):
    """Receives the parsed columns of a table one by one (see ``validate_table``)."""

    def begin(self, names: list[str], rows: int) -> None:
        """The columns that will be given, in this order, and the row count."""

    def add(self, name: str, column: pd.Series) -> None:
        """One parsed column, in the order given to :meth:`begin`."""


def map_columns(work: Callable, names: list[str], raw: pd.DataFrame) -> Iterator:
    """``work(name)`` for each name, in ``names`` order, on up to four threads for a
    large table (each result as soon as it and those before it are done).

    Threads only when every column of ``raw`` is its own block (as the text reader
    gives them): columns sharing a block share its copy-on-write bookkeeping, which is
    not meant to be updated from two threads at once.
    """
    workers = min(4, os.cpu_count() or 1, len(names))
    # pandas' block count (internal: a pandas without it gets the serial path)
    blocks = getattr(getattr(raw, "_mgr", None), "nblocks", None)
    if workers < 2 or len(raw) * len(names) < PARALLEL_CELLS or blocks != raw.shape[1]:
        yield from (work(name) for name in names)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="validate") as pool:
        yield from pool.map(work, names)
