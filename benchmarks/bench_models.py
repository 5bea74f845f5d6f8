"""Speed of the adjusted model: ``ancova()`` against the same work written bare.

Side by side in one run, on the same rows (``synthetic_cohort``: 1,347, 100,000 and
1,000,000 patients, 10% of them with other calcification, a few values missing):

* ``ancova(frame, "delta_pav")``, end to end from the DataFrame (name checks,
  missing-value handling, design, statsmodels fit, LS means, contrast, coefficient
  table; with its diagnostics, and without);
* ``bare``: what a statistician would write in a notebook: a pandas boolean filter to
  spotty / none and the complete cases, a ``pd.get_dummies`` design,
  ``sm.OLS(y, X).fit()``, the proportional LS means (column means of ``X`` with the
  group set) by ``get_prediction`` and their difference by ``t_test``;
* ``bare + diagnostics``: the bare fit plus statsmodels' diagnostics of the same
  model (``jarque_bera``, ``het_breuschpagan``, ``get_influence().cooks_distance``,
  ``compare_f_test`` of the group x baseline model): the same work as ``ancova()``
  with its diagnostics.

``ratio`` columns are ours / bare (goal <= 1.2). The Comparison page's models
(``ancova`` + ``subgroup_effects`` with the default subgroups) are timed on a
simulated cohort: the first call on the frame (cold), the best of three, and the two
sharing one fit of the overall model (``fit_overall``, as the cached entry points do).

Run: ``python -m benchmarks.bench_models`` (prints the tables; ``main()`` returns them
as markdown for ``benchmarks.run_all``). Times are the best of several calls (the
least disturbed on a shared machine); BLAS threads are capped at one for the bare code
too, as ``analysis.stats.linear.fit`` does for ours.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.diagnostic import het_breuschpagan
from statsmodels.stats.stattools import jarque_bera
from threadpoolctl import threadpool_limits

from analysis.data.derive import add_derived
from analysis.stats.linear.ancova import ancova, ancova_of
from analysis.stats.linear.overall import fit_overall
from analysis.stats.linear.subgroups import subgroup_effects
from benchmarks.run_all import markdown_table

SIZES = (1347, 100_000, 1_000_000)
COVARIATES = ["pav_baseline", "trial", "age", "sex", "diabetes", "prior_mi", "hdl_c"]


def synthetic_cohort(n: int, seed: int = 20120501) -> pd.DataFrame:
    """A frame with the model's dictionary columns, validated dtypes, ~1% missing age."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["none", "spotty", "other"], n, p=[0.3, 0.6, 0.1])
    age = rng.normal(55, 10, n)
    age[rng.random(n) < 0.01] = np.nan
    frame = pd.DataFrame({
        "calcification": pd.Categorical(group, categories=["none", "spotty", "other"]),
        "trial": pd.Categorical(rng.choice(list("ABCDEF"), n)),
        "age": age,
        "sex": pd.Categorical(rng.choice(["female", "male"], n), categories=["female", "male"]),
        "diabetes": pd.array(rng.random(n) < 0.3, dtype="boolean"),
        "prior_mi": pd.array(rng.random(n) < 0.25, dtype="boolean"),
        "hdl_c": rng.normal(50, 15, n),
        "pav_baseline": rng.normal(33, 8, n),
    })
    frame["pav_followup"] = (frame["pav_baseline"] + 0.4 * (group == "spotty")
                             + rng.normal(0, 2.2, n))
    return add_derived(frame)


def bare_fit(frame: pd.DataFrame):
    """The model as written in a notebook: (results, design frame, contrast frame)."""
    d = frame[frame["calcification"].isin(["spotty", "none"])]
    d = d[["delta_pav", "calcification", *COVARIATES]].dropna()
    d = d.assign(calcification=d["calcification"].cat.remove_unused_categories())
    X = pd.get_dummies(d[["calcification", "trial", "sex"]], drop_first=True, dtype=float)
    X[["pav_baseline", "age", "hdl_c"]] = d[["pav_baseline", "age", "hdl_c"]]
    X[["diabetes", "prior_mi"]] = d[["diabetes", "prior_mi"]].astype(float)
    X = sm.add_constant(X)
    res = sm.OLS(d["delta_pav"].astype(float), X).fit()
    L = np.tile(X.mean().to_numpy(), (2, 1))  # proportional LS means: group set, rest averaged
    g = X.columns.get_loc("calcification_spotty")
    L[0, g], L[1, g] = 0.0, 1.0
    res.get_prediction(L).summary_frame(alpha=0.05)
    contrast = res.t_test(L[1] - L[0]).summary_frame(alpha=0.05)
    return res, X, contrast


def bare_with_diagnostics(frame: pd.DataFrame) -> None:
    """``bare_fit`` plus the diagnostics ``ancova()`` reports, by statsmodels."""
    res, X, _ = bare_fit(frame)
    jarque_bera(res.resid)
    het_breuschpagan(res.resid, X)
    res.get_influence().cooks_distance  # noqa: B018 - computed on access
    wider = X.assign(slope=X["calcification_spotty"] * X["pav_baseline"])
    sm.OLS(res.model.endog, wider).fit().compare_f_test(res)


def _best(fn: Callable[[], object], repeat: int) -> float:
    """Best (smallest) wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.min(times))


def run(sizes: tuple[int, ...] = SIZES) -> pd.DataFrame:
    """ancova() and the bare code side by side; one row per cohort size."""
    rows = []
    for n in sizes:
        frame = synthetic_cohort(n)
        reps = 7 if n < 50_000 else (3 if n < 500_000 else 2)
        ours = ancova(frame, "delta_pav")
        _, _, contrast = bare_fit(frame)
        # the two computations agree (a benchmark of different numbers would mean nothing)
        assert abs(ours.contrast["estimate"].iloc[0] - contrast["coef"].iloc[0]) < 1e-8
        with threadpool_limits(1, user_api="blas"):
            bare = _best(lambda f=frame: bare_fit(f), reps)
            bare_diag = _best(lambda f=frame: bare_with_diagnostics(f), max(1, reps - 1))
        fast = _best(lambda f=frame: ancova(f, "delta_pav", diagnostics=False), reps)
        full = _best(lambda f=frame: ancova(f, "delta_pav"), reps)
        rows.append({"n": n, "n_used": ours.n_used, "bare_ms": bare * 1e3,
                     "ancova_no_diag_ms": fast * 1e3, "ratio_no_diag": fast / bare,
                     "bare_with_diag_ms": bare_diag * 1e3, "ancova_ms": full * 1e3,
                     "ratio": full / bare_diag, "ratio_vs_bare_fit_only": full / bare})
    return pd.DataFrame(rows)


def run_comparison(sizes: tuple[int, ...] = (1347, 1_000_000)) -> pd.DataFrame:
    """The Comparison page's models (ancova + subgroup_effects, default subgroups) on
    simulated cohorts: first call on the frame and best of three."""
    from analysis.cohort.simulate import simulate_cohort

    rows = []
    for n in sizes:
        patients, _ = simulate_cohort(n)
        frame = add_derived(patients)

        def both(f: pd.DataFrame = frame) -> None:
            ancova(f, "delta_pav")
            subgroup_effects(f, "delta_pav")

        def shared(f: pd.DataFrame = frame) -> None:  # as the cached entries do
            model = fit_overall(f, "delta_pav")
            ancova_of(model)
            subgroup_effects(f, "delta_pav", model=model)

        cold = _best(both, 1)
        t_anc = _best(lambda f=frame: ancova(f, "delta_pav"), 3)
        t_sub = _best(lambda f=frame: subgroup_effects(f, "delta_pav"), 3)
        t_shared = _best(shared, 3)
        rows.append({"n": n, "first_call_ms": cold * 1e3, "ancova_ms": t_anc * 1e3,
                     "subgroups_ms": t_sub * 1e3, "both_best_ms": (t_anc + t_sub) * 1e3,
                     "both_one_fit_ms": t_shared * 1e3,
                     "one_fit_ratio": t_shared / (t_anc + t_sub)})
    return pd.DataFrame(rows)


def _markdown(frame: pd.DataFrame) -> list[str]:
    return markdown_table(frame, digits=2).splitlines()


def main() -> str:
    """Print the tables; return them as a markdown section (for benchmarks.run_all)."""
    table, comparison = run(), run_comparison()
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.precision", 3):
        print(table)
        print(comparison)
    return "\n".join([
        "ancova() (delta_pav, default covariates, proportional weights) against the same "
        "work written bare (pandas filter, get_dummies, `sm.OLS(y, X).fit()`, LS means by "
        "`get_prediction`, contrast by `t_test`; with diagnostics: statsmodels' "
        "jarque_bera, het_breuschpagan, get_influence, compare_f_test) on the same rows; "
        "best of several calls; ratio = ours / bare.", "", *_markdown(table), "",
        "Comparison page models (ancova + subgroup_effects, default subgroups) on "
        "simulated cohorts; both_one_fit: the two sharing one fit of the overall model:", "", *_markdown(comparison)])


if __name__ == "__main__":
    main()
