"""The adjusted comparison after multiple imputation of missing covariates.

Missing covariate values of the compared patients (spotty or none, outcome observed)
are imputed by chained equations with predictive mean matching
(:mod:`analysis.stats.sensitivity.chained`, the algorithm of R ``mice``; why not
statsmodels ``MICEData`` is said there): each incomplete covariate in turn is
regressed (OLS) on all other columns, the outcome and the group included (Moons et al.
2006: the outcome belongs in the imputation model), and each missing value is the
observed value of one of the 5 nearest donors. Binary covariates are coded 0/1 and stay
0/1 (donors' values). Each imputation is an independent chain of ``cycles`` cycles.

A factor with more than two levels (trial, statin) would be imputed as if its level
codes were ordered numbers, so it enters the imputation models as its indicator
columns and is not imputed itself: rows where it is missing stay excluded, and the
result says so.

Each completed data set is analysed by the main model (:func:`ancova`) and the
spotty - none differences are pooled by Rubin's rules with Barnard-Rubin degrees of
freedom (:mod:`analysis.stats.sensitivity.rubin`). With no missing covariate value the
complete-case ANCOVA is returned as it is (every imputation would be the same data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import settings
from analysis.data.schema import GROUP, GROUP_LEVELS, VARIABLES
from analysis.errors import AnalysisError
from analysis.progress import report
from analysis.stats.sensitivity.chained import impute_chain
from analysis.stats.sensitivity.common import (
    SensitivityResult,
    check_options,
    covariate_text,
    t_interval,
    weighting_text,
)
from analysis.stats.sensitivity.linear_api import (
    ancova,
    check_frame,
    check_outcome,
    resolve_covariates,
)
from analysis.stats.sensitivity.rubin import Pooled, pool

ANALYSIS = "Multiple imputation (chained equations)"
TEST = "t-test of pooled LS-mean difference (Rubin's rules, Barnard-Rubin df)"


@dataclass(frozen=True)
class ImputationResult(SensitivityResult):
    """:class:`SensitivityResult` of :func:`multiple_imputation` with the pooling details.

    Attributes
    ----------
    pooled : Pooled or None
        Rubin's-rules quantities (None when nothing was imputed).
    imputations : DataFrame
        ``imputation, estimate, se`` per completed data set (empty when nothing was imputed).
    imputed : DataFrame
        ``column, n_imputed`` per covariate.
    m : int
    seed : int
    """

    pooled: Pooled | None = None
    imputations: pd.DataFrame | None = None
    imputed: pd.DataFrame | None = None
    m: int = 0
    seed: int = 0


def _check_int(value: object, what: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise AnalysisError(f"{what} must be a whole number of at least {low}, not {value!r}.")
    return int(value)


def _encode(frame: pd.DataFrame, names: Sequence[str]) -> tuple[pd.DataFrame, list[tuple]]:
    """Numeric columns under safe aliases, and how to decode each.

    Returns the frame (column names ``v0, v1, ...``) and per covariate
    ``(name, kind, alias, levels)``: kind ``"numeric"``, ``"binary"`` (0/1 codes into
    ``levels``) or ``"factor"`` (complete multi-level factor, indicator columns only).
    """
    cols: dict[str, np.ndarray] = {}
    info: list[tuple] = []
    for i, name in enumerate(names):
        s = frame[name]
        var = VARIABLES[name]
        alias = f"v{i}"
        if not var.is_categorical:
            cols[alias] = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float,
                                                                     na_value=np.nan)
            info.append((name, "numeric", alias, None))
            continue
        if pd.api.types.is_bool_dtype(s.dtype):
            levels = (False, True)
            codes = s.astype("float64").to_numpy(na_value=np.nan)
        else:
            cat = pd.Categorical(s.astype("object").where(s.notna(), None))
            levels = tuple(cat.categories)
            codes = np.where(cat.codes < 0, np.nan, cat.codes.astype(float))
        if len(levels) <= 2:
            cols[alias] = codes
            info.append((name, "binary", alias, levels))
        else:
            for j in range(1, len(levels)):
                cols[f"{alias}_{j}"] = (codes == j).astype(float)
            info.append((name, "factor", alias, levels))
    return pd.DataFrame(cols), info


def _decode(data: pd.DataFrame, positions: np.ndarray, completed: pd.DataFrame,
            info: list[tuple]) -> pd.DataFrame:
    """``data`` with the imputed covariate values written into the ``positions`` rows."""
    out = data.copy()
    for name, kind, alias, levels in info:
        if kind == "factor":
            continue
        values = completed[alias].to_numpy(dtype=float)
        col = out[name].copy()
        if kind == "numeric":
            if pd.api.types.is_integer_dtype(col.dtype):
                values = np.round(values)
            col.iloc[positions] = values
        else:
            col.iloc[positions] = np.asarray(levels, dtype=object)[values.astype(int)]
        out[name] = col
    return out


def _scope(data: pd.DataFrame, dv: str) -> np.ndarray:
    """Positions of the compared patients with an observed outcome."""
    g = data[GROUP].astype("str").to_numpy(dtype=object)
    y = pd.to_numeric(data[dv], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.flatnonzero(np.isin(g, list(GROUP_LEVELS)) & np.isfinite(y))


def multiple_imputation(data: pd.DataFrame, dv: str, *,
                        covar: Sequence[str] | str | None = None,
                        weights: str = "proportional", alpha: float = 0.05,
                        m: int | None = None, seed: int | None = None, cycles: int = 10,
                        min_group_n: int | None = None) -> ImputationResult:
    """Spotty - none LS-mean difference pooled over ``m`` imputations (module docstring).

    Parameters
    ----------
    data : DataFrame
    dv : str
        Numeric outcome (never imputed: patients without it are not analysed).
    covar : sequence of str, optional
        Covariates; default :func:`analysis.data.schema.default_covariates` of ``dv``.
    weights : {"proportional", "equal"}
    alpha : float
    m : int, optional
        Number of imputations; default ``settings.current().mi_imputations``
        (``EXPLORER_MI_IMPUTATIONS``, 20).
    seed : int, optional
        Seed of the imputation; default ``settings.current().mi_seed`` (``EXPLORER_MI_SEED``).
    cycles : int
        Chained-equation cycles of each imputation's chain (R mice's ``maxit``).
    min_group_n : int, optional

    Returns
    -------
    ImputationResult
    """
    check_frame(data)
    check_options(weights, alpha)
    check_outcome(data, dv)
    cfg = settings.current()
    m = _check_int(cfg.mi_imputations if m is None else m, "The number of imputations", 2)
    seed = _check_int(cfg.mi_seed if seed is None else seed, "The imputation seed", 0)
    cycles = _check_int(cycles, "cycles", 1)
    names, _ = resolve_covariates(data, dv, covar, exclude=(GROUP,))
    kw = dict(covar=names, weights=weights, alpha=alpha, min_group_n=min_group_n,
              diagnostics=False)
    positions, enc, info, imputed, notes = _imputation_input(data, dv, names)
    if not np.isnan(enc.to_numpy(dtype=float)).any():
        return _complete_case(ancova(data, dv, **kw), dv, weights, alpha, m, seed, imputed,
                              notes)
    matrix = enc.to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(m):
        report(f"Multiple imputation: imputation {i + 1} of {m}")
        completed = pd.DataFrame(impute_chain(matrix, cycles, rng), columns=enc.columns)
        res = ancova(_decode(data, positions, completed, info), dv, **kw)
        c = res.contrast.iloc[0]
        rows.append((i + 1, float(c["estimate"]), float(c["se"]), float(c["df"]), res))
    per = pd.DataFrame([r[:3] for r in rows], columns=["imputation", "estimate", "se"])
    pooled = pool(per["estimate"].to_numpy(), per["se"].to_numpy() ** 2, rows[0][3])
    lo, hi, p = t_interval(pooled.estimate, pooled.se, pooled.df, alpha)
    last = rows[-1][4]
    text = ", ".join(f"{r.column} {r.n_imputed}" for r in imputed.itertuples() if r.n_imputed)
    notes = [*notes, f"Imputed values: {text}.",
             f"Fraction of missing information {pooled.fmi:.3f}."]
    notes += [n for n in last.notes if n not in notes]
    method = (f"Multiple imputation by chained equations (OLS with predictive mean "
              f"matching, 5 donors; {m} imputations of {cycles} cycles, seed {seed}), each "
              f"analysed by {last.method.split(';')[0]}; covariates "
              f"{covariate_text(last.covariates)}; {weighting_text(weights)}; pooled by "
              f"Rubin's rules; n = {last.n_used}")
    return ImputationResult(
        analysis=ANALYSIS, estimate=pooled.estimate, se=pooled.se, ci_low=lo, ci_high=hi, p=p,
        test=TEST, df=pooled.df, n=int(last.n_used), method=method, notes=tuple(notes),
        covariates=tuple(last.covariates), dv=dv, weights=weights, alpha=float(alpha),
        pooled=pooled, imputations=per, imputed=imputed, m=m, seed=seed)


def _imputation_input(data: pd.DataFrame, dv: str, names: list[str]
                      ) -> tuple[np.ndarray, pd.DataFrame, list[tuple], pd.DataFrame, list[str]]:
    """(row positions, imputation matrix, decoding info, ``column, n_imputed``, notes).

    The rows are the compared patients with an observed outcome and every multi-level
    factor observed (those factors are not imputed, module docstring). The matrix holds
    the outcome, the group (0/1) and the encoded covariates, NaN where missing.
    """
    positions = _scope(data, dv)
    scoped = data.iloc[positions]
    enc, info = _encode(scoped, names)
    notes: list[str] = []
    keep = np.ones(len(positions), dtype=bool)
    for name, kind, _alias, _levels in info:
        miss = scoped[name].isna().to_numpy()
        if kind == "factor" and miss.any():
            notes.append(f"{name} has more than two levels and is not imputed; its "
                         f"{int(miss.sum())} patients with a missing value stay excluded.")
            keep &= ~miss
    if not keep.all():
        positions = positions[keep]
        scoped = data.iloc[positions]
        enc, info = _encode(scoped, names)
    n_missing = [int(scoped[n].isna().sum()) for n in names]
    imputed = pd.DataFrame({"column": names, "n_imputed": n_missing})
    if any(k == "numeric" and 0 < scoped[n].notna().sum() < 2 for n, k, _a, _l in info) or \
            any(n_missing[i] == len(scoped) > 0 for i in range(len(names))):
        raise AnalysisError("A covariate has fewer than 2 observed values among the compared "
                            "patients and cannot be imputed; leave it out.")
    enc.insert(0, "group", (scoped[GROUP].astype("str") == GROUP_LEVELS[1])
               .to_numpy(dtype=float))
    enc.insert(0, "outcome", pd.to_numeric(scoped[dv]).to_numpy(dtype=float))
    return positions, enc, info, imputed, notes


def _complete_case(res, dv: str, weights: str, alpha: float, m: int, seed: int,
                   imputed: pd.DataFrame, notes: Sequence[str] = ()) -> ImputationResult:
    """The complete-case ANCOVA as an :class:`ImputationResult` (nothing to impute)."""
    c = res.contrast.iloc[0]
    note = (f"No covariate value to impute among the {res.n_used} analysed patients: "
            "nothing was imputed and this is the complete-case result.")
    return ImputationResult(
        analysis=ANALYSIS, estimate=float(c["estimate"]), se=float(c["se"]),
        ci_low=float(c["ci_low"]), ci_high=float(c["ci_high"]), p=float(c["p"]),
        test=str(c["test"]), df=float(c["df"]), n=int(res.n_used),
        method=f"No imputation needed (no missing covariate values): {res.method}",
        notes=(note, *notes, *res.notes), covariates=tuple(res.covariates), dv=dv,
        weights=weights,
        alpha=float(alpha), pooled=None,
        imputations=pd.DataFrame(columns=["imputation", "estimate", "se"]),
        imputed=imputed, m=m, seed=seed)
