"""Excel .xlsx -> raw cells, streamed with bounded memory and checked cell by cell.

An .xlsx is a zip of XML files. Before anything is parsed, the zip directory's
uncompressed sizes are checked against ``max_unzipped_mb`` (zipfile never inflates a
member past its declared size, so the check bounds the work). The sheet's declared
dimension (``<dimension ref>``) is checked against ``max_rows`` / ``max_columns``; the
cells are then streamed with openpyxl's read-only mode (its row padding switched off
with ``reset_dimensions``, so one far-away cell cannot make millions of empty ones)
and every cell position is checked against the limits as it is met.

Excel error values (``#DIV/0!``, ``#N/A``, ...) and formulas saved without a cached
value are reported with their cell references (A1 style), never read as missing.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter

from analysis.data.headers import HEADER_SEARCH_ROWS, dedupe_names, guess_header, header_issue
from analysis.data.limits import Limits, check_columns, check_rows, limit_error
from analysis.data.report import Issue
from analysis.data.text_reader import TextReadError

MAX_CELLS_SHOWN = 5


@dataclass(frozen=True)
class SheetCells:
    frame: pd.DataFrame
    sheet: str
    header_row: int
    issues: tuple[Issue, ...]


def check_zip(path: Path, limits: Limits) -> None:
    """Check the uncompressed sizes in the zip directory before any member is read."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise TextReadError([Issue("error", "unreadable", None,
                                   f"'{path.name}' is not a readable .xlsx workbook (it is not "
                                   "a zip archive). Save it again from Excel as .xlsx.")]) from None
    total = sum(i.file_size for i in infos)
    limit = limits.max_unzipped_mb * 1e6
    if total > limit:
        big = max(infos, key=lambda i: i.file_size)
        raise limit_error("unzipped_too_large",
                          f"'{path.name}' unpacks to {total / 1e6:,.0f} MB (its largest part, "
                          f"{big.filename}, to {big.file_size / 1e6:,.0f} MB), above the limit "
                          f"of {limits.max_unzipped_mb:g} MB.", "EXPLORER_MAX_UNZIPPED_MB")


def _open(path: Path, data_only: bool):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except Exception as err:  # noqa: BLE001 - openpyxl raises many unrelated types
        kind = type(err).__name__
        raise TextReadError([Issue("error", "unreadable", None,
                                   f"'{path.name}' is not a readable .xlsx workbook ({kind}). "
                                   "Save it again from Excel as .xlsx.")]) from None


def _check_dimension(ws, name: str, sheet: str, limits: Limits) -> None:
    rows, cols = ws.max_row, ws.max_column
    where = f" in sheet '{sheet}' (its declared dimension)"
    if cols is not None:
        check_columns(cols, name, limits, where)
    if rows is not None:
        check_rows(rows - 1, name, limits, where)


def _stream(ws, name: str, sheet: str, limits: Limits, max_rows: int | None = None):
    """Rows of cells as (values, errors, formulas) with positions checked on the way."""
    ws.reset_dimensions()
    values: list[list[object]] = []
    errors: list[tuple[int, int, str]] = []
    formulas: list[tuple[int, int]] = []
    for r, row in enumerate(ws.iter_rows(), start=1):
        if max_rows is not None and r > max_rows:
            break
        if r > limits.max_rows + HEADER_SEARCH_ROWS:
            check_rows(r, name, limits, f" in sheet '{sheet}'")
        if len(row) > limits.max_columns:
            raise limit_error("too_many_columns",
                              f"sheet '{sheet}' of '{name}' has a cell in column "
                              f"{get_column_letter(len(row))} (row {r}), beyond the limit of "
                              f"{limits.max_columns:,} columns.", "EXPLORER_MAX_COLUMNS")
        out = []
        for c, cell in enumerate(row, start=1):
            v = getattr(cell, "value", None)
            kind = getattr(cell, "data_type", None)
            if kind == "e":
                errors.append((r, c, str(v)))
                v = None
            elif kind == "f":
                formulas.append((r, c))
                v = None
            out.append(v)
        values.append(out)
    while values and all(v is None or (isinstance(v, str) and not v.strip())
                         for v in values[-1]):
        values.pop()
    return values, errors, formulas


def _cached(path: Path, sheet: str, cells: list[tuple[int, int]]) -> dict[tuple[int, int], object]:
    """The saved values of formula cells (``None`` where the file holds none)."""
    wanted = set(cells)
    rows = {r for r, _ in cells}
    out: dict[tuple[int, int], object] = {}
    wb = _open(path, data_only=True)
    try:
        ws = wb[sheet]
        ws.reset_dimensions()
        for r, row in enumerate(ws.iter_rows(max_row=max(rows)), start=1):
            if r not in rows:
                continue
            for c, cell in enumerate(row, start=1):
                if (r, c) in wanted:
                    out[(r, c)] = getattr(cell, "value", None)
    finally:
        wb.close()
    return out


def _cell_issues(kind: str, cells: list[tuple[int, int, str]], names: list[str],
                 header_row: int, sheet: str) -> list[Issue]:
    """One error per column for Excel error values or formulas without a saved value."""
    by_col: dict[int, list[tuple[int, int, str]]] = {}
    for r, c, v in cells:
        if r > header_row:
            by_col.setdefault(c, []).append((r, c, v))
    issues = []
    for c, found in sorted(by_col.items()):
        col = names[c - 1] if c - 1 < len(names) else get_column_letter(c)
        refs = ", ".join(f"{get_column_letter(cc)}{r}" + (f" {v}" if v else "")
                         for r, cc, v in found[:MAX_CELLS_SHOWN])
        more = f", ... (first {MAX_CELLS_SHOWN} of {len(found)})" if len(found) > MAX_CELLS_SHOWN else ""
        rows = tuple(r - header_row for r, _, _ in found[:MAX_CELLS_SHOWN])
        if kind == "error":
            msg = (f"{len(found)} cell(s) of column '{col}' in sheet '{sheet}' hold Excel error "
                   f"values: {refs}{more}. They are not read as missing: fix the formulas in "
                   "Excel, or clear the cells for a missing value.")
            code = "excel_error_cell"
        else:
            msg = (f"{len(found)} formula cell(s) of column '{col}' in sheet '{sheet}' have no "
                   f"saved value: {refs}{more}. The file was written by a program that does "
                   "not calculate formulas; open and save it in Excel or LibreOffice, or paste "
                   "the values.")
            code = "formula_without_value"
        issues.append(Issue("error", code, col, msg, rows, len(found)))
    return issues


def _resolve_formulas(path: Path, sheet: str, values: list[list[object]],
                      formulas: list[tuple[int, int]]) -> tuple[list[tuple[int, int, str]], int]:
    """Fill formula cells with their saved values; the ones without, and how many were filled."""
    if not formulas:
        return [], 0
    cached = _cached(path, sheet, formulas)
    missing = []
    filled = 0
    for r, c in formulas:
        v = cached.get((r, c))
        if v is None:
            missing.append((r, c, ""))
        elif r - 1 < len(values):
            values[r - 1][c - 1] = v
            filled += 1
    return missing, filled


def _other_sheet_hint(wb, chosen: str, score: int, expected: frozenset[str], name: str,
                      limits: Limits) -> list[Issue]:
    best, best_score = None, score
    for other in wb.sheetnames:
        if other == chosen:
            continue
        ws = wb[other]
        try:
            _check_dimension(ws, name, other, limits)
            rows, _, _ = _stream(ws, name, other, limits, max_rows=HEADER_SEARCH_ROWS)
        except Exception:  # noqa: BLE001 - a hint only; a bad other sheet gives none
            continue
        guess = guess_header(rows, expected)
        if guess is not None and guess.score > best_score:
            best, best_score = other, guess.score
    if best is None or best_score < 2:
        return []
    return [Issue("warning", "other_sheet", None,
                  f"sheet '{chosen}' of '{name}' does not look like the patient table "
                  f"({score} expected column names); sheet '{best}' holds {best_score}. "
                  f"Choose it with --sheet \"{best}\" (or `sheet = \"{best}\"` in the mapping).")]


def read_xlsx(path: Path, sheet: str | None, limits: Limits, *, header_row: int | None,
              expected: frozenset[str]) -> SheetCells:
    """Read one sheet (the first unless ``sheet`` is given) as raw cells.

    Raises
    ------
    TextReadError
        Unreadable workbook, unknown sheet (issues name the sheets).
    DataLoadError
        A resource limit is exceeded.
    """
    from analysis.data.validation import suggest

    check_zip(path, limits)
    wb = _open(path, data_only=False)
    try:
        names = [str(s) for s in wb.sheetnames]
        if sheet is not None and sheet not in names:
            hint = suggest(sheet, names)
            near = f" Did you mean '{hint[0]}'?" if hint else ""
            raise TextReadError([Issue(
                "error", "unknown_sheet", None,
                f"'{path.name}' has no sheet named '{sheet}'.{near} Sheets in the file: "
                f"{', '.join(repr(n) for n in names)}.")])
        chosen = sheet or names[0]
        ws = wb[chosen]
        _check_dimension(ws, path.name, chosen, limits)
        values, errors, formulas = _stream(ws, path.name, chosen, limits)
        guess = guess_header(values, expected)
        hrow = header_row or 1
        issues = header_issue(guess, hrow, f"sheet '{chosen}'")
        score = guess.score if guess is not None else 0
        if score < 2 and len(names) > 1:
            issues += _other_sheet_hint(wb, chosen, score, expected, path.name, limits)
    finally:
        wb.close()
    if hrow > max(len(values), 1):
        raise TextReadError(issues + [Issue(
            "error", "header_row", None,
            f"the mapping sets `header_row = {hrow}` but sheet '{chosen}' has only "
            f"{len(values)} row(s).")])
    missing, filled = _resolve_formulas(path, chosen, values, formulas)
    header = values[hrow - 1] if values else []
    data = values[hrow:]
    width = max([len(header)] + [len(r) for r in data])
    names_out, dup = dedupe_names(list(header) + [None] * (width - len(header)),
                                  f"sheet '{chosen}'")
    issues += dup
    issues += _cell_issues("error", errors, names_out, hrow, chosen)
    issues += _cell_issues("formula", missing, names_out, hrow, chosen)
    if filled:
        issues.append(Issue("info", "formula_values", None,
                            f"{filled} formula cell(s) in sheet '{chosen}' were read from the "
                            "values Excel saved with them.", (), filled,
                            conversion=f"{filled} formula cell(s) read as their saved values"))
    if hrow > 1:
        issues.append(Issue("info", "rows_above_header", None,
                            f"the {hrow - 1} row(s) above the header (row {hrow}) of sheet "
                            f"'{chosen}' are not data and were skipped.", (), hrow - 1,
                            conversion=f"{hrow - 1} row(s) above the header skipped"))
    padded = [r + [None] * (width - len(r)) for r in data]
    frame = pd.DataFrame(padded, columns=names_out, dtype=object) if padded else \
        pd.DataFrame({n: pd.Series([], dtype=object) for n in names_out})
    return SheetCells(frame, chosen, hrow, tuple(issues))
