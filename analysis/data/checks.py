"""Checks of the whole table once every column is parsed.

A column can parse cleanly and still make the study impossible: a required column
that is entirely empty (an error), a default covariate that is entirely empty, or
every patient in one calcification group (warnings: the file loads, but the report
says what the adjusted comparison will lack and what to do).
"""

from __future__ import annotations

import pandas as pd

from analysis.data.report import Issue
from analysis.data.schema import DEFAULT_COVARIATES, GROUP, GROUP_LEVELS, VARIABLES
from analysis.data.validation import describe_column


def table_issues(frame: pd.DataFrame, required: list[str], file_columns: dict[str, str],
                 refused: set[str] | frozenset[str] = frozenset()) -> list[Issue]:
    """Issues about whole columns of the parsed patient table.

    Parameters
    ----------
    frame : DataFrame
        The parsed table (dictionary names).
    required : list of str
        Required columns expected in ``frame``.
    file_columns : dict
        Dictionary name -> the file's column name, for messages.
    refused : set of str
        Columns with an error already (their values were refused, so they may look
        empty without being empty in the file).
    """
    if len(frame) == 0:
        return []
    issues: list[Issue] = []
    empty = [c for c in frame.columns if c not in refused and _entirely_empty(frame[c])]
    for name in empty:
        col = describe_column(name, file_columns.get(name))
        if name in required:
            issues.append(Issue(
                "error", "empty_required_column", name,
                f"required column {col} is entirely empty ({len(frame)} rows, no value). "
                f"Map the column that holds it in [columns] ({name} = \"...\"), or fill it in.",
                (), len(frame)))
        elif name in DEFAULT_COVARIATES:
            issues.append(Issue(
                "warning", "empty_default_covariate", name,
                f"{col} is entirely empty, and it is one of the default adjustment covariates "
                f"({', '.join(DEFAULT_COVARIATES)}): the default adjusted comparison would use no "
                "row. Map the column that holds it in [columns], or leave it out of the "
                "covariates on the Comparison page.", (), len(frame)))
    if GROUP in frame.columns and GROUP not in empty and GROUP not in refused:
        counts = frame[GROUP].value_counts()
        absent = [lv for lv in GROUP_LEVELS if counts.get(lv, 0) == 0]
        if absent:
            present = ", ".join(f"'{k}' {v}" for k, v in counts.items() if v)
            issues.append(Issue(
                "warning", "single_group", GROUP,
                f"no patient is in calcification group {' or '.join(repr(a) for a in absent)} "
                f"(groups found: {present}), so spotty and no calcification cannot be "
                f"compared. Check the codes of {describe_column(GROUP, file_columns.get(GROUP))}"
                f" ([codes.{GROUP}] in the mapping; levels: "
                f"{', '.join(VARIABLES[GROUP].levels or ())}).", (), len(frame)))
    return issues


def _entirely_empty(column: pd.Series) -> bool:
    """Whether every value is missing (a column with a first value is not: no scan)."""
    return bool(pd.isna(column.iloc[0])) and bool(column.isna().all())
