"""The validation report: every problem found in a file, and every conversion made.

One :class:`ValidationReport` serves the command line (``to_text``), the browser
(``to_frame`` / ``to_dict``) and an API result (``to_json``). Mapping problems and
data problems travel in the same report, so one round of fixes is enough.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

#: How row numbers in messages are counted (shown with every report).
ROW_NOTE = ("Row numbers count data rows from 1: row 1 is the first row below the header "
            "(spreadsheet line 2).")

Severity = str  # "error" | "warning" | "info"
_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Issue:
    """One problem found in a file (or one conversion made while reading it).

    Attributes
    ----------
    severity : {"error", "warning", "info"}
        An error stops the load; a warning is shown and the value kept; info is a note.
    code : str
        Machine-readable kind, e.g. ``"not_a_number"``, ``"missing_column"``.
    column : str or None
        Dictionary column (or file column) concerned.
    message : str
        What is wrong and what to do, in plain words.
    rows : tuple of int
        The first few affected data rows, 1-based (see :data:`ROW_NOTE`).
    count : int
        How many rows (or values) are affected.
    conversion : str or None
        When the loader changed how values are represented (a unit, a code, a value
        label, a missing-value code, a thousands separator), a short description of
        that change; such issues are listed in :attr:`ValidationReport.conversions`
        and in the dataset's provenance.
    """

    severity: Severity
    code: str
    column: str | None
    message: str
    rows: tuple[int, ...] = ()
    count: int = 0
    conversion: str | None = None

    def to_dict(self) -> dict:
        """The issue as plain JSON-ready values."""
        return {"severity": self.severity, "code": self.code, "column": self.column,
                "message": self.message, "rows": list(self.rows), "count": self.count,
                "conversion": self.conversion}


@dataclass(frozen=True)
class ValidationReport:
    """All issues found while loading one file (errors first)."""

    issues: tuple[Issue, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, issues: Iterable[Issue]) -> ValidationReport:
        """A report holding ``issues`` sorted by severity (stable within a severity)."""
        return cls(tuple(sorted(issues, key=lambda i: _ORDER.get(i.severity, 3))))

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def infos(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "info")

    @property
    def conversions(self) -> tuple[Issue, ...]:
        """The issues that record a conversion of values (see :attr:`Issue.conversion`)."""
        return tuple(i for i in self.issues if i.conversion)

    def to_text(self) -> str:
        """The report as plain text, one line per issue, errors first."""
        if not self.issues:
            return "No problems found."
        head = (f"{len(self.errors)} error(s), {len(self.warnings)} warning(s), "
                f"{len(self.infos)} note(s). {ROW_NOTE}")
        lines = [head]
        lines += [f"{i.severity.upper():7s} {i.message}" for i in self.issues]
        if self.conversions:
            lines.append("Conversions made while reading:")
            lines += [f"  - {i.column or 'file'}: {i.conversion}" for i in self.conversions]
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """The issues as a table: severity, code, column, message, rows, count."""
        return pd.DataFrame(
            {"severity": [i.severity for i in self.issues],
             "code": [i.code for i in self.issues],
             "column": [i.column or "" for i in self.issues],
             "message": [i.message for i in self.issues],
             "rows": [", ".join(map(str, i.rows)) for i in self.issues],
             "count": [i.count for i in self.issues]},
            columns=["severity", "code", "column", "message", "rows", "count"])

    def to_dict(self) -> dict:
        """The report as plain values: ``ok``, counts, ``issues``, ``conversions``, ``row_note``.

        The same structure is shown by the command line (``--json``), the browser and
        API results; it holds only the messages, never a path or a traceback.
        """
        return {"ok": self.ok, "errors": len(self.errors), "warnings": len(self.warnings),
                "notes": len(self.infos), "row_note": ROW_NOTE,
                "issues": [i.to_dict() for i in self.issues],
                "conversions": [{"column": i.column, "conversion": i.conversion,
                                 "count": i.count} for i in self.conversions]}

    def to_json(self, **kwargs) -> str:
        """:meth:`to_dict` as a JSON string (``kwargs`` go to ``json.dumps``)."""
        return json.dumps(self.to_dict(), **kwargs)
