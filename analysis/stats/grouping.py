"""Input checks and group selection shared by the descriptive statistics.

Every descriptive function takes a validated patient frame, a group column and the
group levels to compare. These helpers check the names against the frame and the
data dictionary, raise :class:`~analysis.errors.AnalysisError` with a message that
says what to fix, and split a column by group without modifying the input.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.data.schema import VARIABLES, outcomes
from analysis.errors import AnalysisError


def check_frame(data: object) -> pd.DataFrame:
    """Return ``data`` if it is a DataFrame, else raise an AnalysisError."""
    if not isinstance(data, pd.DataFrame):
        raise AnalysisError(
            f"Expected a pandas DataFrame of patients, got {type(data).__name__}. "
            "Load the data with analysis.data.loader.load_dataset and pass its .frame."
        )
    return data


def check_levels(data: pd.DataFrame, group: str, levels: Sequence[str]) -> tuple[str, ...]:
    """Check the group column and levels; return the levels as a tuple of str.

    Raises
    ------
    AnalysisError
        If ``group`` is not a column of ``data``, ``levels`` is empty or repeats a
        level, or (for a dictionary column with fixed levels) names a level the
        dictionary does not allow.
    """
    if group not in data.columns:
        raise AnalysisError(
            f"Group column '{group}' is not in the data; available columns: "
            f"{', '.join(map(str, data.columns)) or '(none)'}."
        )
    if isinstance(levels, str):
        levels = (levels,)
    levels = tuple(str(lv) for lv in levels)
    if not levels:
        raise AnalysisError(f"No levels of '{group}' were chosen; choose at least one.")
    if len(set(levels)) != len(levels):
        raise AnalysisError(f"Levels of '{group}' repeat: {levels}. Give each level once.")
    var = VARIABLES.get(group)
    if var is not None and var.levels:
        unknown = [lv for lv in levels if lv not in var.levels]
        if unknown:
            raise AnalysisError(
                f"Unknown level(s) {', '.join(map(repr, unknown))} of '{group}'; "
                f"allowed: {', '.join(var.levels)}."
            )
    return levels


def numeric_columns(data: pd.DataFrame) -> list[str]:
    """Numeric (float or integer, not boolean) columns of ``data``; outcomes first."""
    def is_num(col: str) -> bool:
        dtype = data[col].dtype
        return (pd.api.types.is_numeric_dtype(dtype)
                and not pd.api.types.is_bool_dtype(dtype))

    first = [v.name for v in outcomes() if v.name in data.columns and is_num(v.name)]
    rest = [str(c) for c in data.columns if str(c) not in first and is_num(c)]
    return first + rest


def check_numeric(data: pd.DataFrame, column: str, *, what: str = "variable") -> str:
    """Check that ``column`` is a numeric column of ``data``.

    Raises
    ------
    AnalysisError
        Naming the column and the numeric columns that are allowed.
    """
    allowed = numeric_columns(data)
    if not isinstance(column, str) or column not in allowed:
        reason = ("is not in the data" if column not in data.columns
                  else "is not numeric")
        raise AnalysisError(
            f"The {what} '{column}' {reason}. Choose a numeric column: "
            f"{', '.join(allowed) if allowed else '(none present)'}."
        )
    return column


def as_float(values: pd.Series) -> np.ndarray:
    """A float64 array with NaN for missing values (works for Int64 and float64).

    A float64 column is returned without a copy: treat the array as read-only.
    """
    if values.dtype == np.float64:
        return values.to_numpy()
    return pd.to_numeric(values, errors="coerce").astype("float64").to_numpy(na_value=np.nan)


def codes_of(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(integer code per row, -1 where missing; the text of each code) of a column.

    A categorical column gives its own codes (no pass over the rows); any other
    column is factorised. Codes compare values as text, like ``astype("str")``.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.array.codes, [str(c) for c in values.array.categories]
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, [str(u) for u in uniques]


def level_codes(values: pd.Series, levels: Sequence[str]) -> np.ndarray:
    """Per row the position of its value in ``levels``; -1 if missing or not among them."""
    codes, labels = codes_of(values)
    position = {lv: i for i, lv in enumerate(levels)}
    lookup = np.array([position.get(label, -1) for label in labels] + [-1], dtype=np.int64)
    return lookup[codes]  # code -1 (missing) reads the last slot


def group_mask(data: pd.DataFrame, group: str, level: str) -> np.ndarray:
    """Boolean array: rows whose group equals ``level`` (missing group -> False)."""
    codes, labels = codes_of(data[group])
    if level not in labels:
        return np.zeros(len(codes), dtype=bool)
    return codes == labels.index(level)


def outside_note(data: pd.DataFrame, group: str, levels: Sequence[str]) -> str | None:
    """A note counting rows left out because their group is not among ``levels``."""
    codes, labels = codes_of(data[group])
    counts = np.bincount(codes + 1, minlength=len(labels) + 1)  # slot 0: missing
    missing = int(counts[0])
    other: dict[str, int] = {}
    for label, n in zip(labels, counts[1:], strict=True):
        if n and label not in levels:
            other[label] = other.get(label, 0) + int(n)
    parts = [f"{lv}: {n}" for lv, n in sorted(other.items())]
    if missing:
        parts.append(f"missing {group}: {missing}")
    if not parts:
        return None
    total = missing + sum(other.values())
    return (f"{total} row(s) outside the compared levels of '{group}' are not included "
            f"({'; '.join(parts)}).")


def split_numeric(data: pd.DataFrame, column: str, group: str,
                  levels: Sequence[str]) -> dict[str, tuple[np.ndarray, int]]:
    """Per level: (non-missing float values in row order, number of missing values)."""
    values = as_float(data[column])
    known = ~np.isnan(values)
    codes = level_codes(data[group], levels)
    out: dict[str, tuple[np.ndarray, int]] = {}
    for i, lv in enumerate(levels):
        in_level = codes == i
        use = in_level & known
        out[lv] = (values[use], int(np.count_nonzero(in_level) - np.count_nonzero(use)))
    return out
