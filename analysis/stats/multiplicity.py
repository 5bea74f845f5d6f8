"""Multiplicity adjustment of p-values: Holm and Benjamini-Hochberg.

Holm (1979) controls the family-wise error rate: with the ``m`` p-values sorted
``p_(1) <= ... <= p_(m)``, ``p_holm_(i) = max_{j <= i} min(1, (m - j + 1) p_(j))``.
Benjamini & Hochberg (1995) control the false discovery rate:
``p_bh_(i) = min_{j >= i} min(1, m p_(j) / j)``. Benjamini-Hochberg comes from
statsmodels ``multipletests(method="fdr_bh")``; Holm is the formula above in NumPy
(:func:`holm`), because statsmodels' ``"holm"`` branch runs a full garbage collection
(``gc.collect()``) on every call, which took 0.1-0.35 s in a process holding a large
cohort (the Comparison page's slowest single step); the tests check it against
``multipletests(method="holm")``. NaN p-values (tests not estimable) are left out of
the family and stay NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from analysis.errors import AnalysisError

METHODS = {"holm": "holm", "bh": "fdr_bh"}
METHOD_NAMES = {"holm": "Holm (family-wise error rate)",
                "bh": "Benjamini-Hochberg (false discovery rate)"}
SUBGROUP_NOTE = ("Subgroup analyses are exploratory: the interaction p-values are "
                 "adjusted over the {m} subgroup variables tested (Holm: family-wise error "
                 "rate; Benjamini-Hochberg: false discovery rate), and even adjusted they "
                 "generate hypotheses rather than confirm them.")


def holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values of ``p`` (no NaN), in the order given.

    ``max_{j <= i} min(1, (m - j + 1) p_(j))`` over the sorted p-values (see the module
    docstring), as statsmodels ``multipletests(p, method="holm")[1]``.
    """
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out


def adjust_pvalues(p: Sequence[float] | np.ndarray, method: str = "holm") -> np.ndarray:
    """Adjusted p-values (same order as ``p``; NaN stays NaN and is not counted).

    Parameters
    ----------
    p : sequence of float
        Unadjusted p-values in [0, 1] (NaN allowed).
    method : {"holm", "bh"}

    Returns
    -------
    ndarray of float

    Raises
    ------
    AnalysisError
        Unknown method, or a p-value outside [0, 1].
    """
    if method not in METHODS:
        raise AnalysisError(f"method must be one of {', '.join(METHODS)}, not {method!r}.")
    try:
        values = np.asarray(p, dtype=float).ravel()
    except (TypeError, ValueError):
        raise AnalysisError("p-values must be numbers (NaN for a test not done).") from None
    ok = ~np.isnan(values)
    if np.any((values[ok] < 0) | (values[ok] > 1)):
        raise AnalysisError("p-values must lie between 0 and 1.")
    out = np.full(values.shape, np.nan)
    if ok.any():
        out[ok] = holm(values[ok]) if method == "holm" else \
            multipletests(values[ok], method=METHODS[method])[1]
    return out


@dataclass(frozen=True)
class AdjustedSubgroups:
    """Result of :func:`adjust_subgroups`.

    Attributes
    ----------
    table : DataFrame
        The subgroup table with ``p_holm`` and ``p_bh`` after ``p_interaction``: the
        adjusted interaction p on the row that holds the interaction p (the first row of
        each subgroup variable), NaN elsewhere.
    method : str
    notes : tuple of str
        Starts with the statement that subgroup analyses are exploratory.
    m : int
        Number of interaction tests in the family.
    """

    table: pd.DataFrame
    method: str
    notes: tuple[str, ...]
    m: int


def adjust_subgroups(table: pd.DataFrame, p_column: str = "p_interaction") -> AdjustedSubgroups:
    """Holm and Benjamini-Hochberg adjustment of the interaction p of each subgroup variable.

    Parameters
    ----------
    table : DataFrame
        :attr:`analysis.stats.linear.subgroups.SubgroupResult.table` (one interaction
        p per subgroup variable, on its first row; NaN elsewhere and on ``Overall``).
        It is not modified.
    p_column : str

    Returns
    -------
    AdjustedSubgroups
    """
    if not isinstance(table, pd.DataFrame) or p_column not in table.columns \
            or "variable" not in table.columns:
        raise AnalysisError(f"Expected a subgroup table with columns 'variable' and "
                            f"'{p_column}' (SubgroupResult.table).")
    p = pd.to_numeric(table[p_column], errors="coerce").to_numpy(dtype=float)
    tested = table.loc[~np.isnan(p), "variable"]
    if tested.duplicated().any():
        raise AnalysisError(f"The table holds more than one {p_column} for "
                            f"{', '.join(sorted(set(tested[tested.duplicated()])))}; one "
                            "interaction p per subgroup variable is expected.")
    out = table.copy()
    at = out.columns.get_loc(p_column) + 1
    out.insert(at, "p_holm", adjust_pvalues(p, "holm"))
    out.insert(at + 1, "p_bh", adjust_pvalues(p, "bh"))
    m = int((~np.isnan(p)).sum())
    method = (f"Interaction p-values adjusted over {m} subgroup variables: "
              f"{METHOD_NAMES['holm']} and {METHOD_NAMES['bh']} (statsmodels multipletests; "
              "Holm's step-down formula in NumPy, the same numbers)")
    return AdjustedSubgroups(table=out, method=method, notes=(SUBGROUP_NOTE.format(m=m),), m=m)
