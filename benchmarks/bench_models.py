"""Speed of the adjusted model: ``ancova()`` against statsmodels OLS fits.

References, same model on the same rows:

* bare fit: ``sm.OLS(y, X).fit()`` (design matrix prepared beforehand, not timed);
* formula fit: ``smf.ols("y ~ C(g) + b + C(trial) + ...", data).fit()`` on a frame of
  the complete cases with plain columns (what a statistician would write; frame
  preparation not timed).

``ancova()`` is timed end to end from the DataFrame (name checks, missing-value
handling, design, fit, LS means, contrast, coefficient table), with and without its
diagnostics. The subgroup table (``ancova`` + ``subgroup_effects`` with the default
subgroups, the comparison page's models) is timed on simulated cohorts.

Run: ``python -m benchmarks.bench_models`` (prints a table; ``run()`` returns it).
Times are the best of several calls; ``OMP_NUM_THREADS=1`` makes the BLAS part
comparable on a busy machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from analysis.stats.linear.models import ancova, column, prepare, resolve_covariates

from analysis.data.derive import add_derived
from analysis.stats.linear.subgroups import subgroup_effects

FORMULA = "y ~ C(g) + b + C(trial) + age + C(sex) + C(dm) + C(mi) + hdl"


def synthetic_cohort(n: int, seed: int = 20120501) -> pd.DataFrame:
    """A frame with the model's dictionary columns and validated dtypes."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["none", "spotty", "other"], n, p=[0.3, 0.6, 0.1])
    frame = pd.DataFrame({
        "calcification": pd.Categorical(group, categories=["none", "spotty", "other"]),
        "trial": pd.Categorical(rng.choice(list("ABCDEF"), n)),
        "age": rng.normal(55, 10, n),
        "sex": pd.Categorical(rng.choice(["female", "male"], n), categories=["female", "male"]),
        "diabetes": pd.array(rng.random(n) < 0.3, dtype="boolean"),
        "prior_mi": pd.array(rng.random(n) < 0.25, dtype="boolean"),
        "hdl_c": rng.normal(50, 15, n),
        "pav_baseline": rng.normal(33, 8, n),
    })
    frame["pav_followup"] = (frame["pav_baseline"] + 0.4 * (group == "spotty")
                             + rng.normal(0, 2.2, n))
    return add_derived(frame)


def _best(fn: Callable[[], object], repeat: int) -> float:
    """Best (smallest) wall time of ``repeat`` calls, in seconds.

    The minimum is the least disturbed by other processes on a shared machine.
    """
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.min(times))


def formula_frame(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The model's columns as plain columns on ``rows`` (the analysed complete cases)."""
    f = frame.iloc[rows]
    return pd.DataFrame({
        "y": f["delta_pav"].to_numpy(float), "g": f["calcification"].astype(str).to_numpy(),
        "b": f["pav_baseline"].to_numpy(float), "trial": f["trial"].astype(str).to_numpy(),
        "age": f["age"].to_numpy(float), "sex": f["sex"].astype(str).to_numpy(),
        "dm": f["diabetes"].to_numpy(float), "mi": f["prior_mi"].to_numpy(float),
        "hdl": f["hdl_c"].to_numpy(float)})


def run(sizes: tuple[int, ...] = (1347, 100_000), repeat: int = 15) -> pd.DataFrame:
    """Time ancova() and the bare and formula OLS fits; one row per frame size."""
    rows = []
    for n in sizes:
        frame = synthetic_cohort(n)
        names, _ = resolve_covariates(frame, "delta_pav", None)
        md = prepare(column(frame, "delta_pav"), column(frame, "calcification"),
                     [column(frame, c) for c in names])
        X, y = md.design().matrix(), md.y
        plain = formula_frame(frame, md.rows)
        reps = repeat if n < 50_000 else max(3, repeat // 3)
        bare = _best(lambda X=X, y=y: sm.OLS(y, X).fit(), reps)
        formula = _best(lambda d=plain: smf.ols(FORMULA, data=d).fit(), max(3, reps // 3))
        fast = _best(lambda f=frame: ancova(f, "delta_pav", diagnostics=False), reps)
        full = _best(lambda f=frame: ancova(f, "delta_pav"), reps)
        rows.append({"n": n, "n_used": md.n, "bare_ols_ms": bare * 1e3,
                     "formula_ols_ms": formula * 1e3, "ancova_ms": fast * 1e3,
                     "ratio": fast / bare, "ratio_formula": fast / formula,
                     "ancova_with_diagnostics_ms": full * 1e3,
                     "ratio_with_diagnostics": full / bare})
    return pd.DataFrame(rows)


def run_subgroups(sizes: tuple[int, ...] = (1347, 100_000)) -> pd.DataFrame:
    """ancova + subgroup_effects (default subgroups) on simulated cohorts: first call
    on the frame (cold, imports done) and the best of three."""
    from analysis.cohort.simulate import simulate_cohort

    rows = []
    for n in sizes:
        patients, _ = simulate_cohort(n)
        frame = add_derived(patients)

        def both(f: pd.DataFrame = frame) -> None:
            ancova(f, "delta_pav")
            subgroup_effects(f, "delta_pav")

        cold = _best(both, 1)
        rows.append({"n": n, "first_call_ms": cold * 1e3, "best_of_3_ms": _best(both, 3) * 1e3})
    return pd.DataFrame(rows)


def main() -> str:
    """Print the tables; return them as a markdown section (for benchmarks.run_all)."""
    table, sub = run(), run_subgroups()
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.precision", 3):
        print(table)
        print(sub)

    def markdown(frame: pd.DataFrame) -> list[str]:
        head = "| " + " | ".join(frame.columns) + " |"
        rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
        body = ["| " + " | ".join(f"{v:.2f}" if isinstance(v, float) else str(v)
                                  for v in row) + " |" for row in frame.itertuples(index=False)]
        return [head, rule, *body]

    return "\n".join([
        "ancova() (delta_pav, default covariates, proportional weights) against a bare "
        "`sm.OLS(y, X).fit()` and a formula `smf.ols(...).fit()` of the same model on the "
        "same rows; best of several calls.", "", *markdown(table), "",
        "ancova + subgroup_effects (default subgroups) on simulated cohorts:", "",
        *markdown(sub)])


if __name__ == "__main__":
    main()
