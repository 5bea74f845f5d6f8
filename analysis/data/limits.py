"""Resource limits for reading a user's file: nothing a file holds may crash or stall us.

Each limit is a setting (``analysis/settings.py``, environment variable in brackets):

==================  ===========================================  ===========  =========
limit               what it bounds                               default      variable
==================  ===========================================  ===========  =========
``max_file_mb``     size of the file on disk                     500 MB       EXPLORER_MAX_FILE_MB
``max_unzipped_mb`` uncompressed size of an .xlsx (a zip), from  1000 MB      EXPLORER_MAX_UNZIPPED_MB
                    the zip directory, before anything is read
``max_rows``        data rows (declared sheet dimension, rows    5,000,000    EXPLORER_MAX_ROWS
                    met while streaming, records of a text file)
``max_columns``     columns (header fields, declared sheet       2,000        EXPLORER_MAX_COLUMNS
                    dimension, cells met while streaming)
``max_line_kb``     longest physical line of a text file         256 KB       EXPLORER_MAX_LINE_KB
==================  ===========================================  ===========  =========

Time is bounded through these: every reader does work linear in the bytes it is
allowed to read, and a limit is checked before the work that it bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis import settings as settings_mod
from analysis.data.report import Issue, ValidationReport
from analysis.errors import DataLoadError


@dataclass(frozen=True)
class Limits:
    """The limits in force for one read (see the module docstring)."""

    max_file_mb: float = 500.0
    max_unzipped_mb: float = 1000.0
    max_rows: int = 5_000_000
    max_columns: int = 2000
    max_line_kb: float = 256.0

    @classmethod
    def from_settings(cls, max_file_mb: float | None = None) -> Limits:
        """The limits of ``settings.current()``, with ``max_file_mb`` overridden if given."""
        s = settings_mod.current()
        return cls(max_file_mb=s.max_file_mb if max_file_mb is None else max_file_mb,
                   max_unzipped_mb=s.max_unzipped_mb, max_rows=s.max_rows,
                   max_columns=s.max_columns, max_line_kb=s.max_line_kb)

    @property
    def max_line_bytes(self) -> int:
        return int(self.max_line_kb * 1024)


def limit_error(code: str, message: str, setting: str) -> DataLoadError:
    """A DataLoadError for an exceeded limit; the message names the setting to raise."""
    text = f"{message} Load a smaller extract, or raise the limit ({setting})."
    return DataLoadError(text, report=ValidationReport.of([Issue("error", code, None, text)]))


def check_columns(n: int, name: str, limits: Limits, where: str = "") -> None:
    """An error if ``n`` columns exceed ``limits.max_columns``."""
    if n > limits.max_columns:
        raise limit_error("too_many_columns",
                          f"'{name}' has {n:,} columns{where}, above the limit of "
                          f"{limits.max_columns:,}.", "EXPLORER_MAX_COLUMNS")


def check_rows(n: int, name: str, limits: Limits, where: str = "") -> None:
    """An error if ``n`` rows exceed ``limits.max_rows``."""
    if n > limits.max_rows:
        raise limit_error("too_many_rows",
                          f"'{name}' has more than {limits.max_rows:,} rows{where}.",
                          "EXPLORER_MAX_ROWS")
