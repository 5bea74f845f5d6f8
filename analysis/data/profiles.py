"""What each column of an uploaded file holds, as the mapping wizard shows it.

A :class:`ColumnProfile` counts a raw column's values (missing tokens as missing),
its numeric range and its most frequent values with their counts: the wizard lists
them beside each dictionary variable and in each code table. :func:`understood` says
what the loader reads a code as without a code table.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.data.cells import text_to_float
from analysis.data.schema import Variable
from analysis.data.validation import FALSE_TOKENS, LEVEL_SYNONYMS, MISSING_TOKENS, TRUE_TOKENS

#: Most frequent values listed per column in a profile.
TOP_VALUES = 25


@dataclass(frozen=True)
class ColumnProfile:
    """What a file column holds: counts, numeric range, the most frequent values."""

    name: str
    n: int
    n_missing: int
    n_distinct: int
    numeric_share: float
    minimum: float | None
    maximum: float | None
    top: tuple[tuple[str, int], ...]


def profile_column(name: str, values: pd.Series) -> ColumnProfile:
    """The profile of one raw column (text or numbers; missing tokens count as missing)."""
    text = values.astype("str").str.strip()
    missing = values.isna().to_numpy() | text.str.lower().isin(MISSING_TOKENS).to_numpy()
    present = text[~missing]
    numbers = text_to_float(present)
    ok = numbers.notna()
    counts = present.value_counts()
    return ColumnProfile(
        name=str(name), n=len(values), n_missing=int(missing.sum()),
        n_distinct=int(counts.size),
        numeric_share=float(ok.mean()) if len(present) else 0.0,
        minimum=float(numbers[ok].min()) if ok.any() else None,
        maximum=float(numbers[ok].max()) if ok.any() else None,
        top=tuple((str(k), int(v)) for k, v in counts.head(TOP_VALUES).items()))


def profile_frame(frame: pd.DataFrame) -> dict[str, ColumnProfile]:
    """Profiles of every column of a raw table, by column name."""
    return {str(c): profile_column(str(c), frame[c]) for c in frame.columns}


def understood(var: Variable, value: str) -> object:
    """What the loader reads ``value`` as without a code table ('' when it cannot)."""
    low = value.strip().lower()
    if var.is_binary:
        return True if low in TRUE_TOKENS else False if low in FALSE_TOKENS else ""
    levels = {lev.lower(): lev for lev in (var.levels or ())}
    return levels.get(low) or LEVEL_SYNONYMS.get(var.name, {}).get(low, "")


__all__ = ["ColumnProfile", "profile_column", "profile_frame", "understood"]
