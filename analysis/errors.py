"""Project errors. Each message tells the user what to fix."""

from __future__ import annotations


class ExplorerError(Exception):
    """Base class for errors a user can act on; ``str(err)`` is shown as is."""


class DataLoadError(ExplorerError):
    """A file could not be loaded. ``report`` holds the full validation report, if any."""

    def __init__(self, message: str, report=None):
        super().__init__(message)
        self.report = report


class MappingError(ExplorerError):
    """The column mapping file is malformed or names unknown columns."""


class FilterSpecError(ExplorerError):
    """A filter spec (or URL query string) names an unknown key or an invalid value."""


class AnalysisError(ExplorerError):
    """An analysis cannot be run on this selection (empty group, too few rows, ...)."""
