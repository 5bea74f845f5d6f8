"""Unadjusted progression summary: change in atheroma by group.

For an outcome such as ΔPAV (follow-up minus baseline) this gives, per group, the
distribution of the change, a one-sample t-test of "no change", the number and
percentage of patients with regression (change < 0), a test comparing the
percentage with regression between the two groups (chi-square without continuity
correction; Fisher exact when an expected count is below 5), and the unadjusted
difference in mean change (``levels[1]`` minus ``levels[0]``, i.e. spotty - none)
with a Welch t-test. Adjusted (ANCOVA) estimates live in :mod:`analysis.stats.linear.ancova`.

Rows with a missing outcome are excluded and counted per group (``n_missing``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.data.schema import GROUP, GROUP_LEVELS
from analysis.errors import AnalysisError
from analysis.stats import hypothesis_tests as st
from analysis.stats.grouping import (
    check_frame,
    check_levels,
    check_numeric,
    outside_note,
    split_numeric,
)

BY_GROUP_COLUMNS = ["level", "n", "n_missing", "mean", "sd", "se", "ci_low", "ci_high",
                    "median", "q1", "q3", "t", "df", "p_change", "test_change",
                    "n_regression", "pct_regression"]


@dataclass(frozen=True)
class ProgressionSummary:
    """Per-group change in an outcome, with tests.

    Attributes
    ----------
    dv : str
        The outcome column summarised.
    by_group : pandas.DataFrame
        One row per level. Columns: ``level``; ``n`` (non-missing outcome values);
        ``n_missing``; ``mean``, ``sd`` (ddof=1), ``se`` (sd / sqrt(n)), ``ci_low``,
        ``ci_high`` (95% t interval of the mean); ``median``, ``q1``, ``q3`` (numpy
        linear interpolation); ``t``, ``df``, ``p_change`` and ``test_change``
        (``"one-sample t-test vs 0"``); ``n_regression`` (outcome < 0) and
        ``pct_regression`` (0-100, denominator ``n``).
    regression_test : pandas.DataFrame
        One row: ``test`` (``"chi-square"`` or ``"Fisher exact"``), ``statistic``
        (chi-square, or the sample odds ratio for Fisher), ``statistic_name``, ``df``,
        ``p``, ``note``.
    difference_test : pandas.DataFrame
        One row: ``contrast`` (``"spotty - none"``), ``estimate``, ``se``, ``df``,
        ``ci_low``, ``ci_high`` (95% Welch-Satterthwaite interval), ``t``, ``p``,
        ``test`` (``"Welch t-test"``), ``n`` (outcome values used), ``note``.
    n_missing : dict
        Level -> rows excluded because the outcome is missing.
    levels : tuple of str
        The compared levels.
    notes : tuple of str
        Exclusions, empty groups, reasons a test could not be run.
    """

    dv: str
    by_group: pd.DataFrame
    regression_test: pd.DataFrame
    difference_test: pd.DataFrame
    n_missing: dict[str, int]
    levels: tuple[str, ...]
    notes: tuple[str, ...]


def _group_row(level: str, x: np.ndarray, missing: int) -> dict:
    n = len(x)
    q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75]) if n else (math.nan,) * 3
    s = st.sd(x)
    lo, hi = st.mean_ci(x)
    test = st.one_sample_test(x)
    k = int((x < 0).sum())
    return {"level": level, "n": n, "n_missing": missing,
            "mean": float(np.mean(x)) if n else math.nan, "sd": s,
            "se": s / math.sqrt(n) if n >= 2 else math.nan, "ci_low": lo, "ci_high": hi,
            "median": float(med), "q1": float(q1), "q3": float(q3),
            "t": test.statistic, "df": test.df, "p_change": test.p,
            "test_change": test.test, "n_regression": k,
            "pct_regression": 100.0 * k / n if n else math.nan, "note": test.note}


def progression_summary(data: pd.DataFrame, dv: str, *, group: str = GROUP,
                        levels: Sequence[str] = GROUP_LEVELS) -> ProgressionSummary:
    """Summarise the change ``dv`` per group and compare the two groups.

    Parameters
    ----------
    data : pandas.DataFrame
        Validated patient frame with derived columns. Not modified.
    dv : str
        Outcome column (``"delta_pav"``, ``"delta_tav"`` or another numeric column).
    group : str
        Group column (default ``"calcification"``).
    levels : sequence of str
        Exactly two levels; the contrast is ``levels[1] - levels[0]``.

    Returns
    -------
    ProgressionSummary

    Raises
    ------
    AnalysisError
        ``dv`` is not a numeric column of ``data`` (the message lists the allowed
        ones); unknown group column or level; not exactly two levels.
    """
    data = check_frame(data)
    check_numeric(data, dv, what="outcome")
    levels = check_levels(data, group, levels)
    if len(levels) != 2:
        raise AnalysisError(
            f"A progression comparison needs exactly two levels of '{group}' "
            f"(got {', '.join(levels)}); choose two, e.g. {', '.join(GROUP_LEVELS)}."
        )
    parts = split_numeric(data, dv, group, levels)
    rows = [_group_row(lv, x, m) for lv, (x, m) in parts.items()]
    notes: list[str] = []
    if (outside := outside_note(data, group, levels)) is not None:
        notes.append(outside)
    for r in rows:
        if r["n_missing"]:
            notes.append(f"{r['n_missing']} row(s) of group '{r['level']}' have no "
                         f"{dv} and are excluded.")
        if r["n"] == 0:
            notes.append(f"Group '{r['level']}' has no {dv} values; its tests cannot be run.")
        elif r["note"]:
            notes.append(f"Group '{r['level']}': {r['note']}")
    by_group = pd.DataFrame.from_records(rows, columns=BY_GROUP_COLUMNS)
    for col in ("n", "n_missing", "n_regression"):
        by_group[col] = by_group[col].astype("Int64")
    by_group["level"] = by_group["level"].astype("str")
    by_group["test_change"] = by_group["test_change"].astype("str")

    (x_b, _), (x_a, _) = parts[levels[0]], parts[levels[1]]
    table = np.array([[(x_a < 0).sum(), (x_b < 0).sum()],
                      [(x_a >= 0).sum(), (x_b >= 0).sum()]])
    reg = st.count_test(table)
    if reg.note:
        notes.append(f"Regression test: {reg.note}")
    regression_test = pd.DataFrame([{
        "test": reg.test, "statistic": reg.statistic,
        "statistic_name": "odds ratio" if reg.test == st.FISHER else "chi-square",
        "df": reg.df, "p": reg.p, "note": reg.note}])

    diff = st.welch_difference(x_a, x_b)
    if diff.note:
        notes.append(f"Difference test: {diff.note}")
    difference_test = pd.DataFrame([{
        "contrast": f"{levels[1]} - {levels[0]}", "estimate": diff.estimate, "se": diff.se,
        "df": diff.df, "ci_low": diff.ci_low, "ci_high": diff.ci_high, "t": diff.t,
        "p": diff.p, "test": diff.test, "n": len(x_a) + len(x_b), "note": diff.note}])
    return ProgressionSummary(
        dv=dv, by_group=by_group, regression_test=regression_test,
        difference_test=difference_test,
        n_missing={lv: m for lv, (_, m) in parts.items()},
        levels=levels, notes=tuple(notes))
